/**
 * Recurring events: validation of Google Calendar `recurrence` lines and their expansion into
 * occurrences, DST-correct, in the event's time zone. Pure: no I/O, no clock.
 *
 * Accepted lines (the API docs quote these rules):
 * - `RRULE:<rule>` — at most **one** per event (RFC 5545 discourages several; Google would take
 *   them, we keep one for clarity). A rule without COUNT or UNTIL (an endless series) is fine.
 * - `EXRULE:<rule>` — any number (deprecated by RFC 5545 but accepted by Google).
 * - `RDATE[;TZID=<zone>|;VALUE=DATE]:<value>[,<value>…]` and the same for `EXDATE`.
 *   Timed events take date-times: floating local `20260310T090000` (read in the event's zone),
 *   UTC `20260310T140000Z`, or local to another zone with `TZID=`. All-day events take dates
 *   (`EXDATE;VALUE=DATE:20260310`; a bare `20260310` is accepted and written with VALUE=DATE).
 *   `VALUE=PERIOD` is not supported.
 * - Refused: `DTSTART`/`DTEND` lines (Google refuses them: the start is the event's `start` and
 *   `timeZone`), any other property, parameters on RRULE/EXRULE, rule parts outside RFC 5545
 *   (rrule's `BYEASTER`, …), out-of-range values, COUNT together with UNTIL, the RFC 5545
 *   combinations that make no sense (BYWEEKNO outside YEARLY, BYMONTHDAY with WEEKLY, ordinal
 *   BYDAY such as `1MO` outside MONTHLY/YEARLY, BYSETPOS alone), and:
 * - **Frequencies below HOURLY** (`SECONDLY`, `MINUTELY`) and `BYSECOND`: a calendar booking that
 *   repeats every few seconds or minutes is a mistake. All-day events also refuse `HOURLY`,
 *   `BYHOUR` and `BYMINUTE`.
 * - Limits: at most {@link MAX_RECURRENCE_LINES} lines of at most
 *   {@link MAX_RECURRENCE_LINE_LENGTH} characters; COUNT and INTERVAL at most {@link MAX_RULE_NUMBER}.
 * Valid lines are normalized (names, parameters and rule parts upper-cased, zone names
 * canonical) and stored and sent in that form.
 *
 * Expansion (RFC 5545 semantics):
 * - Occurrences keep the start's **local wall-clock time** across DST changes: a weekly 09:00
 *   event in America/New_York is 09:00 −05:00 before the March change and 09:00 −04:00 after.
 *   The rule is expanded in floating local time (wall-clock treated as UTC, rrule `tzid` unset),
 *   then each local occurrence is placed in the zone.
 * - An occurrence that falls in a **DST gap moves forward by the gap length** (RFC 5545 §3.3.5):
 *   a daily 02:30 event in America/New_York happens at 03:30 −04:00 on 2026-03-08. One that
 *   falls in an **overlap takes the earlier offset** (its first occurrence), as event times do.
 * - The event's start is always the first occurrence, even if the RRULE does not match it, and
 *   it counts towards COUNT (RFC 5545 §3.3.10: "The DTSTART property value always counts as the
 *   first occurrence"), unless an EXDATE removes it. RFC 5545 calls a start outside the rule
 *   "undefined"; counting it is the safe reading for the free/busy check.
 * - UNTIL is inclusive. A UTC UNTIL (`…Z`) is converted to local time in the event's zone; a
 *   floating one is read there; a date-only UNTIL on a timed event includes that whole day.
 * - EXDATE and RDATE values in UTC or with TZID are converted to the event zone's wall-clock
 *   before matching. An EXDATE removes an occurrence when it matches its local wall-clock time or
 *   its instant (so both "09:00 New York" and "14:00Z" remove the 09:00 EST occurrence).
 * - Each occurrence lasts as long as the event: the same elapsed time for timed events (RFC 5545
 *   §3.8.5.3 for DTEND), the same number of days for all-day events, which expand by date.
 * - Work is bounded, because anyone may ask for a preview and the expansion runs on the request
 *   thread: repeated BYxxx values are dropped (`BYMONTH=2,2,2` is `BYMONTH=2`); a rule whose
 *   every period costs more than {@link MAX_PERIOD_COST} work units is refused
 *   (`recurrence_too_complex`); expansion stops {@link EXPANSION_HORIZON_YEARS} years after the
 *   start, after {@link MAX_SCANNED_OCCURRENCES} generated dates per rule, and when the
 *   expansion's {@link EXPANSION_WORK_BUDGET} (shared by its rules, counted inside rrule's loop)
 *   is spent. A pathological rule set (an EXRULE that removes everything, a rule that can never
 *   match such as FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) then yields fewer occurrences (only those
 *   known to be right) instead of keeping the CPU busy. The budget is counted in work, not time,
 *   so the same input always gives the same answer.
 */
import rrulePkg from 'rrule';
import type { Options as RRuleOptions, RRule as RRuleType } from 'rrule';
import {
  DAY_MS,
  EventTimeError,
  type EventTime,
  type EventTimeInput,
  type WallClock,
  existingInstant,
  floatingMsToWall,
  formatDate,
  isoUtc,
  isoWithOffset,
  isRealWallClock,
  MAX_YEAR,
  MIN_YEAR,
  normalizeEventTime,
  parseWallClock,
  resolveLocalTime,
  startOfLocalDay,
  validateTimeZone,
  wallClockAt,
  wallToFloatingMs,
} from './event-time.ts';

// rrule ships CommonJS for Node (its ESM build has no `exports` map), hence the default import.
const { RRule } = rrulePkg;

