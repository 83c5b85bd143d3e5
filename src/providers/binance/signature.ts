import { createPublicKey, createHmac, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { AppError } from '../../errors.ts';

/**
 * Binance Pay signatures (../shared/providers/binance-pay.md §1, §5), pure apart from the clock
 * and the certificate fetch, which are injected.
 *
 * - Requests we send: `BinancePay-Signature = HEX(HMAC-SHA512(secretKey, ts LF nonce LF body LF))`
 *   in upper case, where `body` is the exact string sent.
 * - Notifications we receive: base64 RSA PKCS#1 v1.5 SHA-256 signature over
 *   `ts LF nonce LF rawBody LF`, checked with the public key whose MD5 Binance sends as
 *   `BinancePay-Certificate-SN` (fetched from POST /binancepay/openapi/certificates, cached).
 */

export const BINANCE_HEADERS = {
  timestamp: 'BinancePay-Timestamp',
  nonce: 'BinancePay-Nonce',
  certificateSn: 'BinancePay-Certificate-SN',
  signature: 'BinancePay-Signature',
} as const;

/** How far a notification's timestamp may be from our clock, either way: 5 minutes. */
export const NOTIFICATION_TOLERANCE_MS = 5 * 60 * 1000;
export const NONCE_LENGTH = 32;

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 random letters and digits (unbiased), as BinancePay-Nonce must be. */
export function newNonce(): string {
  let out = '';
  while (out.length < NONCE_LENGTH) {
    for (const b of randomBytes(48)) {
      // 248 = 4 × 62: bytes above it would favour the first letters.
      if (b < 248 && out.length < NONCE_LENGTH) out += NONCE_ALPHABET[b % 62];
    }
  }
  return out;
}

const invalid = (message: string, cause?: unknown) =>
  new AppError('signature_invalid', message, { provider: 'binance', ...(cause === undefined ? {} : { cause }) });

export interface SignRequestInput {
  secretKey: string;
  /** The exact JSON text that will be sent as the body. */
  body: string;
  /** Unix ms; defaults to now. */
  timestamp?: number | string;
  /** 32 characters; defaults to a fresh one. */
  nonce?: string;
  /** When given, the headers include BinancePay-Certificate-SN. */
  apiKey?: string;
}

export interface SignedRequest {
  signature: string;
  timestamp: string;
  nonce: string;
  /** Every header the request needs, content-type included. */
  headers: Record<string, string>;
}

export function signRequest(input: SignRequestInput): SignedRequest {
  if (typeof input.body !== 'string') {
    throw new TypeError('signRequest: body must be the exact JSON string you send (serialize once, sign it, send that same string)');
  }
  if (!input.secretKey) throw new TypeError('signRequest: secretKey is empty');
  if (input.secretKey.trim() !== input.secretKey) throw new TypeError('signRequest: secretKey has leading or trailing whitespace');
  const timestamp = String(input.timestamp ?? Date.now());
  if (!/^\d{13}$/.test(timestamp)) throw new TypeError(`signRequest: timestamp must be Unix time in milliseconds (13 digits), got "${timestamp}"`);
  const nonce = input.nonce ?? newNonce();
  if (nonce.length !== NONCE_LENGTH) throw new TypeError(`signRequest: nonce must be exactly ${NONCE_LENGTH} characters, got ${nonce.length}`);
  const signature = createHmac('sha512', input.secretKey)
    .update(`${timestamp}\n${nonce}\n${input.body}\n`, 'utf8')
    .digest('hex')
    .toUpperCase();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [BINANCE_HEADERS.timestamp]: timestamp,
    [BINANCE_HEADERS.nonce]: nonce,
    [BINANCE_HEADERS.signature]: signature,
  };
  if (input.apiKey !== undefined) headers[BINANCE_HEADERS.certificateSn] = input.apiKey;
  return { signature, timestamp, nonce, headers };
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export interface VerifyNotificationInput {
  /** The body exactly as received: never a parsed and re-serialized object (bizId exceeds 2^53). */
  rawBody: string | Uint8Array;
  headers: HeaderSource;
  publicKeyPem: string | KeyObject;
  /** Our clock, ms; defaults to Date.now. */
  now?: () => number;
  toleranceMs?: number;
}

export interface VerifiedNotification {
  timestamp: number;
  nonce: string;
  certSerial: string | undefined;
}

/** Throws AppError `signature_invalid` with the reason; returns the signed header values. */
export function verifyNotification(input: VerifyNotificationInput): VerifiedNotification {
  const { rawBody, headers } = input;
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw invalid('rawBody must be the exact request body (string or bytes); a parsed JSON body cannot be verified');
  }
  const ts = readHeader(headers, BINANCE_HEADERS.timestamp);
  const nonce = readHeader(headers, BINANCE_HEADERS.nonce);
  const sig = readHeader(headers, BINANCE_HEADERS.signature);
  if (!ts) throw invalid(`missing header ${BINANCE_HEADERS.timestamp}`);
  if (!nonce) throw invalid(`missing header ${BINANCE_HEADERS.nonce}`);
  if (!sig) throw invalid(`missing header ${BINANCE_HEADERS.signature}`);
  if (!/^\d{1,16}$/.test(ts)) throw invalid(`${BINANCE_HEADERS.timestamp} is not Unix milliseconds: "${ts.slice(0, 40)}"`);
  // Base64 decoders skip whitespace; Binance's own test data carried a trailing newline.
  const sigText = sig.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sigText)) throw invalid(`${BINANCE_HEADERS.signature} is not base64`);

  let key: KeyObject;
  try {
    key = typeof input.publicKeyPem === 'string' ? createPublicKey(input.publicKeyPem) : input.publicKeyPem;
  } catch (err) {
    throw invalid('the Binance public key is not a valid PEM public key (use certPublic from /certificates)', err);
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const payload = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`, 'utf8'), body, Buffer.from('\n')]);
  let ok: boolean;
  try {
    ok = verifySignature('sha256', payload, key, Buffer.from(sigText, 'base64'));
  } catch (err) {
    throw invalid('the signature could not be checked with this key', err);
  }
  if (!ok) {
    throw invalid('the signature does not match the body: verify the raw bytes received, not a re-serialized body, with the key named by BinancePay-Certificate-SN');
  }

  const now = (input.now ?? Date.now)();
  const tolerance = input.toleranceMs ?? NOTIFICATION_TOLERANCE_MS;
  const skew = now - Number(ts);
  if (Math.abs(skew) > tolerance) {
    throw invalid(
      `${BINANCE_HEADERS.timestamp} is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'old' : 'in the future'}; outside the ${Math.round(tolerance / 1000)} s replay window`,
    );
  }
  return { timestamp: Number(ts), nonce, certSerial: readHeader(headers, BINANCE_HEADERS.certificateSn) };
}

export interface BinanceCertificate {
  certSerial: string;
  certPublic: string;
}

/** Calls POST /binancepay/openapi/certificates (signed) and returns its `data`. */
export type FetchCertificates = () => Promise<BinanceCertificate[]>;

export interface CertificateCacheOptions {
  /** An unknown serial triggers a fetch at most this often (a forged SN must not make us hammer Binance). */
  minRefreshIntervalMs?: number;
  now?: () => number;
}

/** Binance's notification keys by certSerial; fetched again when an unknown serial arrives. */
export class BinanceCertificateCache {
  #keys = new Map<string, KeyObject>();
  #lastFetch: number | null = null;
  #inflight: Promise<void> | null = null;
  readonly #minRefreshIntervalMs: number;
  readonly #now: () => number;

  constructor(
    private readonly fetchCertificates: FetchCertificates,
    opts: CertificateCacheOptions = {},
  ) {
    this.#minRefreshIntervalMs = opts.minRefreshIntervalMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The public key for `certSerial`, fetching the certificates when it is not known yet. */
  async publicKey(certSerial: string): Promise<KeyObject> {
    const known = this.#keys.get(certSerial);
    if (known) return known;
    const now = this.#now();
    // A fetch under way may bring this serial: wait for it (notifications come in bursts, the
    // first ones before any fetch has finished) rather than refuse a genuine one as forged.
    if (this.#inflight) await this.#inflight;
    else if (this.#lastFetch === null || now - this.#lastFetch >= this.#minRefreshIntervalMs) await this.refresh();
    const key = this.#keys.get(certSerial);
    if (!key) throw invalid(`unknown ${BINANCE_HEADERS.certificateSn} "${certSerial.slice(0, 64)}": not among Binance's certificates`);
    return key;
  }

  /** Fetches the certificates now (concurrent callers share one fetch). */
  refresh(): Promise<void> {
    this.#inflight ??= (async () => {
      try {
        this.#lastFetch = this.#now();
        const certs = await this.fetchCertificates();
        const next = new Map<string, KeyObject>();
        for (const c of certs) next.set(c.certSerial, createPublicKey(c.certPublic));
        this.#keys = next;
      } catch (err) {
        // A failed fetch learned nothing: the next notification tries again rather than being refused for a minute.
        this.#lastFetch = null;
        throw err;
      } finally {
        this.#inflight = null;
      }
    })();
    return this.#inflight;
  }

  /** verifyNotification with the key named by the notification's BinancePay-Certificate-SN. */
  async verify(input: Omit<VerifyNotificationInput, 'publicKeyPem'>): Promise<VerifiedNotification> {
    const sn = readHeader(input.headers, BINANCE_HEADERS.certificateSn);
    if (!sn) throw invalid(`missing header ${BINANCE_HEADERS.certificateSn}`);
    return verifyNotification({ ...input, publicKeyPem: await this.publicKey(sn) });
  }
}
