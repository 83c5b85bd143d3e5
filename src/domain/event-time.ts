/**
 * Event times: what the API accepts (an IANA zone plus local wall-clock start and end), what we
 * store (wall-clock, zone and UTC instants) and what Google Calendar receives (`start`/`end`).
 * Pure: no I/O, no clock, no environment. Zone rules come from the runtime's ICU data via luxon.
 *
 * Rules (the API docs quote them):
 * - `timeZone` is an IANA name such as `Europe/Zurich`; an unknown name is refused. A name that
 *   differs only in letter case is stored in its canonical spelling (`america/new_york` →
 *   `America/New_York`), and an alias as the zone it names (`US/Eastern` → `America/New_York`).
 *   Offsets (`+02:00`) are not zones and are refused.
 * - Timed events: `start` and `end` are local wall-clock times `YYYY-MM-DDTHH:mm` or
 *   `YYYY-MM-DDTHH:mm:ss`, without offset, read in `timeZone`.
 * - All-day events: `start` and `end` are dates `YYYY-MM-DD`; `end` is **exclusive**, as in Google
 *   Calendar: a one-day event on 2026-03-09 has `end` 2026-03-10. Their instants are the start of
 *   each day in `timeZone` (midnight, or the first valid minute if midnight falls in a DST gap).
 * - `end` must be after `start` (zero-length events are refused), and an event lasts at most
 *   {@link MAX_EVENT_DAYS} days: elapsed time for a timed event, dates for an all-day event.
 * - Years are limited to {@link MIN_YEAR}–{@link MAX_YEAR}, a sanity range.
 * - A local time that does not exist (it falls in a DST gap, e.g. 2026-03-08T02:30 in
 *   America/New_York) is refused, naming the gap.
 * - A local time that happens twice (DST overlap, e.g. 2026-11-01T01:30 in America/New_York) means
 *   its **first** occurrence, i.e. the earlier instant with the earlier (pre-transition) offset:
 *   2026-11-01T01:30 in America/New_York is 01:30 EDT (−04:00) = 05:30Z, not 01:30 EST.
 */
import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../errors.ts';

/** Longest event: 31 days (elapsed time for timed events, dates for all-day events). */
export const MAX_EVENT_DAYS = 31;
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

export type EventTimeField = 'timeZone' | 'allDay' | 'start' | 'end' | 'recurrence' | 'count';

export type EventTimeErrorCode =
  /** Unknown or malformed IANA zone name. */
  | 'invalid_time_zone'
  /** Not `YYYY-MM-DD` (all-day) or `YYYY-MM-DDTHH:mm[:ss]` (timed). */
  | 'invalid_format'
  /** Well-formed but not a calendar date or time, e.g. 2026-02-30 or 24:10. */
  | 'invalid_date'
  /** Year outside 1900–2999, or a count outside its limits. */
  | 'out_of_range'
  /** The local time falls in a DST gap of the zone. */
  | 'nonexistent_local_time'
  | 'end_not_after_start'
  /** Longer than MAX_EVENT_DAYS. */
  | 'too_long'
  /** A recurrence line that cannot be parsed, or a value out of its range. */
  | 'invalid_recurrence'
  /** A recurrence feature we (or Google) do not accept: DTSTART lines, sub-hourly rules, … */
  | 'unsupported_recurrence'
  /** More lines, longer lines, or a COUNT or INTERVAL over the limits. */
  | 'recurrence_too_large'
  /** A rule too costly to expand (too many BYxxx values for its frequency). */
  | 'recurrence_too_complex'
  /** The recurrence excludes every occurrence, so the event would never happen. */
  | 'no_occurrences'
  /** The event (its first occurrence) is already over or under way: nobody should pay for it. */
  | 'start_in_past';

/**
 * A refused event time. It is an `invalid_request` AppError, so the HTTP error handler answers it
 * as a 400 problem with `code` and `errors: [{ path, message, code }]`; `path` is the field's JSON
 * pointer without the leading slash (`start`, `recurrence/2`). Use {@link withPathPrefix} to say
 * where the fields came from (`body`, `querystring`), as the schema validation errors do.
 */
