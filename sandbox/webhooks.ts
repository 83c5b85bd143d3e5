import { randomUUID } from 'node:crypto';
import type { FaultRegistry, Provider } from './faults.ts';

/**
 * Outgoing provider webhooks: each emulator hands over the exact body, and this dispatcher
 * delivers it the way the provider does (retries until acknowledged, up to the provider's attempt
 * limit) while applying any webhook faults: duplicate, delay, reorder, drop, forged signature.
 * Every attempt is recorded so tests and people can see what went over the wire.
 *
 * A delivery is plain data (body, schedule, attempts); how to sign and what counts as an
 * acknowledgement is per provider (`WebhookTransport`). So deliveries still waiting survive a
 * restart: they are stored with the rest of the state and `resume()` picks them up, each at the
 * time its record says.
 */

export interface WebhookTransport {
  /** Headers for one attempt; `forged` signs with a key the receiver cannot trust. */
  sign(body: string, opts: { forged: boolean }): Record<string, string>;
  /** What the provider counts as delivered (PayPal: any 2xx; Binance: 200 + returnCode SUCCESS). */
  isAcknowledged(status: number, responseBody: string): boolean;
}

export interface OutgoingWebhook {
  provider: Provider;
  /** The provider's event type (PAYMENT.CAPTURE.COMPLETED, PAY_SUCCESS, ...); faults match on it. */
  eventType: string;
  url: string;
  /** The exact bytes to send. */
  body: string;
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
  maxAttempts: number;
  /** Whether every attempt is signed with the forger's key (webhook_forge fault). */
  forged: boolean;
  /** When the next attempt is due (epoch ms); null once delivered, failed or dropped. */
  nextAttemptAt: number | null;
  /** Held by a reorder fault until a later webhook of its provider overtakes it, or until then. */
  heldUntil: number | null;
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
  #transports = new Map<Provider, WebhookTransport>();
  #pending = new Set<Promise<void>>();
  #timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  #held: { provider: Provider; release: () => void }[] = [];
  #running = false;
  #closed = false;
  #stop = new AbortController();
  #onChange: () => void = () => {};
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

  setTransport(provider: Provider, transport: WebhookTransport): void {
    this.#transports.set(provider, transport);
  }

  /** Called after each change made outside a request (an attempt, a release), to store it. */
  onChange(fn: () => void): void {
    this.#onChange = fn;
  }

  send(hook: OutgoingWebhook): Delivery {
    const faults = this.faults.take(hook.provider, hook.eventType, 'webhook');
    const delayMs = faults.reduce((ms, f) => (f.fault === 'webhook_delay' ? ms + f.ms : ms), 0);
    const copies = faults.reduce((n, f) => (f.fault === 'webhook_duplicate' ? n + (f.copies ?? 1) : n), 0);
    const reorder = faults.some((f) => f.fault === 'webhook_reorder');
    const now = Date.now();
    const delivery: Delivery = {
      id: `dlv_${randomUUID()}`,
      ...hook,
      state: 'pending',
      attempts: [],
      forged: faults.some((f) => f.fault === 'webhook_forge'),
      nextAttemptAt: now + delayMs,
      heldUntil: reorder ? now + this.#reorderWaitMs : null,
    };
    this.deliveries.push(delivery);

    // A webhook sent now releases any held (reorder) webhook of the same provider right after it.
    const overtaken = this.#held.filter((h) => h.provider === hook.provider);
    this.#held = this.#held.filter((h) => h.provider !== hook.provider);

    if (faults.some((f) => f.fault === 'webhook_drop')) {
      delivery.state = 'dropped';
      delivery.nextAttemptAt = null;
      delivery.heldUntil = null;
      for (const h of overtaken) h.release();
      return delivery;
    }
    const group = [delivery];
    for (let i = 0; i < copies; i++) {
      const copy: Delivery = { ...delivery, id: `dlv_${randomUUID()}`, attempts: [], duplicateOf: delivery.id };
      this.deliveries.push(copy);
      group.push(copy);
    }
    const run = this.#start(group);
    for (const h of overtaken) this.#track(run.then(h.release));
    return delivery;
  }

