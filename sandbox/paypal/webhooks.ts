import { createVerify } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { newPaypalId } from './state.ts';
import { replaceMap } from '../persistence/replace.ts';
import { signedMessage, type WebhookSigner } from './signing.ts';

/**
 * PayPal webhook events: the envelope PayPal sends (`WH-…` id, event_version 1.0,
 * resource_version 2.0, summary, resource, links self/resend), signed per attempt, delivered through
 * the sandbox dispatcher (retries on non-2xx up to 25 attempts, faults), and the postback check
 * `POST /v1/notifications/verify-webhook-signature`.
 */

export const PAYPAL_EVENT_TYPES = [
  'CHECKOUT.ORDER.APPROVED',
  'PAYMENT.AUTHORIZATION.CREATED',
  'PAYMENT.AUTHORIZATION.VOIDED',
  'PAYMENT.CAPTURE.COMPLETED',
  'PAYMENT.CAPTURE.PENDING',
  'PAYMENT.CAPTURE.DENIED',
  'PAYMENT.CAPTURE.REFUNDED',
  'PAYMENT.CAPTURE.REVERSED',
] as const;
export type PaypalEventType = (typeof PAYPAL_EVENT_TYPES)[number];

export type ResourceType = 'checkout-order' | 'authorization' | 'capture' | 'refund';

export interface RecordedEvent {
  id: string;
  event_type: PaypalEventType;
  resource_id: string;
  create_time: string;
  /** The dispatcher's delivery id, or why nothing was sent. */
  delivery: string | null;
  skipped?: string;
}

export const MAX_ATTEMPTS = 25;

export class PaypalWebhooks {
  readonly events: RecordedEvent[] = [];
  /** Every signed transmission by id: the exact body, so a postback check can find it. */
  readonly transmissions = new Map<string, { body: string; forged: boolean }>();
  readonly bodies = new Map<string, string>();

  constructor(
    private readonly ctx: SandboxContext,
    private readonly signer: () => WebhookSigner,
  ) {
    ctx.webhooks.setTransport('paypal', {
      sign: (b, { forged }) => {
        const headers = this.signer().sign(b, {
          certUrl: this.certUrl(),
          webhookId: SANDBOX_CREDENTIALS.paypal.webhookId,
          now: this.ctx.now(),
          forged,
        });
        this.transmissions.set(headers['PAYPAL-TRANSMISSION-ID'], { body: b, forged });
        return { ...headers, 'user-agent': 'PayPal/AUHD-214.0-58391792', 'correlation-id': newPaypalId().slice(0, 13).toLowerCase() };
      },
      isAcknowledged: (status) => status >= 200 && status < 300,
    });
  }

  certUrl(): string {
    return `${this.ctx.baseUrl}/v1/notifications/certs/${this.signer().certId}`;
  }

  emit(eventType: PaypalEventType, resourceType: ResourceType, resource: Record<string, unknown>, summary: string): RecordedEvent {
    const id = `WH-${newPaypalId()}-${newPaypalId()}`;
    const eventsUrl = `${this.ctx.baseUrl}/v1/notifications/webhooks-events/${id}`;
    const createTime = new Date(this.ctx.now()).toISOString();
    const body = JSON.stringify({
      id,
      event_version: '1.0',
      create_time: createTime,
      resource_type: resourceType,
      resource_version: '2.0',
      event_type: eventType,
      summary,
      resource,
      links: [
        { href: eventsUrl, rel: 'self', method: 'GET' },
        { href: `${eventsUrl}/resend`, rel: 'resend', method: 'POST' },
      ],
    });
    this.bodies.set(id, body);
    const recorded: RecordedEvent = { id, event_type: eventType, resource_id: String(resource.id), create_time: createTime, delivery: null };
    this.events.push(recorded);
    const url = this.ctx.settings.paypalWebhookUrl;
    if (!url) {
      recorded.skipped = 'paypalWebhookUrl is not set';
      return recorded;
    }
    const delivery = this.ctx.webhooks.send({
      provider: 'paypal',
      eventType,
      url,
      body,
      maxAttempts: MAX_ATTEMPTS,
    });
    recorded.delivery = delivery.id;
    return recorded;
  }

  /**
   * The postback check, as PayPal does it: the certificate must be the one PayPal serves, and the
   * signature must hold over the event as delivered. PayPal re-reads `webhook_event` as JSON, so an
   * event that no longer equals what was sent (edited, re-ordered, re-serialised differently) fails.
   */
  verify(req: {
    auth_algo: string;
    cert_url: string;
    transmission_id: string;
    transmission_sig: string;
    transmission_time: string;
    webhook_id: string;
    webhook_event: unknown;
  }): 'SUCCESS' | 'FAILURE' {
    if (req.auth_algo !== 'SHA256withRSA') return 'FAILURE';
    if (req.cert_url !== this.certUrl()) return 'FAILURE';
    const sent = this.transmissions.get(req.transmission_id);
    const asJson = JSON.stringify(req.webhook_event);
    const body = sent && JSON.stringify(JSON.parse(sent.body)) === asJson ? sent.body : asJson;
    try {
      return createVerify('RSA-SHA256')
        .update(signedMessage(req.transmission_id, req.transmission_time, req.webhook_id, body), 'utf8')
        .verify(this.signer().certPem, req.transmission_sig, 'base64')
        ? 'SUCCESS'
        : 'FAILURE';
    } catch {
      return 'FAILURE';
    }
  }

  dump() {
    return { events: this.events, transmissions: this.transmissions, bodies: this.bodies };
  }

  restore(data: ReturnType<PaypalWebhooks['dump']>): void {
    this.events.splice(0, this.events.length, ...data.events);
    replaceMap(this.transmissions, data.transmissions);
    replaceMap(this.bodies, data.bodies);
  }

  reset(): void {
    this.events.length = 0;
    this.transmissions.clear();
    this.bodies.clear();
  }
}
