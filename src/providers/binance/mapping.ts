import { AppError } from '../../errors.ts';
import { parseMinor } from '../../domain/money.ts';
import type { Notice, Snapshot, SnapshotStatus } from '../../ports/payments.ts';
import type { OrderStatus, QueryOrderResult } from './wire.ts';

/** Pure conversions between Binance Pay's words and the port's. */

/**
 * Every documented query status, by name: an unknown one is an error, never a guess (only PAID
 * means money arrived). REFUNDING keeps `captured`: the money is still with us until the refund
 * completes. ERROR is a failed payment attempt: nothing taken, the order cannot be paid any more.
 */
const STATUS: Record<OrderStatus, SnapshotStatus> = {
  INITIAL: 'open',
  PENDING: 'pending',
  PAID: 'captured',
  CANCELED: 'cancelled',
  EXPIRED: 'expired',
  ERROR: 'declined',
  REFUNDING: 'captured',
  REFUNDED: 'refunded',
  FULL_REFUNDED: 'refunded',
};

/** Statuses whose own word is worth keeping as the snapshot's reason. */
const REASON_STATUSES = new Set(['PENDING', 'ERROR', 'REFUNDING', 'REFUNDED']);

export function snapshotStatus(status: string): SnapshotStatus {
  if (!Object.hasOwn(STATUS, status)) {
    throw new AppError('internal', `Binance Pay answered an order status LeadsCalendar does not know: "${status.slice(0, 40)}"`, { provider: 'binance' });
  }
  return STATUS[status as OrderStatus];
}

export function toSnapshot(order: QueryOrderResult, refundRef: string | null = null): Snapshot {
  return {
    ref: order.prepayId,
    status: snapshotStatus(order.status),
    merchantRef: order.merchantTradeNo || null,
    amount: readAmount(order.orderAmount, order.currency),
    authorizationRef: null,
    captureRef: null,
    refundRef,
    reason: REASON_STATUSES.has(order.status) ? order.status : null,
  };
}

/** Binance's decimal amount as Money; refuses what does not fit the currency's decimals. */
export function readAmount(amount: string | number, currency: string) {
  try {
    return { minor: parseMinor(String(amount), currency), currency };
  } catch (err) {
    throw new AppError('internal', `Binance Pay answered an amount LeadsCalendar cannot read exactly: ${String(amount).slice(0, 40)} ${currency.slice(0, 10)}`, {
      provider: 'binance',
      cause: err,
    });
  }
}

/** Our payment id (a UUID) as a merchantTradeNo: letters and digits only, 32 characters. */
export function merchantTradeNoOf(paymentId: string): string {
  const tradeNo = paymentId.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(tradeNo)) {
    throw new AppError('invalid_request', `a Binance Pay order needs a UUID payment id, got "${paymentId.slice(0, 40)}"`, { provider: 'binance' });
  }
  return tradeNo;
}

/** A 32-hex merchantTradeNo back in UUID form; null for references that are not ours. */
export function paymentIdOf(merchantTradeNo: string | null | undefined): string | null {
  if (!merchantTradeNo || !/^[0-9a-fA-F]{32}$/.test(merchantTradeNo)) return null;
  const t = merchantTradeNo.toLowerCase();
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
}

/**
 * A notification's hint. PAY_CLOSED covers both a close and an expiry; the core reads the order
 * to tell which. A rejected refund changes nothing about the money the order holds.
 */
export function noticeHint(bizType: string, bizStatus: string): Notice['hint'] {
  if (bizType === 'PAY') {
    if (bizStatus === 'PAY_SUCCESS') return 'captured';
    if (bizStatus === 'PAY_CLOSED') return 'expired';
  }
  if (bizType === 'PAY_REFUND' && bizStatus === 'REFUND_SUCCESS') return 'refunded';
  return 'ignored';
}