export const MAX_RECURRENCE_LINES = 10;
export const MAX_RECURRENCE_LINE_LENGTH = 1000;
/** Largest COUNT or INTERVAL accepted in a rule. */
export const MAX_RULE_NUMBER = 10_000;
/** Most occurrences `previewOccurrences` returns. */
export const MAX_PREVIEW_COUNT = 100;
/** Most occurrences `firstOccurrences` returns. */
export const MAX_FIRST_OCCURRENCES = 1000;
export const EXPANSION_HORIZON_YEARS = 200;
/** Most dates one rule generates during an expansion. */
export const MAX_SCANNED_OCCURRENCES = 10_000;
/**
 * Most work units (see {@link costPerPeriod}; about a nanosecond each on a 2020s server core) one
 * rule may cost per period of its frequency; a rule above it is refused as
 * `recurrence_too_complex`. 5 ms per period leaves every calendar-like rule well inside.
 */
export const MAX_PERIOD_COST = 5_000_000;
/**
 * Work units one expansion (all its rules together) may spend, about 20 ms of CPU, so that no
 * request waits long and nothing else stalls behind it. When it runs out the expansion keeps only
 * the occurrences it knows to be right.
 */
export const EXPANSION_WORK_BUDGET = 20_000_000;

type Freq = RecurrenceRule['freq'];
/** Days rrule lays out, and tests against every BYxxx value, in one period of each frequency. */
const DAYS_PER_PERIOD: Record<Freq, number> = { YEARLY: 366, MONTHLY: 31, WEEKLY: 7, DAILY: 1, HOURLY: 1 };
/** The shortest length of one period, to know how far a series stopped mid-way is complete. */
const MIN_PERIOD_MS: Record<Freq, number> = { YEARLY: 365 * DAY_MS, MONTHLY: 28 * DAY_MS, WEEKLY: 7 * DAY_MS, DAILY: DAY_MS, HOURLY: DAY_MS / 24 };
const PERIOD_NAMES: Record<Freq, string> = { YEARLY: 'year', MONTHLY: 'month', WEEKLY: 'week', DAILY: 'day', HOURLY: 'hour' };
/** rrule's fixed cost of a period (rebuilding its masks, moving the counter), in work units. */
const PERIOD_OVERHEAD = 10_000;
/** Laying out and filtering one day, without the BYxxx comparisons. */
const DAY_COST = 400;
/** rrule making one date (a Date, its zone wrapper) and our callback taking it. */
const DATE_COST = 1_500;

/**
 * The work rrule does for one period of a rule, in units of about a nanosecond (measured with
 * rules that never match): it tests every day of the period against each BYxxx value, combines
 * the days left with each time of day into dates, and for BYSETPOS walks the days again for each
 * position. Counting every day as kept makes it an upper bound.
 */
function costPerPeriod(freq: Freq, parts: ReadonlyMap<string, string>): number {
  const n = (key: string) => (parts.has(key) ? list(parts.get(key)!).length : 0);
  const days = DAYS_PER_PERIOD[freq];
  const filters = n('BYMONTH') + n('BYWEEKNO') + n('BYDAY') + n('BYMONTHDAY') + n('BYYEARDAY');
  const times = freq === 'HOURLY' ? Math.max(1, n('BYMINUTE')) : Math.max(1, n('BYHOUR')) * Math.max(1, n('BYMINUTE'));
  return PERIOD_OVERHEAD + days * (DAY_COST + 5 * filters) + days * times * 50 + n('BYSETPOS') * (days + times) * 5;
}

// ---------------------------------------------------------------------------------------------
// Parsed form

/** A date or date-time value of an RDATE, EXDATE or UNTIL. */
export type RecurrenceDateValue =
  | { kind: 'date'; wall: WallClock }
  | { kind: 'floating'; wall: WallClock }
  | { kind: 'utc'; instant: Date }
  | { kind: 'zoned'; wall: WallClock; zone: string };

export interface RecurrenceRule {
  /** `FREQ`, upper-case. */
  freq: 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  count?: number;
  until?: RecurrenceDateValue;
  /** rrule options from the validated rule, without dtstart, until and count. */
  options: Partial<RRuleOptions>;
  /** Work units rrule spends on one period of the rule (see {@link costPerPeriod}). */
  periodCost: number;
}

/** Validated recurrence lines of one event. */
export interface Recurrence {
  /** The lines in normalized form, to store and to send to Google. */
  lines: string[];
  rrule?: RecurrenceRule;
  exrules: RecurrenceRule[];
  rdates: RecurrenceDateValue[];
  exdates: RecurrenceDateValue[];
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

const LINE_RE = /^([A-Za-z][A-Za-z0-9-]*)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^;:"]*))*):(.*)$/;
const PARAM_RE = /;([A-Za-z0-9-]+)=("[^"]*"|[^;:"]*)/g;
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

