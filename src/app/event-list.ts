import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import { listUserEvents, type EventListFilter, type EventListPosition, type EventRecord } from '../db/repos/events.ts';
import type { EventState } from '../domain/event-state.ts';
import { occurrencesBetween, type OccurrenceSpan } from '../domain/recurrence.ts';
import { AppError } from '../errors.ts';

export type { EventRecord } from '../db/repos/events.ts';

/**
 * A user's events, newest first, a page at a time. The cursor is opaque to clients: a position in
 * a stable order (creation instant, then id), so pages neither skip nor repeat events, even when
 * new ones arrive between two requests. It also carries a digest of the filter it was made for:
 * a position only means something within the list it came from, so a cursor sent with other
 * filters is refused rather than silently paging through a different list.
 */

export const EVENT_PAGE = { defaultLimit: 50, maxLimit: 100 } as const;

export interface EventPageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
  /** Only events in one of these states; absent or empty: every state. */
  states?: readonly EventState[] | undefined;
  /** Only events that may happen within [from, to) (see {@link EventListFilter}). */
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface EventPage {
  /** With both `from` and `to`: each event's occurrences within [from, to). */
  events: (EventRecord & { occurrences?: OccurrenceSpan[] })[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The digest of a list's filter that its cursors carry: the same filter, written in any order or
 * form (`state=paid,confirmed` or `confirmed,paid`), gives the same digest.
 */
export function filterDigest(filter: Record<string, string | readonly string[] | Date | undefined>): string {
  const canonical = Object.keys(filter)
    .sort()
    .flatMap((k) => {
      const v = filter[k];
      if (v === undefined || (Array.isArray(v) && v.length === 0)) return [];
      return [[k, v instanceof Date ? v.toISOString() : Array.isArray(v) ? [...new Set(v)].sort() : v]];
    });
  // No filter, no digest: the cursors of the unfiltered list stay as they were.
  if (canonical.length === 0) return '';
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

export function encodeCursor(p: EventListPosition, filter = ''): string {
  return Buffer.from(JSON.stringify({ t: p.createdAtMicros.toString(), id: p.id, ...(filter ? { f: filter } : {}) })).toString('base64url');
}

const cursorError = (message: string, detail: string) =>
  new AppError('invalid_request', detail, {
    code: 'validation_failed',
    details: { errors: [{ path: 'querystring/cursor', message, code: 'invalid_format' }] },
  });

/** The position a cursor holds; refused when it is not one this API gave out for `filter`. */
export function decodeCursor(cursor: string, filter = ''): EventListPosition {
  const refuse = () => cursorError('unknown cursor', 'The cursor is not one this API gave out: pass the nextCursor of the previous page unchanged.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const { t, id, f = '' } = (parsed ?? {}) as { t?: unknown; id?: unknown; f?: unknown };
  if (typeof t !== 'string' || !/^-?\d{1,19}$/.test(t) || typeof id !== 'string' || !UUID.test(id) || typeof f !== 'string') throw refuse();
  if (f !== filter) {
    throw cursorError(
      'cursor of another filter',
      'The cursor was given out for other filters: send the same filters with every page, or start again without a cursor.',
    );
  }
  return { createdAtMicros: BigInt(t), id };
}

export async function listEventPage(q: Queryable, userId: string, req: EventPageRequest): Promise<EventPage> {
  const limit = Math.min(Math.max(req.limit ?? EVENT_PAGE.defaultLimit, 1), EVENT_PAGE.maxLimit);
  const filter: EventListFilter = { states: req.states?.length ? [...new Set(req.states)] : undefined, from: req.from, to: req.to };
  if (filter.from && filter.to && !(filter.from < filter.to)) {
    throw new AppError('invalid_request', 'from must be before to.', {
      code: 'validation_failed',
      details: { errors: [{ path: 'querystring/to', message: 'must be after from', code: 'out_of_range' }] },
    });
  }
  const digest = filterDigest({ state: filter.states, from: filter.from, to: filter.to });
  const after = req.cursor === undefined ? undefined : decodeCursor(req.cursor, digest);
  const { events, next } = await listUserEvents(q, userId, { limit, after, filter });
  const { from, to } = filter;
  return {
    events: from && to ? events.map((e) => ({ ...e, occurrences: occurrencesIn(e, from, to) })) : events,
    nextCursor: next ? encodeCursor(next, digest) : null,
  };
}

/** The event's occurrences within [from, to): for a calendar showing that range. */
function occurrencesIn(e: EventRecord, from: Date, to: Date): OccurrenceSpan[] {
  try {
    return occurrencesBetween({ timeZone: e.timeZone, allDay: e.allDay, start: e.startLocal, end: e.endLocal, recurrence: e.recurrence }, from, to);
  } catch {
    // Stored times that no longer read as valid (a time-zone rule changed since): the stored
    // instants of the first occurrence are still true.
    return e.startAt < to && e.endAt > from ? [{ start: e.startAt, end: e.endAt }] : [];
  }
}
