import { randomBytes, randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signWebhook } from '../crypto/webhook-signature.ts';
import type { TokenCipher } from '../crypto/token-cipher.ts';
import type { Database, Tx } from '../db/database.ts';
import { eventFromRow, type EventRecord } from '../db/repos/events.ts';
import { paymentFromRow, type PaymentRecord } from '../db/repos/payments.ts';
import * as repo from '../db/repos/webhooks.ts';
import type { DeliveryRecord, EndpointRecord, WebhookEventRecord } from '../db/repos/webhooks.ts';
import type { WebhookType } from '../domain/webhook-types.ts';
import { AppError } from '../errors.ts';
import type { JobContext, JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import type { WebhookAttempt, WebhookSender } from '../ports/webhook-sender.ts';
import { decodeCursor, encodeCursor } from './event-list.ts';
import type { WebhookMailHooks } from './mails.ts';

export type { DeliveryRecord, EndpointRecord } from '../db/repos/webhooks.ts';

/**
 * Outgoing webhooks. Every announced transition writes a webhook event (the outbox) in its own
 * transaction (db/repos/audit-trail.ts). The dispatcher here — woken on commit by NOTIFY, and by a
 * timer for anything a lost notification left behind — builds each event's body once, as the API
 * shows the record at that transition, and queues one `webhook.deliver` job per enabled endpoint of
 * the owner that wants the type. Each job is one signed attempt; a failure schedules the next
 * attempt (exponential backoff) as a new job in the transaction that logs it, until the retry
 * window (3 days by default) from the event's creation is over. An endpoint failing for that whole
 * window is disabled and its owner told by mail.
 *
 * Delivery is at least once: a crash between the receiver's answer and our log sends it again, so
 * receivers deduplicate on the event `id`.
 */

export const WEBHOOK_QUEUE = 'webhook.deliver';
export const WEBHOOK_EVENTS_CHANNEL = 'webhook_events';

export const WEBHOOK_ENDPOINT_PAGE = { defaultLimit: 50, maxLimit: 100 } as const;
/** Endpoints one person may have: enough for every environment they run, and a bound on fan-out. */
export const MAX_ENDPOINTS_PER_USER = 16;

export interface WebhooksConfig {
  /** The first retry comes this long after a failure; each further one twice as long (seconds). */
  retryBaseSeconds: number;
  /** No single wait between attempts is longer (seconds). */
  retryMaxDelaySeconds: number;
  /** Attempts stop this long after the event was created, and an endpoint failing this long is disabled (seconds). */
  retryWindowSeconds: number;
  /** After a rotation, the previous secret still signs for this long (seconds). */
  secretOverlapSeconds: number;
  /** How often each instance looks for undispatched events a lost notification left (seconds). */
  sweepIntervalSeconds: number;
  /** Dispatched events, and their logged attempts, are deleted this long after they were created (days). */
  retentionDays: number;
}

/** How often each instance prunes what the retention period let go (its sweep checks the time). */
export const PRUNE_INTERVAL_MS = 3600_000;
const PRUNE_BATCH = 500;

/** How a record is shown to integrators: the API's own presentation, given by the HTTP layer. */
export interface WebhookPresenter {
  event(e: EventRecord): unknown;
  payment(p: PaymentRecord): Promise<unknown>;
}

interface DeliverJob {
  webhookEventId: string;
  endpointId: string;
  /** 1 for the first scheduled attempt; counts only the automatic ones. */
  attempt: number;
}

/**
 * When the attempt after `attempt` failed ones should run, or null when the window is over:
 * base·2^(attempt−1) seconds, at most retryMaxDelaySeconds, plus up to 10 % jitter so that a
 * receiver back from an outage is not hit by every retry at once; the last attempt lands at the end
 * of the window.
 */
export function nextAttemptAt(createdAt: Date, attempt: number, now: Date, cfg: Pick<WebhooksConfig, 'retryBaseSeconds' | 'retryMaxDelaySeconds' | 'retryWindowSeconds'>, random: () => number = Math.random): Date | null {
  const deadline = createdAt.getTime() + cfg.retryWindowSeconds * 1000;
  if (now.getTime() >= deadline) return null;
  const delayMs = Math.min(cfg.retryBaseSeconds * 2 ** Math.min(attempt - 1, 40), cfg.retryMaxDelaySeconds) * 1000 * (1 + 0.1 * random());
  return new Date(Math.min(now.getTime() + delayMs, deadline));
}

export function isSuccess(a: WebhookAttempt): boolean {
  return a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
}

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  /** Null or absent: every type. */
  types?: WebhookType[] | null | undefined;
}