class LineError extends Error {
  constructor(
    readonly code: 'invalid_recurrence' | 'unsupported_recurrence' | 'recurrence_too_large' | 'recurrence_too_complex',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Validates and normalizes an event's recurrence lines. `allDay` selects which values and rule
 * parts are allowed (see the module comment). Throws {@link EventTimeError} with field
 * `recurrence` and a pointer to the offending line (`/recurrence/2`).
 *
 * @example
 * parseRecurrence(['rrule:freq=weekly;byday=mo', 'EXDATE;TZID=America/New_York:20260316T090000'], { allDay: false }).lines
 * // → ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXDATE;TZID=America/New_York:20260316T090000']
 */
export function parseRecurrence(lines: readonly string[], opts: { allDay: boolean }): Recurrence {
  if (!Array.isArray(lines)) {
    throw new EventTimeError('recurrence', 'invalid_recurrence', 'recurrence must be a list of lines such as "RRULE:FREQ=WEEKLY".');
  }
  if (lines.length > MAX_RECURRENCE_LINES) {
    throw new EventTimeError(
      'recurrence',
      'recurrence_too_large',
      `recurrence may have at most ${MAX_RECURRENCE_LINES} lines; got ${lines.length}.`,
    );
  }
  const out: Recurrence = { lines: [], exrules: [], rdates: [], exdates: [] };
  lines.forEach((raw, i) => {
    const pointer = `/recurrence/${i}`;
    if (typeof raw !== 'string' || raw.trim() === '') {
      throw new EventTimeError('recurrence', 'invalid_recurrence', `recurrence[${i}] must be a non-empty line such as "RRULE:FREQ=WEEKLY".`, pointer);
    }
    if (raw.length > MAX_RECURRENCE_LINE_LENGTH) {
      throw new EventTimeError(
        'recurrence',
        'recurrence_too_large',
        `recurrence[${i}] is ${raw.length} characters long; the limit is ${MAX_RECURRENCE_LINE_LENGTH}.`,
        pointer,
      );
    }
    const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
    try {
      const line = parseLine(raw.trim(), opts.allDay);
      if ('rule' in line) {
        if (line.name === 'EXRULE') out.exrules.push(line.rule);
        else if (out.rrule) throw new LineError('unsupported_recurrence', 'only one RRULE line is allowed per event; combine the rules or create two events.');
        else out.rrule = line.rule;
      } else if (line.name === 'RDATE') out.rdates.push(...line.values);
      else out.exdates.push(...line.values);
      out.lines.push(line.normalized);
    } catch (err) {
      if (err instanceof LineError) {
        throw new EventTimeError('recurrence', err.code, `recurrence[${i}] ${shown}: ${err.message}`, pointer);
      }
      throw err;
    }
  });
  return out;
}

type ParsedLine =
  | { name: 'RRULE' | 'EXRULE'; rule: RecurrenceRule; normalized: string }
  | { name: 'RDATE' | 'EXDATE'; values: RecurrenceDateValue[]; normalized: string };

function parseLine(line: string, allDay: boolean): ParsedLine {
  const m = LINE_RE.exec(line);
  if (!m) {
    throw new LineError('invalid_recurrence', 'not a recurrence line; expected NAME[;PARAM=VALUE]:VALUE, e.g. "RRULE:FREQ=WEEKLY;BYDAY=MO".');
  }
  const name = m[1]!.toUpperCase();
  const paramText = m[2] ?? '';
  const value = m[3] ?? '';
  if (name === 'DTSTART' || name === 'DTEND') {
    throw new LineError('unsupported_recurrence', `${name} lines are not allowed: the series starts at the event's start, read in its timeZone.`);
  }
  if (name !== 'RRULE' && name !== 'EXRULE' && name !== 'RDATE' && name !== 'EXDATE') {
    throw new LineError('unsupported_recurrence', `unknown property ${name}; allowed are RRULE, EXRULE, RDATE and EXDATE.`);
  }
  const params = new Map<string, string>();
  for (const p of paramText.matchAll(PARAM_RE)) {
    const key = p[1]!.toUpperCase();
    if (params.has(key)) throw new LineError('invalid_recurrence', `parameter ${key} is given twice.`);
    params.set(key, p[2]!.replace(/^"(.*)"$/, '$1'));
  }
  if (name === 'RRULE' || name === 'EXRULE') {
    if (params.size > 0) throw new LineError('invalid_recurrence', `${name} takes no parameters; write "${name}:FREQ=…".`);
    const { rule, normalized } = parseRule(value, allDay);
    return { name, rule, normalized: `${name}:${normalized}` };
  }
  const { values, normalized } = parseDateList(name, params, value, allDay);
  return { name, values, normalized: `${name}${normalized}` };
}

type PartCheck = (v: string) => string | undefined;

const list = (v: string) => v.split(',');
const intList =
  (min: number, max: number, signed: boolean): PartCheck =>
  (v) => {
    for (const x of list(v)) {
      if (!/^[+-]?\d{1,3}$/.test(x)) return `"${x}" is not a number`;
      const n = Number(x);
      if (!signed && /^[+-]/.test(x)) return `"${x}" must be unsigned`;
      const abs = Math.abs(n);
      if (abs < min || abs > max || (signed && n === 0)) {
        return `${x} is out of range (${signed ? `±${min}–${max}` : `${min}–${max}`})`;
      }
    }
    return undefined;
  };

const RULE_PARTS: Record<string, PartCheck> = {
  FREQ: (v) => (/^(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)$/.test(v) ? undefined : `"${v}" is not a frequency (DAILY, WEEKLY, MONTHLY, YEARLY, HOURLY)`),
  UNTIL: (v) => (/^\d{8}(T\d{6}Z?)?$/.test(v) ? undefined : `"${v}" is not a date (20261231) or date-time (20261231T235959Z)`),
  COUNT: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? undefined : `must be a whole number from 1 to ${MAX_RULE_NUMBER}`),
  INTERVAL: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? undefined : `must be a whole number from 1 to ${MAX_RULE_NUMBER}`),
  BYSECOND: intList(0, 60, false),
  BYMINUTE: intList(0, 59, false),
  BYHOUR: intList(0, 23, false),
  BYDAY: (v) => {
    for (const x of list(v)) {
      const d = /^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(x);
      if (!d || (d[2] !== undefined && (Number(d[2]) < 1 || Number(d[2]) > 53))) {
        return `"${x}" is not a weekday (${WEEKDAYS.join(', ')}), optionally with an ordinal such as 1MO or -1FR`;
      }
      if (d[1] && d[2] === undefined) return `"${x}" has a sign without an ordinal`;
    }
    return undefined;
  },
  BYMONTHDAY: intList(1, 31, true),
  BYYEARDAY: intList(1, 366, true),
  BYWEEKNO: intList(1, 53, true),
  BYMONTH: intList(1, 12, false),
  BYSETPOS: intList(1, 366, true),
  WKST: (v) => (WEEKDAYS.includes(v) ? undefined : `"${v}" is not a weekday (${WEEKDAYS.join(', ')})`),
};

