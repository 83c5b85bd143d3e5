import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';

/** The channel 0004_audit_trail.sql notifies on each audit entry, payload "<event id> <audit id>". */
export const EVENT_CHANGES_CHANNEL = 'event_changes';

export interface StreamLimits {
  /** Open streams one person may hold at once (tabs, devices). */
  perUser: number;
  /** Open streams this instance serves at once. */
  total: number;
}

/** What a stream does when told: read the audit trail again, or stop. */
export interface ChangeWatcher {
  /** Something about the event may have changed (or notifications may have been lost): read it. */
  wake(): void;
  /** The instance is stopping: end the stream. */
  end(): void;
}

export interface Watch {
  /** Frees the slot; safe to call more than once. */
  close(): void;
}

interface Entry {
  userId: string;
  eventId: string;
  watcher: ChangeWatcher;
}

/** How long a refused client should wait before trying again (a stream lasts as long as its page). */
const RETRY_AFTER_MS = 30_000;

/**
 * Live status fan-out for one instance: one database subscription, whatever the number of open
 * streams, waking only the streams of the event that changed. Changes committed by any instance
 * arrive here (PostgreSQL NOTIFY; PGlite, in process). Streams read what changed themselves; the
 * hub never queries, and nothing polls. Bounded per person and in total.
 */
export class EventChanges {
  readonly #byEvent = new Map<string, Set<Entry>>();
  readonly #perUser = new Map<string, number>();
  #total = 0;
  #unlisten: (() => Promise<void>) | null = null;
  #stopped = false;

  constructor(
    private readonly db: Database,
    private readonly limits: StreamLimits,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.#unlisten = await this.db.listen(EVENT_CHANGES_CHANNEL, {
      onPayload: (payload) => {
        const eventId = payload.split(' ', 1)[0] ?? '';
        for (const e of this.#byEvent.get(eventId) ?? []) e.watcher.wake();
      },
      onResync: () => {
        this.log.info({ streams: this.#total }, 'live status: listening again; every open stream re-reads its event');
        for (const set of this.#byEvent.values()) for (const e of set) e.watcher.wake();
      },
      onError: (err) => this.log.warn({ err }, 'live status: lost the database notifications; reconnecting'),
    });
  }

  /** Open streams on this instance. */
  get open(): number {
    return this.#total;
  }

  /** Takes a slot for a stream of `eventId`; refuses (429, 503) beyond the limits, before any stream starts. */
  watch(userId: string, eventId: string, watcher: ChangeWatcher): Watch {
    if (this.#stopped) throw new AppError('provider_unavailable', 'This server is shutting down; retry the request (another instance, or this one once restarted, answers it).', { code: 'shutting_down' });
    const mine = this.#perUser.get(userId) ?? 0;
    if (mine >= this.limits.perUser) {
      throw new AppError('rate_limited', `You already have ${mine} live streams open (at most ${this.limits.perUser}); close one, or poll GET /api/v1/events/{id}.`, {
        code: 'too_many_streams',
        retryAfterMs: RETRY_AFTER_MS,
      });
    }
    if (this.#total >= this.limits.total) {
      throw new AppError('provider_unavailable', `This server already serves ${this.#total} live streams, its limit; retry later, or poll GET /api/v1/events/{id}.`, {
        code: 'stream_capacity_reached',
        retryAfterMs: RETRY_AFTER_MS,
      });
    }
    const entry: Entry = { userId, eventId, watcher };
    let set = this.#byEvent.get(eventId);
    if (!set) this.#byEvent.set(eventId, (set = new Set()));
    set.add(entry);
    this.#perUser.set(userId, mine + 1);
    this.#total++;
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        set.delete(entry);
        if (set.size === 0) this.#byEvent.delete(eventId);
        const left = (this.#perUser.get(userId) ?? 1) - 1;
        if (left > 0) this.#perUser.set(userId, left);
        else this.#perUser.delete(userId);
        this.#total--;
      },
    };
  }

  /** Ends every open stream and stops listening: an open stream must never hold a shutdown. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const set of [...this.#byEvent.values()]) for (const e of [...set]) e.watcher.end();
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    await unlisten?.().catch(() => {});
  }
}
