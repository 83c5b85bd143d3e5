import { createHash, randomBytes, randomInt } from 'node:crypto';
import { checkShape, replaceMap } from '../persistence/replace.ts';
import { formatAmount } from './amount.ts';

/** What the emulated Binance holds: merchants (API keys), orders, refunds. In memory. */

export const ORDER_STATUSES = [
  'INITIAL',
  'PENDING',
  'PAID',
  'CANCELED',
  'ERROR',
  'REFUNDING',
  'REFUNDED',
  'FULL_REFUNDED',
  'EXPIRED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type RefundStatus = 'REFUND_PENDING' | 'REFUND_SUCCESS' | 'REFUND_FAIL';

export interface Merchant {
  apiKey: string;
  secretKey: string;
  merchantId: number;
}

export interface PaymentInfo {
  payerId: string;
  payMethod: string;
  paymentInstructions: { currency: string; amount: string; price: string }[];
  channel: string;
  subChannel: string | null;
  payerDetail: string | null;
}

export interface Order {
  apiKey: string;
  merchantId: number;
  /** Digits; usually beyond 2^53, as Binance's are. */
  prepayId: string;
  /** The opaque part of checkoutUrl. */
  checkoutToken: string;
  merchantTradeNo: string;
  terminalType: string;
  status: OrderStatus;
  currency: string;
  amountUnits: bigint;
  fiatCurrency: string | null;
  fiatAmount: string | null;
  description: string;
  goodsDetails: unknown[];
  productType: string;
  productName: string;
  returnUrl: string | null;
  cancelUrl: string | null;
  webhookUrl: string | null;
  passThroughInfo: string | null;
  supportPayCurrency: string | null;
  createTime: number;
  expireTime: number;
  transactTime: number | null;
  transactionId: string | null;
  openUserId: string | null;
  paymentInfo: PaymentInfo | null;
  refundedUnits: bigint;
  /** Why a payment attempt failed (decline fault, or the payer's "fail" choice). */
  failureReason: string | null;
}

export interface Refund {
  apiKey: string;
  refundRequestId: string;
  prepayId: string;
  refundAmountUnits: bigint;
  /** Total refunded on the order once this refund is counted. */
  refundedUnitsAfter: bigint;
  remainingAttempts: number;
  refundReason: string | null;
  webhookUrl: string | null;
  status: RefundStatus;
  createTime: number;
}

export interface SkippedNotification {
  bizType: string;
  bizStatus: string;
  prepayId: string;
  reason: string;
  at: number;
}

/** At most this many refunds per order (400302 beyond). */
export const MAX_REFUNDS = 10;

export class BinanceStore {
  readonly merchants = new Map<string, Merchant>();
  readonly orders = new Map<string, Order>(); // by prepayId
  readonly refunds = new Map<string, Refund>(); // by apiKey + refundRequestId
  readonly skippedNotifications: SkippedNotification[] = [];

  addMerchant(apiKey: string, secretKey: string): Merchant {
    // A stable merchant id per key, like the one the portal shows.
    const merchantId = 100_000_000 + (createHash('sha256').update(apiKey).digest().readUInt32BE(0) % 900_000_000);
    const m = { apiKey, secretKey, merchantId };
    this.merchants.set(apiKey, m);
    return m;
  }

  byTradeNo(apiKey: string, merchantTradeNo: string): Order | undefined {
    for (const o of this.orders.values()) if (o.apiKey === apiKey && o.merchantTradeNo === merchantTradeNo) return o;
    return undefined;
  }

  byCheckoutToken(token: string): Order | undefined {
    for (const o of this.orders.values()) if (o.checkoutToken === token) return o;
    return undefined;
  }

  /** A control-API reference: prepayId or merchantTradeNo (any merchant). */
  byReference(ref: string): Order | undefined {
    const direct = this.orders.get(ref);
    if (direct) return direct;
    for (const o of this.orders.values()) if (o.merchantTradeNo === ref) return o;
    return undefined;
  }

  refundKey(apiKey: string, refundRequestId: string): string {
    return `${apiKey}\u0000${refundRequestId}`;
  }

  refundsOf(prepayId: string): Refund[] {
    return [...this.refunds.values()].filter((r) => r.prepayId === prepayId);
  }

  dump() {
    const { merchants, orders, refunds, skippedNotifications } = this;
    return { merchants, orders, refunds, skippedNotifications };
  }

  restore(data: unknown): void {
    const d = checkShape('binance', data, { merchants: 'map', orders: 'map', refunds: 'map', skippedNotifications: 'array' });
    replaceMap(this.merchants, d.merchants);
    replaceMap(this.orders, d.orders);
    replaceMap(this.refunds, d.refunds);
    this.skippedNotifications.splice(0, this.skippedNotifications.length, ...d.skippedNotifications);
  }

  /** Orders and refunds; keys stay. */
  clear(): void {
    this.orders.clear();
    this.refunds.clear();
    this.skippedNotifications.length = 0;
  }

  snapshot() {
    return {
      orders: [...this.orders.values()].map(orderSnapshot),
      refunds: [...this.refunds.values()].map(refundSnapshot),
      skippedNotifications: this.skippedNotifications,
    };
  }
}

export function orderSnapshot(o: Order) {
  const { amountUnits, refundedUnits, apiKey: _k, ...rest } = o;
  return { ...rest, orderAmount: formatAmount(amountUnits), refundedAmount: formatAmount(refundedUnits) };
}

export function refundSnapshot(r: Refund) {
  const { refundAmountUnits, refundedUnitsAfter, apiKey: _k, ...rest } = r;
  return { ...rest, refundAmount: formatAmount(refundAmountUnits), refundedAmount: formatAmount(refundedUnitsAfter) };
}

/** A 19-digit id, always above 2^53 (9.0e15) so that clients must not read it as a double. */
export function newLongId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 8_000_000_000_000_000_000n;
  return (1_000_000_000_000_000_000n + n).toString();
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

export function newOpenUserId(): string {
  return `${randomInt(1000, 9999)}${randomBytes(8).toString('hex')}`;
}
