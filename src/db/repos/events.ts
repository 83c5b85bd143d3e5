import type { EventState } from '../../domain/event-state.ts';
import type { SendUpdates } from '../../domain/send-updates.ts';
import type { Queryable } from '../database.ts';
import { recordEventTransition } from './audit-trail.ts';

/** Events as stored; SQL for them lives here and nowhere else. */

export interface Attendee {
  email: string;
  displayName?: string;
  optional?: boolean;
}

export interface EventRecord {
  id: string;
  userId: string;
  state: EventState;
  title: string;
  description: string | null;
  location: string | null;
  calendarId: string;
  timeZone: string;
  allDay: boolean;
  startLocal: string;
  endLocal: string;
  startAt: Date;
  endAt: Date;
  recurrence: string[];
  attendees: Attendee[];
  sendUpdates: SendUpdates;
  priceCurrency: string;
  priceMinor: bigint;
  googleEventId: string;
  googleHtmlLink: string | null;
  pendingUntil: Date;
  failureReason: string | null;
  /** When the event reached the calendar (authorize mode: before the capture that confirms it). */
  onCalendarAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, user_id, state, title, description, location, calendar_id, time_zone, all_day, start_local, end_local,
  start_at, end_at, recurrence, attendees, send_updates, price_currency, price_minor, google_event_id, google_html_link,
  pending_until, failure_reason, on_calendar_at, created_at, updated_at`;

function map(r: Record<string, any>): EventRecord {
  return {
    id: r.id,
    userId: r.user_id,
    state: r.state,
    title: r.title,
    description: r.description,
    location: r.location,
    calendarId: r.calendar_id,
    timeZone: r.time_zone,
    allDay: r.all_day,
    startLocal: r.start_local,
    endLocal: r.end_local,
    startAt: r.start_at,
    endAt: r.end_at,
    recurrence: r.recurrence ?? [],
    attendees: r.attendees ?? [],
    sendUpdates: r.send_updates,
    priceCurrency: r.price_currency,
    priceMinor: BigInt(r.price_minor),
    googleEventId: r.google_event_id,
    googleHtmlLink: r.google_html_link,
    pendingUntil: r.pending_until,
    failureReason: r.failure_reason,
    onCalendarAt: r.on_calendar_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewEvent = Omit<EventRecord, 'state' | 'googleHtmlLink' | 'failureReason' | 'onCalendarAt' | 'createdAt' | 'updatedAt'>;

export async function insertEvent(q: Queryable, e: NewEvent, reason: string): Promise<EventRecord> {
  const [row] = await q.query(
    `insert into events (id, user_id, state, title, description, location, calendar_id, time_zone, all_day, start_local,
       end_local, start_at, end_at, recurrence, attendees, send_updates, price_currency, price_minor, google_event_id, pending_until)
     values ($1, $2, 'pending_payment', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     returning ${COLUMNS}`,
    [
      e.id, e.userId, e.title, e.description, e.location, e.calendarId, e.timeZone, e.allDay, e.startLocal, e.endLocal,
      e.startAt, e.endAt, e.recurrence, JSON.stringify(e.attendees), e.sendUpdates, e.priceCurrency, e.priceMinor,
      e.googleEventId, e.pendingUntil,
    ],
  );
  await recordEventTransition(q, e.id, null, 'pending_payment', reason);
  return map(row!);
}

export async function findEvent(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<EventRecord | null> {
  const rows = await q.query(`select ${COLUMNS} from events where id = $1${opts.forUpdate ? ' for update' : ''}`, [id]);
  return rows[0] ? map(rows[0]) : null;
}

/** Only the owner's events: another user's id reads as absent (invariant 5). */
export async function findUserEvent(q: Queryable, userId: string, id: string): Promise<EventRecord | null> {
  const rows = await q.query(`select ${COLUMNS} from events where id = $1 and user_id = $2`, [id, userId]);
  return rows[0] ? map(rows[0]) : null;
}

/**
 * Where a page of a user's events starts: just after this event in the list order (newest first,
 * ties by id). The instant is kept in whole microseconds, as stored: a JavaScript Date would round
 * it to milliseconds and skip or repeat events created within one millisecond.
 */
export interface EventListPosition {
  createdAtMicros: bigint;
  id: string;
}

/**
 * Which of a user's events a list holds. `from`/`to` keep the events that may happen within
 * [from, to): a single event that overlaps it; a recurring one whose series starts before `to`
 * (its end is not stored: which of its occurrences fall in the range is for the caller to work out).
 */
export interface EventListFilter {
  states?: readonly EventState[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** One page of a user's events, and the position after its last one when there may be more. */
export async function listUserEvents(
  q: Queryable,
  userId: string,
  page: { limit: number; after?: EventListPosition | undefined; filter?: EventListFilter },
): Promise<{ events: EventRecord[]; next: EventListPosition | null }> {
  const params: unknown[] = [userId, page.limit + 1];
  const where = ['user_id = $1'];
  const { states, from, to } = page.filter ?? {};
  if (states?.length) where.push(`state = any($${params.push([...states])}::text[])`);
  if (to) where.push(`start_at < $${params.push(to)}`);
  if (from) where.push(`(end_at > $${params.push(from)} or cardinality(recurrence) > 0)`);
  if (page.after) {
    const t = params.push(page.after.createdAtMicros.toString());
    const id = params.push(page.after.id);
    where.push(`(created_at, id) < (timestamptz 'epoch' + $${t}::bigint * interval '1 microsecond', $${id}::uuid)`);
  }
  const rows = await q.query(
    `select ${COLUMNS}, (extract(epoch from created_at) * 1000000)::bigint as created_at_micros
     from events where ${where.join(' and ')} order by created_at desc, id desc limit $2`,
    params,
  );
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    events: kept.map(map),
    next: more && last ? { createdAtMicros: BigInt(last.created_at_micros as bigint), id: last.id as string } : null,
  };
}

export async function userEventsInState(q: Queryable, userId: string, state: EventState): Promise<EventRecord[]> {
  const rows = await q.query(`select ${COLUMNS} from events where user_id = $1 and state = $2 order by created_at`, [userId, state]);
  return rows.map(map);
}

/** Changes the state and records the transition, in the caller's transaction. */
export async function setState(
  q: Queryable,
  id: string,
  from: EventState,
  to: EventState,
  reason: string,
  extra: { googleHtmlLink?: string; googleEventId?: string; failureReason?: string; onCalendar?: boolean } = {},
): Promise<void> {
  const rows = await q.query(
    `update events set state = $3, updated_at = now(), version = version + 1,
       google_html_link = coalesce($4, google_html_link), google_event_id = coalesce($5, google_event_id),
       failure_reason = coalesce($6, failure_reason),
       on_calendar_at = case when $7::boolean then coalesce(on_calendar_at, now()) else on_calendar_at end
     where id = $1 and state = $2 returning id`,
    [id, from, to, extra.googleHtmlLink ?? null, extra.googleEventId ?? null, extra.failureReason ?? null, extra.onCalendar === true],
  );
  if (rows.length !== 1) throw new Error(`event ${id} is no longer ${from}`);
  await recordEventTransition(q, id, from, to, reason);
}

/** The event is on the calendar, its state unchanged (authorize mode: the capture confirms it). */
/** The user's events whose money went back while their Google copy may still be there. */
export async function eventsAwaitingRemoval(q: Queryable, userId: string): Promise<EventRecord[]> {
  const rows = await q.query(
    `select ${COLUMNS} from events where user_id = $1 and on_calendar_at is not null and off_calendar_at is null
       and state in ('cancelled', 'failed', 'expired') order by created_at`,
    [userId],
  );
  return rows.map(map);
}

export async function markOffCalendar(q: Queryable, id: string): Promise<void> {
  await q.query(`update events set off_calendar_at = coalesce(off_calendar_at, now()) where id = $1`, [id]);
}

export async function markOnCalendar(q: Queryable, id: string, googleEventId: string, htmlLink: string | null): Promise<void> {
  await q.query(
    `update events set on_calendar_at = coalesce(on_calendar_at, now()), google_event_id = $2, google_html_link = coalesce($3, google_html_link),
       updated_at = now(), version = version + 1 where id = $1`,
    [id, googleEventId, htmlLink],
  );
}

/** A row of the events table (or a webhook snapshot of one, see webhooks.ts) as a record. */
export const eventFromRow = map;