function parseRule(value: string, allDay: boolean): { rule: RecurrenceRule; normalized: string } {
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    const val = eq < 0 ? '' : part.slice(eq + 1).trim().toUpperCase();
    if (key === '' && eq < 0) throw new LineError('invalid_recurrence', 'empty rule part (two ";" in a row, or a trailing ";").');
    const check = RULE_PARTS[key];
    if (!check) throw new LineError('invalid_recurrence', `unknown rule part ${JSON.stringify(key)}; see RFC 5545 §3.3.10.`);
    if (parts.has(key)) throw new LineError('invalid_recurrence', `${key} is given twice.`);
    if (val === '') throw new LineError('invalid_recurrence', `${key} has no value.`);
    const problem = check(val);
    if (problem) throw new LineError('invalid_recurrence', `${key}: ${problem}.`);
    if ((key === 'COUNT' || key === 'INTERVAL') && Number(val) > MAX_RULE_NUMBER) {
      throw new LineError('recurrence_too_large', `${key}=${val} is over the limit of ${MAX_RULE_NUMBER}.`);
    }
    // Repeated values change nothing but rrule tests each one for every day it scans
    // (BYMONTH=2,2,2,… made one line cost seconds), so only distinct values are kept.
    parts.set(key, key.startsWith('BY') ? [...new Set(list(val))].join(',') : val);
  }
  const freq = parts.get('FREQ');
  if (!freq) throw new LineError('invalid_recurrence', 'FREQ is required, e.g. "FREQ=WEEKLY".');
  if (freq === 'SECONDLY' || freq === 'MINUTELY') {
    throw new LineError('unsupported_recurrence', `FREQ=${freq} is not supported; the shortest interval is HOURLY.`);
  }
  if (parts.has('BYSECOND')) throw new LineError('unsupported_recurrence', 'BYSECOND is not supported.');
  if (allDay && (freq === 'HOURLY' || parts.has('BYHOUR') || parts.has('BYMINUTE'))) {
    throw new LineError('unsupported_recurrence', 'an all-day event repeats by days: HOURLY, BYHOUR and BYMINUTE are not allowed.');
  }
  if (parts.has('COUNT') && parts.has('UNTIL')) throw new LineError('invalid_recurrence', 'COUNT and UNTIL cannot both be given.');
  if (parts.has('BYWEEKNO') && freq !== 'YEARLY') throw new LineError('invalid_recurrence', 'BYWEEKNO is only allowed with FREQ=YEARLY.');
  if (parts.has('BYYEARDAY') && ['DAILY', 'WEEKLY', 'MONTHLY'].includes(freq)) {
    throw new LineError('invalid_recurrence', `BYYEARDAY is not allowed with FREQ=${freq}.`);
  }
  if (parts.has('BYMONTHDAY') && freq === 'WEEKLY') throw new LineError('invalid_recurrence', 'BYMONTHDAY is not allowed with FREQ=WEEKLY.');
  const ordinalByDay = list(parts.get('BYDAY') ?? '').some((d) => /\d/.test(d));
  if (ordinalByDay && (!['MONTHLY', 'YEARLY'].includes(freq) || (freq === 'YEARLY' && parts.has('BYWEEKNO')))) {
    throw new LineError('invalid_recurrence', 'a BYDAY with an ordinal (such as 1MO) is only allowed with FREQ=MONTHLY or YEARLY (without BYWEEKNO).');
  }
  if (parts.has('BYSETPOS') && ![...parts.keys()].some((k) => k.startsWith('BY') && k !== 'BYSETPOS')) {
    throw new LineError('invalid_recurrence', 'BYSETPOS needs another BYxxx rule part to select from.');
  }

  let until: RecurrenceDateValue | undefined;
  const untilText = parts.get('UNTIL');
  if (untilText !== undefined) {
    until = parseDateValue(untilText, undefined);
    if (allDay && until.kind !== 'date' && until.kind !== 'utc') {
      throw new LineError('invalid_recurrence', 'UNTIL of an all-day event must be a date (20261231) or a UTC date-time.');
    }
  }
  const periodCost = costPerPeriod(freq as Freq, parts);
  if (periodCost > MAX_PERIOD_COST) {
    throw new LineError(
      'recurrence_too_complex',
      `this rule makes about ${periodCost} checks for every ${PERIOD_NAMES[freq as Freq]} (the limit is ${MAX_PERIOD_COST}); use fewer BYxxx values or a shorter FREQ.`,
    );
  }
  const normalized = [...parts].map(([k, v]) => `${k}=${v}`).join(';');
  const forRrule = [...parts].filter(([k]) => k !== 'UNTIL' && k !== 'COUNT').map(([k, v]) => `${k}=${v}`).join(';');
  const options = RRule.parseString(forRrule);
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : undefined;
  const rule: RecurrenceRule = { freq: freq as RecurrenceRule['freq'], options, periodCost };
  if (count !== undefined) rule.count = count;
  if (until !== undefined) rule.until = until;
  return { rule, normalized };
}

