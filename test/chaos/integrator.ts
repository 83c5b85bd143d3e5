import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, ConnectionError, LeadsCalendar, type CreateEventParams, type CreatedEvent, type EventWithHistory, type Payment, type PaymentWithHistory } from '../../sdk/src/index.ts';
import type { ProviderId } from '../support/invariants.ts';

/**
 * What a chaos booking asks of the public API, the same whether the person is an integrator (our
 * SDK with an API key) or uses the dashboard (a signed-in session with its CSRF token): so that a
 * run drives both the way they are driven in production, and compares nothing else.
 */

/** The body of a success, or the status and code of a final refusal. */
export type Answer<T> = ({ ok: true; body: T } | { ok: false; status: number; code: string | undefined; detail: string | undefined }) & {
  /** What the tries before the last one got, in order (e.g. `502 proxy`, `409 idempotency_key_in_use`, `no answer`). */
  tries: string[];
};

export interface BookingApi {
  readonly via: 'sdk' | 'session';
  createEvent(params: CreateEventParams): Promise<Answer<CreatedEvent>>;
  startPayment(eventId: string, provider: ProviderId): Promise<Answer<Payment>>;
  event(id: string): Promise<Answer<EventWithHistory>>;
  refund(paymentId: string): Promise<Answer<PaymentWithHistory>>;
  addWebhookEndpoint(url: string): Promise<Answer<{ id: string; secret: string }>>;
  close(): Promise<void>;
}

/**
 * An integrator's client: the SDK with an API key (its own retries: a POST keeps its idempotency
 * key across them), wrapped in what a careful integrator adds for an outage longer than those
 * retries, as a job queue would: try again until `within` has passed.
 */
export class SdkApi implements BookingApi {
  readonly via = 'sdk';
  readonly #lc: LeadsCalendar;
  constructor(baseUrl: string, apiKey: string) {
    this.#lc = new LeadsCalendar({ mode: 'sandbox', baseUrl, apiKey });
  }
  createEvent(params: CreateEventParams) {
    return persist((idempotencyKey) => this.#lc.events.create(params, { idempotencyKey }));
  }
  startPayment(eventId: string, provider: ProviderId) {
    return persist((idempotencyKey) => this.#lc.payments.create(eventId, { provider }, { idempotencyKey }));
  }
  event(id: string) {
    return persist(() => this.#lc.events.get(id));
  }
  refund(paymentId: string) {
    return persist((idempotencyKey) => this.#lc.payments.refund(paymentId, { idempotencyKey }));
  }
  addWebhookEndpoint(url: string) {
    return persist((idempotencyKey) => this.#lc.webhookEndpoints.create({ url, description: 'chaos receiver' }, { idempotencyKey }));
  }
  close() {
    return this.#lc.close();
  }
}

/**
 * Repeats an SDK call whose retries ran out on a lost connection, 429 or 5xx. The key is kept while
 * the first request may have run unseen (no answer, or the proxy's 502: no instance answered); an
 * answer from the app is final for its key (a repeat replays it), so the next try is a new request.
 * A key held by a killed instance stays locked for 2 minutes (src/http/idempotency.ts): that is
 * waited out.
 */
async function persist<T>(op: (idempotencyKey: string) => Promise<T>, within = 90_000): Promise<Answer<T>> {
  let key = randomUUID();
  const deadline = Date.now() + within;
  const lockDeadline = Date.now() + 150_000;
  const tries: string[] = [];
  for (;;) {
    try {
      return { ok: true, body: await op(key), tries };
    } catch (err) {
      if (err instanceof ApiError) {
        const inUse = err.code === 'idempotency_key_in_use';
        const refusal: Answer<T> = { ok: false, status: err.status, code: err.code, detail: err.problem.detail, tries };
        if (!inUse && err.status !== 429 && err.status < 500) return refusal;
        if (Date.now() > (inUse ? lockDeadline : deadline)) return refusal;
        const fromApp = !(err.status === 502 && /chaos proxy/.test(String(err.problem.detail)));
        tries.push(`${err.status} ${fromApp ? (err.code ?? '') : 'proxy'}${err.headers.get('idempotent-replayed') === 'true' ? ' replayed' : ''}${fromApp && !inUse ? ', new key' : ''}`);
        if (fromApp && !inUse) key = randomUUID();
        await sleep((err.retryAfterSeconds ?? 0) * 1000 + 300);
      } else if (err instanceof ConnectionError) {
        if (Date.now() > deadline) throw err;
        tries.push(`no answer (${err.name})`);
        await sleep(300);
      } else {
        throw err;
      }
    }
  }
}

/** The dashboard's way: a signed-in browser session (`call` repeats as `persist` does, and signs in again on 401). */
export class SessionApi implements BookingApi {
  readonly via = 'session';
  constructor(private readonly call: (method: string, path: string, body: unknown, tries: string[]) => Promise<{ status: number; body: any }>) {}
  createEvent(params: CreateEventParams) {
    return this.#answer<CreatedEvent>('POST', '/api/v1/events', params);
  }
  startPayment(eventId: string, provider: ProviderId) {
    return this.#answer<Payment>('POST', `/api/v1/events/${eventId}/payments`, { provider });
  }
  event(id: string) {
    return this.#answer<EventWithHistory>('GET', `/api/v1/events/${id}`);
  }
  refund(paymentId: string) {
    return this.#answer<PaymentWithHistory>('POST', `/api/v1/payments/${paymentId}/refund`, {});
  }
  addWebhookEndpoint(url: string) {
    return this.#answer<{ id: string; secret: string }>('POST', '/api/v1/webhook-endpoints', { url, description: 'chaos receiver' });
  }
  async close() {}
  async #answer<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const tries: string[] = [];
    const res = await this.call(method, path, body, tries);
    if (res.status >= 200 && res.status < 300) return { ok: true, body: res.body as T, tries };
    return { ok: false, status: res.status, code: res.body?.code, detail: res.body?.detail, tries };
  }
}
