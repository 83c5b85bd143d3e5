import type { SandboxContext } from '../context.ts';
import { formatAmount } from './amount.ts';
import { BinanceFailure } from './codes.ts';
import { refundNotificationBody, type BinanceNotifier } from './notifications.ts';
import type { BinanceOrders } from './orders.ts';
import { MAX_REFUNDS, type BinanceStore, type Merchant, type Order, type Refund } from './state.ts';
import { parseRefund, parseRefundQuery } from './validate.ts';

/**
 * Refunds (shared/providers/binance-pay.md §3): `refundRequestId` is the idempotency key (a repeat
 * answers the first result with `duplicateRequest: "Y"` and changes nothing); partial refunds add up
 * to at most the order amount (400303); at most 10 per order (400302); only a paid order can be
 * refunded (400204). The sandbox settles a refund at once (REFUND_SUCCESS, order REFUNDED or
 * FULL_REFUNDED, PAY_REFUND notification). A `decline` fault on order.refund makes Binance reject
 * it after accepting the request: REFUND_FAIL, order unchanged, notification REFUND_REJECTED.
 */

const REFUNDABLE = new Set(['PAID', 'REFUNDING', 'REFUNDED']);

export class BinanceRefunds {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly store: BinanceStore,
    private readonly orders: BinanceOrders,
    private readonly notifier: BinanceNotifier,
  ) {}

  refund(merchant: Merchant, body: unknown, opts: { declined: boolean }) {
    const input = parseRefund(body);
    const key = this.store.refundKey(merchant.apiKey, input.refundRequestId);
    const earlier = this.store.refunds.get(key);
    if (earlier) {
      if (earlier.prepayId !== input.prepayId) {
        throw new BinanceFailure('400102', 'refundRequestId was already used for another order.');
      }
      return this.result(earlier, 'Y');
    }
    const order = this.store.orders.get(input.prepayId);
    if (!order || order.apiKey !== merchant.apiKey) throw new BinanceFailure('400202', 'Order not found.');
    this.orders.refresh(order);
    if (order.status === 'FULL_REFUNDED') throw new BinanceFailure('400303', 'The order is already fully refunded.');
    if (!REFUNDABLE.has(order.status)) throw new BinanceFailure('400204', `Order status is ${order.status}; only a paid order can be refunded.`);
    const count = this.store.refundsOf(order.prepayId).filter((r) => r.status !== 'REFUND_FAIL').length;
    if (count >= MAX_REFUNDS) throw new BinanceFailure('400302', `At most ${MAX_REFUNDS} refunds per order.`);
    if (order.refundedUnits + input.refundAmountUnits > order.amountUnits) {
      throw new BinanceFailure(
        '400303',
        `refundAmount ${formatAmount(input.refundAmountUnits)} exceeds the refundable ${formatAmount(order.amountUnits - order.refundedUnits)} ${order.currency}.`,
      );
    }

    const refund: Refund = {
      apiKey: merchant.apiKey,
      refundRequestId: input.refundRequestId,
      prepayId: order.prepayId,
      refundAmountUnits: input.refundAmountUnits,
      refundedUnitsAfter: order.refundedUnits,
      remainingAttempts: MAX_REFUNDS - count - (opts.declined ? 0 : 1),
      refundReason: input.refundReason,
      webhookUrl: input.webhookUrl,
      status: 'REFUND_PENDING',
      createTime: this.ctx.now(),
    };
    this.store.refunds.set(key, refund);
    const url = refund.webhookUrl ?? order.webhookUrl;
    if (opts.declined) {
      refund.status = 'REFUND_FAIL';
      this.notifier.send('PAY_REFUND', 'REFUND_REJECTED', order.prepayId, refundNotificationBody(order, refund, 'REFUND_REJECTED'), url);
    } else {
      order.refundedUnits += refund.refundAmountUnits;
      refund.refundedUnitsAfter = order.refundedUnits;
      order.status = order.refundedUnits === order.amountUnits ? 'FULL_REFUNDED' : 'REFUNDED';
      refund.status = 'REFUND_SUCCESS';
      this.notifier.send('PAY_REFUND', 'REFUND_SUCCESS', order.prepayId, refundNotificationBody(order, refund, 'REFUND_SUCCESS'), url);
    }
    return this.result(refund, 'N');
  }

  query(merchant: Merchant, body: unknown) {
    const id = parseRefundQuery(body);
    const refund = this.store.refunds.get(this.store.refundKey(merchant.apiKey, id));
    if (!refund) throw new BinanceFailure('400202', 'Refund request not found.');
    return { ...this.result(refund, 'N'), refundStatus: refund.status };
  }

  result(refund: Refund, duplicateRequest: 'Y' | 'N') {
    const order = this.store.orders.get(refund.prepayId) as Order;
    return {
      refundRequestId: refund.refundRequestId,
      prepayId: refund.prepayId,
      orderAmount: formatAmount(order.amountUnits),
      refundedAmount: formatAmount(refund.refundedUnitsAfter),
      refundAmount: formatAmount(refund.refundAmountUnits),
      remainingAttempts: refund.remainingAttempts,
      payerOpenId: order.openUserId,
      duplicateRequest,
    };
  }
}
