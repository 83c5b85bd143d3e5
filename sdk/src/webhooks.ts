import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.ts';
import type { WebhookEvent } from './types.ts';

/** The header each delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'leadscalendar-signature';
/** How far a delivery's timestamp may be from the receiver's clock: stale deliveries are replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface VerifyOptions {
  toleranceSeconds?: number;
  /** The receiver's clock, in unix seconds (injectable for tests). */
  now?: () => number;
}

const hmac = (secret: string, timestamp: number, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/**
 * Checks a delivery's signature (any `v1` may match: during a secret rotation there are two) and
 * its age, in constant time, and returns the parsed event. Pass the raw body exactly as received:
 * a body parsed and serialised again does not match.
 */
export function constructEvent(rawBody: string | Buffer, signatureHeader: string | null | undefined, secret: string, opts: VerifyOptions = {}): WebhookEvent {
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) {
    throw new WebhookVerificationError('Pass the raw request body (a string or Buffer), not the parsed JSON: the signature covers the exact bytes received.');
  }
  if (!secret || secret !== secret.trim()) throw new WebhookVerificationError('The signing secret is empty or has surrounding whitespace; copy it again from the endpoint.');
  if (!signatureHeader) throw new WebhookVerificationError(`No ${SIGNATURE_HEADER} header: this request was not sent by LeadsCalendar.`);
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of signatureHeader.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) signatures.push(v);
  }
  if (timestamp === undefined || signatures.length === 0) throw new WebhookVerificationError(`The ${SIGNATURE_HEADER} header is malformed: expected t=<unix>,v1=<hex>.`);
  const expected = Buffer.from(hmac(secret, timestamp, rawBody), 'hex');
  if (!signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected))) {
    throw new WebhookVerificationError('No signature matches: the body was changed, or the secret is not this endpoint’s.');
  }
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = opts.now?.() ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(`The delivery is ${Math.abs(now - timestamp)} s from this machine's clock, over the ${tolerance} s tolerance: a replay, or a wrong clock.`);
  }
  let event: unknown;
  try {
    event = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('The signed body is not JSON.');
  }
  const e = event as Partial<WebhookEvent>;
  if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.data !== 'object') throw new WebhookVerificationError('The body is not a LeadsCalendar event ({ id, type, created, data }).');
  return event as WebhookEvent;
}

/** A valid header for `body`, as LeadsCalendar signs it: for a receiver's own tests. */
export function signatureHeader(body: string | Buffer, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}
