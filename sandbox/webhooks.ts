import { randomUUID } from 'node:crypto';
import type { FaultRegistry, Provider } from './faults.ts';

/**
 * Outgoing provider webhooks: each emulator hands over the exact body and a signer, and this
 * dispatcher delivers it the way the provider does (retries until acknowledged, up to the
 * provider's attempt limit) while applying any webhook faults: duplicate, delay, reorder, drop,
 * forged signature. Every attempt is recorded so tests and people can see what went over the wire.
 */

export interface OutgoingWebhook {
  provider: Provider;
  /** The provider's event type (PAYMENT.CAPTURE.COMPLETED, PAY_SUCCESS, ...); faults match on it. */
  eventType: string;
  url: string;
  /** The exact bytes to send. */
  body: string;
  /** Produces the headers for one attempt; `forged` signs with a key the receiver cannot trust. */
  sign(body: string, opts: { forged: boolean }): Record<string, string>;
  /** What the provider counts as delivered (PayPal: any 2xx; Binance: 200 + returnCode SUCCESS). */
  isAcknowledged(status: number, responseBody: string): boolean;
  maxAttempts: number;
}

export interface DeliveryAttempt {
  at: string;
  /** The headers sent (signature headers included: it is a sandbox). */
  headers?: Record<string, string>;
  status: number | null;
  error?: string;
  forged: boolean;
  responseBody?: string;
}

export interface Delivery {
  id: string;
  provider: Provider;
  eventType: string;
  url: string;
  body: string;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: DeliveryAttempt[];
  /** Set on the extra copies a duplicate fault sends. */
  duplicateOf?: string;
}

export interface DispatcherOptions {
  /** Delay before retry n (1-based). The real services wait minutes to hours; the sandbox, seconds. */
  retryDelayMs?: (attempt: number) => number;
  timeoutMs?: number;
  /** A reorder fault waits this long for a later webhook to overtake it, then sends anyway. */
  reorderWaitMs?: number;
}

export class WebhookDispatcher {
  readonly deliveries: Delivery[] = [];
  #pending = new Set<Promise<void>>();
  #timers = new Set<NodeJS.Timeout>();
  #held: { provider: Provider; release: () => void }[] = [];
  #closed = false;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #timeoutMs: number;
  readonly #reorderWaitMs: number;

  constructor(
    private readonly faults: FaultRegistry,
    opts: DispatcherOptions = {},
  ) {
    this.#retryDelayMs = opts.retryDelayMs ?? ((n) => Math.min(30_000, 500 * 2 ** (n - 1)));
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#reorderWaitMs = opts.reorderWaitMs ?? 5_000;
  }

  send(hook: OutgoingWebhook): Delivery {
    const delivery: Delivery = {
      id: `dlv_${randomUUID()}`,
      provider: hook.provider,
      eventType: hook.eventType,
      url: hook.url,
      body: hook.body,
      state: 'pending',
      attempts: [],
    };
    this.deliveries.push(delivery);
    const faults = this.faults.take(hook.provider, hook.eventType, 'webhook');
    const forged = faults.some((f) => f.fault === 'webhook_forge');
    const delayMs = faults.reduce((ms, f) => (f.fault === 'webhook_delay' ? ms + f.ms : ms), 0);
    const copies = faults.reduce((n, f) => (f.fault === 'webhook_duplicate' ? n + (f.copies ?? 1) : n), 0);
    const reorder = faults.some((f) => f.fault === 'webhook_reorder');

    // A webhook sent now releases any held (reorder) webhook of the same provider right after it.
    const overtaken = this.#held.filter((h) => h.provider === hook.provider);
    this.#held = this.#held.filter((h) => h.provider !== hook.provider);

    if (faults.some((f) => f.fault === 'webhook_drop')) {
      delivery.state = 'dropped';
      for (const h of overtaken) h.release();
      return delivery;
    }

    const start = () => {
      const run = this.#deliver(hook, delivery, forged);
      for (const h of overtaken) this.#track(run.then(h.release));
      for (let i = 0; i < copies; i++) {
        const copy: Delivery = { ...delivery, id: `dlv_${randomUUID()}`, attempts: [], state: 'pending', duplicateOf: delivery.id };
        this.deliveries.push(copy);
        this.#track(this.#deliver(hook, copy, forged));
      }
      this.#track(run);
    };

    if (reorder) {
      // Held until the next webhook of this provider overtakes it, or sent late if none comes.
      let done!: () => void;
      this.#track(new Promise<void>((resolve) => (done = resolve)));
      const fallback = setTimeout(() => release(), this.#reorderWaitMs);
      this.#timers.add(fallback);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(fallback);
        this.#timers.delete(fallback);
        this.#held = this.#held.filter((h) => h.release !== release);
        this.#later(delayMs, start);
        done();
      };
      this.#held.push({ provider: hook.provider, release });
    } else {
      this.#later(delayMs, start);
    }
    return delivery;
  }

  /** Resolves when every delivery so far has been delivered, failed or dropped. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  reset(): void {
    this.deliveries.length = 0;
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #later(ms: number, fn: () => void) {
    if (ms <= 0) return fn();
    let done!: () => void;
    this.#track(new Promise<void>((resolve) => (done = resolve)));
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
      done();
    }, ms);
    this.#timers.add(t);
  }

  #track(p: Promise<void>) {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
  }

  async #deliver(hook: OutgoingWebhook, delivery: Delivery, forged: boolean): Promise<void> {
    for (let attempt = 1; attempt <= hook.maxAttempts && !this.#closed; attempt++) {
      const headers = { 'content-type': 'application/json', ...hook.sign(hook.body, { forged }) };
      const record: DeliveryAttempt = { at: new Date().toISOString(), headers, status: null, forged };
      delivery.attempts.push(record);
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers,
          body: hook.body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        record.status = res.status;
        record.responseBody = (await res.text()).slice(0, 2000);
        if (hook.isAcknowledged(res.status, record.responseBody)) {
          delivery.state = 'delivered';
          return;
        }
      } catch (err) {
        record.error = (err as Error).message;
      }
      if (attempt < hook.maxAttempts) {
        await new Promise<void>((resolve) => {
          if (this.#closed) return resolve();
          const t = setTimeout(() => {
            this.#timers.delete(t);
            resolve();
          }, this.#retryDelayMs(attempt));
          this.#timers.add(t);
        });
      }
    }
    if (delivery.state === 'pending') delivery.state = 'failed';
  }
}
