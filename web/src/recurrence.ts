// Repeat presets as Google Calendar offers them, computed from the start date, and any RRULE we
// build said back in words ("Every Monday until 5 April 2031"). Pure: no I/O.
import { day, list, monthDay, weekdayName } from './format.ts';
import { ORDINAL } from './strings.ts';

export const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

export interface Custom {
  freq: Freq;
  interval: number;
  days: string[];
  ends: 'never' | 'on' | 'after';
  until: string;
  count: number;
}

/** 0 = Monday, for a YYYY-MM-DD date. */
export const weekdayOf = (date: string): number => (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;

export interface Preset {
  value: string;
  rule: string | null;
}

/** The presets for an event starting on `date`; `value` is the option's key, `rule` its RRULE. */
export function presets(date: string): Preset[] {
  const wd = weekdayOf(date);
  const dom = Number(date.slice(8, 10));
  const month = Number(date.slice(5, 7));
  const nth = Math.ceil(dom / 7);
  // A fifth weekday is the month's last one: "the fifth Monday" would skip most months.
  const byNth = nth === 5 ? `-1${DAYS[wd]}` : `${nth}${DAYS[wd]}`;
  return [
    { value: 'none', rule: null },
    { value: 'daily', rule: 'RRULE:FREQ=DAILY' },
    { value: 'weekly', rule: `RRULE:FREQ=WEEKLY;BYDAY=${DAYS[wd]}` },
    { value: 'monthly-day', rule: `RRULE:FREQ=MONTHLY;BYMONTHDAY=${dom}` },
    { value: 'monthly-weekday', rule: `RRULE:FREQ=MONTHLY;BYDAY=${byNth}` },
    { value: 'yearly', rule: `RRULE:FREQ=YEARLY;BYMONTH=${month};BYMONTHDAY=${dom}` },
    { value: 'weekdays', rule: 'RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' },
    { value: 'custom', rule: null },
  ];
}

/** The weekdays a custom weekly repeat is on: those chosen, else the start's (as the form shows them). */
export const customDays = (c: Custom, startWeekday: number): string[] => (c.days.length ? c.days : [DAYS[startWeekday]!]);

/** The RRULE for a custom repeat; `allDay` decides how UNTIL is written (a date, or the day's end in UTC). */
export function customRule(c: Custom, allDay: boolean, startWeekday: number): string {
  const parts = [`FREQ=${c.freq}`];
  if (c.interval > 1) parts.push(`INTERVAL=${c.interval}`);
  if (c.freq === 'WEEKLY') parts.push(`BYDAY=${DAYS.filter((d) => customDays(c, startWeekday).includes(d)).join(',')}`);
  if (c.ends === 'on' && c.until) parts.push(`UNTIL=${c.until.replace(/-/g, '')}${allDay ? '' : 'T235959Z'}`);
  if (c.ends === 'after') parts.push(`COUNT=${Math.max(1, c.count)}`);
  return `RRULE:${parts.join(';')}`;
}

const UNIT: Record<Freq, [string, string]> = { DAILY: ['day', 'days'], WEEKLY: ['week', 'weeks'], MONTHLY: ['month', 'months'], YEARLY: ['year', 'years'] };

/** An RRULE line in words; null when it uses parts this interface does not describe. */
export function describe(rule: string): string | null {
  const m = /^RRULE:(.*)$/i.exec(rule.trim());
  if (!m) return null;
  const p = new Map(m[1]!.split(';').map((kv) => kv.split('=') as [string, string]));
  const freq = p.get('FREQ') as Freq | undefined;
  if (!freq || !UNIT[freq]) return null;
  const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'COUNT', 'UNTIL', 'WKST']);
  if ([...p.keys()].some((k) => !known.has(k))) return null;
  const interval = Number(p.get('INTERVAL') ?? 1);
  const byDay = p.get('BYDAY')?.split(',') ?? [];
  const dayName = (code: string) => weekdayName(DAYS.indexOf(code as (typeof DAYS)[number]));
  let words: string;
  if (freq === 'WEEKLY' && interval === 1 && byDay.join(',') === 'MO,TU,WE,TH,FR') words = `Every weekday (${weekdayName(0)} to ${weekdayName(4)})`;
  else if (freq === 'WEEKLY' && byDay.length) words = `${interval === 1 ? 'Every' : `Every ${interval} weeks on`} ${list(byDay.map(dayName))}`;
  else if (freq === 'MONTHLY' && p.get('BYMONTHDAY')) words = `${interval === 1 ? 'Monthly' : `Every ${interval} months`} on day ${p.get('BYMONTHDAY')}`;
  else if (freq === 'MONTHLY' && byDay.length === 1) {
    const b = /^(-?\d)([A-Z]{2})$/.exec(byDay[0]!);
    if (!b) return null;
    const n = Number(b[1]);
    words = `${interval === 1 ? 'Monthly' : `Every ${interval} months`} on the ${n === -1 ? 'last' : ORDINAL[n - 1]} ${dayName(b[2]!)}`;
  } else if (freq === 'YEARLY' && p.get('BYMONTH') && p.get('BYMONTHDAY')) words = `${interval === 1 ? 'Annually' : `Every ${interval} years`} on ${monthDay(Number(p.get('BYMONTH')), Number(p.get('BYMONTHDAY')))}`;
  else if (byDay.length || p.get('BYMONTHDAY') || p.get('BYMONTH')) return null;
  else words = interval === 1 ? { DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly', YEARLY: 'Annually' }[freq] : `Every ${interval} ${UNIT[freq][1]}`;
  const until = p.get('UNTIL');
  const count = p.get('COUNT');
  if (until) words += ` until ${day(`${until.slice(0, 4)}-${until.slice(4, 6)}-${until.slice(6, 8)}`, 'long')}`;
  else if (count) words += `, ${count} ${Number(count) === 1 ? 'time' : 'times'}`;
  return words;
}
