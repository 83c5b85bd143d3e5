import { X509Certificate, createVerify, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AppError } from '../../errors.ts';

/**
 * Offline verification of PayPal webhook signatures (PayPal's preferred method):
 *
 *   crc = CRC32(raw body bytes), unsigned decimal
 *   message = transmissionId|transmissionTime|webhookId|crc
 *   RSA-SHA256(message) checked against the public key of the certificate at PAYPAL-CERT-URL
 *
 * The core (`verifyPaypalWebhookSignature`) is pure: the certificate is passed in. Fetching and
 * caching certificates is `PaypalCertificateCache`, which only fetches URLs `isAllowedCertUrl`
 * accepts. Every failure is an `AppError('signature_invalid')` whose `providerCode` says why.
 */

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The hosts PayPal serves webhook certificates from (live and sandbox), over https only. */
export const PAYPAL_CERT_HOSTS = ['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'] as const;

export type PaypalSignatureFailure =
  | 'missing_header'
  | 'unsupported_algorithm'
  | 'cert_url_not_allowed'
  | 'certificate_unusable'
  | 'timestamp_invalid'
  | 'timestamp_outside_tolerance'
  | 'signature_mismatch';

export interface PaypalTransmission {
  transmissionId: string;
  transmissionTime: string;
  transmissionSig: string;
  certUrl: string;
  authAlgo: string;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyPaypalWebhookInput {
  /** The request body exactly as received: bytes, or the string they decode to (UTF-8). */
  rawBody: Uint8Array | string;
  headers: HeaderSource;
  /** The webhook id from PayPal's developer dashboard (the literal WEBHOOK_ID for simulator mocks). */
  webhookId: string;
  /** PEM of the certificate served at PAYPAL-CERT-URL. */
  certificatePem: string;
  /** When the request arrived (ms since epoch); defaults to Date.now(). Tests of old deliveries inject it. */
  receivedAt?: number;
  /**
   * Accepted clock difference in seconds. There is no value that switches the replay check off:
   * a verifier that can be told to skip it will, one day, be told so in production.
   */
  toleranceSeconds?: number;
}

export interface VerifiedPaypalWebhook {
  transmission: PaypalTransmission;
  /** The parsed event (only after its signature held). */
  event: unknown;
}

function fail(reason: PaypalSignatureFailure, message: string): never {
  throw new AppError('signature_invalid', message, { provider: 'paypal', providerCode: reason, details: { reason } });
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads the PAYPAL-* transmission headers; throws `missing_header` naming the absent ones. */
export function readPaypalTransmission(headers: HeaderSource): PaypalTransmission {
  const t = {
    transmissionId: header(headers, 'paypal-transmission-id'),
    transmissionTime: header(headers, 'paypal-transmission-time'),
    transmissionSig: header(headers, 'paypal-transmission-sig'),
    certUrl: header(headers, 'paypal-cert-url'),
    authAlgo: header(headers, 'paypal-auth-algo') ?? 'SHA256withRSA',
  };
  const missing = Object.entries({
    'PAYPAL-TRANSMISSION-ID': t.transmissionId,
    'PAYPAL-TRANSMISSION-TIME': t.transmissionTime,
    'PAYPAL-TRANSMISSION-SIG': t.transmissionSig,
    'PAYPAL-CERT-URL': t.certUrl,
  })
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) fail('missing_header', `PayPal webhook is missing header(s) ${missing.join(', ')}; is this request really from PayPal?`);
  return t as PaypalTransmission;
}

export function crc32Decimal(rawBody: Uint8Array | string): number {
  return crc32(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody) >>> 0;
}

/** The string PayPal signs. */
export function paypalSignedMessage(t: Pick<PaypalTransmission, 'transmissionId' | 'transmissionTime'>, webhookId: string, rawBody: Uint8Array | string): string {
  return `${t.transmissionId}|${t.transmissionTime}|${webhookId}|${crc32Decimal(rawBody)}`;
}

/**
 * Whether a PAYPAL-CERT-URL may be fetched: https on PayPal's API hosts (default port, no
 * credentials), or an origin configured as trusted (e.g. the sandbox's `http://127.0.0.1:4010`).
 */
export function isAllowedCertUrl(certUrl: string, opts: { trustedOrigins?: readonly string[] } = {}): boolean {
  let url: URL;
  try {
    url = new URL(certUrl);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  for (const origin of opts.trustedOrigins ?? []) {
    try {
      if (new URL(origin).origin === url.origin) return true;
    } catch {
      /* a malformed trusted origin trusts nothing */
    }
  }
  return url.protocol === 'https:' && url.port === '' && (PAYPAL_CERT_HOSTS as readonly string[]).includes(url.hostname);
}

/** Parses an RFC 3339 time strictly enough to refuse garbage. */
function parseTransmissionTime(s: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The checks that need no certificate: headers, algorithm, replay window. Run before the
 * certificate is fetched, so a malformed or stale delivery never makes us fetch anything.
 */
function checkPaypalTransmission(input: Pick<VerifyPaypalWebhookInput, 'headers' | 'receivedAt' | 'toleranceSeconds'>): PaypalTransmission {
  const t = readPaypalTransmission(input.headers);
  if (t.authAlgo !== 'SHA256withRSA') fail('unsupported_algorithm', `PAYPAL-AUTH-ALGO is ${t.authAlgo}; only SHA256withRSA is supported.`);

  const tolerance = input.toleranceSeconds === undefined ? DEFAULT_TOLERANCE_SECONDS : input.toleranceSeconds;
  if (!Number.isFinite(tolerance) || tolerance <= 0) {
    throw new TypeError(`toleranceSeconds must be a positive number of seconds, not ${String(tolerance)}: the replay check cannot be switched off`);
  }
  const sentAt = parseTransmissionTime(t.transmissionTime);
  if (sentAt === null) fail('timestamp_invalid', `PAYPAL-TRANSMISSION-TIME ${JSON.stringify(t.transmissionTime)} is not an RFC 3339 time.`);
  const now = input.receivedAt ?? Date.now();
  const skew = Math.abs(now - sentAt) / 1000;
  if (skew > tolerance) {
    fail('timestamp_outside_tolerance', `PAYPAL-TRANSMISSION-TIME ${t.transmissionTime} is ${Math.round(skew)} s away from now (tolerance ${tolerance} s): a replayed delivery, or a wrong clock.`);
  }
  return t;
}

/**
 * The certificate's public key, parsed once: every delivery names one of a few certificates, and
 * parsing one costs more than checking the signature. A handful are kept (PayPal rotates them).
 */
const publicKeys = new Map<string, KeyObject>();
function publicKeyOf(pem: string): KeyObject {
  let key = publicKeys.get(pem);
  if (!key) {
    key = new X509Certificate(pem).publicKey;
    if (publicKeys.size >= 8) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(pem, key);
  }
  return key;
}

/**
 * Verifies one delivery. Order: headers, algorithm, replay window, certificate, signature.
 * Certificate validity dates are not checked (PayPal's signatures are checked with the key; the
 * chain and dates belong to fetching over TLS from PayPal's host).
 */
export function verifyPaypalWebhookSignature(input: VerifyPaypalWebhookInput): VerifiedPaypalWebhook {
  const t = checkPaypalTransmission(input);

  let publicKey;
  try {
    publicKey = publicKeyOf(input.certificatePem);
  } catch (err) {
    fail('certificate_unusable', `The certificate from ${t.certUrl} could not be read as PEM X.509: ${(err as Error).message}`);
  }

  let ok = false;
  try {
    ok = createVerify('RSA-SHA256').update(paypalSignedMessage(t, input.webhookId, input.rawBody), 'utf8').verify(publicKey, t.transmissionSig, 'base64');
  } catch {
    ok = false;
  }
  if (!ok) {
    fail(
      'signature_mismatch',
      `PayPal webhook signature does not match for webhook id ${JSON.stringify(input.webhookId)}. Likely causes: the body was parsed and re-serialised instead of passing the raw request bytes, or the webhook id is not the one of the webhook PayPal delivered to.`,
    );
  }

  const text = typeof input.rawBody === 'string' ? input.rawBody : Buffer.from(input.rawBody).toString('utf8');
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    event = undefined;
  }
  return { transmission: t, event };
}

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface CertificateCacheOptions {
  fetch: FetchLike;
  /** Extra origins whose certificates are trusted (the sandbox); PayPal's hosts always are. */
  trustedOrigins?: readonly string[];
  /** How long a fetched certificate is reused; PayPal rotates them yearly. Default 24 h. */
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** Fetches PAYPAL-CERT-URL certificates from allowed hosts only, and caches them. */
export class PaypalCertificateCache {
  readonly #cache = new Map<string, { pem: string; until: number }>();
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(private readonly opts: CertificateCacheOptions) {}

  async get(certUrl: string): Promise<string> {
    if (!isAllowedCertUrl(certUrl, { trustedOrigins: this.opts.trustedOrigins })) {
      fail('cert_url_not_allowed', `PAYPAL-CERT-URL ${certUrl} is not an https URL on a PayPal host (nor a configured trusted origin); refusing to fetch it.`);
    }
    const now = (this.opts.now ?? Date.now)();
    const hit = this.#cache.get(certUrl);
    if (hit && hit.until > now) return hit.pem;
    let p = this.#inflight.get(certUrl);
    if (!p) {
      p = this.#fetch(certUrl).finally(() => this.#inflight.delete(certUrl));
      this.#inflight.set(certUrl, p);
    }
    return p;
  }

  async #fetch(certUrl: string): Promise<string> {
    const res = await this.opts.fetch(certUrl, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    // A 4xx other than 429: the URL names no certificate, so the delivery cannot be PayPal's
    // (answered 400, not retried). A 5xx, 429 or network error: PayPal's trouble, retry later.
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      fail('certificate_unusable', `PAYPAL-CERT-URL ${certUrl} answered HTTP ${res.status}: there is no certificate there.`);
    }
    if (!res.ok) throw new AppError('provider_unavailable', `Fetching the PayPal webhook certificate ${certUrl} answered HTTP ${res.status}.`, { provider: 'paypal', httpStatus: res.status });
    const pem = await res.text();
    try {
      new X509Certificate(pem);
    } catch (err) {
      fail('certificate_unusable', `${certUrl} did not return a PEM X.509 certificate: ${(err as Error).message}`);
    }
    this.#cache.set(certUrl, { pem, until: (this.opts.now ?? Date.now)() + (this.opts.ttlMs ?? 24 * 3600 * 1000) });
    return pem;
  }
}

/** Header check, certificate (cached), then the pure verification. */
export async function verifyPaypalWebhook(
  input: Omit<VerifyPaypalWebhookInput, 'certificatePem'>,
  certificates: PaypalCertificateCache,
): Promise<VerifiedPaypalWebhook> {
  const t = checkPaypalTransmission(input);
  const certificatePem = await certificates.get(t.certUrl);
  return verifyPaypalWebhookSignature({ ...input, certificatePem });
}
