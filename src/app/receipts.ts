import type { AuditEntry } from '../db/repos/audit-trail.ts';
import type { EventRecord } from '../db/repos/events.ts';
import type { PaymentRecord } from '../db/repos/payments.ts';
import type { EventState } from '../domain/event-state.ts';
import type { PaymentState } from '../domain/payment-state.ts';
import { AppError } from '../errors.ts';

/**
 * What the person downloads from an event: its receipt and its calendar file. Both are read from
 * what the event and its payments recorded; neither changes anything.
 */

export const FILE_CODES = {
  noReceipt: 'receipt_not_available',
  noCalendarFile: 'calendar_file_not_available',
} as const;

/** The payment a receipt is for, with the moments it records. */
export interface ReceiptFacts {
  payment: PaymentRecord;
  /** When the money was taken: the capture, or for late money the start of its refund. */
  paidAt: Date;
  refund: { status: 'refunding' | 'refunded' | 'reversed'; requestedAt: Date; completedAt: Date | null } | null;
}

/** States a payment can be in once money was taken from it, and what the receipt says of each. */
const AFTER_CAPTURE: Partial<Record<PaymentState, 'paid' | 'refunding' | 'refunded' | 'reversed'>> = {
  captured: 'paid',
  refunding: 'refunding',
  refunded: 'refunded',
  reversed: 'reversed',
  // A payment held for review may have been captured: it is money taken until a person decides.
  review: 'paid',
};

/**
 * The payment that took the event's money, from the payments' own histories: the one that moved the
 * event to paid, else (money that arrived after the event was closed, then returned) the latest one
 * captured. A hold (PayPal AUTHORIZE) is not a payment until it is captured, and a released hold
 * took nothing: neither has a receipt. Null when no money was ever taken.
 */
export function receiptFacts(payments: readonly PaymentRecord[], trails: ReadonlyMap<string, readonly AuditEntry[]>): ReceiptFacts | null {
  const taken = payments
    .map((payment) => ({ payment, trail: trails.get(payment.id) ?? [] }))
    // Money that arrived after the event was closed goes from its order straight to refunding,
    // with no `captured` step: it was taken all the same, when the refund began.
    .map(({ payment, trail }) => ({ payment, trail, capture: trail.find((t) => t.to === 'captured') ?? trail.find((t) => t.to === 'refunding') }))
    .filter((x) => x.capture && AFTER_CAPTURE[x.payment.state]);
  const chosen = taken.find((x) => x.payment.paysEvent) ?? taken.at(-1);
  if (!chosen) return null;
  const { payment, trail, capture } = chosen;
  const status = AFTER_CAPTURE[payment.state]!;
  if (status === 'paid') return { payment, paidAt: capture!.at, refund: null };
  // The first step of the money going back (refunding, or a reversal straight from captured), and its end.
  const back = trail.filter((t) => t.at >= capture!.at && ['refunding', 'refunded', 'reversed'].includes(t.to));
  const done = back.find((t) => t.to === 'refunded' || t.to === 'reversed');
  return { payment, paidAt: capture!.at, refund: { status, requestedAt: back[0]?.at ?? payment.updatedAt, completedAt: status === 'refunding' ? null : (done?.at ?? payment.updatedAt) } };
}

export function requireReceipt(facts: ReceiptFacts | null, e: Pick<EventRecord, 'id' | 'state'>): ReceiptFacts {
  if (facts) return facts;
  throw new AppError('conflict', `Event ${e.id} has no receipt: no payment took money for it (it is ${e.state.replace('_', ' ')}).`, { code: FILE_CODES.noReceipt });
}

/**
 * A stable receipt number: the capture's date and the first 12 hex digits of the payment id, so the
 * same receipt always carries the same number and two receipts of one day do not share it.
 */
export function receiptNumber(paymentId: string, paidAt: Date): string {
  return `LC-${paidAt.toISOString().slice(0, 10).replaceAll('-', '')}-${paymentId.replaceAll('-', '').slice(0, 12).toUpperCase()}`;
}

/**
 * The STATUS the calendar file carries, or null when the event has none to offer. An event is a
 * booking only once paid: one waiting for payment (or expired, or failed) gets no file, so that no
 * copy of an unpaid event can sit in a calendar looking booked. Paid but not yet on Google
 * Calendar: TENTATIVE. Cancelled: CANCELLED, so that an earlier import of it is withdrawn.
 */
export function calendarFileStatus(state: EventState): 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED' | null {
  switch (state) {
    case 'confirmed':
      return 'CONFIRMED';
    case 'paid':
      return 'TENTATIVE';
    case 'cancelled':
      return 'CANCELLED';
    default:
      return null;
  }
}

export function requireCalendarFile(e: Pick<EventRecord, 'id' | 'state'>): 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED' {
  const status = calendarFileStatus(e.state);
  if (status) return status;
  throw new AppError(
    'conflict',
    e.state === 'pending_payment'
      ? `Event ${e.id} is waiting for payment: its calendar file is available once it is paid.`
      : `Event ${e.id} is ${e.state} and was never booked: it has no calendar file.`,
    { code: FILE_CODES.noCalendarFile },
  );
}

/**
 * The download's file name: the title in ASCII letters, digits and dashes (any browser, any file
 * system), `event` when nothing is left; the title itself goes in filename* (RFC 6266).
 */
export function icsFileName(title: string): { ascii: string; utf8: string } {
  const ascii =
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'event';
  const utf8 = title.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100) || 'event';
  return { ascii: `${ascii}.ics`, utf8: `${utf8}.ics` };
}

export function contentDisposition(name: { ascii: string; utf8: string }): string {
  // encodeURIComponent leaves ' ( ) * ! unescaped; RFC 5987's attr-char does not allow ' ( ) *.
  const ext = encodeURIComponent(name.utf8).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${name.ascii}"; filename*=UTF-8''${ext}`;
}
