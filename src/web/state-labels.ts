import type { EventState } from '../domain/event-state.ts';

/** Each event state in the words the interface shows; the compiler asks for a label for every state. */
export const STATE_LABEL: Record<EventState, string> = {
  pending_payment: 'Waiting for payment',
  paid: 'Paid — adding to Google Calendar',
  confirmed: 'On your Google Calendar',
  failed: 'Failed — not added to your calendar',
  expired: 'Expired unpaid',
  cancelled: 'Cancelled',
};
