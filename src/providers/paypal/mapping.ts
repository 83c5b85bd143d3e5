import { AppError } from '../../errors.ts';
import { formatMinor, parseMinor } from '../../domain/money.ts';
import type { Money, Notice, Snapshot, SnapshotStatus } from '../../ports/payments.ts';
import type { Authorization, Capture, Order, PaypalMoney } from './wire.ts';

/**
 * PayPal's states → ours, pure. The order's own status says little once money moved (COMPLETED
 * does not mean paid), so the payments under purchase_units[0] decide: the capture if there is
 * one, else the authorization, else the order. Every PayPal status is listed by name; one we do
 * not know is an error, never a guess.
 */

export function toPaypalMoney(m: Money): PaypalMoney {
  return { currency_code: m.currency, value: formatMinor(m.minor, m.currency) };
}

export function fromPaypalMoney(m: PaypalMoney): Money {
  return { minor: parseMinor(m.value, m.currency_code), currency: m.currency_code };
}

function unknownStatus(what: string, status: string, orderId: string): never {
  throw new AppError('internal', `PayPal answered a ${what} status we do not know (${JSON.stringify(status)}) for order ${orderId}; refusing to guess what it means.`, {
    provider: 'paypal',
    providerCode: status,
  });
}

/**
 * A capture PayPal took back shows as REFUNDED with a chargeback or complaint as its reason (the
 * capture status enum has no REVERSED; the REVERSED webhook carries a refund "Payment reversed").
 */
const REVERSAL_REASONS = new Set(['CHARGEBACK', 'BUYER_COMPLAINT']);

function captureStatus(c: Capture, orderId: string): { status: SnapshotStatus; reason: string | null } {
  const reason = c.status_details?.reason ?? null;
  switch (c.status) {
    case 'COMPLETED':
    case 'PARTIALLY_REFUNDED':
      return { status: 'captured', reason: null };
    case 'PENDING':
      return { status: 'pending', reason };
    case 'DECLINED':
    case 'FAILED':
      return { status: 'declined', reason: reason ?? c.status };
    case 'REFUNDED':
      return reason !== null && REVERSAL_REASONS.has(reason) ? { status: 'reversed', reason } : { status: 'refunded', reason: null };
    case 'REVERSED':
      return { status: 'reversed', reason };
    default:
      return unknownStatus('capture', c.status, orderId);
  }
}

function authorizationStatus(a: Authorization, orderId: string): { status: SnapshotStatus; reason: string | null } {
  const reason = a.status_details?.reason ?? null;
  switch (a.status) {
    case 'CREATED':
      return { status: 'authorized', reason: null };
    case 'PENDING':
      return { status: 'pending', reason };
    case 'VOIDED':
      return { status: 'voided', reason: null };
    case 'DENIED':
      return { status: 'declined', reason: reason ?? a.status };
    case 'EXPIRED':
      return { status: 'expired', reason: null };
    case 'CAPTURED':
    case 'PARTIALLY_CAPTURED':
      // Captured: the capture decides, and the order did not show one.
      throw new AppError('internal', `PayPal shows authorization ${a.id} of order ${orderId} as ${a.status} but the order lists no capture.`, { provider: 'paypal', providerCode: a.status });
    default:
      return unknownStatus('authorization', a.status, orderId);
  }
}

function orderStatus(o: Order): SnapshotStatus {
  switch (o.status) {
    case 'CREATED':
    case 'SAVED':
    case 'PAYER_ACTION_REQUIRED':
      return 'open';
    case 'APPROVED':
      return 'approved';
    case 'VOIDED':
      return 'cancelled';
    case 'COMPLETED':
      throw new AppError('internal', `PayPal shows order ${o.id} COMPLETED but lists no authorization or capture.`, { provider: 'paypal', providerCode: o.status });
    default:
      return unknownStatus('order', o.status, o.id);
  }
}

const last = <T>(xs: T[] | undefined): T | undefined => (xs && xs.length ? xs[xs.length - 1] : undefined);

