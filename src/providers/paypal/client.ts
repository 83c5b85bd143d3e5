/**
 * A small typed PayPal REST client over global fetch. Why not @paypal/paypal-server-sdk: its base
 * URL is fixed to PayPal's two hosts, so reaching our emulator would need an https.Agent that
 * secretly dials elsewhere; with our own client the base URL is configuration, and the emulator is
 * the only difference between tests and live. The client does the few things every call needs
 * and nothing more: the OAuth token (cached, renewed once on a 401), one deadline per call (our
 * timeout and the caller's signal), PayPal-Request-Id for the operations that accept it, and
 * PayPal's answers turned into AppErrors (errors.ts). It makes one attempt: retrying is the
 * caller's job, with the same idempotency key.
 */
import type { Call } from '../../ports/payments.ts';
import { paypalError, paypalUnavailable, paypalUnreadable } from './errors.ts';
import type {
  Authorization,
  Capture,
  CaptureAuthorizationRequest,
  CreateOrderRequest,
  Order,
  Refund,
  RefundRequest,
  TokenResponse,
} from './wire.ts';

export interface PaypalClientOptions {
  /** https://api-m.paypal.com, https://api-m.sandbox.paypal.com, or the emulator's origin. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Deadline of one call, token fetch included. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

/** Renew the token this long before PayPal says it expires, so it never expires in flight. */
const TOKEN_MARGIN_MS = 60_000;

interface Request {
  method: 'GET' | 'POST';
  path: string;
  /** What we are doing, in words, for error messages ("capture the order"). */
  operation: string;
  body?: unknown;
  /** Sent as PayPal-Request-Id: only on the operations whose spec accepts it. */
  requestId?: string;
  /** Ask for the whole resource instead of id/status/links. */
  full?: boolean;
}

export interface PaypalResponse<T> {
  status: number;
  body: T;
}

export class PaypalClient {
  readonly #baseUrl: string;
  readonly #basic: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => number;
  #token: { value: string; renewAt: number } | null = null;
  #tokenInflight: Promise<string> | null = null;

  constructor(opts: PaypalClientOptions) {
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#basic = `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#now = opts.now ?? Date.now;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  createOrder(body: CreateOrderRequest, call: Call): Promise<PaypalResponse<Order>> {
    return this.request({ method: 'POST', path: '/v2/checkout/orders', operation: 'create the order', body, requestId: call.idempotencyKey, full: true }, call);
  }

  getOrder(id: string, call: Call): Promise<PaypalResponse<Order>> {
    return this.request({ method: 'GET', path: `/v2/checkout/orders/${enc(id)}`, operation: `read order ${id}` }, call);
  }

  authorizeOrder(id: string, call: Call): Promise<PaypalResponse<Order>> {
    return this.request({ method: 'POST', path: `/v2/checkout/orders/${enc(id)}/authorize`, operation: `authorize order ${id}`, body: {}, requestId: call.idempotencyKey, full: true }, call);
  }

  captureOrder(id: string, call: Call): Promise<PaypalResponse<Order>> {
    return this.request({ method: 'POST', path: `/v2/checkout/orders/${enc(id)}/capture`, operation: `capture order ${id}`, body: {}, requestId: call.idempotencyKey, full: true }, call);
  }

  captureAuthorization(id: string, body: CaptureAuthorizationRequest, call: Call): Promise<PaypalResponse<Capture>> {
    return this.request({ method: 'POST', path: `/v2/payments/authorizations/${enc(id)}/capture`, operation: `capture authorization ${id}`, body, requestId: call.idempotencyKey, full: true }, call);
  }

  /** Void takes no PayPal-Request-Id (the spec does not accept it); a repeat answers PREVIOUSLY_VOIDED. */
  voidAuthorization(id: string, call: Call): Promise<PaypalResponse<Authorization | undefined>> {
    return this.request({ method: 'POST', path: `/v2/payments/authorizations/${enc(id)}/void`, operation: `void authorization ${id}` }, call);
  }

