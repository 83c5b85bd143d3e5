import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import { formatAmount, formatFixed } from './amount.ts';
import type { Order, Refund } from './state.ts';

/**
 * Binance's order and refund notifications (shared/providers/binance-pay.md §5): the exact body,
 * RSA (PKCS#1 v1.5, SHA-256) signature over `ts LF nonce LF body LF` in base64, the key's MD5 as
 * BinancePay-Certificate-SN, delivered with up to 6 retries until the merchant answers HTTP 200
 * with `{"returnCode":"SUCCESS","returnMessage":null}`.
 */

export type BizStatus = 'PAY_SUCCESS' | 'PAY_CLOSED' | 'REFUND_SUCCESS' | 'REFUND_REJECTED';

/** One first attempt plus Binance's "up to 6" retries. */
export const NOTIFICATION_MAX_ATTEMPTS = 7;

export interface Certificate {
  certSerial: string;
  certPublic: string;
}

export interface NotificationKeyData {
  privateKeyPem: string;
  forgedKeyPem: string;
}

/** Binance's signing key (made once, kept in the data folder) and a second key that forged notifications use. */
export class NotificationKeys {
  readonly certificate: Certificate;
  readonly #key: KeyObject;
  readonly #forgedKey: KeyObject;

  constructor(data?: NotificationKeyData) {
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const fresh = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.#key = data ? createPrivateKey(data.privateKeyPem) : fresh();
    this.#forgedKey = data ? createPrivateKey(data.forgedKeyPem) : fresh();
    const publicKey = createPublicKey(this.#key);
    this.certificate = {
      // "MD5 hash value of public key": the MD5 of its DER (SubjectPublicKeyInfo) bytes, in hex.
      certSerial: createHash('md5').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex'),
      certPublic: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    this.toData = () => ({ privateKeyPem: pem(this.#key), forgedKeyPem: pem(this.#forgedKey) });
  }

  readonly toData: () => NotificationKeyData;

  headers(body: string, timestamp: number, forged: boolean): Record<string, string> {
    const ts = String(timestamp);
    const nonce = randomLetters(32);
    const signature = sign('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`, 'utf8'), forged ? this.#forgedKey : this.#key);
    return {
      'BinancePay-Timestamp': ts,
      'BinancePay-Nonce': nonce,
      'BinancePay-Signature': signature.toString('base64'),
      'BinancePay-Certificate-SN': this.certificate.certSerial,
    };
  }
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function randomLetters(n: number): string {
  return [...randomBytes(n)].map((b) => LETTERS[b % LETTERS.length]).join('');
}

/** A JSON object from [key, JSON text] pairs, in order, so that raw numbers keep their text. */
function rawObject(fields: [string, string | null][]): string {
  return `{${fields.filter((f): f is [string, string] => f[1] !== null).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}
const s = (v: string | null) => (v === null ? null : JSON.stringify(v));

function orderFields(o: Order): [string, string | null][] {
  return [
    ['merchantTradeNo', s(o.merchantTradeNo)],
    ['productType', s(o.productType)],
    ['productName', s(o.productName)],
    ['tradeType', s(o.terminalType)],
    ['totalFee', formatFixed(o.amountUnits)],
    ['currency', s(o.currency)],
  ];
}

/** PAY notification body; `bizId` is written as the raw (often > 2^53) number it is. */
export function payNotificationBody(o: Order, bizStatus: 'PAY_SUCCESS' | 'PAY_CLOSED', at: number): string {
  const paid = bizStatus === 'PAY_SUCCESS';
  const data = rawObject([
    ...orderFields(o),
    ['transactTime', String(paid ? (o.transactTime ?? at) : at)],
    ['transactionId', paid ? s(o.transactionId) : null],
    ['openUserId', paid ? s(o.openUserId) : null],
    ['passThroughInfo', s(o.passThroughInfo)],
    ['commission', paid ? '0' : null],
    ['paymentInfo', paid && o.paymentInfo ? JSON.stringify(o.paymentInfo) : null],
  ]);
  return envelope('PAY', o.prepayId, bizStatus, data);
}

export function refundNotificationBody(o: Order, r: Refund, bizStatus: 'REFUND_SUCCESS' | 'REFUND_REJECTED'): string {
  const refundInfo = JSON.stringify({
    refundRequestId: r.refundRequestId,
    prepayId: r.prepayId,
    orderAmount: formatAmount(o.amountUnits),
    refundedAmount: formatAmount(r.refundedUnitsAfter),
    refundAmount: formatAmount(r.refundAmountUnits),
    remainingAttempts: r.remainingAttempts,
    payerOpenId: o.openUserId,
    duplicateRequest: 'N',
  });
  const data = rawObject([
    ...orderFields(o),
    ['openUserId', s(o.openUserId)],
    ['passThroughInfo', s(o.passThroughInfo)],
    ['refundInfo', refundInfo],
  ]);
  return envelope('PAY_REFUND', o.prepayId, bizStatus, data);
}

function envelope(bizType: string, bizId: string, bizStatus: BizStatus, data: string): string {
  if (!/^\d+$/.test(bizId)) throw new Error(`bizId must be digits: ${bizId}`);
  return rawObject([
    ['bizType', s(bizType)],
    ['bizId', bizId],
    ['bizIdStr', s(bizId)],
    ['bizStatus', s(bizStatus)],
    ['data', JSON.stringify(data)],
  ]);
}

/** Binance counts a notification delivered only on HTTP 200 with the documented success body. */
export function isAcknowledged(status: number, responseBody: string): boolean {
  if (status !== 200) return false;
  try {
    const b = JSON.parse(responseBody) as unknown;
    return typeof b === 'object' && b !== null && (b as Record<string, unknown>).returnCode === 'SUCCESS' && 'returnMessage' in b && (b as Record<string, unknown>).returnMessage === null;
  } catch {
    return false;
  }
}

export class BinanceNotifier {
  constructor(
    private readonly ctx: SandboxContext,
    keys: () => NotificationKeys,
    private readonly onSkip: (n: { bizType: string; bizStatus: BizStatus; prepayId: string; reason: string }) => void,
  ) {
    ctx.webhooks.setTransport('binance', {
      sign: (b, { forged }) => keys().headers(b, this.ctx.now(), forged),
      isAcknowledged,
    });
  }

  /** Sends to `url` (the order's or refund's webhookUrl), else the portal-level URL, else records a skip. */
  send(bizType: 'PAY' | 'PAY_REFUND', bizStatus: BizStatus, prepayId: string, body: string, url: string | null): void {
    const target = url ?? this.ctx.settings.binanceWebhookUrl;
    if (!target) {
      this.onSkip({ bizType, bizStatus, prepayId, reason: 'no webhookUrl on the order and no binanceWebhookUrl setting' });
      return;
    }
    this.ctx.webhooks.send({
      provider: 'binance',
      eventType: bizStatus,
      url: target,
      body,
      maxAttempts: NOTIFICATION_MAX_ATTEMPTS,
    });
  }
}