function parseDateList(
  name: 'RDATE' | 'EXDATE',
  params: Map<string, string>,
  value: string,
  allDay: boolean,
): { values: RecurrenceDateValue[]; normalized: string } {
  for (const key of params.keys()) {
    if (key !== 'TZID' && key !== 'VALUE') throw new LineError('unsupported_recurrence', `parameter ${key} is not supported; use TZID or VALUE.`);
  }
  const valueType = params.get('VALUE')?.toUpperCase();
  if (valueType === 'PERIOD') throw new LineError('unsupported_recurrence', `${name};VALUE=PERIOD is not supported; give start date-times.`);
  if (valueType !== undefined && valueType !== 'DATE' && valueType !== 'DATE-TIME') {
    throw new LineError('invalid_recurrence', `VALUE=${valueType} is not a value type; use DATE or DATE-TIME.`);
  }
  let zone: string | undefined;
  const tzid = params.get('TZID');
  if (tzid !== undefined) {
    try {
      zone = validateTimeZone(tzid, 'recurrence');
    } catch {
      throw new LineError('invalid_recurrence', `TZID ${JSON.stringify(tzid)} is not a known IANA time zone name.`);
    }
    if (valueType === 'DATE') throw new LineError('invalid_recurrence', 'TZID cannot be used with VALUE=DATE.');
  }
  const texts = value.toUpperCase().split(',');
  const values = texts.map((t) => {
    const v = parseDateValue(t, zone);
    if (valueType === 'DATE' && v.kind !== 'date') throw new LineError('invalid_recurrence', `"${t}" is not a date (VALUE=DATE expects 20260310).`);
    if (valueType === 'DATE-TIME' && v.kind === 'date') throw new LineError('invalid_recurrence', `"${t}" is not a date-time (20260310T090000).`);
    if (allDay && v.kind !== 'date') {
      throw new LineError('invalid_recurrence', `an all-day event takes dates: write ${name};VALUE=DATE:${t.slice(0, 8)}.`);
    }
    if (!allDay && v.kind === 'date') {
      throw new LineError('invalid_recurrence', `a timed event takes date-times, e.g. ${name};TZID=<zone>:${t}T090000 or ${name}:${t}T140000Z.`);
    }
    return v;
  });
  const head = allDay ? ';VALUE=DATE' : zone !== undefined ? `;TZID=${zone}` : '';
  return { values, normalized: `${head}:${texts.join(',')}` };
}

/** `20260310`, `20260310T090000`, `20260310T140000Z`; `zone` from a TZID parameter. */
function parseDateValue(text: string, zone: string | undefined): RecurrenceDateValue {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(text);
  if (!m) throw new LineError('invalid_recurrence', `"${text}" is not a date (20260310) or date-time (20260310T090000, 20260310T140000Z).`);
  const n = (i: number) => Number(m[i] ?? 0);
  const wall: WallClock = { year: n(1), month: n(2), day: n(3), hour: n(4), minute: n(5), second: n(6) };
  if (!isRealWallClock(wall)) throw new LineError('invalid_recurrence', `"${text}" is not a valid calendar date or time.`);
  if (wall.year < MIN_YEAR || wall.year > MAX_YEAR) {
    throw new LineError('invalid_recurrence', `"${text}" is outside the years ${MIN_YEAR}–${MAX_YEAR}.`);
  }
  if (m[4] === undefined) return { kind: 'date', wall };
  if (m[7] === 'Z') {
    if (zone !== undefined) throw new LineError('invalid_recurrence', `"${text}" is in UTC (Z) but the line has a TZID; use one or the other.`);
    return { kind: 'utc', instant: new Date(wallToFloatingMs(wall)) };
  }
  return zone === undefined ? { kind: 'floating', wall } : { kind: 'zoned', wall, zone };
}

// ---------------------------------------------------------------------------------------------
// Expansion

/** One occurrence: its local wall-clock (floating ms) and its instant. */
interface Occurrence {
  local: number;
  instant: Date;
}

interface SeriesStart {
  wall: WallClock;
  zone: string;
  allDay: boolean;
}

/** Local (floating ms) and, where known, the exact instant of an RDATE/EXDATE value. */
function placeValue(v: RecurrenceDateValue, s: SeriesStart): Occurrence {
  switch (v.kind) {
    case 'date':
    case 'floating':
      return placeLocal(wallToFloatingMs(v.wall), s);
    case 'utc':
      return { local: localOf(v.instant, s), instant: v.instant };
    case 'zoned': {
      const instant = resolveLocalTime(v.wall, v.zone).instant;
      return { local: localOf(instant, s), instant };
    }
  }
}

function localOf(instant: Date, s: SeriesStart): number {
  const wall = wallClockAt(instant, s.zone);
  return wallToFloatingMs(s.allDay ? { ...wall, hour: 0, minute: 0, second: 0 } : wall);
}

/** A local occurrence placed in the zone: gap → moved forward, overlap → earlier offset. */
function placeLocal(local: number, s: SeriesStart): Occurrence {
  const wall = floatingMsToWall(local);
  return { local, instant: s.allDay ? startOfLocalDay(wall, s.zone) : resolveLocalTime(wall, s.zone).instant };
}

/** UNTIL as a floating local bound (inclusive). */
function untilLocal(v: RecurrenceDateValue, s: SeriesStart): number {
  switch (v.kind) {
    case 'date':
      return wallToFloatingMs(v.wall) + (s.allDay ? 0 : DAY_MS - 1000);
    case 'floating':
      return wallToFloatingMs(v.wall);
    case 'utc':
      return wallToFloatingMs(wallClockAt(v.instant, s.zone));
    case 'zoned':
      return placeValue(v, { ...s, allDay: false }).local;
  }
}

function buildRule(rule: RecurrenceRule, dtstart: number, horizon: number, s: SeriesStart, count?: number): RRuleType {
  const until = rule.until === undefined ? horizon : Math.min(untilLocal(rule.until, s), horizon);
  return new RRule({ ...rule.options, dtstart: new Date(dtstart), tzid: null, until: new Date(until), count: count ?? null }, true);
}

/** What is left of an expansion's {@link EXPANSION_WORK_BUDGET}, shared by all its rules. */
interface Budget {
  work: number;
}

