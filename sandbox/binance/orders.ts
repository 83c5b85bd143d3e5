import { randomInt } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import { formatAmount } from './amount.ts';
import { BinanceFailure } from './codes.ts';
import { payNotificationBody, type BinanceNotifier } from './notifications.ts';
import { newLongId, newOpenUserId, newToken, type BinanceStore, type Merchant, type Order } from './state.ts';
import { parseCreateOrder, parseOrderReference } from './validate.ts';

/**
 * The order lifecycle:
 *
 *   INITIAL ──(payer scans: control "scan")──▶ PENDING
 *   INITIAL|PENDING ──pay──▶ PAID ──refund──▶ REFUNDED (partial) ──▶ FULL_REFUNDED
 *   INITIAL ──close (API)──▶ CANCELED                       + PAY_CLOSED notification
 *   INITIAL|PENDING ──expire, or read after expireTime──▶ EXPIRED  + PAY_CLOSED notification
 *   INITIAL|PENDING ──payment fails──▶ ERROR                (no notification)
 *
 * A failed payment (a `decline` fault on checkout.pay, or the payer's "fail" choice) ends the
 * order in ERROR, one of Binance's query statuses. Binance has no "declined" notification, so the
 * merchant learns it only by querying the order; the order can no longer be paid or closed.
 * Expiry sends PAY_CLOSED: Binance sends notifications for final states only, and an expired
 * order is closed; the sandbox sends it when it notices the expiry (the expire action, or the first
 * read of the order after its expireTime), as it keeps no timers.
 */

/** A payer action that the order's state does not allow (answered 409 by the control API). */
export class OrderStateConflict extends Error {
  constructor(
    readonly order: Order,
    action: string,
  ) {
    super(`cannot ${action} order ${order.prepayId}: it is ${order.status}`);
    this.name = 'OrderStateConflict';
  }
}

const OPEN = new Set(['INITIAL', 'PENDING']);

