import { randomInt } from 'node:crypto';
import { checkShape } from '../persistence/replace.ts';
import type { Money } from './money.ts';
import type { ParsedUnit } from './validation.ts';

/** What the emulated PayPal account holds. Plain records; rendering to the wire is in render.ts. */

/** What the test buyer picked on the approval page. */
export const FUNDING_CHOICES = ['ok', 'declined', 'pending', 'denied'] as const;
export type Funding = (typeof FUNDING_CHOICES)[number];

export const FUNDING_LABELS: Record<Funding, string> = {
  ok: 'PayPal balance (pays)',
  declined: 'Visa ending 0002 (declined by the bank: capture/authorize answer INSTRUMENT_DECLINED)',
  pending: 'eCheck (capture stays PENDING until resolved)',
  denied: 'Card flagged by risk review (capture PENDING, then DENIED)',
};

export type OrderStatus = 'CREATED' | 'SAVED' | 'APPROVED' | 'VOIDED' | 'COMPLETED' | 'PAYER_ACTION_REQUIRED';

/** A purchase unit as validated at create time, plus the payments made against it. */
export interface PurchaseUnitRecord extends ParsedUnit {
  authorizationIds: string[];
  captureIds: string[];
}

export interface Payer {
  payerId: string;
  email: string;
  givenName: string;
  surname: string;
}

export interface OrderRecord {
  id: string;
  intent: 'CAPTURE' | 'AUTHORIZE';
  status: OrderStatus;
  createTime: number;
  updateTime: number;
  purchaseUnits: PurchaseUnitRecord[];
  /** true when created with payment_source.paypal.experience_context (→ payer-action link). */
  experienceContext: boolean;
  returnUrl?: string;
  cancelUrl?: string;
  brandName?: string;
  payer?: Payer;
  funding?: Funding;
}

export type AuthorizationStatus = 'CREATED' | 'CAPTURED' | 'DENIED' | 'PARTIALLY_CAPTURED' | 'VOIDED' | 'PENDING';

export interface AuthorizationRecord {
  id: string;
  orderId: string;
  status: AuthorizationStatus;
  amount: Money;
  minor: bigint;
  custom_id?: string;
  invoice_id?: string;
  funding: Funding;
  createTime: number;
  updateTime: number;
  expirationTime: number;
  captureIds: string[];
  capturedMinor: bigint;
}

export type CaptureStatus = 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED';

export interface CaptureRecord {
  id: string;
  orderId: string;
  authorizationId?: string;
  status: CaptureStatus;
  reason?: string;
  amount: Money;
  minor: bigint;
  fee: bigint;
  finalCapture: boolean;
  custom_id?: string;
  invoice_id?: string;
  note_to_payer?: string;
  soft_descriptor?: string;
  createTime: number;
  updateTime: number;
  refundIds: string[];
  refundedMinor: bigint;
}

export interface RefundRecord {
  id: string;
  captureId: string;
  orderId: string;
  status: 'CANCELLED' | 'FAILED' | 'PENDING' | 'COMPLETED';
  amount: Money;
  minor: bigint;
  totalRefundedMinor: bigint;
  invoice_id?: string;
  custom_id?: string;
  note_to_payer?: string;
  createTime: number;
  updateTime: number;
}

export interface AccessToken {
  token: string;
  expiresAt: number;
}

/** A stored success, for PayPal-Request-Id replays: which resource the first request produced. */
export interface IdempotentResult {
  kind: 'order' | 'capture' | 'authorization' | 'refund';
  id: string;
}

export class PaypalState {
  orders = new Map<string, OrderRecord>();
  authorizations = new Map<string, AuthorizationRecord>();
  captures = new Map<string, CaptureRecord>();
  refunds = new Map<string, RefundRecord>();
  tokens = new Map<string, AccessToken>();
  idempotency = new Map<string, IdempotentResult>();
  tokenRequests = 0;

  dump() {
    const { orders, authorizations, captures, refunds, tokens, idempotency, tokenRequests } = this;
    return { orders, authorizations, captures, refunds, tokens, idempotency, tokenRequests };
  }

  restore(data: unknown): void {
    const d = checkShape('paypal', data, {
      orders: 'map',
      authorizations: 'map',
      captures: 'map',
      refunds: 'map',
      tokens: 'map',
      idempotency: 'map',
      tokenRequests: 'number',
    }) as ReturnType<PaypalState['dump']>;
    Object.assign(this, d);
  }

  clear(): void {
    this.orders.clear();
    this.authorizations.clear();
    this.captures.clear();
    this.refunds.clear();
    this.tokens.clear();
    this.idempotency.clear();
    this.tokenRequests = 0;
  }
}

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PAYER_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** 17 characters, like 5O190127TN364715T (orders, authorizations, captures, refunds). */
export const newPaypalId = () => randomString(ID_ALPHABET, 17);
/** 13 characters of PayPal's account-id alphabet, like QYR5Z8XDVJNXQ. */
export const newPayerId = () => randomString(PAYER_ALPHABET, 13);

/** The emulated merchant (payee) account. */
export const MERCHANT = { email_address: 'sb-leadscalendar@business.example.com', merchant_id: '7KNGBPH2U58GQ' } as const;

/** RFC 3339 without fractional seconds, as PayPal writes resource times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
