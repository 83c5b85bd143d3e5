import { createHash } from 'node:crypto';
import { convertPrice } from '../../domain/crypto-price.ts';
import { formatMinor } from '../../domain/money.ts';
import { AppError, isAppError } from '../../errors.ts';
import type {
  Acknowledgement,
  Call,
  Checkout,
  CheckoutRequest,
  Money,
  Notice,
  PaymentProvider,
  PaymentRefs,
  RawNotification,
  Snapshot,
} from '../../ports/payments.ts';
import { BinanceClient } from './client.ts';
import { merchantTradeNoOf, toSnapshot } from './mapping.ts';
import { readBinanceNotification } from './notification.ts';
import { BinanceCertificateCache } from './signature.ts';
import type { CreateOrderRequest } from './wire.ts';

/** What every Binance Pay order of ours is priced in. */
export const CHARGE_CURRENCY = 'USDT';
/** The fiat currency the configured rate is quoted against. */
export const PRICE_CURRENCY = 'USD';
/**
 * Binance documents an order life of at most 1 hour (the default too; a later maximum could not
 * be verified). A payment deadline further out is cut to this, less a margin for clock skew;
 * the answer's expireTime tells the app what it got.
 */
export const MAX_ORDER_LIFETIME_MS = 60 * 60 * 1000 - 60 * 1000;
const DESCRIPTION_MAX = 256;
const REFUND_ID_MAX = 64;
const REFUND_REASON_MAX = 256;

export interface BinanceProviderOptions {
  client: BinanceClient;
  /** USDT per 1 USD, a plain decimal string ("1", "0.9995"). */
  usdtPerUsd: string;
  certificates: BinanceCertificateCache;
  now?: () => number;
}

/**
 * Binance Pay behind the payment port. The payer pays in the Binance app or web checkout; a PAID
 * order has taken the money (nothing held, nothing to capture), and only a refund returns it.
 * Idempotency: the merchantTradeNo (our payment id without dashes) for orders, the call's key as
 * refundRequestId for refunds; a close or a query repeats harmlessly.
 */
export class BinanceProvider implements PaymentProvider {
  readonly id = 'binance' as const;
  readonly holdsFunds = false;
  readonly payerCompletes = true;
  readonly acknowledgement: Acknowledgement = {
    status: 200,
    contentType: 'application/json',
    body: '{"returnCode":"SUCCESS","returnMessage":null}',
  };

  readonly #client: BinanceClient;
  readonly #rate: string;
  readonly #certificates: BinanceCertificateCache;
  readonly #now: () => number;

