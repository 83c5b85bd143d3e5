import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../db/database.ts';
import { trailOf } from '../db/repos/audit-trail.ts';
export type { AuditEntry } from '../db/repos/audit-trail.ts';
import * as repo from '../db/repos/events.ts';
import type { Attendee, EventRecord } from '../db/repos/events.ts';
import { assertBookable } from '../domain/event-time.ts';
import { googleEventId } from '../domain/google-event-id.ts';
import { firstOccurrences, normalizeSchedule, type Schedule } from '../domain/recurrence.ts';
import { PRICE_CURRENCY } from '../domain/instance-settings.ts';
import { AppError, isAppError, type ProblemCode } from '../errors.ts';
import type { JobContext, JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import { listEventPage, type EventPage, type EventPageRequest } from './event-list.ts';
import type { GoogleConnections } from './google-connections.ts';
import type { SettingsReader } from './instance-settings.ts';
import type { MailHooks } from './mails.ts';
import type { CalendarEventInput, CalendarPort, CalendarSummary, InsertedEvent } from '../ports/calendar.ts';

/**
 * Events: creation (validated times, recurrence, a free/busy check), and the step that puts a paid
 * event on the user's Google Calendar. The insert runs as a durable job; it is idempotent (the
 * Google event id derives from ours), survives a crash at any point, and waits — without failing —
 * while the user's Google access needs reconnecting, up to a configured window.
 */

export const QUEUES = {
  insert: 'calendar.insert',
  reconnectDeadline: 'calendar.reconnect-deadline',
  remove: 'calendar.remove',
  expire: 'event.expire',
} as const;

/**
 * What the payment side does at the event's turning points, always in the caller's transaction so
 * the event's change and the money's next step commit together. Required: an event never changes
 * state without its money following.
 */
export interface EventPaymentHooks {
  /** The event will never be paid (expired, cancelled): its open orders are closed. */
  closeUnpaid(tx: Tx, event: EventRecord, reason: string): Promise<void>;
  /** A paid event failed for good: the money is voided (a hold) or refunded. */
  onFailedForGood(tx: Tx, event: EventRecord, reason: string): Promise<void>;
  /**
   * Its owner cancels a confirmed event: its money is refunded. The refund, once the provider has
   * made it, cancels the event and takes it off Google Calendar.
   */
  refundConfirmed(tx: Tx, event: EventRecord, reason: string): Promise<void>;
  /**
   * The event is on the calendar. `confirm`: its money is taken, so it is confirmed now;
   * `awaiting_capture`: a hold is being captured, which confirms it (queued by the hook).
   */
  onCalendar(tx: Tx, event: EventRecord): Promise<'confirm' | 'awaiting_capture'>;
}

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
  /** The price and payment window in force (admin settings over the environment's), read at each creation. */
  settings: SettingsReader;
  sendUpdates: 'all' | 'externalOnly' | 'none';
  conflicts: 'warn' | 'block';
  reconnectWindowHours: number;
}

/**
 * Retries of a calendar insert after its first attempt, from 5 s and doubling (about 40 minutes in
 * all), never sooner than Google's Retry-After; each attempt sends one insert. The last attempt
 * fails the event instead.
 */
const INSERT_RETRY_LIMIT = 8;

/**
 * How long a request waits for Google, all its calls together. Past it, the free/busy check says it
 * could not run, and a calendar that could not be checked is refused.
 */
export const REQUEST_DEADLINE_MS = 2_000;

/** Codes of the problems creating an event can answer, beside its kind. */
export const CALENDAR_CODES = {
  notFound: 'calendar_not_found',
  notWritable: 'calendar_not_writable',
  checkUnavailable: 'calendar_check_unavailable',
} as const satisfies Record<string, ProblemCode>;

/** How many occurrences of a recurring event the free/busy check looks at. */
export const AVAILABILITY_OCCURRENCES = 10;

