import { randomUUID } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import type { Database, Tx } from '../db/database.ts';
import * as repo from '../db/repos/events.ts';
import type { Attendee, EventRecord } from '../db/repos/events.ts';
import { assertTransition } from '../domain/event-state.ts';
import { isoWithOffset, type GoogleEventDateTime } from '../domain/event-time.ts';
import { googleEventId, googleEventIdWithSuffix } from '../domain/google-event-id.ts';
import { firstOccurrences, normalizeSchedule, type Schedule } from '../domain/recurrence.ts';
import { AppError, isAppError } from '../errors.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import { listEventPage, type EventPage, type EventPageRequest } from './event-list.ts';
import type { GoogleConnections } from './google-connections.ts';

/**
 * Events: creation (validated times, recurrence, a free/busy check), and the step that puts a paid
 * event on the user's Google Calendar. The insert runs as a durable job; it is idempotent (the
 * Google event id derives from ours), survives a crash at any point, and waits — without failing —
 * while the user's Google access needs reconnecting, up to a configured window.
 */

export const QUEUES = {
  insert: 'calendar.insert',
  reconnectDeadline: 'calendar.reconnect-deadline',
} as const;

export interface EventInput {
  title: string;
  description?: string | undefined;
  location?: string | undefined;
  calendarId?: string | undefined;
  timeZone: string;
  allDay: boolean;
  start: string;
  end: string;
  recurrence?: string[] | undefined;
  attendees?: Attendee[] | undefined;
  sendUpdates?: 'all' | 'externalOnly' | 'none' | undefined;
}

export interface Conflict {
  occurrence: { start: string; end: string };
  busy: { start: string; end: string };
}

export interface Availability {
  /** Occurrences checked (a recurring event: its first ones). */
  checked: number;
  conflicts: Conflict[];
  /** Set when the check could not run; booking still proceeds (the check only warns). */
  unavailable?: string;
}

export interface EventsConfig {
  publicBaseUrl: string;
  pricing: { minor: number; currency: string };
  paymentTtlMinutes: number;
  sendUpdates: 'all' | 'externalOnly' | 'none';
  conflicts: 'warn' | 'block';
  reconnectWindowHours: number;
}

/** Retries of a calendar insert after its first attempt; the last attempt fails the event instead. */
const INSERT_RETRY_LIMIT = 8;

/** How many occurrences of a recurring event the free/busy check looks at. */
export const AVAILABILITY_OCCURRENCES = 10;

