/**
 * The payment lifecycle: one state machine, pure. Every change is recorded by the caller
 * (the audit trail); the SQL check in 0003_payments.sql lists the same states, and the database refuses
 * any transition not in NEXT (0004_audit_trail.sql).
 *
 * - `created`: the provider order exists (or is being created); the payer has not acted.
 * - `approved`: the payer approved at PayPal; nothing is taken until we authorize or capture.
 * - `pending`: paid but not settled by the provider (a PENDING capture, a scanned QR code).
 * - `authorized`: funds held (PayPal AUTHORIZE); `captured`: money taken (PayPal capture, Binance PAID).
 * - `voiding`, `refunding`: money being returned; `voided`, `refunded`: returned.
 * - `reversed`: taken back by the payer's bank or the provider.
 * - `expired`, `cancelled`, `declined`: ended with no money taken.
 * - `review`: the provider's answer did not match what we asked (amount, currency, reference), or a
 *   refund was refused: a person must look. Never confirms an event.
 * - `error`: the provider order could not be created.
 */
export const PAYMENT_STATES = [
  'created',
  'approved',
  'pending',
  'authorized',
  'captured',
  'voiding',
  'voided',
  'refunding',
  'refunded',
  'reversed',
  'expired',
  'cancelled',
  'declined',
  'review',
  'error',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/** Money arriving for a payment already closed (late): it is returned, so these lead to voiding/refunding. */
const LATE: readonly PaymentState[] = ['voiding', 'refunding', 'review', 'voided', 'refunded', 'reversed'];

const NEXT: Record<PaymentState, readonly PaymentState[]> = {
  created: ['approved', 'pending', 'authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'error', 'voiding', 'refunding'],
  approved: ['pending', 'authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'voiding', 'refunding'],
  pending: ['authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'voiding', 'refunding'],
  authorized: ['pending', 'captured', 'voiding', 'voided', 'declined', 'expired', 'review'],
  captured: ['refunding', 'refunded', 'reversed'],
  voiding: ['voided', 'refunding', 'review'],
  refunding: ['refunded', 'reversed', 'review'],
  review: ['voiding', 'voided', 'refunding', 'refunded', 'reversed'],
  // A closed order can still be paid at the provider (a race with the close): that money goes back.
  expired: LATE,
  cancelled: LATE,
  declined: LATE,
  error: LATE,
  voided: [],
  refunded: [],
  reversed: [],
};

/** Every legal transition, as [from, to] pairs: the database refuses any other (0004_audit_trail.sql). */
export const PAYMENT_TRANSITIONS: readonly (readonly [PaymentState, PaymentState])[] = PAYMENT_STATES.flatMap((from) => NEXT[from].map((to) => [from, to] as const));

export function canTransitionPayment(from: PaymentState, to: PaymentState): boolean {
  return NEXT[from].includes(to);
}

export class PaymentTransitionError extends Error {
  constructor(
    readonly from: PaymentState,
    readonly to: PaymentState,
  ) {
    super(`a payment cannot go from ${from} to ${to}`);
    this.name = 'PaymentTransitionError';
  }
}

export function assertPaymentTransition(from: PaymentState, to: PaymentState): void {
  if (!canTransitionPayment(from, to)) throw new PaymentTransitionError(from, to);
}

/** The payer may still act: the order is open at the provider. */
export function isOpen(state: PaymentState): boolean {
  return state === 'created' || state === 'approved' || state === 'pending';
}

/** The payment holds or keeps the event's money (the database allows one per event). */
export function holdsMoney(state: PaymentState): boolean {
  return state === 'authorized' || state === 'captured';
}

/** No money movement can follow, at the provider or here. */
export function isFinal(state: PaymentState): boolean {
  return NEXT[state].length === 0;
}

/**
 * The payer may cancel it: the order is open and no money moved. A `pending` payment has been
 * paid and the provider is completing it: only a refund can return that money.
 */
export function isCancellable(state: PaymentState): boolean {
  return state === 'created' || state === 'approved';
}

/** A refund through the API is possible from these. */
export function isRefundable(state: PaymentState): boolean {
  return state === 'captured' || state === 'review';
}