export class Events {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly google: GoogleConnections,
    private readonly cfg: EventsConfig,
    private readonly log: Logger,
    private readonly payments: EventPaymentHooks,
    private readonly mails: MailHooks,
  ) {
    jobs.define<{ eventId: string }>({
      name: QUEUES.insert,
      retryLimit: INSERT_RETRY_LIMIT,
      retryDelaySeconds: 5,
      // A worker that died mid-insert (kill -9) leaves the job active; it is retried after this.
      // Generous for one attempt's few calls (each bounded by its timeout), short enough to resume soon.
      expireInSeconds: 120,
      handler: (data, ctx) => this.insertIntoCalendar(data.eventId, ctx),
    });
    jobs.define<{ eventId: string }>({
      name: QUEUES.reconnectDeadline,
      retryLimit: 5,
      handler: (data) => this.reconnectDeadline(data.eventId),
    });
    jobs.define<{ eventId: string }>({
      name: QUEUES.remove,
      retryLimit: INSERT_RETRY_LIMIT,
      retryDelaySeconds: 5,
      expireInSeconds: 120,
      handler: (data, ctx) => this.removeFromCalendar(data.eventId, ctx),
    });
    jobs.define<{ eventId: string }>({
      name: QUEUES.expire,
      retryLimit: 10,
      handler: (data) => this.expire(data.eventId),
    });
  }

  async checkAvailability(userId: string, input: Pick<EventInput, 'timeZone' | 'allDay' | 'start' | 'end' | 'recurrence' | 'calendarId'>): Promise<Availability> {
    const schedule = normalizeSchedule({ ...input, recurrence: input.recurrence ?? [] });
    let cal;
    try {
      cal = await this.google.calendarFor(userId, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
    } catch (err) {
      if (!isAppError(err)) throw err;
      return { checked: 0, conflicts: [], unavailable: err.message };
    }
    return this.#availability(cal, schedule, input.calendarId ?? 'primary');
  }

  /** Never fails: a check that cannot run says so in `unavailable`. */
  async #availability(cal: CalendarPort, schedule: Schedule, calendarId: string): Promise<Availability> {
    const spans = firstOccurrences(schedule, AVAILABILITY_OCCURRENCES);
    if (spans.length === 0) return { checked: 0, conflicts: [] };
    let busy;
    try {
      busy = await cal.freeBusy(calendarId, spans[0]!.start, spans[spans.length - 1]!.end);
    } catch (err) {
      return { checked: 0, conflicts: [], unavailable: isAppError(err) ? err.message : 'The calendar check failed.' };
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

  /**
   * The chosen calendar must be one LeadsCalendar can write to, or the person would pay for an
   * event that can never reach it. Unknown: refused, since the insert might then fail for good.
   */
  async #writableCalendar(cal: CalendarPort, calendarId: string): Promise<CalendarSummary> {
    let list;
    try {
      list = await cal.listCalendars();
    } catch (err) {
      if (!isAppError(err) || !err.retryable) throw err;
      throw new AppError(
        'provider_unavailable',
        `Google did not answer in time, so LeadsCalendar could not check that it can add events to calendar ${calendarId}. Nothing was created; try again in a moment.`,
        { provider: 'google', code: CALENDAR_CODES.checkUnavailable, cause: err },
      );
    }
    const found = calendarId === 'primary' ? list.find((c) => c.primary) : list.find((c) => c.id === calendarId);
    const refuse = (code: ProblemCode, message: string) =>
      new AppError('invalid_request', message, { code, details: { errors: [{ path: 'body/calendarId', message, code }] } });
    if (!found) {
      throw refuse(CALENDAR_CODES.notFound, `Calendar ${calendarId} is not in your Google calendar list. Choose one of the calendars GET /api/v1/calendars lists.`);
    }
    if (!found.writable) {
      const why = found.access === 'owner' || found.access === 'writer' ? 'it is not a calendar you own' : 'you can only see it, not add events to it';
      throw refuse(CALENDAR_CODES.notWritable, `LeadsCalendar cannot add events to calendar “${found.summary}”: ${why}. Choose one of the calendars GET /api/v1/calendars lists.`);
    }
    return found;
  }

  async create(userId: string, input: EventInput): Promise<{ event: EventRecord; availability: Availability }> {
    const schedule = normalizeSchedule({ ...input, recurrence: input.recurrence ?? [] });
    assertBookable(schedule, new Date());
    const calendarId = input.calendarId ?? 'primary';
    const cal = await this.google.calendarFor(userId, { signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
    const [target, checked] = await Promise.allSettled([this.#writableCalendar(cal, calendarId), this.#availability(cal, schedule, calendarId)]);
    if (target.status === 'rejected') throw target.reason;
    const availability = checked.status === 'fulfilled' ? checked.value : { checked: 0, conflicts: [], unavailable: 'The calendar check failed.' };
    if (this.cfg.conflicts === 'block' && availability.conflicts.length) {
      throw new AppError('conflict', `The event overlaps ${availability.conflicts.length} busy period(s) in your calendar.`, {
        details: { conflicts: availability.conflicts },
      });
    }
    const id = randomUUID();
    const event = await this.db.transaction(async (tx) => {
      const terms = await this.cfg.settings.current(tx);
      const created = await repo.insertEvent(
        tx,
        {
          id,
          userId,
          title: input.title,
          description: input.description ?? null,
          location: input.location ?? null,
          calendarId,
          timeZone: schedule.timeZone,
          allDay: schedule.allDay,
          startLocal: schedule.start,
          endLocal: schedule.end,
          startAt: schedule.startUtc,
          endAt: schedule.endUtc,
          recurrence: schedule.recurrence,
          attendees: input.attendees ?? [],
          sendUpdates: input.sendUpdates ?? this.cfg.sendUpdates,
          priceCurrency: PRICE_CURRENCY,
          priceMinor: BigInt(terms.priceMinor),
          googleEventId: googleEventId(id),
          pendingUntil: new Date(Date.now() + terms.paymentWindowMinutes * 60_000),
        },
        'created',
      );
      // Unpaid by its deadline, the event expires (and its open orders are closed).
      await this.jobs.send(tx, QUEUES.expire, { eventId: id }, { startAfter: created.pendingUntil, singletonKey: id });
      await this.mails.queueReminder(tx, created);
      return created;
    });
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

  /** The event's audit trail (its transitions and its payments'), oldest first; `after`: past that entry. */
  timeline(eventId: string, after?: bigint) {
    return trailOf(this.db, eventId, after);
  }

  /**
   * Cancels an event. Unpaid: at once, and its open orders are closed (`done`). Confirmed: its
   * money is refunded, and the refund cancels it and takes it off Google Calendar (`refunding`).
   * Asking again is harmless: a cancelled event, or one whose refund is under way, is returned as is.
   */
  async cancel(userId: string, id: string): Promise<{ event: EventRecord; outcome: 'done' | 'refunding' }> {
    return this.db.transaction(async (tx) => {
      const e = await repo.findEvent(tx, id, { forUpdate: true });
      if (!e || e.userId !== userId) throw new AppError('not_found', `No event ${id}.`);
      if (e.state === 'cancelled') return { event: e, outcome: 'done' as const };
      if (e.state === 'confirmed') {
        await this.payments.refundConfirmed(tx, e, 'the event was cancelled by its owner');
        return { event: e, outcome: 'refunding' as const };
      }
      if (e.state !== 'pending_payment') {
        throw new AppError('conflict', `Only an event waiting for payment or confirmed can be cancelled; this one is ${e.state}.`);
      }
      await repo.setState(tx, id, 'pending_payment', 'cancelled', 'cancelled by the user');
      await this.payments.closeUnpaid(tx, e, 'the event was cancelled');
      return { event: (await repo.findEvent(tx, id))!, outcome: 'done' as const };
    });
  }

  /** After a reconnect: every paid event of the user waiting for the calendar goes again (unless its insert is queued already). */
  async resumeForUser(tx: Tx, userId: string): Promise<void> {
    for (const e of await repo.userEventsInState(tx, userId, 'paid')) {
      await this.jobs.send(tx, QUEUES.insert, { eventId: e.id }, { singletonKey: e.id });
    }
    // Removals the revoked grant stopped: their money went back, their Google copy must go too.
    for (const e of await repo.eventsAwaitingRemoval(tx, userId)) {
      await this.jobs.send(tx, QUEUES.remove, { eventId: e.id }, { singletonKey: e.id });
    }
  }

  /** What goes on the calendar for an event. */
  calendarEvent(e: EventRecord): CalendarEventInput {
    return {
      title: e.title,
      description: e.description,
      location: e.location,
      timeZone: e.timeZone,
      allDay: e.allDay,
      startLocal: e.startLocal,
      endLocal: e.endLocal,
      startAt: e.startAt,
      endAt: e.endAt,
      recurrence: e.recurrence,
      attendees: e.attendees,
      sendUpdates: e.sendUpdates,
      link: `${this.cfg.publicBaseUrl}/app/events/${e.id}`,
    };
  }

  /**
   * The `calendar.insert` job: one insert per attempt. What retrying cannot fix fails the event;
   * what it can is thrown, and the queue runs this job again later (never sooner than Google's
   * Retry-After) until its one retry budget is spent; the last attempt fails the event.
   */
  async insertIntoCalendar(eventId: string, ctx: Pick<JobContext, 'lastAttempt' | 'log'>): Promise<void> {
    const e = await repo.findEvent(this.db, eventId);
    if (!e || e.state !== 'paid') return; // done already, or no longer wanted: nothing to do
    let result: InsertedEvent;
    try {
      const cal = await this.google.calendarFor(e.userId);
      result = await cal.insertEvent(e.calendarId, e.id, this.calendarEvent(e));
    } catch (err) {
      if (!isAppError(err)) throw err;
      // The refusal is on the connection already (GoogleConnections records it).
      if (err.kind === 'unauthorized') return this.#waitForReconnect(e);
      if (!err.retryable) return this.#fail(e, err.message);
      if (ctx.lastAttempt) return this.#fail(e, `Google Calendar kept failing: ${err.message}`);
      throw err;
    }
    const outcome = await this.db.transaction(async (tx) => {
      const current = await repo.findEvent(tx, eventId, { forUpdate: true });
      if (!current) return 'gone';
      if (current.state !== 'paid') {
        // Its money went back while the insert ran (a refund, a reversal): it must not stay there.
        // Recorded as on the calendar, so a removal a revoked grant stops is found again on reconnect.
        await repo.markOnCalendar(tx, eventId, result.providerEventId, result.htmlLink);
        await this.jobs.send(tx, QUEUES.remove, { eventId }, { singletonKey: eventId });
        return 'removing';
      }
      const link = result.htmlLink ? { googleHtmlLink: result.htmlLink } : {};
      if ((await this.payments.onCalendar(tx, current)) === 'awaiting_capture') {
        await repo.markOnCalendar(tx, eventId, result.providerEventId, result.htmlLink);
        return 'awaiting_capture';
      }
      await repo.setState(tx, eventId, 'paid', 'confirmed', `on Google Calendar (${result.outcome})`, { googleEventId: result.providerEventId, onCalendar: true, ...link });
      await this.mails.queueConfirmation(tx, eventId);
      return 'confirmed';
    });
    ctx.log.info({ eventId, outcome: result.outcome, next: outcome }, 'event on Google Calendar');
  }

  /**
   * The `calendar.remove` job: takes an event whose money was returned off the calendar. A grant
   * that needs reconnecting cannot remove it; that is logged, and the reconnect queues it again
   * (resumeForUser finds every event still awaiting removal).
   */
  async removeFromCalendar(eventId: string, ctx: Pick<JobContext, 'lastAttempt' | 'log'>): Promise<void> {
    const e = await repo.findEvent(this.db, eventId);
    if (!e || e.state === 'confirmed' || e.state === 'paid' || e.state === 'pending_payment') return; // still wanted there
    try {
      const cal = await this.google.calendarFor(e.userId);
      const outcome = await cal.removeEvent(e.calendarId, e.googleEventId, e.sendUpdates);
      await repo.markOffCalendar(this.db, eventId);
      ctx.log.info({ eventId, outcome }, 'event taken off Google Calendar');
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.retryable && !ctx.lastAttempt) throw err;
      ctx.log.warn({ eventId, err }, 'the event could not be taken off Google Calendar');
    }
  }

  /** The `event.expire` job: an event still unpaid at its deadline expires, and its open orders are closed. */
  async expire(eventId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const e = await repo.findEvent(tx, eventId, { forUpdate: true });
      if (!e || e.state !== 'pending_payment') return;
      if (e.pendingUntil.getTime() > Date.now()) {
        // Sent early (a clock ahead on another instance): come back at the deadline.
        await this.jobs.send(tx, QUEUES.expire, { eventId }, { startAfter: e.pendingUntil });
        return;
      }
      // The window this event was given at creation, whatever the setting is now.
      const reason = `not paid within ${Math.round((e.pendingUntil.getTime() - e.createdAt.getTime()) / 60_000)} minutes`;
      await repo.setState(tx, eventId, 'pending_payment', 'expired', reason);
      await this.payments.closeUnpaid(tx, e, 'the event expired unpaid');
    });
  }

  async #waitForReconnect(e: EventRecord): Promise<void> {
    const info = await this.google.info(e.userId);
    const since = info?.needsReconnectSince ?? new Date();
    const deadline = new Date(since.getTime() + this.cfg.reconnectWindowHours * 3600_000);
    await this.db.transaction((tx) => this.jobs.send(tx, QUEUES.reconnectDeadline, { eventId: e.id }, { startAfter: deadline, singletonKey: e.id }));
    // A reconnect while this job ran could not queue another insert (this one was still running):
    // this job then goes again itself. The deadline job covers a reconnect later than this look.
    if ((await this.google.info(e.userId))?.status === 'active') throw new Error('Google access was reconnected meanwhile; the insert goes again');
    this.log.info({ eventId: e.id, deadline }, 'event waits for the user to reconnect Google');
  }

  /** The `calendar.reconnect-deadline` job: still not reconnected, the event fails (money returned). */
  async reconnectDeadline(eventId: string): Promise<void> {
    const e = await repo.findEvent(this.db, eventId);
    if (!e || e.state !== 'paid') return;
    const info = await this.google.info(e.userId);
    if (info?.status === 'active') {
      await this.db.transaction((tx) => this.jobs.send(tx, QUEUES.insert, { eventId }, { singletonKey: eventId }));
      return;
    }
    await this.#fail(e, `Google Calendar access was not reconnected within ${this.cfg.reconnectWindowHours} hours.`);
  }

  async #fail(e: EventRecord, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const current = await repo.findEvent(tx, e.id, { forUpdate: true });
      if (current?.state !== 'paid') return;
      await repo.setState(tx, e.id, 'paid', 'failed', reason, { failureReason: reason });
      await this.payments.onFailedForGood(tx, current, reason);
    });
    this.log.warn({ eventId: e.id, reason }, 'event failed for good');
  }
}
