// Dates, times and money for the person's locale (Intl), never hand-built.

export const locale = (): string[] => [...(navigator.languages?.length ? navigator.languages : [navigator.language || 'en'])];
export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** A decimal string with its currency code: "1.00 USD", "0.9985 USDT"; the number as the locale writes it. */
export function money(value: string, currency: string): string {
  const n = Number(value);
  const places = Math.max(2, (value.split('.')[1] ?? '').replace(/0+$/, '').length);
  return `${new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: Math.min(places, 8) }).format(n)} ${currency}`;
}

/** A plain number as the locale writes it, with its decimals trimmed ("1", "0.9985"). */
export const number = (value: string): string => new Intl.NumberFormat(locale(), { maximumFractionDigits: 8 }).format(Number(value));

/** "(GMT+01:00)", the zone's offset at `at`. */
export function zoneOffset(zone: string, at = new Date()): string {
  const part = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  const v = part?.value ?? 'GMT';
  return v === 'GMT' ? 'GMT+00:00' : v;
}

/** Date and time of an instant in `zone`, naming the zone when it is not the browser's. No seconds. */
export function dateTime(iso: string, zone: string, opts: { withWeekday?: boolean } = {}): string {
  const d = new Date(iso);
  const s = new Intl.DateTimeFormat(locale(), { timeZone: zone, dateStyle: opts.withWeekday ? 'full' : 'medium', timeStyle: 'short' }).format(d);
  return zone === browserZone() ? s : `${s} (${zone.replace(/_/g, ' ')}, ${zoneOffset(zone, d)})`;
}

export const time = (iso: string, zone: string): string =>
  new Intl.DateTimeFormat(locale(), { timeZone: zone, timeStyle: 'short' }).format(new Date(iso));

/** A calendar date (YYYY-MM-DD) as the locale writes it; no zone applies to it. */
export function day(date: string, style: 'full' | 'medium' | 'long' = 'medium'): string {
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', dateStyle: style }).format(new Date(`${date.slice(0, 10)}T12:00:00Z`));
}

/** When a moment happened, for a history line. */
export const when = (iso: string): string => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

/** Time left as mm:ss (minutes keep counting past 59: a countdown, not a clock). */
export function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Weekday and month names for the locale, from Intl. Index 0 is Monday / January. */
export function weekdayName(i: number, width: 'long' | 'short' = 'long'): string {
  // 2024-01-01 was a Monday.
  return new Intl.DateTimeFormat(locale(), { weekday: width, timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
}
export function monthDay(month: number, dayOfMonth: number): string {
  return new Intl.DateTimeFormat(locale(), { month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, month - 1, dayOfMonth)));
}
export const list = (items: string[]): string => new Intl.ListFormat(locale(), { type: 'conjunction' }).format(items);

/** YYYY-MM-DD plus `n` days (calendar arithmetic, no zone). */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** A calendar date (YYYY-MM-DD) as a short day and month ("2 Nov"), for tight columns whose year is said elsewhere. */
export function shortDay(date: string): string {
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', month: 'short', day: 'numeric' }).format(new Date(`${date.slice(0, 10)}T12:00:00Z`));
}
/** A duration in milliseconds as the locale writes it ("1,234 ms"). */
export const milliseconds = (ms: number): string => new Intl.NumberFormat(locale(), { style: 'unit', unit: 'millisecond', unitDisplay: 'short' }).format(ms);
