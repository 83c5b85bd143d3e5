import { fromMinor } from './money.ts';
import { MERCHANT, rfc3339, type AuthorizationRecord, type CaptureRecord, type OrderRecord, type PaypalState, type RefundRecord } from './state.ts';

/**
 * Records → PayPal's wire JSON (Orders v2 `order`, Payments v2 `authorization-2`, `capture-2`,
 * `refund`), with HATEOAS links on the sandbox origin.
 */

type Link = { href: string; rel: string; method: 'GET' | 'POST' | 'PATCH' };

export class Renderer {
  constructor(
    private readonly state: PaypalState,
    private readonly baseUrl: () => string,
  ) {}

  approveUrl(orderId: string): string {
    return `${this.baseUrl()}/checkoutnow?token=${encodeURIComponent(orderId)}`;
  }

  orderLinks(o: OrderRecord): Link[] {
    const self = `${this.baseUrl()}/v2/checkout/orders/${o.id}`;
    const links: Link[] = [{ href: self, rel: 'self', method: 'GET' }];
    const action: Link = o.intent === 'CAPTURE' ? { href: `${self}/capture`, rel: 'capture', method: 'POST' } : { href: `${self}/authorize`, rel: 'authorize', method: 'POST' };
    if (o.status === 'PAYER_ACTION_REQUIRED') links.push({ href: this.approveUrl(o.id), rel: 'payer-action', method: 'GET' });
    if (o.status === 'CREATED') links.push({ href: this.approveUrl(o.id), rel: 'approve', method: 'GET' }, { href: self, rel: 'update', method: 'PATCH' }, action);
    if (o.status === 'APPROVED') links.push({ href: self, rel: 'update', method: 'PATCH' }, action);
    return links;
  }

  paymentSource(o: OrderRecord): Record<string, unknown> | undefined {
    if (o.payer) {
      return {
        paypal: {
          email_address: o.payer.email,
          account_id: o.payer.payerId,
          account_status: 'VERIFIED',
          name: { given_name: o.payer.givenName, surname: o.payer.surname },
          address: { country_code: 'US' },
        },
      };
    }
    return o.experienceContext ? { paypal: {} } : undefined;
  }

  payer(o: OrderRecord): Record<string, unknown> | undefined {
    if (!o.payer) return undefined;
    return {
      name: { given_name: o.payer.givenName, surname: o.payer.surname },
      email_address: o.payer.email,
      payer_id: o.payer.payerId,
      address: { country_code: 'US' },
    };
  }

