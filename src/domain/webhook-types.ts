import type { EventState } from './event-state.ts';
import type { PaymentState } from './payment-state.ts';

/**
 * What an integrator is told, as webhook types, and which transition of the two state machines
 * announces each. Pure: the audit trail asks this for every transition it records and writes a
 * webhook event (the outbox) in the same transaction when the answer is not null.
 */
export const WEBHOOK_TYPES = [
  'event.created',
  'event.confirmed',
  'event.failed',
  'event.expired',
  'event.cancelled',
  'payment.created',
  'payment.completed',
  'payment.failed',
  'payment.expired',
  'payment.cancelled',
  'payment.refunded',
  'payment.reversed',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export function isWebhookType(s: string): s is WebhookType {
  return (WEBHOOK_TYPES as readonly string[]).includes(s);
}

/** `from` null: the record was just created. */
export function eventWebhookType(from: EventState | null, to: EventState): WebhookType | null {
  if (from === null) return to === 'pending_payment' ? 'event.created' : null;
  switch (to) {
    case 'confirmed':
      return 'event.confirmed';
    case 'failed':
      return 'event.failed';
    case 'expired':
      return 'event.expired';
    case 'cancelled':
      return 'event.cancelled';
    // Paid but not yet on the calendar: payment.completed (or an authorization) says the money part;
    // the event itself is announced when it is confirmed or fails.
    case 'paid':
    case 'pending_payment':
      return null;
  }
}

/**
 * Only outcomes are announced, not steps on the way (approved, pending, authorized, voiding,
 * refunding, review): an integrator acts on money taken, money not taken, and money returned.
 */
export function paymentWebhookType(from: PaymentState | null, to: PaymentState): WebhookType | null {
  if (from === null) return to === 'created' ? 'payment.created' : null;
  switch (to) {
    case 'captured':
      return 'payment.completed';
    case 'declined':
    case 'error':
      return 'payment.failed';
    case 'expired':
      return 'payment.expired';
    // A released authorization is a cancelled payment: the hold ends and no money was taken.
    case 'cancelled':
    case 'voided':
      return 'payment.cancelled';
    case 'refunded':
      return 'payment.refunded';
    case 'reversed':
      return 'payment.reversed';
    case 'created':
    case 'approved':
    case 'pending':
    case 'authorized':
    case 'voiding':
    case 'refunding':
    case 'review':
      return null;
  }
}
