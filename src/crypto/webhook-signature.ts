import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of an outgoing webhook, with no I/O so that a receiver (and the SDK) can reuse the
 * verification as is:
 *
 *   LeadsCalendar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=<…>]
 *
 * One v1 per secret that is valid: during a rotation the new and the previous secret both sign,
 * so a receiver that still holds the old one keeps verifying until it switches.
 */

export const SIGNATURE_HEADER = 'LeadsCalendar-Signature';
/** How old a signature a receiver should accept: bounds replays of a captured delivery. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for `body`, signed at `timestamp` (unix seconds) with each secret. */
export function signWebhook(body: string, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to be signed');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

export interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

/** Null when the header is not in the documented form; unknown schemes (v0, v2…) are ignored. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return null;
      signatures.push(value);
    }
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

export type VerifyFailure = 'malformed' | 'stale' | 'mismatch';

export interface VerifyOptions {
  /** Seconds a signature stays acceptable, either side of `now` (default 300). */
  toleranceSeconds?: number;
  /** Unix seconds; default: the clock. */
  now?: number;
}

/**
 * Checks `header` against the raw body as received (the bytes, not a re-serialised parse) with
 * any of `secrets`. Timing-safe; the timestamp is checked so a captured delivery cannot be
 * replayed later.
 */
export function verifyWebhook(body: string, header: string, secrets: string | readonly string[], opts: VerifyOptions = {}): { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure } {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'stale' };
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = Buffer.from(signatureOf(secret, parsed.timestamp, body), 'hex');
    if (parsed.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected))) return { ok: true, timestamp: parsed.timestamp };
  }
  return { ok: false, reason: 'mismatch' };
}