/**
 * `rule.all(callback)` with bounded work, stopping at `horizon` (floating ms). rrule checks UNTIL
 * only on dates that match the rule, so a rule that never matches again
 * (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) would scan to the year 9999. rrule reads
 * `options.interval` twice per period and stops when it is 0: we answer 0 once the periods reach
 * the horizon, or once the budget is spent. Returns whether the budget ran out and, then, up to
 * which local time (inclusive) the dates are known: every date before it was generated.
 */
function iterateBounded(
  rule: RRuleType,
  spec: RecurrenceRule,
  dtstart: number,
  horizon: number,
  budget: Budget,
  callback: (d: Date, i: number) => boolean,
): { exhausted: boolean; knownUntil: number } {
  const options = rule.options;
  const interval = options.interval;
  const periodMs = interval * MIN_PERIOD_MS[spec.freq];
  // After p periods rrule's counter is at least p − 2 whole periods past the start (the first
  // period begins at the start of the year, month or week that holds it).
  const maxPeriods = Math.ceil((horizon - dtstart) / periodMs) + 2;
  let reads = 0;
  let stopped = false;
  let exhausted = false;
  let last = dtstart - 1;
  rule.options = Object.defineProperty({ ...options }, 'interval', {
    get: () => {
      if (stopped) return 0;
      reads++;
      budget.work -= spec.periodCost / 2;
      if (budget.work < 0) exhausted = true;
      stopped = exhausted || reads / 2 > maxPeriods;
      return stopped ? 0 : interval;
    },
  });
  try {
    rule.all((d, i) => {
      budget.work -= DATE_COST;
      if (i >= MAX_SCANNED_OCCURRENCES || budget.work < 0) {
        exhausted = true;
        return false;
      }
      last = d.getTime();
      return callback(d, i);
    });
  } finally {
    rule.options = options;
  }
  const periods = Math.floor(reads / 2);
  return { exhausted, knownUntil: Math.max(last, dtstart + Math.max(0, periods - 2) * periodMs - 1) };
}

interface Expansion {
  occurrences: Occurrence[];
  /** False when the work budget ran out before `limit` occurrences or the horizon were reached. */
  complete: boolean;
}

/**
 * The first `limit` occurrences of a series, in order. Without recurrence lines, the start alone.
 * See the module comment for the rules.
 */
function expand(s: SeriesStart, rec: Recurrence | undefined, limit: number): Expansion {
  const dtstart = wallToFloatingMs(s.allDay ? { ...s.wall, hour: 0, minute: 0, second: 0 } : s.wall);
  const first = placeLocal(dtstart, s);
  if (!rec || rec.lines.length === 0) return { occurrences: [first], complete: true };

  const yearsAfterStart = (years: number) => {
    const d = new Date(dtstart);
    d.setUTCFullYear(d.getUTCFullYear() + years);
    return d.getTime();
  };
  const horizon = yearsAfterStart(EXPANSION_HORIZON_YEARS);
  const exdates = rec.exdates.map((v) => placeValue(v, s));
  const rdates = rec.rdates.map((v) => placeValue(v, s));
  const budget: Budget = { work: EXPANSION_WORK_BUDGET };
  // The series is expanded up to a window that grows until it holds `limit` occurrences, so that
  // an EXRULE is not expanded over centuries nobody asked about; each window costs a quarter of
  // the next, so the repeats cost at most a third more. A window that runs out of work may know
  // less than the one before it did (the repeats spent the budget): the answer is whichever
  // is known further.
  let known: Occurrence[] = [];
  let knownUntil = -Infinity;
  for (let years = 1; ; years *= 4) {
    const window = Math.min(horizon, yearsAfterStart(years));
    const { occurrences, coverageEnd, ended } = expandWithin({ s, rec, limit, dtstart, first, exdates, rdates, budget }, window);
    if (occurrences.length === limit) return { occurrences, complete: true };
    if (coverageEnd < window) return { occurrences: coverageEnd < knownUntil ? known : occurrences, complete: false };
    if (ended || window === horizon) return { occurrences, complete: true };
    known = occurrences;
    knownUntil = window;
  }
}

interface ExpansionInput {
  s: SeriesStart;
  rec: Recurrence;
  limit: number;
  dtstart: number;
  first: Occurrence;
  exdates: Occurrence[];
  rdates: Occurrence[];
  budget: Budget;
  /**
   * Occurrences starting before this local time (floating ms) are counted (COUNT still applies to
   * them) but neither placed in the zone nor returned: a window far from the start is cheap.
   */
  skipBefore?: number;
}

/**
 * The first `limit` occurrences up to `window` (floating ms, inclusive), how far they are
 * known (`window`, or less when the work budget ran out), and whether the series has ended
 * within the window (its COUNT or UNTIL reached, every RDATE passed): a wider one adds nothing.
 */