  /** Starts the deliveries restored from disk that were still waiting; new ones start at once. */
  resume(): void {
    this.#running = true;
    const waiting = this.deliveries.filter((d) => d.state === 'pending');
    const groups = new Map<string, Delivery[]>();
    for (const d of waiting) {
      const key = d.duplicateOf ?? d.id;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    for (const group of groups.values()) this.#track(this.#start(group));
  }

  /** Resolves when every delivery so far has been delivered, failed or dropped. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** What to store: the deliveries, including those still waiting. */
  dump(): Delivery[] {
    return this.deliveries;
  }

  restore(deliveries: Delivery[]): void {
    this.deliveries.splice(0, this.deliveries.length, ...deliveries);
  }

  reset(): void {
    this.deliveries.length = 0;
  }

  /** Stops sending; waiting and interrupted deliveries stay pending, for the next start. */
  close(): void {
    this.#closed = true;
    this.#stop.abort();
    for (const t of this.#timers) {
      clearTimeout(t.timer);
      t.wake();
    }
    this.#timers.clear();
  }

  /** Runs a delivery and its duplicates, after the reorder hold if any; resolves when all end. */
  #start(group: Delivery[]): Promise<void> {
    if (!this.#running) return Promise.resolve();
    const [first] = group as [Delivery];
    const go = () => Promise.all(group.map((d) => this.#deliver(d))).then(() => {});
    if (first.heldUntil === null) {
      const run = go();
      this.#track(run);
      return run;
    }
    // Held until the next webhook of this provider overtakes it, or sent late if none comes.
    return new Promise<void>((resolve) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#held = this.#held.filter((h) => h.release !== release);
        for (const d of group) d.heldUntil = null;
        this.#onChange();
        const run = go();
        this.#track(run);
        run.then(resolve, resolve);
      };
      this.#held.push({ provider: first.provider, release });
      this.#track(
        this.#sleep(first.heldUntil! - Date.now()).then(() => {
          if (!this.#closed) release();
          else resolve();
        }),
      );
    });
  }

  #track(p: Promise<void>) {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
  }

  /** Resolves after `ms`, or at once when the dispatcher closes. */
  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#timers.add(entry);
    });
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const transport = this.#transports.get(delivery.provider);
    if (!transport) throw new Error(`no webhook transport for ${delivery.provider}`);
    while (delivery.state === 'pending' && !this.#closed) {
      await this.#sleep((delivery.nextAttemptAt ?? 0) - Date.now());
      if (this.#closed) return;
      const headers = { 'content-type': 'application/json', ...transport.sign(delivery.body, { forged: delivery.forged }) };
      const record: DeliveryAttempt = { at: new Date().toISOString(), headers, status: null, forged: delivery.forged };
      delivery.attempts.push(record);
      let acknowledged = false;
      try {
        const res = await fetch(delivery.url, {
          method: 'POST',
          headers,
          body: delivery.body,
          signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#stop.signal]),
        });
        record.status = res.status;
        record.responseBody = (await res.text()).slice(0, 2000);
        acknowledged = transport.isAcknowledged(res.status, record.responseBody);
      } catch (err) {
        record.error = this.#closed ? 'interrupted: the sandbox stopped; resent at the next start' : (err as Error).message;
      }
      if (acknowledged) {
        delivery.state = 'delivered';
        delivery.nextAttemptAt = null;
      } else if (this.#closed) {
        // Interrupted by the stop: the receiver may never have seen it, so it goes again at the next start.
        delivery.nextAttemptAt = Date.now();
      } else if (delivery.attempts.length >= delivery.maxAttempts) {
        delivery.state = 'failed';
        delivery.nextAttemptAt = null;
      } else {
        delivery.nextAttemptAt = Date.now() + this.#retryDelayMs(delivery.attempts.length);
      }
      this.#onChange();
    }
  }
}