export class Webhooks {
  #unlisten: (() => Promise<void>) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #lastPrune = 0;
  #pruning: Promise<unknown> | null = null;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly sender: WebhookSender,
    private readonly cipher: TokenCipher,
    private readonly mails: WebhookMailHooks,
    private readonly present: WebhookPresenter,
    private readonly cfg: WebhooksConfig,
    private readonly log: Logger,
  ) {
    jobs.define<DeliverJob>({
      name: WEBHOOK_QUEUE,
      // HTTP failures never throw (they schedule the next attempt): these retries are for our own
      // failures (the database), with the queue's backoff.
      retryLimit: 5,
      retryDelaySeconds: 5,
      concurrency: 4,
      handler: (job, ctx) => this.deliver(job, ctx),
    });
  }

  // ── Endpoints ──────────────────────────────────────────────────────────────────────────────────

  #refuseUrl(url: string): void {
    const why = this.sender.refusal(url);
    if (why)
      throw new AppError('invalid_request', `This URL cannot receive webhooks: ${why}.`, {
        code: 'webhook_url_refused',
        details: { errors: [{ path: 'body/url', message: why, code: 'webhook_url_refused' }] },
      });
  }

  static newSecret(): string {
    return `whsec_${randomBytes(32).toString('base64url')}`;
  }

  async create(userId: string, input: EndpointInput): Promise<{ endpoint: EndpointRecord; secret: string }> {
    this.#refuseUrl(input.url);
    const id = randomUUID();
    const secret = Webhooks.newSecret();
    const endpoint = await this.db.transaction(async (tx) => {
      // Serialises one person's creations, so two at once cannot both pass the count.
      await tx.query('select id from users where id = $1 for update', [userId]);
      const [n] = await tx.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where user_id = $1', [userId]);
      if ((n?.n ?? 0) >= MAX_ENDPOINTS_PER_USER)
        throw new AppError('conflict', `You already have ${MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first.`, { code: 'too_many_webhook_endpoints' });
      return repo.insertEndpoint(tx, {
        id,
        userId,
        url: input.url,
        description: input.description ?? '',
        types: input.types?.length ? [...new Set(input.types)] : null,
        secretEnc: this.cipher.encrypt(secret, id),
      });
    });
    return { endpoint, secret };
  }

  list(userId: string): Promise<EndpointRecord[]> {
    return repo.userEndpoints(this.db, userId);
  }

  async get(userId: string, id: string): Promise<EndpointRecord> {
    const e = await repo.findUserEndpoint(this.db, userId, id);
    if (!e) throw new AppError('not_found', `No webhook endpoint ${id}.`);
    return e;
  }

  /** `enabled: true` clears a disabled endpoint's failure clock; false disables it by hand. */
  async update(userId: string, id: string, changes: Partial<EndpointInput> & { enabled?: boolean | undefined }): Promise<EndpointRecord> {
    if (changes.url !== undefined) this.#refuseUrl(changes.url);
    return this.db.transaction(async (tx) => {
      const e = await repo.findUserEndpoint(tx, userId, id, { forUpdate: true });
      if (!e) throw new AppError('not_found', `No webhook endpoint ${id}.`);
      const enable = changes.enabled === true && e.disabledAt !== null;
      const disable = changes.enabled === false && e.disabledAt === null;
      return (await repo.updateEndpoint(tx, id, {
        url: changes.url,
        description: changes.description,
        types: changes.types === undefined ? undefined : changes.types?.length ? [...new Set(changes.types)] : null,
        ...(enable ? { disabledAt: null, disabledReason: null, failingSince: null } : {}),
        ...(disable ? { disabledAt: new Date(), disabledReason: 'Disabled by you.' } : {}),
      }))!;
    });
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await repo.deleteUserEndpoint(this.db, userId, id))) throw new AppError('not_found', `No webhook endpoint ${id}.`);
  }

  /** A new secret signs from now on; the previous one also signs until the overlap ends. */
  async rotateSecret(userId: string, id: string): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const secret = Webhooks.newSecret();
    const endpoint = await this.db.transaction(async (tx) => {
      const e = await repo.findUserEndpoint(tx, userId, id, { forUpdate: true });
      if (!e) throw new AppError('not_found', `No webhook endpoint ${id}.`);
      return (await repo.updateEndpoint(tx, id, {
        secretEnc: this.cipher.encrypt(secret, id),
        previousSecretEnc: e.secretEnc,
        previousSecretExpiresAt: new Date(Date.now() + this.cfg.secretOverlapSeconds * 1000),
      }))!;
    });
    return { endpoint, secret };
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
  secretsOf(e: EndpointRecord, now = new Date()): string[] {
    const secrets = [this.cipher.decrypt(e.secretEnc, e.id)];
    if (e.previousSecretEnc && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now) secrets.push(this.cipher.decrypt(e.previousSecretEnc, e.id));
    return secrets;
  }

  // ── The delivery log ───────────────────────────────────────────────────────────────────────────

  async deliveries(userId: string, endpointId: string, page: { limit?: number | undefined; cursor?: string | undefined }): Promise<{ deliveries: DeliveryRecord[]; nextCursor: string | null }> {
    await this.get(userId, endpointId);
    const limit = Math.min(Math.max(page.limit ?? WEBHOOK_ENDPOINT_PAGE.defaultLimit, 1), WEBHOOK_ENDPOINT_PAGE.maxLimit);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const { deliveries, next } = await repo.endpointDeliveries(this.db, endpointId, { limit, after });
    return { deliveries, nextCursor: next ? encodeCursor(next) : null };
  }

  /** The attempts about an event (and its payments) or a payment; the caller checked it is the person's. */
  deliveriesAbout(about: { eventId: string } | { paymentId: string }): Promise<DeliveryRecord[]> {
    return repo.deliveriesAbout(this.db, about);
  }

  /**
   * Sends the event of a past delivery to its endpoint again, now, once (outside the retry
   * schedule, even to a disabled endpoint: it is how a person checks a fixed receiver). Answers
   * with the new attempt.
   */
  async redeliver(userId: string, deliveryId: string): Promise<DeliveryRecord> {
    const d = await repo.findUserDelivery(this.db, userId, deliveryId);
    if (!d) throw new AppError('not_found', `No webhook delivery ${deliveryId}.`);
    const endpoint = await repo.findEndpoint(this.db, d.endpointId);
    const event = await repo.findWebhookEvent(this.db, d.webhookEventId);
    if (!endpoint || !event?.body) throw new AppError('not_found', `No webhook delivery ${deliveryId}.`);
    return this.#attempt(endpoint, event, { manual: true, log: this.log });
  }

  // ── Dispatch: outbox → delivery jobs ───────────────────────────────────────────────────────────

  async start(): Promise<void> {
    this.#stopped = false;
    this.#unlisten = await this.db.listen(WEBHOOK_EVENTS_CHANNEL, {
      onPayload: () => this.kick(),
      onResync: () => this.kick(),
      onError: (err) => this.log.warn({ err }, 'webhook dispatcher: notifications interrupted; the timer sweeps meanwhile'),
    });
    this.#timer = setInterval(() => {
      this.kick();
      this.#prunePeriodically();
    }, this.cfg.sweepIntervalSeconds * 1000);
    this.#timer.unref();
    this.kick();
    // At every start, then once an interval has passed: a process restarted more often than
    // hourly still prunes.
    this.#lastPrune = 0;
    this.#prunePeriodically();
  }

  // ── Retention ──────────────────────────────────────────────────────────────────────────────────

  #prunePeriodically(): void {
    if (this.#stopped || this.#pruning || Date.now() - this.#lastPrune < PRUNE_INTERVAL_MS) return;
    this.#lastPrune = Date.now();
    this.#pruning = this.prune()
      .then((n) => n > 0 && this.log.info({ deleted: n, retentionDays: this.cfg.retentionDays }, 'old webhook events and their deliveries pruned'))
      .catch((err) => this.log.warn({ err }, 'webhook prune failed; the next sweep after the interval retries'))
      .finally(() => (this.#pruning = null));
  }

  /**
   * Deletes the webhook events dispatched before the retention period (WEBHOOK_RETENTION_DAYS),
   * with every attempt logged about them, in batches. Kept: an event not yet dispatched, one with a
   * delivery job still waiting or retrying (a retry window longer than the retention), and one
   * with an attempt inside the period (a recent redelivery), so an event's log is never cut in
   * half. Several instances may prune at once: locked rows are skipped. Returns how many events
   * went.
   */
  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.cfg.retentionDays * 24 * 3600 * 1000);
    const pendingSql = this.jobs.pendingJobSql(WEBHOOK_QUEUE, 'webhookEventId', 'e.id::text');
    let total = 0;
    for (;;) {
      const n = await this.db.transaction((tx) => repo.pruneWebhookEvents(tx, { before, pendingSql, limit: PRUNE_BATCH }));
      total += n;
      if (n < PRUNE_BATCH || this.#stopped) return total;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    await unlisten?.().catch(() => {});
    await this.#running?.catch(() => {});
    await this.#pruning?.catch(() => {});
  }

  /** Dispatches now; a call while a pass runs makes one more pass after it. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          while ((await this.dispatch()) > 0 && !this.#stopped);
        } catch (err) {
          this.log.warn({ err }, 'webhook dispatch failed; the next pass retries');
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = null;
    });
  }

  /**
   * One batch of undispatched events: each gets its body and one job per endpoint, in one
   * transaction (rows locked SKIP LOCKED, so instances share the work without sending twice).
   * Returns how many events it dispatched.
   */
  async dispatch(batch = 50): Promise<number> {
    return this.db.transaction(async (tx) => {
      const events = await repo.lockUndispatched(tx, batch);
      for (const w of events) {
        const body = JSON.stringify({ id: w.id, type: w.type, created: w.createdAt.toISOString(), data: await this.#data(w) });
        for (const endpoint of await repo.endpointsFor(tx, w.userId, w.type)) await this.#queue(tx, { webhookEventId: w.id, endpointId: endpoint.id, attempt: 1 });
        await repo.markDispatched(tx, w.id, body);
      }
      return events.length;
    });
  }

  async #data(w: WebhookEventRecord): Promise<unknown> {
    const row = repo.snapshotRow(w.snapshot);
    return w.paymentId ? this.present.payment(paymentFromRow(row)) : this.present.event(eventFromRow(row));
  }

  async #queue(tx: Tx, job: DeliverJob, startAfter?: Date): Promise<void> {
    // One job per attempt: the next one is queued while this one still runs.
    await this.jobs.send(tx, WEBHOOK_QUEUE, job, { singletonKey: `${job.webhookEventId}:${job.endpointId}:${job.attempt}`, ...(startAfter ? { startAfter } : {}) });
  }

  // ── Delivery ───────────────────────────────────────────────────────────────────────────────────

  /** The `webhook.deliver` job: one attempt, logged; the next one scheduled if it failed. */
  async deliver(job: DeliverJob, ctx: Pick<JobContext, 'log'>): Promise<void> {
    const endpoint = await repo.findEndpoint(this.db, job.endpointId);
    const event = await repo.findWebhookEvent(this.db, job.webhookEventId);
    if (!endpoint || !event?.body) return; // deleted since
    if (endpoint.disabledAt) {
      ctx.log.info({ endpointId: endpoint.id, webhookEventId: event.id }, 'webhook endpoint disabled; delivery dropped');
      return;
    }
    await this.#attempt(endpoint, event, { manual: false, scheduled: job.attempt, log: ctx.log });
  }

  async #attempt(endpoint: EndpointRecord, event: WebhookEventRecord, how: { manual: boolean; scheduled?: number; log: Logger }): Promise<DeliveryRecord> {
    const body = event.body!;
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await this.sender.send({
      url: endpoint.url,
      body,
      headers: { [SIGNATURE_HEADER]: signWebhook(body, this.secretsOf(endpoint), timestamp), 'LeadsCalendar-Event-Id': event.id, 'LeadsCalendar-Event-Type': event.type },
    });
    const ok = isSuccess(result);
    const error = ok ? null : (result.error ?? `HTTP ${result.statusCode}: only a 2xx answer counts as delivered`);
    const now = new Date();
    const delivery = await this.db.transaction(async (tx) => {
      const d = await repo.insertDelivery(tx, {
        id: randomUUID(),
        endpointId: endpoint.id,
        webhookEventId: event.id,
        attempt: await repo.nextAttemptNumber(tx, event.id, endpoint.id),
        manual: how.manual,
        succeeded: ok,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        responseExcerpt: result.responseExcerpt,
        error,
      });
      if (ok) {
        await repo.updateEndpoint(tx, endpoint.id, { failingSince: null });
        return d;
      }
      const since = await repo.markEndpointFailing(tx, endpoint.id, now);
      const next = how.scheduled === undefined ? null : nextAttemptAt(event.createdAt, how.scheduled, now, this.cfg);
      // Failing for the whole window: measured on the clock, or by this event's retries running out
      // with no success at this endpoint since its first attempt.
      const windowOver =
        now.getTime() - since.getTime() >= this.cfg.retryWindowSeconds * 1000 ||
        (how.scheduled !== undefined && next === null && since <= ((await repo.firstAttemptAt(tx, event.id, endpoint.id)) ?? now));
      if (windowOver && !endpoint.disabledAt) {
        const reason = `Every delivery failed since ${since.toISOString()}; the last: ${error}`.slice(0, 1000);
        await repo.updateEndpoint(tx, endpoint.id, { disabledAt: now, disabledReason: reason });
        await this.mails.queueEndpointDisabled(tx, endpoint.id);
        how.log.warn({ endpointId: endpoint.id }, 'webhook endpoint disabled: failing for the whole retry window');
      } else if (next) {
        await this.#queue(tx, { webhookEventId: event.id, endpointId: endpoint.id, attempt: how.scheduled! + 1 }, next);
      } else if (how.scheduled !== undefined) {
        how.log.warn({ endpointId: endpoint.id, webhookEventId: event.id }, 'webhook not delivered: retry window over');
      }
      return d;
    });
    how.log.info({ endpointId: endpoint.id, webhookEventId: event.id, type: event.type, status: result.statusCode, ok, manual: how.manual }, 'webhook delivery attempt');
    return delivery;
  }
}