export class Events {
  /** Called when a paid event fails for good, in the same transaction: the payment side voids or refunds. */
  onFailedForGood: (tx: Tx, event: EventRecord, reason: string) => Promise<void> = async () => {};

  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly google: GoogleConnections,
    private readonly cfg: EventsConfig,
    private readonly log: Logger,
  ) {
    jobs.define<{ eventId: string }>({
      name: QUEUES.insert,
      retryLimit: INSERT_RETRY_LIMIT,
      retryDelaySeconds: 5,
      // A worker that died mid-insert (kill -9) leaves the job active; it is retried after this.
      // Generous for four Calendar attempts with backoff, short enough to resume soon.
      expireInSeconds: 120,
      handler: (data, ctx) => this.insertIntoCalendar(data.eventId, ctx),
    });
    jobs.define<{ eventId: string }>({
      name: QUEUES.reconnectDeadline,
      retryLimit: 5,
      handler: (data) => this.reconnectDeadline(data.eventId),
    });
  }

  async checkAvailability(userId: string, input: Pick<EventInput, 'timeZone' | 'allDay' | 'start' | 'end' | 'recurrence' | 'calendarId'>): Promise<Availability> {
    return this.#availability(userId, normalizeSchedule({ ...input, recurrence: input.recurrence ?? [] }), input.calendarId ?? 'primary');
  }

  async #availability(userId: string, schedule: Schedule, calendarId: string): Promise<Availability> {
    const spans = firstOccurrences(schedule, AVAILABILITY_OCCURRENCES);
    if (spans.length === 0) return { checked: 0, conflicts: [] };
    let busy;
    try {
      const cal = await this.google.calendarFor(userId);
      busy = await cal.freeBusy(calendarId, spans[0]!.start, spans[spans.length - 1]!.end);
    } catch (err) {
      if (!isAppError(err)) throw err;
      return { checked: 0, conflicts: [], unavailable: err.message };
    }
    const conflicts: Conflict[] = [];
    for (const s of spans) {
      for (const b of busy) {
        // Half-open intervals: back-to-back is not a conflict.
        if (Date.parse(b.start) < s.end.getTime() && Date.parse(b.end) > s.start.getTime()) {
          conflicts.push({ occurrence: { start: s.start.toISOString(), end: s.end.toISOString() }, busy: b });
        }
      }
    }
    return { checked: spans.length, conflicts };
  }

  async create(userId: string, input: EventInput): Promise<{ event: EventRecord; availability: Availability }> {
    const schedule = normalizeSchedule({ ...input, recurrence: input.recurrence ?? [] });
    const availability = await this.#availability(userId, schedule, input.calendarId ?? 'primary');
    if (this.cfg.conflicts === 'block' && availability.conflicts.length) {
      throw new AppError('conflict', `The event overlaps ${availability.conflicts.length} busy period(s) in your calendar.`, {
        details: { conflicts: availability.conflicts },
      });
    }
    const id = randomUUID();
    const event = await this.db.transaction((tx) =>
      repo.insertEvent(
        tx,
        {
          id,
          userId,
          title: input.title,
          description: input.description ?? null,
          location: input.location ?? null,
          calendarId: input.calendarId ?? 'primary',
          timeZone: schedule.timeZone,
          allDay: schedule.allDay,
          startLocal: schedule.start,
          endLocal: schedule.end,
          startAt: schedule.startUtc,
          endAt: schedule.endUtc,
          recurrence: schedule.recurrence,
          attendees: input.attendees ?? [],
          sendUpdates: input.sendUpdates ?? this.cfg.sendUpdates,
          priceCurrency: this.cfg.pricing.currency,
          priceMinor: BigInt(this.cfg.pricing.minor),
          googleEventId: googleEventId(id),
          pendingUntil: new Date(Date.now() + this.cfg.paymentTtlMinutes * 60_000),
        },
        'created',
      ),
    );
    return { event, availability };
  }

  async get(userId: string, id: string): Promise<EventRecord> {
    const e = await repo.findUserEvent(this.db, userId, id);
    if (!e) throw new AppError('not_found', `No event ${id}.`);
    return e;
  }

  list(userId: string, page: EventPageRequest = {}): Promise<EventPage> {
    return listEventPage(this.db, userId, page);
  }

  transitions(eventId: string) {
    return repo.transitionsOf(this.db, eventId);
  }

  async cancel(userId: string, id: string): Promise<EventRecord> {
    return this.db.transaction(async (tx) => {
      const e = await repo.findEvent(tx, id, { forUpdate: true });
      if (!e || e.userId !== userId) throw new AppError('not_found', `No event ${id}.`);
      if (e.state !== 'pending_payment') throw new AppError('conflict', `Only an event waiting for payment can be cancelled here; this one is ${e.state}.`);
      await repo.setState(tx, id, 'pending_payment', 'cancelled', 'cancelled by the user');
      return (await repo.findEvent(tx, id))!;
    });
  }

  /**
   * A verified successful payment moves the event to `paid` and queues the calendar insert, in the
   * caller's transaction (the payment's own state change commits with it).
   */
  async markPaid(tx: Tx, eventId: string, reason: string): Promise<void> {
    const e = await repo.findEvent(tx, eventId, { forUpdate: true });
    if (!e) throw new AppError('not_found', `No event ${eventId}.`);
    assertTransition(e.state, 'paid');
    await repo.setState(tx, eventId, e.state, 'paid', reason);
    await this.jobs.send(tx, QUEUES.insert, { eventId }, { singletonKey: eventId });
  }

  /** After a reconnect: every paid event of the user waiting for the calendar goes again. */
  async resumeForUser(tx: Tx, userId: string): Promise<void> {
    for (const e of await repo.userEventsInState(tx, userId, 'paid')) {
      await this.jobs.send(tx, QUEUES.insert, { eventId: e.id });
    }
  }

  googleEvent(e: EventRecord): calendar_v3.Schema$Event & { id: string } {
    const time = normalizeSchedule({ timeZone: e.timeZone, allDay: e.allDay, start: e.startLocal, end: e.endLocal, recurrence: e.recurrence });
    // Timed events carry the offset we resolved as well as the zone: an ambiguous local time
    // (DST overlap) then means the instant we stored and showed, whatever Google would pick.
    const pin = (d: GoogleEventDateTime, instant: Date): GoogleEventDateTime =>
      'dateTime' in d ? { dateTime: isoWithOffset(instant, e.timeZone), timeZone: d.timeZone } : d;
    const link = `${this.cfg.publicBaseUrl}/app/events/${e.id}`;
    return {
      id: e.googleEventId,
      summary: e.title,
      description: `${e.description ? `${e.description}\n\n` : ''}Booked with LeadsCalendar: ${link}`,
      ...(e.location ? { location: e.location } : {}),
      start: pin(time.google.start, e.startAt),
      end: pin(time.google.end, e.endAt),
      ...(e.recurrence.length ? { recurrence: e.recurrence } : {}),
      ...(e.attendees.length ? { attendees: e.attendees.map((a) => ({ email: a.email, displayName: a.displayName, optional: a.optional })) } : {}),
      extendedProperties: { private: { lcEventId: e.id } },
    };
  }

  /** The `calendar.insert` job. */
  async insertIntoCalendar(eventId: string, ctx: { attempt: number; log: Logger }): Promise<void> {
    const e = await repo.findEvent(this.db, eventId);
    if (!e || e.state !== 'paid') return; // done already, or no longer wanted: nothing to do
    let result;
    try {
      const cal = await this.google.calendarFor(e.userId);
      let body = this.googleEvent(e);
      try {
        result = await cal.insertIdempotent(e.calendarId, body, e.sendUpdates);
      } catch (err) {
        // A deleted event whose restore Google forbids: a fresh, still deterministic, id.
        if (!isAppError(err, 'forbidden') || err.providerCode === 'insufficientPermissions') throw err;
        body = { ...body, id: googleEventIdWithSuffix(e.id, 1) };
        result = await cal.insertIdempotent(e.calendarId, body, e.sendUpdates);
      }
      result = { ...result, id: body.id };
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.providerCode === 'needs_reconnect') return this.#waitForReconnect(e);
      if (err.providerCode === 'invalid_grant' || err.providerCode === 'insufficientPermissions') {
        await this.google.markNeedsReconnect(e.userId, err.message);
        return this.#waitForReconnect(e);
      }
      if (err.kind === 'rate_limited' && (err.retryAfterMs ?? 0) > 30_000) {
        // A quota cool-down: come back later instead of holding a worker or burning retries.
        ctx.log.warn({ eventId, retryAfterMs: err.retryAfterMs }, 'Google quota exhausted; insert rescheduled');
        await this.db.transaction((tx) =>
          this.jobs.send(tx, QUEUES.insert, { eventId }, { startAfter: new Date(Date.now() + err.retryAfterMs!) }),
        );
        return;
      }
      if (err.kind === 'invalid_request' || err.kind === 'not_found' || err.kind === 'forbidden') {
        return this.#fail(e, err.message);
      }
      if (ctx.attempt > INSERT_RETRY_LIMIT) return this.#fail(e, `Google Calendar kept failing: ${err.message}`);
      throw err;
    }
    await this.db.transaction(async (tx) => {
      const current = await repo.findEvent(tx, eventId, { forUpdate: true });
      if (current?.state !== 'paid') return;
      await repo.setState(tx, eventId, 'paid', 'confirmed', `on Google Calendar (${result.outcome})`, {
        googleEventId: result.id,
        ...(result.event.htmlLink ? { googleHtmlLink: result.event.htmlLink } : {}),
      });
    });
    ctx.log.info({ eventId, outcome: result.outcome }, 'event confirmed on Google Calendar');
  }

  async #waitForReconnect(e: EventRecord): Promise<void> {
    const info = await this.google.info(e.userId);
    const since = info?.needsReconnectSince ?? new Date();
    const deadline = new Date(since.getTime() + this.cfg.reconnectWindowHours * 3600_000);
    await this.db.transaction((tx) => this.jobs.send(tx, QUEUES.reconnectDeadline, { eventId: e.id }, { startAfter: deadline, singletonKey: e.id }));
    this.log.info({ eventId: e.id, deadline }, 'event waits for the user to reconnect Google');
  }

  /** The `calendar.reconnect-deadline` job: still not reconnected, the event fails (money returned). */
  async reconnectDeadline(eventId: string): Promise<void> {
    const e = await repo.findEvent(this.db, eventId);
    if (!e || e.state !== 'paid') return;
    const info = await this.google.info(e.userId);
    if (info?.status === 'active') {
      await this.db.transaction((tx) => this.jobs.send(tx, QUEUES.insert, { eventId }));
      return;
    }
    await this.#fail(e, `Google Calendar access was not reconnected within ${this.cfg.reconnectWindowHours} hours.`);
  }

  async #fail(e: EventRecord, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await repo.findEvent(tx, e.id, { forUpdate: true });
      if (current?.state !== 'paid') return;
      await repo.setState(tx, e.id, 'paid', 'failed', reason, { failureReason: reason });
      await this.onFailedForGood(tx, current, reason);
    });
    this.log.warn({ eventId: e.id, reason }, 'event failed for good');
  }
}
