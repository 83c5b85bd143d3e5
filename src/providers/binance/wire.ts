/**
 * Binance Pay merchant API shapes as LeadsCalendar sends and reads them
 * (../shared/providers/binance-pay.md §2–5). Only the fields we use or check are typed; the rest
 * may be present. Ids are strings: Binance's numbers (prepayId, bizId) exceed 2^53.
 */

export const PATHS = {
  createOrder: '/binancepay/openapi/v3/order',
  queryOrder: '/binancepay/openapi/v2/order/query',
  closeOrder: '/binancepay/openapi/order/close',
  refund: '/binancepay/openapi/order/refund',
  queryRefund: '/binancepay/openapi/order/refund/query',
  certificates: '/binancepay/openapi/certificates',
} as const;

/** Every answer: `status` SUCCESS with `code` 000000 and `data`, or FAIL/ERROR with a code. */
export interface Envelope<T> {
  status: string;
  code: string;
  data?: T;
  errorMessage?: string | null;
}

export interface GoodsDetail {
  goodsType: '01' | '02';
  goodsCategory: string;
  referenceGoodsId: string;
  goodsName: string;
}

export interface CreateOrderRequest {
  env: { terminalType: 'WEB' };
  merchantTradeNo: string;
  orderAmount: string;
  currency: string;
  description: string;
  goodsDetails: GoodsDetail[];
  returnUrl: string;
  cancelUrl: string;
  webhookUrl: string;
  orderExpireTime: number;
  passThroughInfo: string;
}

export interface CreateOrderResult {
  prepayId: string;
  terminalType?: string;
  expireTime: number;
  qrcodeLink?: string;
  qrContent: string;
  checkoutUrl: string;
  deeplink?: string | null;
  universalUrl?: string | null;
  currency?: string;
  totalFee?: string;
}

export type OrderReference = { prepayId: string } | { merchantTradeNo: string };

export const ORDER_STATUSES = ['INITIAL', 'PENDING', 'PAID', 'CANCELED', 'ERROR', 'REFUNDING', 'REFUNDED', 'FULL_REFUNDED', 'EXPIRED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** query order v2 `data`. */
export interface QueryOrderResult {
  prepayId: string;
  transactionId?: string | null;
  merchantTradeNo?: string | null;
  /** An {@link OrderStatus}, or a status Binance adds later (refused by the mapping). */
  status: string;
  currency: string;
  orderAmount: string;
  passThroughInfo?: string | null;
  transactTime?: number | null;
  createTime?: number;
}

export interface RefundRequest {
  refundRequestId: string;
  prepayId: string;
  refundAmount: string;
  refundReason?: string;
}

export interface RefundResult {
  refundRequestId: string;
  prepayId: string;
  orderAmount?: string;
  refundedAmount?: string;
  refundAmount?: string;
  remainingAttempts?: number;
  duplicateRequest?: 'Y' | 'N';
}

export type RefundStatus = 'REFUND_SUCCESS' | 'REFUND_FAIL' | 'REFUND_PENDING';

export interface RefundQueryResult extends RefundResult {
  refundStatus: string;
}

export interface CertificateResult {
  certSerial: string;
  certPublic: string;
}

/** A notification as posted to our webhook; `data` is a JSON document inside a string. */
export interface WebhookBody {
  bizType: string;
  /** Do not use: a JSON number beyond 2^53. */
  bizId?: unknown;
  bizIdStr?: string;
  bizStatus: string;
  data: string | Record<string, unknown>;
}

/** The fields of `data` we read (PAY and PAY_REFUND). */
export interface WebhookData {
  merchantTradeNo?: string;
  prepayId?: string;
  passThroughInfo?: string;
  refundInfo?: string | { refundRequestId?: string; prepayId?: string };
}