function expandWithin(
  { s, rec, limit, dtstart, first, exdates, rdates, budget, skipBefore = -Infinity }: ExpansionInput,
  window: number,
): { occurrences: Occurrence[]; coverageEnd: number; ended: boolean } {
  // Occurrences are known up to this local time; it shrinks when the work budget runs out.
  let coverageEnd = window;

  const exLocal = new Set<number>();
  const exInstant = new Set<number>();
  for (const p of exdates) {
    exLocal.add(p.local);
    if (!s.allDay) exInstant.add(p.instant.getTime());
  }
  for (const ex of rec.exrules) {
    const { exhausted, knownUntil } = iterateBounded(buildRule(ex, dtstart, coverageEnd, s, ex.count), ex, dtstart, coverageEnd, budget, (d) => {
      exLocal.add(d.getTime());
      return true;
    });
    if (exhausted) coverageEnd = Math.min(coverageEnd, knownUntil);
  }
  const excluded = (o: Occurrence) => exLocal.has(o.local) || exInstant.has(o.instant.getTime());

  const found: Occurrence[] = [];
  let startInRule = false;
  let ruleEnded = true;
  if (rec.rrule) {
    // COUNT is applied here, not by rrule: the start counts as the first of COUNT occurrences
    // even when the rule does not produce it (RFC 5545 §3.3.10).
    const { count } = rec.rrule;
    let cap = count ?? Infinity;
    let candidates = 0;
    let accepted = 0;
    const { exhausted, knownUntil } = iterateBounded(buildRule(rec.rrule, dtstart, coverageEnd, s), rec.rrule, dtstart, coverageEnd, budget, (d, i) => {
      const local = d.getTime();
      if (local > coverageEnd) return false;
      if (i === 0) {
        startInRule = local === dtstart;
        if (!startInRule) cap -= 1;
      }
      if (candidates >= cap) return false;
      candidates++;
      if (exLocal.has(local) || local < skipBefore) return candidates < cap; // excluded or before the window: not placed
      const o = placeLocal(local, s);
      if (!excluded(o)) {
        found.push(o);
        accepted++;
      }
      return accepted < limit && candidates < cap;
    });
    if (exhausted) coverageEnd = Math.min(coverageEnd, knownUntil);
    const { until } = rec.rrule;
    ruleEnded = candidates >= cap || (until !== undefined && untilLocal(until, s) <= window);
  }
  if (!startInRule && !excluded(first)) found.push(first);
  for (const o of rdates) {
    if (o.local <= coverageEnd && !excluded(o)) found.push(o);
  }

  found.sort((a, b) => a.instant.getTime() - b.instant.getTime() || a.local - b.local);
  const seen = new Set<number>();
  const out: Occurrence[] = [];
  for (const o of found) {
    const key = s.allDay ? o.local : o.instant.getTime();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(o);
    if (out.length === limit) break;
  }
  return { occurrences: out, coverageEnd, ended: ruleEnded && rdates.every((o) => o.local <= window) };
}

// ---------------------------------------------------------------------------------------------
// Public API

export interface ScheduleInput extends EventTimeInput {
  /** Recurrence lines; absent or empty for a single event. */
  recurrence?: readonly string[];
}

/** A validated event time with its normalized recurrence. */
export interface Schedule extends EventTime {
  /** Normalized recurrence lines (empty for a single event); Google's `recurrence`. */
  recurrence: string[];
}

/**
 * Validates an event's times and recurrence together (see `normalizeEventTime` and
 * {@link parseRecurrence}). A series whose every occurrence is excluded is refused
 * (`no_occurrences`). For a recurring all-day event, `google.start`/`google.end` also carry
 * `timeZone`, which Google requires for recurring events and uses to expand the series.
 */
export function normalizeSchedule(input: ScheduleInput): Schedule {
  const time = normalizeEventTime(input);
  const rec = parseRecurrence(input.recurrence ?? [], { allDay: time.allDay });
  if (rec.lines.length === 0) return { ...time, recurrence: [] };
  const wall = parseWallClock(time.start, time.allDay);
  const { occurrences, complete } = expand({ wall, zone: time.timeZone, allDay: time.allDay }, rec, 1);
  if (occurrences.length === 0 && !complete) {
    throw new EventTimeError(
      'recurrence',
      'recurrence_too_complex',
      'The recurrence excludes the start and its next occurrence could not be found within the work limit; simplify the EXRULE/EXDATE lines.',
    );
  }
  if (occurrences.length === 0) {
    throw new EventTimeError('recurrence', 'no_occurrences', 'The recurrence excludes every occurrence, so the event would never happen.');
  }
  const google = time.allDay
    ? { start: { ...time.google.start, timeZone: time.timeZone }, end: { ...time.google.end, timeZone: time.timeZone } }
    : time.google;
  return { ...time, google, recurrence: rec.lines };
}

export interface PreviewInput {
  /** Local start, `YYYY-MM-DDTHH:mm[:ss]`, or `YYYY-MM-DD` for an all-day event. */
  start: string;
  /** Optional end in the same form; gives each occurrence its end. */
  end?: string;
  timeZone: string;
  allDay?: boolean;
  recurrence?: readonly string[];
  /** How many occurrences, 1–{@link MAX_PREVIEW_COUNT}. */
  count: number;
}

export interface OccurrencePreview {
  /** The start instant with the zone's offset, e.g. `2026-03-09T09:00:00-04:00`. */
  start: string;
  /** The start instant in UTC, e.g. `2026-03-09T13:00:00Z`. */
  startUtc: string;
  /** Present when the input has an end. */
  end?: string;
  endUtc?: string;
  /** All-day events: the occurrence's date, `2026-03-09`. */
  date?: string;
  /** All-day events with an end: the exclusive end date. */
  endDate?: string;
}

/**
 * The first `count` occurrences (at most {@link MAX_PREVIEW_COUNT}) of an event, for the
 * "preview" endpoint; a single event previews its one occurrence. Instants are DST-correct in
 * `timeZone` (see the module comment). Throws {@link EventTimeError} for invalid input.
 *
 * @example
 * previewOccurrences({ start: '2026-03-02T09:00', timeZone: 'America/New_York', recurrence: ['RRULE:FREQ=WEEKLY'], count: 2 })
 * // → [{ start: '2026-03-02T09:00:00-05:00', startUtc: '2026-03-02T14:00:00Z' },
 * //    { start: '2026-03-09T09:00:00-04:00', startUtc: '2026-03-09T13:00:00Z' }]
 */
