import { randomUUID } from 'node:crypto';
import { Agent, fetch, type Dispatcher } from 'undici';
import type { Credentials } from './auth/credentials.ts';
import { apiErrorFor, ApiError, ConnectionError, TimeoutError, type DebugInfo, type Problem } from './errors.ts';

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  /** PEM certificate(s) to trust besides the system's, e.g. a private CA. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Only for a development server with a self-signed certificate; never in live mode. */
  rejectUnauthorized: boolean;
  userAgent: string;
  /** Backoff before retry `attempt` (1-based), unless the server said Retry-After. */
  backoffMs?: (attempt: number) => number;
  onResponse?: (info: { method: string; path: string; status: number; requestId: string | null; durationMs: number }) => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  body?: unknown;
  /** Overrides the generated key of a POST (reuse it to make a retry of yours idempotent too). */
  idempotencyKey?: string;
  /** Sends no credentials (the token endpoint authenticates itself). */
  authorization?: string | null;
  form?: Record<string, string>;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Capped exponential backoff with full jitter: 0.5 s, 1 s, 2 s … up to 8 s, randomised. */
export function defaultBackoffMs(attempt: number): number {
  const cap = Math.min(8000, 500 * 2 ** (attempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}

/** Longest Retry-After the client honours before giving up on a retry. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Every HTTP exchange of the SDK: credentials, timeouts, retries with backoff on 429, 5xx and
 * network errors (honouring Retry-After), one idempotency key per POST kept across its retries,
 * and a 401 that refreshes client-credentials tokens once.
 */
export class Transport {
  readonly #dispatcher: Dispatcher;
  readonly #backoff: (attempt: number) => number;
  constructor(
    private readonly opts: TransportOptions,
    private readonly credentials: Credentials | null,
  ) {
    this.#dispatcher = new Agent({ connect: { ca: opts.ca, rejectUnauthorized: opts.rejectUnauthorized } });
    this.#backoff = opts.backoffMs ?? defaultBackoffMs;
  }

  url(path: string, query?: RequestOptions['query']): string {
    const u = new URL(path.replace(/^\//, ''), this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) u.searchParams.append(k, item);
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Answer<T>> {
    const url = this.url(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'user-agent': this.opts.userAgent };
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    // One key per logical POST, made before the first attempt: every retry repeats it, so a retry
    // after a lost answer replays the first outcome instead of acting twice.
    if (method === 'POST' && opts.authorization === undefined) headers['idempotency-key'] = opts.idempotencyKey ?? randomUUID();
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const auth = opts.authorization !== undefined ? opts.authorization : await this.credentials?.authorization();
      if (auth) headers.authorization = auth;
      const debug: DebugInfo = { method, url };
      let res: Awaited<ReturnType<typeof fetch>>;
      const started = performance.now();
      try {
        res = await fetch(url, { method, headers, body, dispatcher: this.#dispatcher, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs) });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        const failure = timedOut
          ? new TimeoutError(`${method} ${url}: no answer within ${this.opts.timeoutMs} ms`, debug, { cause: err })
          : new ConnectionError(`${method} ${url}: ${(err as Error)?.cause instanceof Error ? ((err as Error).cause as Error).message : String(err)}`, debug, { cause: err });
        if (attempt < this.opts.maxRetries) {
          await sleep(this.#backoff(attempt + 1));
          continue;
        }
        throw failure;
      }
      const text = await res.text();
      const resHeaders = new Headers(res.headers as unknown as HeadersInit);
      const { pathname, search } = new URL(url);
      this.opts.onResponse?.({ method, path: pathname + search, status: res.status, requestId: resHeaders.get('x-request-id'), durationMs: performance.now() - started });
      if (res.status < 400) return { status: res.status, headers: resHeaders, body: parse(text, res.headers.get('content-type')) as T };

      debug.responseBody = text.slice(0, 4096);
      const error = apiErrorFor(res.status, problemOf(res.status, text), debug, resHeaders);
      if (res.status === 401 && auth && !refreshed && this.credentials && opts.authorization === undefined && (await this.credentials.refused(auth))) {
        refreshed = true; // once: a second 401 is the answer
        attempt--;
        continue;
      }
      // A replayed answer is the first attempt's, kept by the server: asking again replays it again.
      const replayed = resHeaders.get('idempotent-replayed') === 'true';
      if (attempt < this.opts.maxRetries && !replayed && retryable(error)) {
        const wait = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : this.#backoff(attempt + 1);
        if (wait <= MAX_RETRY_AFTER_MS) {
          await sleep(wait);
          continue;
        }
      }
      throw error;
    }
  }

  /**
   * A long-lived GET whose body is read as it arrives (Server-Sent Events). No timeout once the
   * answer has started, and no retry: the caller reconnects with Last-Event-ID.
   */
  async stream(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const url = this.url(path);
    const auth = await this.credentials?.authorization();
    const started = performance.now();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', 'user-agent': this.opts.userAgent, ...(auth ? { authorization: auth } : {}), ...headers },
      dispatcher: this.#dispatcher,
      redirect: 'manual',
      signal,
    }).catch((err: unknown) => {
      throw new ConnectionError(`GET ${url}: ${String((err as Error)?.cause ?? err)}`, { method: 'GET', url }, { cause: err });
    });
    this.opts.onResponse?.({ method: 'GET', path: new URL(url).pathname, status: res.status, requestId: res.headers.get('x-request-id'), durationMs: performance.now() - started });
    if (res.status >= 400 || !res.body) {
      const text = await res.text();
      throw apiErrorFor(res.status, problemOf(res.status, text), { method: 'GET', url, responseBody: text.slice(0, 4096) }, new Headers(res.headers as unknown as HeadersInit));
    }
    return res.body as unknown as ReadableStream<Uint8Array>;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/** 429 and 5xx are worth another try; so is a request that is still running under the same key. */
function retryable(error: ApiError): boolean {
  return error.status === 429 || error.status >= 500 || error.code === 'idempotency_key_in_use';
}

function parse(text: string, contentType: string | null): unknown {
  if (!text) return null;
  return /json/.test(contentType ?? '') ? JSON.parse(text) : text;
}

/** The answer as a problem document; a proxy's HTML page becomes a generic one around it. */
function problemOf(status: number, text: string): Problem {
  try {
    const body = JSON.parse(text) as Problem;
    if (body && typeof body === 'object' && typeof body.title === 'string') return { ...body, status: body.status ?? status };
    const oauth = body as unknown as { error?: string; error_description?: string };
    if (oauth && typeof oauth.error === 'string') return { type: 'about:blank', title: oauth.error, status, detail: oauth.error_description, code: oauth.error };
  } catch {
    // not JSON: described below
  }
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail: text.slice(0, 200) || undefined };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
