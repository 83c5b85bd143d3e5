import { AppError } from '../../errors.ts';
import type { RawNotification } from '../../ports/payments.ts';
import { PaypalCertificateCache, isAllowedCertUrl, readPaypalTransmission, verifyPaypalWebhook } from './webhook-signature.ts';
import type { WebhookEvent } from './wire.ts';

/**
 * A webhook delivery → a verified, parsed PayPal event. Verification comes first and is offline
 * (CRC32 + SHA256withRSA, webhook-signature.ts); the body is parsed only after it held. The
 * certificate URL must be on PayPal's hosts for the environment we talk to (a live account never
 * trusts a sandbox certificate, and the reverse) or on an origin configured as trusted (the
 * emulator).
 */

const LIVE_CERT_HOSTS = ['api.paypal.com', 'api-m.paypal.com'];
const SANDBOX_CERT_HOSTS = ['api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'];

/** PayPal's certificate hosts for the API base URL: live, sandbox, or none (an emulator). */
export function certHostsFor(baseUrl: string): readonly string[] {
  const host = new URL(baseUrl).hostname;
  if (SANDBOX_CERT_HOSTS.includes(host)) return SANDBOX_CERT_HOSTS;
  if (LIVE_CERT_HOSTS.includes(host)) return LIVE_CERT_HOSTS;
  return [];
}

export interface NotificationVerifier {
  webhookId: string;
  certificates: PaypalCertificateCache;
  /** PayPal's certificate hosts for our environment (certHostsFor). */
  certHosts: readonly string[];
  trustedCertOrigins: readonly string[];
}

function invalid(reason: string, message: string): never {
  throw new AppError('signature_invalid', message, { provider: 'paypal', providerCode: reason, details: { reason } });
}

function certUrlAllowed(url: string, v: NotificationVerifier): boolean {
  if (!isAllowedCertUrl(url, { trustedOrigins: v.trustedCertOrigins })) return false;
  const parsed = new URL(url);
  const trusted = v.trustedCertOrigins.some((o) => {
    try {
      return new URL(o).origin === parsed.origin;
    } catch {
      return false;
    }
  });
  return trusted || v.certHosts.includes(parsed.hostname);
}

export async function verifyNotification(raw: RawNotification, v: NotificationVerifier): Promise<WebhookEvent> {
  const t = readPaypalTransmission(raw.headers);
  if (!certUrlAllowed(t.certUrl, v)) {
    invalid('cert_url_not_allowed', `PAYPAL-CERT-URL ${t.certUrl} is not on PayPal's certificate hosts for this environment (nor a configured trusted origin); refusing it.`);
  }
  const { event } = await verifyPaypalWebhook({ rawBody: raw.body, headers: raw.headers, webhookId: v.webhookId, receivedAt: raw.receivedAt.getTime() }, v.certificates);
  if (typeof event !== 'object' || event === null || Array.isArray(event)) invalid('body_unreadable', 'The PayPal webhook body is signed but is not a JSON object.');
  const e = event as Record<string, unknown>;
  if (typeof e.id !== 'string' || !e.id || typeof e.event_type !== 'string' || !e.event_type) {
    invalid('body_unreadable', 'The PayPal webhook body has no event id or event_type.');
  }
  if (e.resource !== undefined && (typeof e.resource !== 'object' || e.resource === null || Array.isArray(e.resource))) {
    invalid('body_unreadable', 'The PayPal webhook resource is not a JSON object.');
  }
  return e as unknown as WebhookEvent;
}
