import { AppError } from '../../errors.ts';
import { binanceError, binanceTransportError } from './errors.ts';
import { signRequest } from './signature.ts';
import {
  PATHS,
  type CertificateResult,
  type CreateOrderRequest,
  type CreateOrderResult,
  type Envelope,
  type OrderReference,
  type QueryOrderResult,
  type RefundQueryResult,
  type RefundRequest,
  type RefundResult,
} from './wire.ts';

export const DEFAULT_BASE_URL = 'https://bpay.binanceapi.com';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface BinanceClientOptions {
  baseUrl?: string;
  apiKey: string;
  secretKey: string;
  /** Per call; combined with the caller's signal. */
  timeoutMs?: number;
}

/**
 * The signed Binance Pay merchant API: one POST per call, the body serialized once, signed, and
 * sent as that same string (a re-serialized body fails the signature, 400002). One attempt per
 * call: the caller retries, and every retry is signed anew (fresh timestamp and nonce).
 */
export class BinanceClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #secretKey: string;
  readonly #timeoutMs: number;

  constructor(opts: BinanceClientOptions) {
    // Refused at start rather than as a signature failure at the first payer (no values in messages).
    if (!/^[A-Za-z0-9]{1,128}$/.test(opts.apiKey)) throw new TypeError('Binance Pay API key must be 1–128 letters or digits');
    if (!opts.secretKey || opts.secretKey.trim() !== opts.secretKey) throw new TypeError('Binance Pay secret key is empty or has surrounding whitespace');
    if (opts.timeoutMs !== undefined && !(Number.isInteger(opts.timeoutMs) && opts.timeoutMs > 0)) throw new TypeError('Binance Pay timeoutMs must be a positive integer');
    this.#baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#apiKey = opts.apiKey;
    this.#secretKey = opts.secretKey;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  createOrder(req: CreateOrderRequest, signal?: AbortSignal) {
    return this.call<CreateOrderResult>('create the order', PATHS.createOrder, req, signal);
  }

  queryOrder(ref: OrderReference, signal?: AbortSignal) {
    return this.call<QueryOrderResult>('read the order', PATHS.queryOrder, ref, signal);
  }

  /** `true`: Binance accepted the close; PAY_CLOSED follows. */
  closeOrder(ref: OrderReference, signal?: AbortSignal) {
    return this.call<boolean>('close the order', PATHS.closeOrder, ref, signal);
  }

  refund(req: RefundRequest, signal?: AbortSignal) {
    return this.call<RefundResult>('refund the order', PATHS.refund, req, signal);
  }

  queryRefund(refundRequestId: string, signal?: AbortSignal) {
    return this.call<RefundQueryResult>('read the refund', PATHS.queryRefund, { refundRequestId }, signal);
  }

  certificates(signal?: AbortSignal) {
    return this.call<CertificateResult[]>('fetch the notification certificates', PATHS.certificates, {}, signal);
  }

  async call<T>(operation: string, path: string, payload: unknown, callerSignal?: AbortSignal): Promise<T> {
    const body = JSON.stringify(payload);
    const signed = signRequest({ secretKey: this.#secretKey, apiKey: this.#apiKey, body });
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;

    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, { method: 'POST', headers: signed.headers, body, signal });
      text = await res.text();
    } catch (err) {
      const reason = callerSignal?.aborted ? 'deadline' : timeout.aborted ? 'timeout' : 'network';
      throw binanceTransportError(operation, err, reason);
    }

    const envelope = readEnvelope<T>(text);
    if (res.ok && envelope?.status === 'SUCCESS' && envelope.code === '000000') {
      if (envelope.data === undefined) {
        throw new AppError('provider_unavailable', `Binance Pay answered without data; could not ${operation}`, { provider: 'binance', httpStatus: res.status });
      }
      return envelope.data;
    }
    throw binanceError({
      operation,
      httpStatus: res.status,
      code: envelope?.code || undefined,
      providerMessage: envelope?.errorMessage ?? undefined,
      retryAfter: res.headers.get('retry-after'),
    });
  }
}

function readEnvelope<T>(text: string): Envelope<T> | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const e = v as Record<string, unknown>;
    if (typeof e.status !== 'string') return null;
    return {
      status: e.status,
      code: typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : '',
      ...(e.data === undefined || e.data === null ? {} : { data: e.data as T }),
      errorMessage: typeof e.errorMessage === 'string' ? e.errorMessage : null,
    };
  } catch {
    return null;
  }
}
