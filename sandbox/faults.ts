import { checkShape } from './persistence/replace.ts';

/**
 * Fault injection: rules switched on at run time (control API or tests) that make an emulated
 * operation misbehave the way real providers do. A rule matches a provider and an operation name
 * (or '*'), fires `count` times (or until cleared), on every matching call or on a random share of
 * them (`probability`, drawn from a seeded generator when the sandbox has a fault seed), and is recorded when it fires so that tests
 * and people can see what happened.
 */

export type Provider = 'google' | 'paypal' | 'binance';

/** Faults on an API response. */
export type ResponseFault =
  | { fault: 'latency'; ms: number }
  | { fault: 'http_error'; status: number; retryAfterSeconds?: number; reason?: string }
  | { fault: 'timeout' }
  | { fault: 'reset' }
  | { fault: 'decline' };

/** Faults on an outgoing webhook (operation: the event type, or '*'). */
export type WebhookFault =
  | { fault: 'webhook_duplicate'; copies?: number }
  | { fault: 'webhook_delay'; ms: number }
  | { fault: 'webhook_reorder' }
  | { fault: 'webhook_drop' }
  | { fault: 'webhook_forge' };

export type FaultSpec = ResponseFault | WebhookFault;

export type FaultRule = FaultSpec & {
  id: string;
  provider: Provider;
  operation: string;
  /** Remaining firings; null means until cleared. */
  remaining: number | null;
  fired: number;
  /** The chance (0..1] that a matching call fires it; absent: every matching call. */
  probability?: number;
};

export interface FiredFault {
  ruleId: string;
  provider: Provider;
  operation: string;
  fault: FaultSpec['fault'];
  at: string;
}

const WEBHOOK_FAULTS = new Set(['webhook_duplicate', 'webhook_delay', 'webhook_reorder', 'webhook_drop', 'webhook_forge']);

const ENDING_FAULTS = new Set(['http_error', 'timeout', 'reset']);

export function isWebhookFault(f: FaultSpec): f is WebhookFault {
  return WEBHOOK_FAULTS.has(f.fault);
}

/** mulberry32: a small seeded generator, so that a run's random faults can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultRegistry {
  #rules: FaultRule[] = [];
  #seq = 0;
  readonly fired: FiredFault[] = [];
  #random: () => number;

  /** `seed` makes the draws of probabilistic rules repeatable (same calls in the same order, same faults). */
  constructor(seed?: number) {
    this.#random = seed === undefined ? Math.random : seededRandom(seed);
  }

  add(provider: Provider, operation: string, spec: FaultSpec, count: number | null = 1, probability?: number): FaultRule {
    const rule = { ...spec, id: `fault_${++this.#seq}`, provider, operation, remaining: count, fired: 0, ...(probability === undefined ? {} : { probability }) } as FaultRule;
    this.#rules.push(rule);
    return rule;
  }

  dump() {
    return { rules: this.#rules, seq: this.#seq, fired: this.fired };
  }

  restore(data: unknown): void {
    const d = checkShape('faults', data, { rules: 'array', seq: 'number', fired: 'array' });
    this.#rules = d.rules;
    this.#seq = d.seq;
    this.fired.splice(0, this.fired.length, ...d.fired);
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length !== before;
  }

  clear(provider?: Provider): void {
    this.#rules = provider ? this.#rules.filter((r) => r.provider !== provider) : [];
  }

  /**
   * Takes the matching rules of the given family (response or webhook) and consumes one firing of
   * each, oldest rule first. Latency, decline and webhook faults compose; a response can end only
   * one way, so at most one ending fault (http_error, timeout, reset) is taken per call and the
   * others wait for the next call.
   */
  take(provider: Provider, operation: string, family: 'response' | 'webhook'): FaultSpec[] {
    const out: FaultSpec[] = [];
    let ended = false;
    for (const rule of this.#rules) {
      if (rule.provider !== provider) continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (isWebhookFault(rule) !== (family === 'webhook')) continue;
      if (rule.remaining !== null && rule.remaining <= 0) continue;
      const ending = ENDING_FAULTS.has(rule.fault);
      if (ending && ended) continue;
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      ended ||= ending;
      if (rule.remaining !== null) rule.remaining--;
      rule.fired++;
      this.fired.push({ ruleId: rule.id, provider, operation, fault: rule.fault, at: new Date().toISOString() });
      const { id: _id, provider: _p, operation: _o, remaining: _r, fired: _f, probability: _c, ...spec } = rule;
      out.push(spec as FaultSpec);
    }
    this.#rules = this.#rules.filter((r) => r.remaining === null || r.remaining > 0);
    return out;
  }
}
