// The dashboard's week and month views: which days they show, the instants those days span in the
// browser's time zone (asked of the API as from/to), and on which days each occurrence appears.
// Pure: no I/O. Weeks start on Monday, as the rest of the interface writes them (format.ts).
import type { EventListItem } from './api.ts';
import { addDays } from './format.ts';

export type View = 'list' | 'week' | 'month';
export const VIEWS: View[] = ['list', 'week', 'month'];

export const isDate = (v: string | null): v is string => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

/** YYYY-MM-DD of an instant in `zone` (the browser's when omitted). */
export function dateIn(instant: Date, zone?: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

export const today = (): string => dateIn(new Date());

/** The browser-local midnight that starts a date. */
export function startOf(date: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d);
}

/** 0 = Monday. */
const weekday = (date: string): number => (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;
export const mondayOf = (date: string): string => addDays(date, -weekday(date));

/** The first of the month `n` months after the one holding `date`. */
export function addMonths(date: string, n: number): string {
  const d = new Date(`${date.slice(0, 7)}-01T12:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}

/** The days a view shows: one week, or the whole weeks that hold the month. */
export function daysOf(view: 'week' | 'month', date: string): string[] {
  const first = view === 'week' ? mondayOf(date) : mondayOf(`${date.slice(0, 7)}-01`);
  const last = view === 'week' ? addDays(first, 6) : addDays(mondayOf(addDays(addMonths(date, 1), -1)), 6);
  const days: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
  return days;
}

/** Where Previous and Next lead from `date`. */
export const step = (view: 'week' | 'month', date: string, n: 1 | -1): string => (view === 'week' ? addDays(mondayOf(date), 7 * n) : addMonths(date, n));

export interface Chip {
  event: EventListItem;
  /** The start instant of this occurrence (ISO), for its time of day. */
  start: string;
  /** An all-day occurrence, or one that began on an earlier day. */
  allDay: boolean;
}

/**
 * Each day's occurrences, in order. A timed occurrence appears on every browser-local day it
 * overlaps; an all-day one on the dates it covers in its own zone (a date has no time zone).
 */
export function chipsByDay(events: EventListItem[], days: string[]): Map<string, Chip[]> {
  const out = new Map<string, Chip[]>(days.map((d) => [d, []]));
  for (const event of events) {
    for (const o of event.occurrences ?? []) {
      const start = new Date(o.start);
      const end = new Date(o.end);
      if (event.allDay) {
        const last = addDays(dateIn(end, event.timeZone), -1);
        for (let d = dateIn(start, event.timeZone); d <= last; d = addDays(d, 1)) out.get(d)?.push({ event, start: o.start, allDay: true });
        continue;
      }
      for (const d of days) {
        const dayStart = startOf(d);
        const dayEnd = startOf(addDays(d, 1));
        if (start < dayEnd && end > dayStart) out.get(d)!.push({ event, start: o.start, allDay: start < dayStart });
      }
    }
  }
  for (const chips of out.values()) chips.sort((a, b) => Number(b.allDay) - Number(a.allDay) || a.start.localeCompare(b.start));
  return out;
}