  constructor(opts: BinanceProviderOptions) {
    this.#client = opts.client;
    this.#rate = opts.usdtPerUsd;
    this.#certificates = opts.certificates;
    this.#now = opts.now ?? Date.now;
    // A bad rate is a configuration error: refuse it at start, not at the first payer.
    convertPrice({ minor: 100n, currency: PRICE_CURRENCY }, this.#rate, CHARGE_CURRENCY);
  }

  async createCheckout(req: CheckoutRequest, call: Call): Promise<Checkout> {
    const rate = req.rate ?? this.#rate;
    const charge = this.#charge(req.price, rate);
    const merchantTradeNo = merchantTradeNoOf(req.paymentId);
    const body: CreateOrderRequest = {
      env: { terminalType: 'WEB' },
      merchantTradeNo,
      orderAmount: formatMinor(charge.minor, charge.currency),
      currency: charge.currency,
      description: describe(req.description),
      goodsDetails: [{ goodsType: '02', goodsCategory: 'Z000', referenceGoodsId: 'event-booking', goodsName: 'Event booking' }],
      returnUrl: req.returnUrl,
      cancelUrl: req.cancelUrl,
      webhookUrl: req.notifyUrl,
      orderExpireTime: Math.min(req.expiresAt.getTime(), this.#now() + MAX_ORDER_LIFETIME_MS),
      passThroughInfo: req.eventId,
    };
    let order;
    try {
      order = await this.#client.createOrder(body, call.signal);
    } catch (err) {
      if (isAppError(err, 'conflict') && err.providerCode === '400201') throw await this.#existingOrder(merchantTradeNo, err, call);
      throw err;
    }
    return {
      ref: order.prepayId,
      merchantRef: merchantTradeNo,
      charge,
      rate,
      // Binance's own deadline; ours (as sent) if an answer ever lacks it.
      expiresAt: new Date(Number.isFinite(order.expireTime) ? order.expireTime : body.orderExpireTime),
      action: {
        type: 'scan',
        checkoutUrl: order.checkoutUrl,
        qrContent: order.qrContent,
        deeplink: order.deeplink || null,
        universalUrl: order.universalUrl || null,
      },
    };
  }

  /**
   * A repeat of a create whose answer was lost finds Binance's order under our merchantTradeNo.
   * Its query has no checkoutUrl or qrContent, so no usable Checkout can be rebuilt: `conflict`,
   * naming the order (details.ref) so the app can read or close it.
   */
  async #existingOrder(merchantTradeNo: string, original: AppError, call: Call): Promise<AppError> {
    let existing;
    try {
      existing = await this.#client.queryOrder({ merchantTradeNo }, call.signal);
    } catch (err) {
      if (!isAppError(err, 'not_found')) throw err;
      return new AppError('invalid_request', `Binance Pay refused merchantTradeNo ${merchantTradeNo} and has no order under it`, {
        provider: 'binance',
        httpStatus: original.httpStatus,
        providerCode: original.providerCode,
        cause: original,
      });
    }
    return new AppError(
      'conflict',
      `Binance Pay already has order ${existing.prepayId} (${existing.status}) for this payment; its checkout link cannot be read back, so close it and start a new payment`,
      {
        provider: 'binance',
        httpStatus: original.httpStatus,
        providerCode: original.providerCode,
        details: { ref: existing.prepayId, merchantRef: merchantTradeNo, status: toSnapshot(existing).status },
        cause: original,
      },
    );
  }

  async fetch(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    return toSnapshot(await this.#client.queryOrder({ prepayId: refs.ref }, call.signal));
  }

  /** The payer pays Binance directly: nothing to complete, the order is the truth. */
  completeApproval(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    return this.fetch(refs, call);
  }

  async capture(_refs: PaymentRefs, _call: Call): Promise<Snapshot> {
    throw new AppError('invalid_request', 'Binance Pay takes payment directly; there is nothing to capture', { provider: 'binance' });
  }

  /**
   * Closes an unpaid order. Binance refuses to close any order not INITIAL (400204); then the
   * order tells whether that is "already closed" (success) or paid / being paid (`conflict`).
   * A close is accepted before it is applied (PAY_CLOSED follows), so the snapshot may still be
   * `open` for a moment on the real service.
   */
  async release(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    try {
      await this.#client.closeOrder({ prepayId: refs.ref }, call.signal);
    } catch (err) {
      if (!(isAppError(err, 'conflict') && err.providerCode === '400204')) throw err;
      const now = await this.fetch(refs, call);
      if (now.status === 'cancelled' || now.status === 'expired' || now.status === 'declined') return now;
      throw new AppError('conflict', `Binance Pay order ${refs.ref} is ${now.reason ?? now.status} and cannot be closed; refund it instead if it was paid`, {
        provider: 'binance',
        httpStatus: err.httpStatus,
        providerCode: err.providerCode,
        details: { status: now.status },
        cause: err,
      });
    }
    return this.fetch(refs, call);
  }

  /**
   * Refunds in full. The call's key is the refundRequestId, so a repeat is answered with the first
   * refund (duplicateRequest Y). Binance may accept a refund and reject it afterwards, so the
   * refund is read back: REFUND_FAIL is `declined`; a pending one leaves the order `captured`
   * until the PAY_REFUND notification (or a later fetch) says refunded.
   */
  async refund(refs: PaymentRefs, amount: Money, reason: string, call: Call): Promise<Snapshot> {
    if (amount.currency !== CHARGE_CURRENCY || amount.minor <= 0n) {
      throw new AppError('invalid_request', `a Binance Pay refund is in ${CHARGE_CURRENCY} (the order's charge), got ${amount.minor} ${amount.currency}`, {
        provider: 'binance',
      });
    }
    const refundRequestId = refundIdOf(call.idempotencyKey);
    try {
      await this.#client.refund(
        {
          refundRequestId,
          prepayId: refs.ref,
          refundAmount: formatMinor(amount.minor, amount.currency),
          ...(reason.trim() ? { refundReason: truncate(reason.trim(), REFUND_REASON_MAX) } : {}),
        },
        call.signal,
      );
    } catch (err) {
      // "More than is left to refund" on an order already refunded in full: the refund is done.
      if (isAppError(err, 'declined') && err.providerCode === '400303') {
        const now = await this.fetch(refs, call);
        if (now.status === 'refunded') return now;
      }
      throw err;
    }
    const result = await this.#client.queryRefund(refundRequestId, call.signal);
    if (result.refundStatus === 'REFUND_FAIL') {
      throw new AppError('declined', `Binance Pay rejected refund ${refundRequestId} of order ${refs.ref}`, {
        provider: 'binance',
        providerCode: result.refundStatus,
      });
    }
    return { ...(await this.fetch(refs, call)), refundRef: refundRequestId };
  }

  readNotification(raw: RawNotification): Promise<Notice> {
    return readBinanceNotification(raw, this.#certificates);
  }

  #charge(price: Money, rate: string): Money {
    if (price.currency !== PRICE_CURRENCY) {
      throw new AppError('invalid_request', `Binance Pay prices are converted from ${PRICE_CURRENCY} at the configured rate; got a price in ${price.currency}`, {
        provider: 'binance',
      });
    }
    try {
      return convertPrice(price, rate, CHARGE_CURRENCY);
    } catch (err) {
      throw new AppError('invalid_request', `the price cannot be charged in ${CHARGE_CURRENCY}: ${(err as Error).message}`, { provider: 'binance', cause: err });
    }
  }
}

/** Binance's description limit; its lengths count UTF-16 units, and a pair is never split. */
function describe(description: string): string {
  const text = description.replace(/\s+/g, ' ').trim();
  return truncate(text || 'Event booking', DESCRIPTION_MAX);
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** refundRequestId: at most 64 characters; a longer key is hashed (still one id per key). */
function refundIdOf(key: string): string {
  if (key.length > 0 && key.length <= REFUND_ID_MAX && /^[A-Za-z0-9_-]+$/.test(key)) return key;
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface BinanceProviderConfig {
  baseUrl: string;
  apiKey: string;
  secretKey: string;
  usdtPerUsd: string;
  timeoutMs?: number;
}

export function createBinanceProvider(cfg: BinanceProviderConfig): BinanceProvider {
  const client = new BinanceClient({
    baseUrl: cfg.baseUrl,
    apiKey: cfg.apiKey,
    secretKey: cfg.secretKey,
    ...(cfg.timeoutMs === undefined ? {} : { timeoutMs: cfg.timeoutMs }),
  });
  const certificates = new BinanceCertificateCache(() => client.certificates());
  return new BinanceProvider({ client, usdtPerUsd: cfg.usdtPerUsd, certificates });
}
