import type { EventState } from '../domain/event-state.ts';
import type { PaymentState } from '../domain/payment-state.ts';

/** Each event state in the words the interface shows; the compiler asks for a label for every state. */
export const STATE_LABEL: Record<EventState, string> = {
  pending_payment: 'Waiting for payment',
  paid: 'Paid — adding to Google Calendar',
  confirmed: 'On your Google Calendar',
  failed: 'Failed — not added to your calendar',
  expired: 'Expired unpaid',
  cancelled: 'Cancelled',
};

/** Each payment state in words, for the event's timeline; the compiler asks for every state here too. */
export const PAYMENT_STATE_LABEL: Record<PaymentState, string> = {
  created: 'order created, waiting for the payer',
  approved: 'approved by the payer',
  pending: 'being processed by the provider',
  authorized: 'money held, to be taken once the event is on your calendar',
  captured: 'paid',
  voiding: 'releasing the held money',
  voided: 'hold released, no money taken',
  refunding: 'being refunded',
  refunded: 'refunded',
  reversed: 'taken back by the provider or your bank',
  expired: 'order expired unpaid',
  cancelled: 'cancelled',
  declined: 'declined',
  review: 'held for a manual check',
  error: 'the order could not be created',
};