  payments(o: OrderRecord, unitIndex: number): Record<string, unknown> | undefined {
    const pu = o.purchaseUnits[unitIndex]!;
    const out: Record<string, unknown> = {};
    if (pu.authorizationIds.length) out.authorizations = pu.authorizationIds.map((id) => this.authorization(this.state.authorizations.get(id)!, false));
    if (pu.captureIds.length) {
      const captures = pu.captureIds.map((id) => this.state.captures.get(id)!);
      out.captures = captures.map((c) => this.capture(c, false));
      const refunds = captures.flatMap((c) => c.refundIds.map((id) => this.refund(this.state.refunds.get(id)!)));
      if (refunds.length) out.refunds = refunds;
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** The full order (`Prefer: return=representation`, and GET). */
  order(o: OrderRecord): Record<string, unknown> {
    return clean({
      id: o.id,
      intent: o.intent,
      status: o.status,
      payment_source: this.paymentSource(o),
      purchase_units: o.purchaseUnits.map((pu, i) =>
        clean({
          reference_id: pu.reference_id,
          amount: pu.amount,
          payee: { ...MERCHANT },
          description: pu.description,
          custom_id: pu.custom_id,
          invoice_id: pu.invoice_id,
          soft_descriptor: pu.soft_descriptor,
          items: pu.items,
          payments: this.payments(o, i),
        }),
      ),
      payer: this.payer(o),
      create_time: rfc3339(o.createTime),
      update_time: rfc3339(o.updateTime),
      links: this.orderLinks(o),
    });
  }

  /** `Prefer: return=minimal` on create: id, status, links (and the payment source asked for). */
  orderMinimal(o: OrderRecord): Record<string, unknown> {
    return clean({ id: o.id, status: o.status, payment_source: this.paymentSource(o), links: this.orderLinks(o) });
  }

  /** What capture/authorize answer by default: the payments, not the whole order. */
  orderAfterPayment(o: OrderRecord): Record<string, unknown> {
    return clean({
      id: o.id,
      status: o.status,
      payment_source: this.paymentSource(o),
      purchase_units: o.purchaseUnits.map((pu, i) => clean({ reference_id: pu.reference_id, payments: this.payments(o, i) })),
      payer: this.payer(o),
      links: this.orderLinks(o),
    });
  }

  authorizationLinks(a: AuthorizationRecord): Link[] {
    const self = `${this.baseUrl()}/v2/payments/authorizations/${a.id}`;
    const links: Link[] = [{ href: self, rel: 'self', method: 'GET' }];
    if (a.status === 'CREATED' || a.status === 'PARTIALLY_CAPTURED' || a.status === 'PENDING') {
      links.push({ href: `${self}/capture`, rel: 'capture', method: 'POST' });
      if (a.status !== 'PARTIALLY_CAPTURED') links.push({ href: `${self}/void`, rel: 'void', method: 'POST' });
      if (a.status === 'CREATED') links.push({ href: `${self}/reauthorize`, rel: 'reauthorize', method: 'POST' });
    }
    links.push({ href: `${this.baseUrl()}/v2/checkout/orders/${a.orderId}`, rel: 'up', method: 'GET' });
    return links;
  }

  /** An authorization; `standalone` (Payments API) adds supplementary data and the payee. */
  authorization(a: AuthorizationRecord, standalone: boolean): Record<string, unknown> {
    return clean({
      id: a.id,
      status: a.status,
      amount: a.amount,
      invoice_id: a.invoice_id,
      custom_id: a.custom_id,
      seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
      expiration_time: rfc3339(a.expirationTime),
      ...(standalone ? { supplementary_data: { related_ids: { order_id: a.orderId } }, payee: { ...MERCHANT } } : {}),
      links: this.authorizationLinks(a),
      create_time: rfc3339(a.createTime),
      update_time: rfc3339(a.updateTime),
    });
  }

  captureLinks(c: CaptureRecord): Link[] {
    const self = `${this.baseUrl()}/v2/payments/captures/${c.id}`;
    const links: Link[] = [{ href: self, rel: 'self', method: 'GET' }];
    if (c.status === 'COMPLETED' || c.status === 'PARTIALLY_REFUNDED') links.push({ href: `${self}/refund`, rel: 'refund', method: 'POST' });
    links.push(
      c.authorizationId
        ? { href: `${this.baseUrl()}/v2/payments/authorizations/${c.authorizationId}`, rel: 'up', method: 'GET' }
        : { href: `${this.baseUrl()}/v2/checkout/orders/${c.orderId}`, rel: 'up', method: 'GET' },
    );
    return links;
  }

  /** A capture; `standalone` (Payments API, webhooks) adds supplementary data and the payee. */
  capture(c: CaptureRecord, standalone: boolean): Record<string, unknown> {
    const cur = c.amount.currency_code;
    const hasBreakdown = c.status === 'COMPLETED' || c.status === 'PARTIALLY_REFUNDED' || c.status === 'REFUNDED';
    return clean({
      id: c.id,
      status: c.status,
      status_details: c.reason ? { reason: c.reason } : undefined,
      amount: c.amount,
      final_capture: c.finalCapture,
      seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
      seller_receivable_breakdown: hasBreakdown
        ? { gross_amount: c.amount, paypal_fee: fromMinor(c.fee, cur), net_amount: fromMinor(c.minor - c.fee, cur) }
        : undefined,
      invoice_id: c.invoice_id,
      custom_id: c.custom_id,
      ...(standalone
        ? {
            supplementary_data: { related_ids: clean({ order_id: c.orderId, authorization_id: c.authorizationId }) },
            payee: { ...MERCHANT },
          }
        : {}),
      links: this.captureLinks(c),
      create_time: rfc3339(c.createTime),
      update_time: rfc3339(c.updateTime),
    });
  }

  refund(r: RefundRecord): Record<string, unknown> {
    const cur = r.amount.currency_code;
    return clean({
      id: r.id,
      amount: r.amount,
      seller_payable_breakdown: {
        gross_amount: r.amount,
        paypal_fee: fromMinor(0n, cur),
        net_amount: r.amount,
        total_refunded_amount: fromMinor(r.totalRefundedMinor, cur),
      },
      invoice_id: r.invoice_id,
      custom_id: r.custom_id,
      note_to_payer: r.note_to_payer,
      status: r.status,
      create_time: rfc3339(r.createTime),
      update_time: rfc3339(r.updateTime),
      links: [
        { href: `${this.baseUrl()}/v2/payments/refunds/${r.id}`, rel: 'self', method: 'GET' },
        { href: `${this.baseUrl()}/v2/payments/captures/${r.captureId}`, rel: 'up', method: 'GET' },
      ],
    });
  }

  minimal(id: string, status: string, links: Link[]): Record<string, unknown> {
    return { id, status, links };
  }
}

/** Drops undefined fields, so the JSON has no `null`s PayPal would not send. */
export function clean<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
