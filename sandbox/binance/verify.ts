import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceFailure } from './codes.ts';

/**
 * The emulator's check of a signed merchant request (shared/providers/binance-pay.md §1).
 * Written on purpose without the product's signer (src/providers/binance/signature.ts): both are
 * tested against the official vector, so a bug shared by the two cannot hide.
 *
 * Order of checks: API key (Certificate-SN), timestamp window, nonce, signature.
 */

export interface SignedRequest {
  /** Node's lower-cased header map. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received. */
  rawBody: string;
}

export interface VerifyOptions {
  /** The secret of a known API key, or undefined. */
  secretFor(apiKey: string): string | undefined;
  /** Binance's clock, ms. */
  now: number;
  /** How far the request's timestamp may be from `now`, either way. */
  windowMs: number;
}

export type Verified = { ok: true; apiKey: string } | { ok: false; failure: BinanceFailure };

const UPPER_HEX_512 = /^[0-9A-F]{128}$/;
const API_KEY_SHAPE = /^[A-Za-z0-9]{1,128}$/;

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** HEX(HMAC-SHA512(secret, ts LF nonce LF body LF)), upper case, as bytes of its ASCII form. */
export function expectedSignature(secret: string, timestamp: string, nonce: string, rawBody: string): Buffer {
  const lf = Buffer.from([0x0a]);
  const mac = createHmac('sha512', Buffer.from(secret, 'utf8'));
  for (const part of [timestamp, nonce, rawBody]) {
    mac.update(Buffer.from(part, 'utf8'));
    mac.update(lf);
  }
  return Buffer.from(mac.digest('hex').toUpperCase(), 'ascii');
}

export function verifySignedRequest(req: SignedRequest, opts: VerifyOptions): Verified {
  const fail = (failure: BinanceFailure): Verified => ({ ok: false, failure });

  const apiKey = header(req, 'BinancePay-Certificate-SN');
  if (apiKey === undefined || apiKey === '') {
    return fail(new BinanceFailure('400004', 'Header BinancePay-Certificate-SN (your API key) is missing.'));
  }
  if (!API_KEY_SHAPE.test(apiKey)) return fail(new BinanceFailure('400005', 'BinancePay-Certificate-SN is not a well-formed API key.'));
  const secret = opts.secretFor(apiKey);
  if (secret === undefined) return fail(new BinanceFailure('400004'));

  const timestamp = header(req, 'BinancePay-Timestamp');
  if (timestamp === undefined || !/^\d{1,16}$/.test(timestamp)) {
    return fail(new BinanceFailure('400003', 'BinancePay-Timestamp must be the Unix time in milliseconds.'));
  }
  if (Math.abs(opts.now - Number(timestamp)) > opts.windowMs) return fail(new BinanceFailure('400003'));

  const nonce = header(req, 'BinancePay-Nonce');
  if (nonce === undefined || nonce.length !== 32) {
    return fail(new BinanceFailure('400001', 'BinancePay-Nonce must be exactly 32 characters.'));
  }

  const given = header(req, 'BinancePay-Signature');
  // Lower-case hex is refused like any other mismatch (FAQ, 400002).
  if (given === undefined || !UPPER_HEX_512.test(given)) return fail(new BinanceFailure('400002'));
  const expected = expectedSignature(secret, timestamp, nonce, req.rawBody);
  const actual = Buffer.from(given, 'ascii');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return fail(new BinanceFailure('400002'));
  return { ok: true, apiKey };
}
