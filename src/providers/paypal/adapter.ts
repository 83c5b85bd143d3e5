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
import { PaypalClient } from './client.ts';
import { ALREADY_DONE } from './errors.ts';
import { hintOf, orderToSnapshot, resourceRefs, isUuid, toPaypalMoney } from './mapping.ts';
import { certHostsFor, verifyNotification } from './notification.ts';
import { PaypalCertificateCache } from './webhook-signature.ts';
import type { CreateOrderRequest, Order, RefundRequest } from './wire.ts';

/**
 * PayPal (Orders v2 + Payments v2) behind the PaymentProvider port. Each method makes the one
 * PayPal call its step needs (plus a read of the order, since the order is the truth we return);
 * PayPal's "this was done already" answers are success, read back from PayPal.
 */

export interface PaypalProviderOptions {
  client: PaypalClient;
  /** AUTHORIZE holds the funds at approval and takes them at `capture`; CAPTURE takes them at approval. */
  intent: 'AUTHORIZE' | 'CAPTURE';
  /** The name the payer sees on PayPal's pages. */
  brandName: string;
  /** The id of our webhook in PayPal's dashboard: part of what PayPal signs. */
  webhookId: string;
  certificates: PaypalCertificateCache;
  /** Origins whose certificate URLs are trusted besides PayPal's (the emulator's, in sandbox mode). */
  trustedCertOrigins: readonly string[];
}

/** PayPal's limits on purchase-unit description and refund note_to_payer. */
const DESCRIPTION_MAX = 127;
const NOTE_MAX = 255;

/** Trims and cuts to `max` characters (code points, so an emoji is never split in half). */
function fit(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join('') : chars.slice(0, max).join('').trimEnd();
}

export function buildCreateOrderRequest(req: CheckoutRequest, intent: 'AUTHORIZE' | 'CAPTURE', brandName: string): CreateOrderRequest {
  return {
    intent,
    purchase_units: [
      {
        reference_id: 'default',
        custom_id: req.paymentId,
        invoice_id: req.paymentId,
        description: fit(req.description, DESCRIPTION_MAX),
        amount: toPaypalMoney(req.price),
      },
    ],
    payment_source: {
      paypal: {
        experience_context: {
          return_url: req.returnUrl,
          cancel_url: req.cancelUrl,
          user_action: 'PAY_NOW',
          shipping_preference: 'NO_SHIPPING',
          brand_name: fit(brandName, DESCRIPTION_MAX),
        },
      },
    },
  };
}

export function buildRefundRequest(paymentId: string, amount: Money, reason: string): RefundRequest {
  const note = fit(reason, NOTE_MAX);
  // custom_id makes PayPal's REFUNDED webhook name our payment.
  return { amount: toPaypalMoney(amount), custom_id: paymentId, ...(note ? { note_to_payer: note } : {}) };
}

const alreadyDone = (err: unknown): boolean => isAppError(err) && err.provider === 'paypal' && err.providerCode !== undefined && ALREADY_DONE.has(err.providerCode);

export class PaypalProvider implements PaymentProvider {
  readonly id = 'paypal' as const;
  readonly holdsFunds: boolean;
  readonly payerCompletes = false;
  readonly acknowledgement: Acknowledgement = { status: 200, contentType: null, body: '' };
  readonly #o: PaypalProviderOptions;
  readonly #certHosts: readonly string[];

  constructor(opts: PaypalProviderOptions) {
    this.#o = opts;
    this.holdsFunds = opts.intent === 'AUTHORIZE';
    this.#certHosts = certHostsFor(opts.client.baseUrl);
  }

  async createCheckout(req: CheckoutRequest, call: Call): Promise<Checkout> {
    const { body: order } = await this.#o.client.createOrder(buildCreateOrderRequest(req, req.intent ?? this.#o.intent, this.#o.brandName), call);
    const link = order.links?.find((l) => l.rel === 'payer-action') ?? order.links?.find((l) => l.rel === 'approve');
    if (!order.id || !link) {
      throw new AppError('provider_unavailable', `PayPal created order ${order.id ?? '(no id)'} but gave no approval link to send the payer to.`, { provider: 'paypal' });
    }
    return { ref: order.id, merchantRef: req.paymentId, charge: req.price, rate: null, expiresAt: req.expiresAt, action: { type: 'redirect', url: link.href } };
  }