export function previewOccurrences(input: PreviewInput): OccurrencePreview[] {
  const { count } = input;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_COUNT) {
    throw new EventTimeError('count', 'out_of_range', `count must be a whole number from 1 to ${MAX_PREVIEW_COUNT}; got ${count}.`);
  }
  const allDay = input.allDay ?? false;
  const zone = validateTimeZone(input.timeZone);
  let span: Span | undefined;
  let wall: WallClock;
  if (input.end !== undefined) {
    const time = normalizeEventTime({ timeZone: zone, allDay, start: input.start, end: input.end });
    wall = parseWallClock(time.start, allDay);
    span = spanOf(time);
  } else {
    wall = parseWallClock(input.start, allDay, 'start');
    if (!allDay) existingInstant(wall, input.start, zone, 'start');
  }
  const rec = parseRecurrence(input.recurrence ?? [], { allDay });
  const s: SeriesStart = { wall, zone, allDay };
  return expand(s, rec, count).occurrences.map((o) => {
    const p: OccurrencePreview = { start: isoWithOffset(o.instant, zone), startUtc: isoUtc(o.instant) };
    if (allDay) p.date = formatDate(floatingMsToWall(o.local));
    if (span) {
      const end = endOf(o, span, s);
      p.end = isoWithOffset(end.instant, zone);
      p.endUtc = isoUtc(end.instant);
      if (allDay) p.endDate = formatDate(floatingMsToWall(end.local));
    }
    return p;
  });
}

export interface OccurrenceSpan {
  start: Date;
  end: Date;
}

/**
 * Start and end instants of the first `n` occurrences (1–{@link MAX_FIRST_OCCURRENCES}) of a
 * stored event, for the free/busy check; each lasts as long as the event. `event` holds the
 * normalized values of a {@link Schedule} (wall-clock `start`/`end`, `timeZone`, `allDay`,
 * `recurrence`).
 */
export function firstOccurrences(
  event: Pick<Schedule, 'timeZone' | 'allDay' | 'start' | 'end'> & { recurrence?: readonly string[] },
  n: number,
): OccurrenceSpan[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_FIRST_OCCURRENCES) {
    throw new RangeError(`firstOccurrences: n must be a whole number from 1 to ${MAX_FIRST_OCCURRENCES}; got ${n}`);
  }
  const time = normalizeEventTime(event);
  const rec = parseRecurrence(event.recurrence ?? [], { allDay: time.allDay });
  const s: SeriesStart = { wall: parseWallClock(time.start, time.allDay), zone: time.timeZone, allDay: time.allDay };
  const span = spanOf(time);
  return expand(s, rec, n).occurrences.map((o) => ({ start: o.instant, end: endOf(o, span, s).instant }));
}

/** Most occurrences {@link occurrencesBetween} returns. */
export const MAX_RANGE_OCCURRENCES = 1000;

/**
 * The occurrences of a stored event that overlap [from, to), in order, at most
 * {@link MAX_RANGE_OCCURRENCES}: what a calendar shows for a week or a month. The series is
 * expanded from its start (COUNT counts from there) up to the window, placing only the
 * occurrences near it, with the same bounds as every expansion: a series whose expansion runs out
 * of work before the window yields the occurrences known to be right (possibly none).
 */
export function occurrencesBetween(
  event: Pick<Schedule, 'timeZone' | 'allDay' | 'start' | 'end'> & { recurrence?: readonly string[] },
  from: Date,
  to: Date,
): OccurrenceSpan[] {
  if (!(from.getTime() < to.getTime())) throw new RangeError('occurrencesBetween: from must be before to');
  const time = normalizeEventTime(event);
  const rec = parseRecurrence(event.recurrence ?? [], { allDay: time.allDay });
  const s: SeriesStart = { wall: parseWallClock(time.start, time.allDay), zone: time.timeZone, allDay: time.allDay };
  const span = spanOf(time);
  const dtstart = wallToFloatingMs(s.allDay ? { ...s.wall, hour: 0, minute: 0, second: 0 } : s.wall);
  const first = placeLocal(dtstart, s);
  // Local times are at most a day away from UTC (offsets stay within ±14 h): a day's margin on
  // each side, and the event's own length before the window, keep every overlapping occurrence.
  const length = 'days' in span ? span.days * DAY_MS : span.ms;
  const fromLocal = from.getTime() - DAY_MS - length;
  const toLocal = to.getTime() + DAY_MS;
  const candidates =
    rec.lines.length === 0
      ? [first]
      : expandWithin(
          {
            s,
            rec,
            limit: Infinity,
            dtstart,
            first,
            exdates: rec.exdates.map((v) => placeValue(v, s)),
            rdates: rec.rdates.map((v) => placeValue(v, s)),
            budget: { work: EXPANSION_WORK_BUDGET },
            skipBefore: fromLocal,
          },
          Math.max(dtstart, toLocal),
        ).occurrences;
  const out: OccurrenceSpan[] = [];
  for (const o of candidates) {
    const end = endOf(o, span, s).instant;
    if (o.instant.getTime() < to.getTime() && end.getTime() > from.getTime()) out.push({ start: o.instant, end });
    if (out.length === MAX_RANGE_OCCURRENCES) break;
  }
  return out;
}

/** An occurrence's length: elapsed ms for a timed event, days for an all-day event. */
type Span = { ms: number } | { days: number };

function spanOf(time: EventTime): Span {
  return time.allDay
    ? { days: Math.round((wallToFloatingMs(parseWallClock(time.end, true)) - wallToFloatingMs(parseWallClock(time.start, true))) / DAY_MS) }
    : { ms: time.endUtc.getTime() - time.startUtc.getTime() };
}

function endOf(o: Occurrence, span: Span, s: SeriesStart): Occurrence {
  if ('days' in span) return placeLocal(o.local + span.days * DAY_MS, s);
  const instant = new Date(o.instant.getTime() + span.ms);
  return { local: wallToFloatingMs(wallClockAt(instant, s.zone)), instant };
}