  refundCapture(id: string, body: RefundRequest, call: Call): Promise<PaypalResponse<Refund>> {
    return this.request({ method: 'POST', path: `/v2/payments/captures/${enc(id)}/refund`, operation: `refund capture ${id}`, body, requestId: call.idempotencyKey, full: true }, call);
  }

  getCapture(id: string, call: Call): Promise<PaypalResponse<Capture>> {
    return this.request({ method: 'GET', path: `/v2/payments/captures/${enc(id)}`, operation: `read capture ${id}` }, call);
  }

  /** One REST call under one deadline; a 401 renews the token and tries once more. */
  async request<T>(req: Request, call: Pick<Call, 'signal'> = {}): Promise<PaypalResponse<T>> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = call.signal ? AbortSignal.any([timeout, call.signal]) : timeout;
    const first = await this.#send(req, signal);
    if (first.status !== 401) return this.#finish<T>(req, first);
    this.#dropToken(first.token);
    return this.#finish<T>(req, await this.#send(req, signal));
  }

  async #send(req: Request, signal: AbortSignal) {
    const token = await this.#accessToken(signal, req.operation);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.requestId) headers['paypal-request-id'] = req.requestId;
    if (req.full) headers.prefer = 'return=representation';
    const res = await this.#http(req.operation, `${this.#baseUrl}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal,
    });
    return { ...res, token };
  }

  #finish<T>(req: Request, res: { status: number; text: string; headers: Headers }): PaypalResponse<T> {
    const debugId = res.headers.get('paypal-debug-id');
    let body: unknown;
    if (res.text) {
      try {
        body = JSON.parse(res.text);
      } catch {
        if (res.status < 400) throw paypalUnreadable(req.operation, res.status, debugId);
      }
    }
    if (res.status >= 400) throw paypalError({ operation: req.operation, status: res.status, body, debugId, retryAfter: res.headers.get('retry-after') });
    return { status: res.status, body: body as T };
  }

  /** fetch, with the body read under the same deadline; transport failures become provider_unavailable. */
  async #http(operation: string, url: string, init: RequestInit & { signal: AbortSignal }) {
    try {
      const res = await this.#fetch(url, init);
      return { status: res.status, headers: res.headers, text: await res.text() };
    } catch (err) {
      throw paypalUnavailable(operation, err, init.signal.aborted);
    }
  }

  #dropToken(token: string): void {
    if (this.#token?.value === token) this.#token = null;
  }

  async #accessToken(signal: AbortSignal, operation: string): Promise<string> {
    if (this.#token && this.#now() < this.#token.renewAt) return this.#token.value;
    // Calls that need a token at the same time share one token request, under the client's own
    // deadline: one caller giving up must not fail the others. Each still waits only its own.
    this.#tokenInflight ??= this.#fetchToken(AbortSignal.timeout(this.#timeoutMs), operation).finally(() => {
      this.#tokenInflight = null;
    });
    return untilAborted(this.#tokenInflight, signal, () => paypalUnavailable(`get an access token to ${operation}`, signal.reason, true));
  }

  async #fetchToken(signal: AbortSignal, operation: string): Promise<string> {
    const what = `get an access token to ${operation}`;
    const res = await this.#http(what, `${this.#baseUrl}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: this.#basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
      signal,
    });
    const { body } = this.#finish<TokenResponse>({ method: 'POST', path: '/v1/oauth2/token', operation: what }, res);
    if (!body || typeof body.access_token !== 'string' || !body.access_token) throw paypalUnreadable(what, res.status, res.headers.get('paypal-debug-id'));
    const lifetimeMs = (Number.isFinite(body.expires_in) ? body.expires_in : 0) * 1000;
    this.#token = { value: body.access_token, renewAt: this.#now() + lifetimeMs - TOKEN_MARGIN_MS };
    return body.access_token;
  }
}

const enc = (id: string) => encodeURIComponent(id);

function untilAborted<T>(p: Promise<T>, signal: AbortSignal, error: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