  async fetch(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    return orderToSnapshot(await this.#order(refs.ref, call));
  }

  async completeApproval(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    const order = await this.#order(refs.ref, call);
    const before = orderToSnapshot(order);
    if (before.status !== 'approved') return before;
    let after: Order;
    try {
      // The order's own intent, not today's setting: an order created before PAYPAL_INTENT changed
      // can only be completed the way it was created (PayPal refuses ACTION_DOES_NOT_MATCH_INTENT).
      const intent = order.intent ?? this.#o.intent;
      const res = intent === 'AUTHORIZE' ? await this.#o.client.authorizeOrder(refs.ref, call) : await this.#o.client.captureOrder(refs.ref, call);
      after = res.body;
    } catch (err) {
      if (!alreadyDone(err)) throw err;
      return this.fetch(refs, call);
    }
    // The representation carries the payments; a minimal answer (no purchase units) is read back.
    return after.purchase_units?.[0]?.payments ? orderToSnapshot(after) : this.fetch(refs, call);
  }

  async capture(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    let authorizationRef = refs.authorizationRef;
    if (!authorizationRef) {
      const now = await this.fetch(refs, call);
      if (!now.authorizationRef && now.captureRef) {
        throw new AppError('invalid_request', `PayPal order ${refs.ref} was captured at approval (intent CAPTURE): there is no hold to capture.`, { provider: 'paypal' });
      }
      if (!now.authorizationRef) throw new AppError('conflict', `PayPal order ${refs.ref} has no authorization to capture yet.`, { provider: 'paypal' });
      authorizationRef = now.authorizationRef;
    }
    try {
      await this.#o.client.captureAuthorization(authorizationRef, { final_capture: true }, call);
    } catch (err) {
      if (!alreadyDone(err)) throw err;
    }
    return this.fetch(refs, call);
  }

  async release(refs: PaymentRefs, call: Call): Promise<Snapshot> {
    const snap = await this.fetch(refs, call);
    switch (snap.status) {
      case 'open':
      case 'approved':
      case 'declined':
      case 'expired':
      case 'cancelled':
      case 'voided':
        // Nothing is held. Orders v2 cannot be cancelled: an unpaid order lapses on its own.
        return snap;
      case 'pending':
      case 'authorized':
        // A pending capture has taken the money, subject to PayPal settling it; a hold (pending or not) can be voided.
        if (snap.captureRef !== null || snap.authorizationRef === null) break;
        try {
          await this.#o.client.voidAuthorization(snap.authorizationRef, call);
        } catch (err) {
          if (!alreadyDone(err)) throw err;
        }
        return this.fetch(refs, call);
      case 'captured':
      case 'refunded':
      case 'reversed':
        break;
    }
    throw new AppError('conflict', `PayPal order ${refs.ref} has taken money (${snap.status}); it cannot be released, only refunded.`, { provider: 'paypal' });
  }

  async refund(refs: PaymentRefs, amount: Money, reason: string, call: Call): Promise<Snapshot> {
    const captureRef = refs.captureRef ?? (await this.fetch(refs, call)).captureRef;
    if (!captureRef) throw new AppError('conflict', `PayPal order ${refs.ref} has no capture to refund.`, { provider: 'paypal' });
    try {
      await this.#o.client.refundCapture(captureRef, buildRefundRequest(refs.paymentId, amount, reason), call);
    } catch (err) {
      if (!alreadyDone(err)) throw err;
    }
    return this.fetch(refs, call);
  }

  async readNotification(raw: RawNotification): Promise<Notice> {
    const event = await verifyNotification(raw, {
      webhookId: this.#o.webhookId,
      certificates: this.#o.certificates,
      certHosts: this.#certHosts,
      trustedCertOrigins: this.#o.trustedCertOrigins,
    });
    let { paymentId, ref, captureId } = resourceRefs(event.resource_type, event.resource);
    if (paymentId === null && ref === null && captureId !== null) ({ paymentId, ref } = await this.#captureOwner(captureId));
    return { providerEventId: event.id, providerType: event.event_type, paymentId, ref, hint: hintOf(event.event_type) };
  }

  /**
   * A refund PayPal made itself (a reversal) names only its capture: ask PayPal whose it is. A
   * capture PayPal does not know leaves the notice unaddressed; no answer is retried by PayPal.
   */
  async #captureOwner(captureId: string): Promise<{ paymentId: string | null; ref: string | null }> {
    try {
      const { body } = await this.#o.client.getCapture(captureId, { idempotencyKey: `capture-owner-${captureId}` });
      return { paymentId: isUuid(body.custom_id) ? body.custom_id : null, ref: body.supplementary_data?.related_ids?.order_id ?? null };
    } catch (err) {
      if (isAppError(err, 'not_found')) return { paymentId: null, ref: null };
      throw err;
    }
  }

  async #order(id: string, call: Call): Promise<Order> {
    return (await this.#o.client.getOrder(id, call)).body;
  }
}

export interface PaypalProviderConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  intent: 'AUTHORIZE' | 'CAPTURE';
  brandName: string;
  /** Extra origins whose webhook certificates are trusted: the emulator's origin in sandbox mode, else []. */
  trustedCertOrigins: string[];
  timeoutMs?: number;
}

export function createPaypalProvider(cfg: PaypalProviderConfig): PaypalProvider {
  const client = new PaypalClient({ baseUrl: cfg.baseUrl, clientId: cfg.clientId, clientSecret: cfg.clientSecret, ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}) });
  const certificates = new PaypalCertificateCache({
    fetch: (url, init) => globalThis.fetch(url, init),
    trustedOrigins: cfg.trustedCertOrigins,
    ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
  });
  return new PaypalProvider({ client, intent: cfg.intent, brandName: cfg.brandName, webhookId: cfg.webhookId, certificates, trustedCertOrigins: cfg.trustedCertOrigins });
}
