import { DateTime, IANAZone } from 'luxon';
import rrule from 'rrule';

/**
 * Recurrence expansion as Google does it: RRULE / EXRULE / RDATE / EXDATE lines (no DTSTART)
 * expanded in the event's own time zone, so a 10:00 series stays at 10:00 local across DST changes.
 *
 * rrule works on "floating" times here: local wall-clock fields stored in a Date's UTC fields.
 * Each occurrence is turned back into a real instant in the event's zone afterwards.
 */

const { RRule, RRuleSet } = rrule;
type RRuleSetT = InstanceType<typeof RRuleSet>;

export class RecurrenceError extends Error {}

/** Series expansion never goes past this many occurrences or years (Google caps too). */
const MAX_OCCURRENCES = 2500;
const HORIZON_YEARS = 5;

export function toFloating(dt: DateTime): Date {
  return new Date(Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second));
}

export function fromFloating(d: Date, zone: string): DateTime {
  return DateTime.fromObject(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    },
    { zone },
  );
}

export interface SeriesStart {
  /** The first occurrence's start, in the series' zone. */
  start: DateTime;
  allDay: boolean;
  zone: string;
}

const DATE_TIME_VALUE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/;

/** One RDATE/EXDATE/UNTIL value → floating time in the series' zone. */
function valueToFloating(value: string, tzid: string | null, series: SeriesStart, endOfDay = false): Date {
  const m = DATE_TIME_VALUE.exec(value.trim());
  if (!m) throw new RecurrenceError(`Invalid recurrence date: ${value}`);
  const [, y, mo, d, h, mi, s, z] = m;
  const date = { year: Number(y), month: Number(mo), day: Number(d) };
  if (h === undefined) {
    // A bare date: the series' own time of day (UNTIL: the whole day).
    const time = endOfDay ? { hour: 23, minute: 59, second: 59 } : { hour: series.start.hour, minute: series.start.minute, second: series.start.second };
    return new Date(Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute, time.second));
  }
  const fields = { ...date, hour: Number(h), minute: Number(mi), second: Number(s) };
  if (z === 'Z') return toFloating(DateTime.fromObject(fields, { zone: 'UTC' }).setZone(series.zone));
  if (tzid) {
    if (!IANAZone.isValidZone(tzid)) throw new RecurrenceError(`Invalid time zone: ${tzid}`);
    return toFloating(DateTime.fromObject(fields, { zone: tzid }).setZone(series.zone));
  }
  return new Date(Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second));
}

function parseRule(value: string, series: SeriesStart, dtstart: Date) {
  let options;
  try {
    options = RRule.parseString(value);
  } catch (err) {
    throw new RecurrenceError((err as Error).message);
  }
  if (options.freq === undefined) throw new RecurrenceError('FREQ is required');
  if (options.count !== undefined && options.count !== null && !Number.isInteger(options.count)) throw new RecurrenceError('Invalid COUNT');
  if (options.dtstart || options.tzid) throw new RecurrenceError('DTSTART and TZID are not allowed in RRULE');
  const until = /(?:^|;)UNTIL=([0-9TZ]+)/i.exec(value)?.[1];
  return new RRule({
    ...options,
    dtstart,
    tzid: null,
    until: until ? valueToFloating(until.toUpperCase(), null, series, true) : null,
  });
}

/** Parses the recurrence lines of an event (throws RecurrenceError on anything Google refuses). */
export function buildRuleSet(lines: readonly string[], series: SeriesStart): RRuleSetT {
  const dtstart = toFloating(series.start);
  const set = new RRuleSet();
  let hasRule = false;
  for (const raw of lines) {
    if (typeof raw !== 'string') throw new RecurrenceError('Recurrence lines must be strings');
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (colon < 0) throw new RecurrenceError(`Invalid recurrence line: ${line}`);
    const [name = '', ...params] = line.slice(0, colon).split(';');
    const value = line.slice(colon + 1);
    const param = (k: string) => params.find((p) => p.toUpperCase().startsWith(`${k}=`))?.slice(k.length + 1) ?? null;
    switch (name.toUpperCase()) {
      case 'RRULE':
        set.rrule(parseRule(value, series, dtstart));
        hasRule = true;
        break;
      case 'EXRULE':
        set.exrule(parseRule(value, series, dtstart));
        break;
      case 'RDATE':
      case 'EXDATE': {
        if ((param('VALUE') ?? '').toUpperCase() === 'PERIOD') throw new RecurrenceError('PERIOD values are not supported');
        const dates = value.split(',').map((v) => valueToFloating(v, param('TZID'), series));
        for (const d of dates) (name.toUpperCase() === 'RDATE' ? set.rdate(d) : set.exdate(d));
        hasRule = hasRule || name.toUpperCase() === 'RDATE';
        break;
      }
      default:
        // DTSTART, DTEND and anything else are refused.
        throw new RecurrenceError(`Unsupported recurrence line: ${name}`);
    }
  }
  if (!hasRule) throw new RecurrenceError('No RRULE or RDATE');
  // RDATEs may precede DTSTART; the first instance is always DTSTART itself (RFC 5545).
  set.rdate(dtstart);
  return set;
}

/**
 * Original start times (in the series' zone) of the occurrences whose start is within
 * [fromMs − maxDurationMs, toMs), generously bounded; the caller filters exactly.
 */
export function expandStarts(set: RRuleSetT, series: SeriesStart, window: { fromMs?: number; toMs?: number; durationMs: number }): DateTime[] {
  const first = toFloating(series.start);
  const after =
    window.fromMs !== undefined ? toFloating(DateTime.fromMillis(window.fromMs - window.durationMs, { zone: series.zone }).minus({ days: 2 })) : first;
  const lower = after < first ? first : after;
  const before =
    window.toMs !== undefined
      ? toFloating(DateTime.fromMillis(window.toMs, { zone: series.zone }).plus({ days: 2 }))
      : toFloating(fromFloating(lower, 'UTC').plus({ years: HORIZON_YEARS }));
  const out: DateTime[] = [];
  set.between(lower, before, true, (_d, len) => len < MAX_OCCURRENCES).forEach((d) => out.push(fromFloating(d, series.zone)));
  return out;
}

/** Instance id suffix: UTC basic format for timed events, the date for all-day ones. */
export function instanceStamp(originalStart: DateTime, allDay: boolean): string {
  return allDay ? originalStart.toFormat('yyyyMMdd') : originalStart.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
}
