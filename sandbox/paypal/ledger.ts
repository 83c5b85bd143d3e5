import type { SandboxContext } from '../context.ts';
import { PaypalApiError, notFound, unprocessable } from './errors.ts';
import { fromMinor, paypalFee, summaryAmount, toMinor, type Money } from './money.ts';
import type { Renderer } from './render.ts';
import {
  newPayerId,
  newPaypalId,
  type AuthorizationRecord,
  type CaptureRecord,
  type Funding,
  type OrderRecord,
  type PaypalState,
  type RefundRecord,
} from './state.ts';
import { amountIssues, type ParsedOrderRequest } from './validation.ts';
import type { PaypalWebhooks } from './webhooks.ts';

/**
 * The emulated PayPal's business rules: order → approval → authorization/capture → refund, with
 * PayPal's 422 issues and the webhooks each step sends. Routes, the approval page and the control
 * API all go through here.
 */

const AUTHORIZATION_VALIDITY_MS = 29 * 24 * 3600 * 1000;
/** PayPal lets the sum of captures reach 115 % of the authorized amount. */
const OVERCAPTURE_PERCENT = 115n;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PaypalLedger {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly state: PaypalState,
    private readonly render: Renderer,
    private readonly hooks: PaypalWebhooks,
  ) {}

  order(id: string): OrderRecord {
    const o = this.state.orders.get(id);
    if (!o) throw notFound('order_id', id);
    return o;
  }
  authorization(id: string): AuthorizationRecord {
    const a = this.state.authorizations.get(id);
    if (!a) throw notFound('authorization_id', id);
    return a;
  }
  capture(id: string): CaptureRecord {
    const c = this.state.captures.get(id);
    if (!c) throw notFound('capture_id', id);
    return c;
  }
  refund(id: string): RefundRecord {
    const r = this.state.refunds.get(id);
    if (!r) throw notFound('refund_id', id);
    return r;
  }

  createOrder(p: ParsedOrderRequest): OrderRecord {
    const now = this.ctx.now();
    const order: OrderRecord = {
      id: newPaypalId(),
      intent: p.intent,
      status: p.experienceContext ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
      createTime: now,
      updateTime: now,
      purchaseUnits: p.units.map((u) => ({ ...u, authorizationIds: [], captureIds: [] })),
      experienceContext: p.experienceContext,
      returnUrl: p.returnUrl,
      cancelUrl: p.cancelUrl,
      brandName: p.brandName,
    };
    this.state.orders.set(order.id, order);
    return order;
  }

  /** The buyer approves on the PayPal page; returns where PayPal sends the browser next. */
  approve(orderId: string, funding: Funding): { order: OrderRecord; redirectUrl: string | null } {
    const o = this.order(orderId);
    if (!['CREATED', 'PAYER_ACTION_REQUIRED', 'APPROVED'].includes(o.status)) {
      throw new PaypalApiError(422, [{ issue: 'ORDER_COMPLETED_OR_VOIDED' }]);
    }
    o.payer ??= { payerId: newPayerId(), email: 'sb-buyer@personal.example.com', givenName: 'John', surname: 'Doe' };
    o.funding = funding;
    o.status = 'APPROVED';
    o.updateTime = this.ctx.now();
    this.hooks.emit('CHECKOUT.ORDER.APPROVED', 'checkout-order', this.render.order(o), 'An order has been approved by buyer');
    return { order: o, redirectUrl: o.returnUrl ? withQuery(o.returnUrl, { token: o.id, PayerID: o.payer.payerId }) : null };
  }

  /** The buyer cancels on the PayPal page: the order is left as it was. */
  cancel(orderId: string): { order: OrderRecord; redirectUrl: string | null } {
    const o = this.order(orderId);
    return { order: o, redirectUrl: o.cancelUrl ? withQuery(o.cancelUrl, { token: o.id }) : null };
  }

  #checkInvoiceUnused(o: OrderRecord) {
    for (const pu of o.purchaseUnits) {
      if (!pu.invoice_id) continue;
      const clash = [...this.state.captures.values()].some(
        (c) => c.orderId !== o.id && c.invoice_id === pu.invoice_id && c.status !== 'DECLINED' && c.status !== 'FAILED',
      ) || [...this.state.authorizations.values()].some((a) => a.orderId !== o.id && a.invoice_id === pu.invoice_id && a.status !== 'VOIDED');
      if (clash) throw unprocessable('DUPLICATE_INVOICE_ID');
    }
  }

  captureOrder(orderId: string, declined: boolean): OrderRecord {
    const o = this.order(orderId);
    if (o.intent === 'AUTHORIZE') throw unprocessable('ACTION_DOES_NOT_MATCH_INTENT');
    if (o.status === 'COMPLETED') throw unprocessable('ORDER_ALREADY_CAPTURED');
    if (o.status !== 'APPROVED') throw unprocessable('ORDER_NOT_APPROVED');
    if (declined || o.funding === 'declined') throw unprocessable('INSTRUMENT_DECLINED');
    this.#checkInvoiceUnused(o);
    const now = this.ctx.now();
    const captures = o.purchaseUnits.map((pu) => {
      const c = this.#newCapture({ orderId: o.id, amount: pu.amount, minor: pu.minor, funding: o.funding ?? 'ok', custom_id: pu.custom_id, invoice_id: pu.invoice_id, finalCapture: true, now });
      pu.captureIds.push(c.id);
      return c;
    });
    o.status = 'COMPLETED';
    o.updateTime = now;
    for (const c of captures) this.#afterCapture(c);
    return o;
  }

  authorizeOrder(orderId: string, declined: boolean): OrderRecord {
    const o = this.order(orderId);
    if (o.intent === 'CAPTURE') throw unprocessable('ACTION_DOES_NOT_MATCH_INTENT');
    if (o.purchaseUnits.some((pu) => pu.authorizationIds.length > 0)) throw unprocessable('ORDER_ALREADY_AUTHORIZED');
    if (o.status === 'COMPLETED' || o.status === 'VOIDED') throw unprocessable('ORDER_COMPLETED_OR_VOIDED');
    if (o.status !== 'APPROVED') throw unprocessable('ORDER_NOT_APPROVED');
    if (declined || o.funding === 'declined') throw unprocessable('INSTRUMENT_DECLINED');
    this.#checkInvoiceUnused(o);
    const now = this.ctx.now();
    const created: AuthorizationRecord[] = [];
    for (const pu of o.purchaseUnits) {
      const a: AuthorizationRecord = {
        id: newPaypalId(),
        orderId: o.id,
        status: 'CREATED',
        amount: { currency_code: pu.amount.currency_code, value: pu.amount.value },
        minor: pu.minor,
        custom_id: pu.custom_id,
        invoice_id: pu.invoice_id,
        funding: o.funding ?? 'ok',
        createTime: now,
        updateTime: now,
        expirationTime: now + AUTHORIZATION_VALIDITY_MS,
        captureIds: [],
        capturedMinor: 0n,
      };
      this.state.authorizations.set(a.id, a);
      pu.authorizationIds.push(a.id);
      created.push(a);
    }
    o.status = 'COMPLETED';
    o.updateTime = now;
    for (const a of created) {
      this.hooks.emit('PAYMENT.AUTHORIZATION.CREATED', 'authorization', this.render.authorization(a, true), `A payment authorization was created for ${summaryAmount(a.amount)}`);
    }
    return o;
  }

  captureAuthorization(authId: string, body: unknown, declined: boolean): CaptureRecord {
    const a = this.authorization(authId);
    const req = isObject(body) ? body : {};
    if (body !== undefined && !isObject(body)) throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', location: 'body', field: '/' }]);
    let minor = a.minor - a.capturedMinor;
    let amount: Money = fromMinor(minor, a.amount.currency_code);
    if (req.amount !== undefined) {
      const m = moneyOf(req.amount, '/amount');
      const issues = amountIssues(m, '/amount/value');
      if (issues.length) throw new PaypalApiError(422, issues);
      if (m.currency_code !== a.amount.currency_code) throw unprocessable('AUTH_CAPTURE_CURRENCY_MISMATCH', { field: '/amount/currency_code', value: m.currency_code, location: 'body' });
      minor = toMinor(m.value, m.currency_code)!;
      amount = fromMinor(minor, m.currency_code);
    }
    const invoiceId = stringField(req, 'invoice_id', 127) ?? a.invoice_id;
    const noteToPayer = stringField(req, 'note_to_payer', 255);
    const softDescriptor = stringField(req, 'soft_descriptor', 22);
    if (req.final_capture !== undefined && typeof req.final_capture !== 'boolean') {
      throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', field: '/final_capture', location: 'body' }]);
    }
    if (a.status === 'VOIDED') throw unprocessable('AUTHORIZATION_VOIDED');
    if (a.status === 'DENIED') throw unprocessable('AUTHORIZATION_DENIED');
    if (a.status === 'CAPTURED') throw unprocessable('AUTHORIZATION_ALREADY_CAPTURED');
    if (this.ctx.now() > a.expirationTime) throw unprocessable('AUTHORIZATION_EXPIRED');
    if ((a.capturedMinor + minor) * 100n > a.minor * OVERCAPTURE_PERCENT) throw unprocessable('MAX_CAPTURE_AMOUNT_EXCEEDED');
    if (declined) throw unprocessable('TRANSACTION_REFUSED');
    if (invoiceId && [...this.state.captures.values()].some((c) => c.invoice_id === invoiceId && c.authorizationId !== a.id && c.status !== 'DECLINED')) {
      throw unprocessable('DUPLICATE_INVOICE_ID');
    }
    const finalCapture = req.final_capture === true;
    const now = this.ctx.now();
    const c = this.#newCapture({
      orderId: a.orderId,
      authorizationId: a.id,
      amount,
      minor,
      funding: a.funding,
      custom_id: a.custom_id,
      invoice_id: invoiceId,
      finalCapture,
      now,
    });
    if (noteToPayer) c.note_to_payer = noteToPayer;
    if (softDescriptor) c.soft_descriptor = softDescriptor;
    a.captureIds.push(c.id);
    a.capturedMinor += minor;
    a.status = finalCapture || a.capturedMinor >= a.minor ? 'CAPTURED' : 'PARTIALLY_CAPTURED';
    a.updateTime = now;
    const pu = this.state.orders.get(a.orderId)?.purchaseUnits.find((u) => u.authorizationIds.includes(a.id));
    pu?.captureIds.push(c.id);
    this.#afterCapture(c);
    return c;
  }

  voidAuthorization(authId: string): AuthorizationRecord {
    const a = this.authorization(authId);
    if (a.status === 'VOIDED') throw unprocessable('PREVIOUSLY_VOIDED');
    if (a.status === 'CAPTURED' || a.status === 'PARTIALLY_CAPTURED') throw unprocessable('PREVIOUSLY_CAPTURED');
    if (a.status !== 'CREATED' && a.status !== 'PENDING') throw unprocessable('CANNOT_BE_VOIDED');
    a.status = 'VOIDED';
    a.updateTime = this.ctx.now();
    this.hooks.emit('PAYMENT.AUTHORIZATION.VOIDED', 'authorization', this.render.authorization(a, true), `A payment authorization was voided for ${summaryAmount(a.amount)}`);
    return a;
  }

  refundCapture(captureId: string, body: unknown, declined: boolean): RefundRecord {
    const c = this.capture(captureId);
    if (body !== undefined && !isObject(body)) throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', location: 'body', field: '/' }]);
    const req = isObject(body) ? body : {};
    const remaining = c.minor - c.refundedMinor;
    let minor = remaining;
    if (req.amount !== undefined) {
      const m = moneyOf(req.amount, '/amount');
      const issues = amountIssues(m, '/amount/value');
      if (issues.length) throw new PaypalApiError(422, issues);
      if (m.currency_code !== c.amount.currency_code) throw unprocessable('REFUND_CAPTURE_CURRENCY_MISMATCH', { field: '/amount/currency_code', value: m.currency_code, location: 'body' });
      minor = toMinor(m.value, m.currency_code)!;
    }
    const invoiceId = stringField(req, 'invoice_id', 127);
    const customId = stringField(req, 'custom_id', 127);
    const noteToPayer = stringField(req, 'note_to_payer', 255);
    if (c.status === 'PENDING') throw unprocessable('PENDING_CAPTURE');
    if (c.status === 'REFUNDED' || (remaining === 0n && c.status !== 'DECLINED')) throw unprocessable('CAPTURE_FULLY_REFUNDED');
    if (c.status !== 'COMPLETED' && c.status !== 'PARTIALLY_REFUNDED') throw unprocessable('REFUND_NOT_ALLOWED');
    if (minor > remaining) throw unprocessable('REFUND_AMOUNT_EXCEEDED', { field: '/amount/value', value: fromMinor(minor, c.amount.currency_code).value, location: 'body' });
    if (declined) throw unprocessable('REFUND_FAILED_INSUFFICIENT_FUNDS');
    if (invoiceId && [...this.state.refunds.values()].some((r) => r.invoice_id === invoiceId)) throw unprocessable('DUPLICATE_INVOICE_ID');
    const now = this.ctx.now();
    c.refundedMinor += minor;
    c.status = c.refundedMinor >= c.minor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    c.updateTime = now;
    const r: RefundRecord = {
      id: newPaypalId(),
      captureId: c.id,
      orderId: c.orderId,
      status: 'COMPLETED',
      amount: fromMinor(minor, c.amount.currency_code),
      minor,
      totalRefundedMinor: c.refundedMinor,
      invoice_id: invoiceId ?? c.invoice_id,
      custom_id: customId,
      note_to_payer: noteToPayer,
      createTime: now,
      updateTime: now,
    };
    this.state.refunds.set(r.id, r);
    c.refundIds.push(r.id);
    this.hooks.emit('PAYMENT.CAPTURE.REFUNDED', 'refund', this.render.refund(r), `A ${summaryAmount(r.amount)} capture payment was refunded`);
    return r;
  }

  /**
   * PayPal takes a completed capture back (a chargeback the payer won). As PayPal shows it: the
   * capture ends REFUNDED with the chargeback as its status reason (the capture status enum has no
   * REVERSED), a refund "Payment reversed" for what was left holds the money that went back, and
   * PAYMENT.CAPTURE.REVERSED carries that refund (resource_type refund, like PayPal's signed
   * REVERSED delivery: no custom_id, the capture only through its `up` link).
   */
  reverseCapture(captureId: string): { capture: CaptureRecord; refund: RefundRecord } {
    const c = this.capture(captureId);
    if (c.status !== 'COMPLETED' && c.status !== 'PARTIALLY_REFUNDED') throw new Error(`capture ${c.id} is ${c.status}; only a COMPLETED or PARTIALLY_REFUNDED capture can be reversed`);
    const now = this.ctx.now();
    const minor = c.minor - c.refundedMinor;
    c.refundedMinor = c.minor;
    c.status = 'REFUNDED';
    c.reason = 'CHARGEBACK';
    c.updateTime = now;
    const r: RefundRecord = {
      id: newPaypalId(),
      captureId: c.id,
      orderId: c.orderId,
      status: 'COMPLETED',
      amount: fromMinor(minor, c.amount.currency_code),
      minor,
      totalRefundedMinor: c.refundedMinor,
      note_to_payer: 'Payment reversed',
      createTime: now,
      updateTime: now,
    };
    this.state.refunds.set(r.id, r);
    c.refundIds.push(r.id);
    this.hooks.emit('PAYMENT.CAPTURE.REVERSED', 'refund', this.render.refund(r), `A ${summaryAmount(r.amount)} capture payment was reversed`);
    return { capture: c, refund: r };
  }

  /** Settles a PENDING capture (the review ends): COMPLETED, or DECLINED with a DENIED webhook. */
  resolvePendingCapture(captureId: string, outcome: 'complete' | 'deny'): CaptureRecord {
    const c = this.capture(captureId);
    if (c.status !== 'PENDING') throw new Error(`capture ${c.id} is ${c.status}, not PENDING`);
    c.updateTime = this.ctx.now();
    delete c.reason;
    if (outcome === 'complete') {
      c.status = 'COMPLETED';
      this.hooks.emit('PAYMENT.CAPTURE.COMPLETED', 'capture', this.render.capture(c, true), `Payment completed for ${summaryAmount(c.amount)}`);
    } else {
      c.status = 'DECLINED';
      this.hooks.emit('PAYMENT.CAPTURE.DENIED', 'capture', this.render.capture(c, true), `A ${summaryAmount(c.amount)} capture payment was denied`);
    }
    return c;
  }

  #newCapture(p: {
    orderId: string;
    authorizationId?: string;
    amount: Money;
    minor: bigint;
    funding: Funding;
    custom_id?: string;
    invoice_id?: string;
    finalCapture: boolean;
    now: number;
  }): CaptureRecord {
    const pending = p.funding === 'pending' || p.funding === 'denied';
    const c: CaptureRecord = {
      id: newPaypalId(),
      orderId: p.orderId,
      status: pending ? 'PENDING' : 'COMPLETED',
      amount: { currency_code: p.amount.currency_code, value: p.amount.value },
      minor: p.minor,
      fee: paypalFee(p.minor, p.amount.currency_code),
      finalCapture: p.finalCapture,
      createTime: p.now,
      updateTime: p.now,
      refundIds: [],
      refundedMinor: 0n,
    };
    if (pending) c.reason = p.funding === 'pending' ? 'ECHECK' : 'PENDING_REVIEW';
    if (p.authorizationId) c.authorizationId = p.authorizationId;
    if (p.custom_id) c.custom_id = p.custom_id;
    if (p.invoice_id) c.invoice_id = p.invoice_id;
    this.state.captures.set(c.id, c);
    return c;
  }

  /** Webhooks after a capture; a capture under risk review ("denied" funding) is denied right after. */
  #afterCapture(c: CaptureRecord) {
    if (c.status === 'COMPLETED') {
      this.hooks.emit('PAYMENT.CAPTURE.COMPLETED', 'capture', this.render.capture(c, true), `Payment completed for ${summaryAmount(c.amount)}`);
      return;
    }
    this.hooks.emit('PAYMENT.CAPTURE.PENDING', 'capture', this.render.capture(c, true), `Payment pending for ${summaryAmount(c.amount)}`);
    const funding = c.authorizationId ? this.state.authorizations.get(c.authorizationId)?.funding : this.state.orders.get(c.orderId)?.funding;
    if (funding === 'denied') {
      const denyLater = () => {
        if (c.status === 'PENDING') this.resolvePendingCapture(c.id, 'deny');
      };
      // After the capture response went out: the response says PENDING, then the review denies it.
      setImmediate(denyLater);
    }
  }
}

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function moneyOf(v: unknown, field: string): Money {
  if (!isObject(v)) throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', field, location: 'body' }]);
  if (typeof v.currency_code !== 'string') throw new PaypalApiError(400, [{ issue: 'MISSING_REQUIRED_PARAMETER', field: `${field}/currency_code`, location: 'body' }]);
  if (typeof v.value !== 'string') throw new PaypalApiError(400, [{ issue: 'MISSING_REQUIRED_PARAMETER', field: `${field}/value`, location: 'body' }]);
  if (!/^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/.test(v.value) || v.value.length > 32) {
    throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', field: `${field}/value`, value: v.value, location: 'body' }]);
  }
  return { currency_code: v.currency_code, value: v.value };
}

function stringField(req: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = req[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new PaypalApiError(400, [{ issue: 'INVALID_PARAMETER_SYNTAX', field: `/${key}`, location: 'body' }]);
  if (v.length < 1 || v.length > max) throw new PaypalApiError(400, [{ issue: 'INVALID_STRING_LENGTH', field: `/${key}`, value: v, location: 'body' }]);
  return v;
}