export class BinanceOrders {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly store: BinanceStore,
    private readonly notifier: BinanceNotifier,
  ) {}

  create(merchant: Merchant, body: unknown): Order {
    const now = this.ctx.now();
    const input = parseCreateOrder(body, now);
    if (this.store.byTradeNo(merchant.apiKey, input.merchantTradeNo)) {
      throw new BinanceFailure('400201', 'merchantTradeNo is duplicated.');
    }
    const first = input.goodsDetails[0] as Record<string, unknown>;
    const order: Order = {
      apiKey: merchant.apiKey,
      merchantId: merchant.merchantId,
      prepayId: newLongId(),
      checkoutToken: newToken(),
      merchantTradeNo: input.merchantTradeNo,
      terminalType: input.terminalType,
      status: 'INITIAL',
      currency: input.currency,
      amountUnits: input.amountUnits,
      fiatCurrency: input.fiatCurrency,
      fiatAmount: input.fiatAmount,
      description: input.description,
      goodsDetails: input.goodsDetails,
      // v3 has no productType/productName; notifications still carry them, taken from the goods.
      productType: String(first.goodsCategory),
      productName: String(first.goodsName),
      returnUrl: input.returnUrl,
      cancelUrl: input.cancelUrl,
      webhookUrl: input.webhookUrl,
      passThroughInfo: input.passThroughInfo,
      supportPayCurrency: input.supportPayCurrency,
      createTime: now,
      expireTime: input.expireTime,
      transactTime: null,
      transactionId: null,
      openUserId: null,
      paymentInfo: null,
      refundedUnits: 0n,
      failureReason: null,
    };
    this.store.orders.set(order.prepayId, order);
    return order;
  }

  /** The order a merchant names by prepayId or merchantTradeNo (400202 if none of its own). */
  find(merchant: Merchant, body: unknown): Order {
    const ref = parseOrderReference(body);
    const order =
      'prepayId' in ref ? this.store.orders.get(ref.prepayId) : this.store.byTradeNo(merchant.apiKey, ref.merchantTradeNo);
    if (!order || order.apiKey !== merchant.apiKey) throw new BinanceFailure('400202', 'Order not found.');
    return this.refresh(order);
  }

  /** Applies an expiry that is due. */
  refresh(order: Order): Order {
    if (OPEN.has(order.status) && this.ctx.now() >= order.expireTime) this.#expire(order);
    return order;
  }

  close(merchant: Merchant, body: unknown): void {
    const order = this.find(merchant, body);
    if (order.status !== 'INITIAL') throw new BinanceFailure('400204', `Order status is ${order.status}; only an unpaid order without payment activity can be closed.`);
    order.status = 'CANCELED';
    this.#notifyPay(order, 'PAY_CLOSED');
  }

  /** The payer scanned the code and is paying in the app. */
  markPending(order: Order): Order {
    this.refresh(order);
    if (order.status !== 'INITIAL') throw new OrderStateConflict(order, 'start paying');
    order.status = 'PENDING';
    return order;
  }

  /** The payer pays; `declined` (a decline fault) makes the payment fail instead. */
  pay(order: Order, opts: { declined: boolean; payCurrency?: string }): Order {
    this.refresh(order);
    if (!OPEN.has(order.status)) throw new OrderStateConflict(order, 'pay');
    if (opts.declined) return this.fail(order, 'declined (sandbox decline fault)');
    const now = this.ctx.now();
    order.status = 'PAID';
    order.transactTime = now;
    order.transactionId = `M_P_${newLongId().slice(0, 17)}`;
    order.openUserId = newOpenUserId();
    order.paymentInfo = {
      payerId: String(randomInt(100_000_000, 999_999_999)),
      payMethod: 'funding',
      paymentInstructions: [{ currency: opts.payCurrency ?? order.currency, amount: formatAmount(order.amountUnits), price: '1' }],
      channel: 'DEFAULT',
      subChannel: null,
      payerDetail: null,
    };
    this.#notifyPay(order, 'PAY_SUCCESS');
    return order;
  }

  fail(order: Order, reason: string): Order {
    this.refresh(order);
    if (!OPEN.has(order.status)) throw new OrderStateConflict(order, 'fail');
    order.status = 'ERROR';
    order.failureReason = reason;
    return order;
  }

  expire(order: Order): Order {
    this.refresh(order);
    if (order.status === 'EXPIRED') return order;
    if (!OPEN.has(order.status)) throw new OrderStateConflict(order, 'expire');
    this.#expire(order);
    return order;
  }

  #expire(order: Order) {
    order.status = 'EXPIRED';
    this.#notifyPay(order, 'PAY_CLOSED');
  }

  #notifyPay(order: Order, bizStatus: 'PAY_SUCCESS' | 'PAY_CLOSED') {
    this.notifier.send('PAY', bizStatus, order.prepayId, payNotificationBody(order, bizStatus, this.ctx.now()), order.webhookUrl);
  }

  urls(order: Order) {
    const base = this.ctx.baseUrl;
    const checkoutUrl = `${base}/en/checkout/${order.checkoutToken}`;
    const deeplink = `bnc://app.binance.com/payment/secpay?tempToken=${order.checkoutToken}&returnLink=${encodeURIComponent(checkoutUrl)}`;
    return {
      qrcodeLink: `${checkoutUrl}/qr.svg`,
      qrContent: `${base}/qr/dplk${order.checkoutToken}`,
      checkoutUrl,
      deeplink,
      universalUrl: `${base}/payment/secpay?linkToken=${order.checkoutToken}&_dp=${Buffer.from(deeplink).toString('base64url')}`,
    };
  }

  /** create-order v3 `data`. */
  createResult(order: Order) {
    return {
      prepayId: order.prepayId,
      terminalType: order.terminalType,
      expireTime: order.expireTime,
      ...this.urls(order),
      currency: order.currency,
      totalFee: formatAmount(order.amountUnits),
      ...(order.fiatCurrency ? { fiatCurrency: order.fiatCurrency, fiatAmount: order.fiatAmount } : {}),
    };
  }

  /** query-order v2 `data`. */
  queryResult(order: Order) {
    return {
      merchantId: order.merchantId,
      prepayId: order.prepayId,
      transactionId: order.transactionId,
      merchantTradeNo: order.merchantTradeNo,
      status: order.status,
      currency: order.currency,
      orderAmount: formatAmount(order.amountUnits),
      openUserId: order.openUserId ?? '',
      passThroughInfo: order.passThroughInfo ?? '',
      transactTime: order.transactTime,
      createTime: order.createTime,
      commission: order.transactTime === null ? null : '0',
      paymentInfo: order.paymentInfo,
    };
  }
}