export function orderToSnapshot(o: Order): Snapshot {
  const pu = o.purchase_units?.[0];
  const capture = last(pu?.payments?.captures);
  const authorization = last(pu?.payments?.authorizations);
  const refund = last(pu?.payments?.refunds);
  const { status, reason } = capture
    ? captureStatus(capture, o.id)
    : authorization
      ? authorizationStatus(authorization, o.id)
      : { status: orderStatus(o), reason: null };
  const amount = capture?.amount ?? authorization?.amount ?? pu?.amount;
  return {
    ref: o.id,
    status,
    merchantRef: pu?.custom_id ?? capture?.custom_id ?? authorization?.custom_id ?? null,
    amount: amount ? fromPaypalMoney(amount) : null,
    authorizationRef: authorization?.id ?? null,
    captureRef: capture?.id ?? null,
    refundRef: refund?.id ?? null,
    reason,
  };
}

/** Webhook event types → the Notice hint (for logs and metrics; the core re-reads the order). */
export const EVENT_HINTS: Record<string, Notice['hint']> = {
  // The payer approved; nothing is taken until we authorize or capture.
  'CHECKOUT.ORDER.APPROVED': 'pending',
  'CHECKOUT.ORDER.COMPLETED': 'ignored',
  'CHECKOUT.ORDER.SAVED': 'ignored',
  'CHECKOUT.ORDER.VOIDED': 'cancelled',
  // The payment failed after the payer approved it (PayPal's approval was withdrawn).
  'CHECKOUT.PAYMENT-APPROVAL.REVERSED': 'declined',
  'PAYMENT.AUTHORIZATION.CREATED': 'authorized',
  'PAYMENT.AUTHORIZATION.VOIDED': 'voided',
  'PAYMENT.CAPTURE.COMPLETED': 'captured',
  'PAYMENT.CAPTURE.PENDING': 'pending',
  'PAYMENT.CAPTURE.DENIED': 'declined',
  'PAYMENT.CAPTURE.DECLINED': 'declined',
  'PAYMENT.CAPTURE.REFUNDED': 'refunded',
  'PAYMENT.CAPTURE.REVERSED': 'reversed',
};

export function hintOf(eventType: string): Notice['hint'] {
  return Object.hasOwn(EVENT_HINTS, eventType) ? EVENT_HINTS[eventType]! : 'ignored';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** What a webhook resource names by itself: our payment id, the order, or the capture it belongs to. */
export function resourceRefs(resourceType: string | undefined, resource: Record<string, unknown> | undefined): { paymentId: string | null; ref: string | null; captureId: string | null } {
  if (!resource) return { paymentId: null, ref: null, captureId: null };
  const paymentId = isUuid(resource.custom_id) ? resource.custom_id : null;
  if (resourceType === 'checkout-order') {
    const pu = Array.isArray(resource.purchase_units) ? (resource.purchase_units[0] as Record<string, unknown> | undefined) : undefined;
    return { paymentId: paymentId ?? (isUuid(pu?.custom_id) ? pu.custom_id : null), ref: str(resource.id), captureId: null };
  }
  if (resourceType === 'capture' || resourceType === 'authorization') {
    const related = (resource.supplementary_data as { related_ids?: Record<string, unknown> } | undefined)?.related_ids;
    return { paymentId, ref: str(related?.order_id), captureId: resourceType === 'capture' ? str(resource.id) : null };
  }
  if (resourceType === 'refund') {
    // A refund names its capture only through its `up` link.
    const links = Array.isArray(resource.links) ? (resource.links as { rel?: unknown; href?: unknown }[]) : [];
    const up = links.find((l) => l.rel === 'up' && typeof l.href === 'string');
    const m = up ? /\/v2\/payments\/captures\/([^/?#]+)/.exec(String(up.href)) : null;
    return { paymentId, ref: null, captureId: m ? decodeURIComponent(m[1]!) : null };
  }
  return { paymentId, ref: null, captureId: null };
}