export class EventTimeError extends AppError {
  constructor(
    readonly field: EventTimeField,
    override readonly code: EventTimeErrorCode,
    message: string,
    /** JSON pointer of the offending value inside the event input, e.g. `/recurrence/2`. */
    readonly pointer: string = `/${field}`,
    pathPrefix = '',
  ) {
    super('invalid_request', message, {
      code,
      details: { errors: [{ path: `${pathPrefix}${pointer}`.replace(/^\//, ''), message, code }] },
    });
    this.name = 'EventTimeError';
  }

  /** The same error with `errors[0].path` prefixed, e.g. `withPathPrefix('body')` → `body/start`. */
  withPathPrefix(prefix: string): EventTimeError {
    return new EventTimeError(this.field, this.code, this.message, this.pointer, prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// Time zones

/**
 * Validates an IANA zone name and returns its canonical spelling: letter case fixed, an alias
 * replaced by the zone it names (`us/eastern` → `America/New_York`). Throws
 * {@link EventTimeError} `invalid_time_zone` for anything else.
 */
export function validateTimeZone(name: string, field: EventTimeField = 'timeZone', pointer?: string): string {
  // Intl also accepts offsets such as "+05:00" on newer runtimes; Google does not.
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name) || !IANAZone.isValidZone(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name) : String(name);
    throw new EventTimeError(
      field,
      'invalid_time_zone',
      `${shown} is not a known IANA time zone name. Use a name such as "America/New_York" or "Europe/London".`,
      pointer,
    );
  }
  // ICU fixes the letter case and replaces an alias by the zone it names (US/Eastern, Etc/UTC),
  // so that one zone is stored one way. Its canonical ids are CLDR's, which keep some older
  // names (Asia/Kolkata → Asia/Calcutta); Google Calendar accepts both.
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

// ---------------------------------------------------------------------------------------------
// Wall-clock values

/** Local calendar fields, without zone. `hour`…`second` are 0 for a date. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Parses a wall-clock string: a date `YYYY-MM-DD` when `allDay`, else `YYYY-MM-DDTHH:mm[:ss]`
 * without offset. Checks that it is a real calendar date and time within the year range.
 */
export function parseWallClock(value: string, allDay: boolean, field: EventTimeField = 'start', pointer?: string): WallClock {
  const m = typeof value === 'string' ? (allDay ? DATE_RE : DATE_TIME_RE).exec(value) : null;
  if (!m) {
    const expected = allDay
      ? 'a date YYYY-MM-DD (all-day event)'
      : 'a local date and time YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss, without offset';
    throw new EventTimeError(field, 'invalid_format', `${field} must be ${expected}; got ${JSON.stringify(value)}.`, pointer);
  }
  const n = (i: number) => Number(m[i] ?? 0);
  const wall: WallClock = { year: n(1), month: n(2), day: n(3), hour: n(4), minute: n(5), second: n(6) };
  const { year } = wall;
  if (!isRealWallClock(wall)) {
    throw new EventTimeError(field, 'invalid_date', `${field} ${JSON.stringify(value)} is not a valid calendar ${allDay ? 'date' : 'date and time'}.`, pointer);
  }
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new EventTimeError(field, 'out_of_range', `${field} must be between the years ${MIN_YEAR} and ${MAX_YEAR}; got ${value}.`, pointer);
  }
  return wall;
}

/** True if the fields name a real date (2026-02-30 is not) and time (no 24:00, no leap second). */
export function isRealWallClock(w: WallClock): boolean {
  if (w.hour > 23 || w.minute > 59 || w.second > 59) return false;
  const d = new Date(wallToFloatingMs(w));
  return d.getUTCFullYear() === w.year && d.getUTCMonth() + 1 === w.month && d.getUTCDate() === w.day;
}

/**
 * "Floating" milliseconds: the wall-clock read as if it were UTC. Lets wall-clock values be
 * compared and sorted, and is how rrule is fed (see recurrence.ts).
 */
export function wallToFloatingMs(w: WallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day); // unlike Date.UTC, keeps years 0–99 as given
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

export function floatingMsToWall(ms: number): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD`. */
export function formatDate(w: WallClock): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** `YYYY-MM-DDTHH:mm:ss`, the form Google's `dateTime` takes together with `timeZone`. */
export function formatWallClock(w: WallClock): string {
  return `${formatDate(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

// ---------------------------------------------------------------------------------------------
// Wall-clock → instant

/** A DST gap: local times from `from` (inclusive) to `to` (exclusive) do not exist that day. */
export interface DstGap {
  /** Local `HH:mm` at which clocks jump, e.g. `02:00`. */
  from: string;
  /** Local `HH:mm` they jump to, e.g. `03:00`. */
  to: string;
  /** Length of the gap in minutes (usually 60). */
  minutes: number;
}

export type ResolvedLocalTime =
  | { status: 'exact'; instant: Date; offsetMinutes: number }
  /** Happens twice; `instant` is the earlier, `laterInstant` the other. */
  | { status: 'ambiguous'; instant: Date; offsetMinutes: number; laterInstant: Date }
  /** Does not exist; `instant` is the wall-clock moved forward by the gap length (RFC 5545). */
  | { status: 'nonexistent'; instant: Date; offsetMinutes: number; gap: DstGap };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;

/**
 * Maps a local wall-clock time in `zone` (a validated IANA name) to an instant.
 * - exact: the one instant.
 * - ambiguous (DST overlap): the **earlier** instant, i.e. the first time the clock shows it, with
 *   the pre-transition offset (2026-11-01T01:30 in America/New_York → 05:30Z, −04:00).
 * - nonexistent (DST gap): moved forward by the length of the gap, as RFC 5545 §3.3.5 says for
 *   recurrence instances (2026-03-08T02:30 in America/New_York → 03:30 −04:00); the gap is
 *   described so callers that refuse such times can say why.
 *
 * luxon alone resolves an overlap to the *later* offset, hence this function.
 */
export function resolveLocalTime(wall: WallClock, zone: string): ResolvedLocalTime {
  const z = IANAZone.create(zone);
  const local = wallToFloatingMs(wall);
  // Offsets in force a day and a half either side; zones change offset at most once in that span.
  const before = z.offset(local - 36 * HOUR);
  const after = z.offset(local + 36 * HOUR);
  const candidates = [...new Set([before, after])]
    .map((offset) => local - offset * MINUTE)
    .filter((t) => t + z.offset(t) * MINUTE === local)
    .sort((a, b) => a - b);
  const [first, second] = candidates;
  if (first !== undefined) {
    const offsetMinutes = z.offset(first);
    if (second !== undefined && second !== first) {
      return { status: 'ambiguous', instant: new Date(first), offsetMinutes, laterInstant: new Date(second) };
    }
    return { status: 'exact', instant: new Date(first), offsetMinutes };
  }
  // Gap: read with the offset before the transition, the time lands after it, shifted by the gap.
  const shifted = local - before * MINUTE;
  // Binary search, to the minute, for the transition between a time before it and one after it.
  let lo = Math.floor((local - after * MINUTE) / MINUTE) * MINUTE;
  let hi = Math.ceil(shifted / MINUTE) * MINUTE;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.max(1, Math.floor((hi - lo) / 2 / MINUTE)) * MINUTE;
    if (z.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  const transition = hi;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const gap: DstGap = {
    from: hhmm(transition + before * MINUTE),
    to: hhmm(transition + after * MINUTE),
    minutes: after - before,
  };
  return { status: 'nonexistent', instant: new Date(shifted), offsetMinutes: z.offset(shifted), gap };
}

/** The instant at which the local date begins in `zone` (midnight, or the end of a gap at midnight). */
export function startOfLocalDay(wall: WallClock, zone: string): Date {
  return resolveLocalTime({ ...wall, hour: 0, minute: 0, second: 0 }, zone).instant;
}

/** `2026-03-09T09:00:00-04:00`: the instant with the zone's offset at that instant. */
export function isoWithOffset(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISO({ suppressMilliseconds: true }) ?? instant.toISOString();
}

/** `2026-03-09T13:00:00Z`. */
export function isoUtc(instant: Date): string {
  return instant.toISOString().replace(/\.000Z$/, 'Z');
}

/** The wall-clock an instant shows in `zone`. */
export function wallClockAt(instant: Date, zone: string): WallClock {
  const d = DateTime.fromJSDate(instant, { zone });
  return { year: d.year, month: d.month, day: d.day, hour: d.hour, minute: d.minute, second: d.second };
}

// ---------------------------------------------------------------------------------------------
// Event times

export interface EventTimeInput {
  /** IANA zone name, e.g. `America/New_York`. */
  timeZone: string;
  allDay: boolean;
  /** `YYYY-MM-DDTHH:mm[:ss]` (timed) or `YYYY-MM-DD` (all-day). */
  start: string;
  /** Same form as `start`; exclusive date for all-day events. */
  end: string;
}

/** Google Calendar `EventDateTime`: without offset, the zone says how to read `dateTime`. */
export type GoogleEventDateTime =
  | { dateTime: string; timeZone: string }
  | { date: string; timeZone?: string };

/** A validated, normalized event time: what we store and what Google receives. */
export interface EventTime {
  /** Canonical IANA zone name. */
  timeZone: string;
  allDay: boolean;
  /** `YYYY-MM-DDTHH:mm:ss` (timed) or `YYYY-MM-DD` (all-day). */
  start: string;
  /** `YYYY-MM-DDTHH:mm:ss` (timed) or the exclusive end date `YYYY-MM-DD` (all-day). */
  end: string;
  /** The start instant; for all-day events the start of the first day in `timeZone`. */
  startUtc: Date;
  /** The end instant; for all-day events the start of the (exclusive) end day in `timeZone`. */
  endUtc: Date;
  /** `start`/`end` for Calendar v3 `events.insert`. */
  google: { start: GoogleEventDateTime; end: GoogleEventDateTime };
}

/**
 * A booking lies ahead: a timed event (or a series' first occurrence) must not have started by
 * `now`; an all-day event may still be booked on its own day, until that day ends. `now` is a
 * parameter so that the domain keeps no clock.
 */
export function assertBookable(time: Pick<EventTime, 'allDay' | 'start' | 'startUtc' | 'endUtc' | 'timeZone'>, now: Date): void {
  const over = time.allDay ? time.endUtc.getTime() <= now.getTime() : time.startUtc.getTime() < now.getTime();
  if (over) {
    throw new EventTimeError(
      'start',
      'start_in_past',
      time.allDay
        ? `${time.start} is over in ${time.timeZone}: choose a day that has not ended.`
        : `start (${time.start} in ${time.timeZone}) is in the past: choose a time that has not begun.`,
    );
  }
}

/**
 * Validates and normalizes an event's times. Throws {@link EventTimeError} (field `timeZone`,
 * `start` or `end`) for an unknown zone, a malformed or impossible value, a local time in a DST
 * gap, an end not after the start, or an event longer than {@link MAX_EVENT_DAYS} days. An
 * ambiguous local time (DST overlap) is read as its earlier occurrence (see {@link resolveLocalTime}).
 *
 * @example
 * normalizeEventTime({ timeZone: 'America/New_York', allDay: false, start: '2026-03-09T09:00', end: '2026-03-09T10:00' })
 * // → { start: '2026-03-09T09:00:00', startUtc: 2026-03-09T13:00:00Z, google: { start: { dateTime: '2026-03-09T09:00:00', timeZone: 'America/New_York' }, … } }
 */
export function normalizeEventTime(input: EventTimeInput): EventTime {
  const timeZone = validateTimeZone(input.timeZone);
  if (typeof input.allDay !== 'boolean') {
    throw new EventTimeError('allDay', 'invalid_format', 'allDay must be true or false.');
  }
  const { allDay } = input;
  const start = parseWallClock(input.start, allDay, 'start');
  const end = parseWallClock(input.end, allDay, 'end');

  if (allDay) {
    const days = Math.round((wallToFloatingMs(end) - wallToFloatingMs(start)) / DAY_MS);
    if (days <= 0) {
      throw new EventTimeError(
        'end',
        'end_not_after_start',
        `end must be after start; for an all-day event end is the day after the last day (exclusive), e.g. start ${input.start} and end ${formatDate(floatingMsToWall(wallToFloatingMs(start) + DAY_MS))} for one day.`,
      );
    }
    if (days > MAX_EVENT_DAYS) {
      throw new EventTimeError('end', 'too_long', `An event may last at most ${MAX_EVENT_DAYS} days; this one lasts ${days} days.`);
    }
    const s = formatDate(start);
    const e = formatDate(end);
    return {
      timeZone,
      allDay,
      start: s,
      end: e,
      startUtc: startOfLocalDay(start, timeZone),
      endUtc: startOfLocalDay(end, timeZone),
      google: { start: { date: s }, end: { date: e } },
    };
  }

  const startUtc = existingInstant(start, input.start, timeZone, 'start');
  const endUtc = existingInstant(end, input.end, timeZone, 'end');
  const elapsed = endUtc.getTime() - startUtc.getTime();
  if (elapsed <= 0) {
    throw new EventTimeError('end', 'end_not_after_start', `end (${input.end}) must be after start (${input.start}) in ${timeZone}.`);
  }
  if (elapsed > MAX_EVENT_DAYS * DAY_MS) {
    throw new EventTimeError('end', 'too_long', `An event may last at most ${MAX_EVENT_DAYS} days; this one lasts ${(elapsed / DAY_MS).toFixed(1)} days.`);
  }
  const s = formatWallClock(start);
  const e = formatWallClock(end);
  return {
    timeZone,
    allDay,
    start: s,
    end: e,
    startUtc,
    endUtc,
    google: { start: { dateTime: s, timeZone }, end: { dateTime: e, timeZone } },
  };
}

/** The instant of a local time, refusing one in a DST gap; an ambiguous one takes the earlier. */
export function existingInstant(wall: WallClock, shown: string, zone: string, field: EventTimeField, pointer?: string): Date {
  const r = resolveLocalTime(wall, zone);
  if (r.status === 'nonexistent') {
    throw new EventTimeError(
      field,
      'nonexistent_local_time',
      `${shown} does not exist in ${zone}: clocks jump from ${r.gap.from} to ${r.gap.to} on that day. Pick a time outside the gap.`,
      pointer,
    );
  }
  return r.instant;
}
