import { DateTime, IANAZone } from 'luxon';
import { apiErrors, GoogleApiError } from './errors.ts';
import { buildRuleSet, RecurrenceError } from './recurrence.ts';

/**
 * The Calendar Event resource: which fields a client may write, how start/end are read and
 * written back, and the checks Google makes on insert and patch.
 */

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface EventAttendee {
  email: string;
  displayName?: string;
  optional?: boolean;
  responseStatus?: string;
  organizer?: boolean;
  self?: boolean;
  resource?: boolean;
  comment?: string;
  additionalGuests?: number;
  [k: string]: unknown;
}

export interface EventResource {
  kind: 'calendar#event';
  etag: string;
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: { email: string; self?: boolean; displayName?: string };
  organizer: { email: string; self?: boolean; displayName?: string };
  start: EventDateTime;
  end: EventDateTime;
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: EventDateTime;
  transparency?: 'opaque' | 'transparent';
  visibility?: string;
  iCalUID: string;
  sequence: number;
  attendees?: EventAttendee[];
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  reminders: { useDefault: boolean; overrides?: { method: string; minutes: number }[] };
  eventType: string;
  [k: string]: unknown;
}

/** Fields a client may set on insert or patch; everything else in a request body is ignored. */
const WRITABLE = [
  'anyoneCanAddSelf',
  'attachments',
  'attendees',
  'colorId',
  'conferenceData',
  'description',
  'end',
  'endTimeUnspecified',
  'extendedProperties',
  'gadget',
  'guestsCanInviteOthers',
  'guestsCanModify',
  'guestsCanSeeOtherGuests',
  'location',
  'recurrence',
  'reminders',
  'sequence',
  'source',
  'start',
  'status',
  'summary',
  'transparency',
  'visibility',
] as const;

export type WritableFields = Partial<Record<(typeof WRITABLE)[number], unknown>>;

export function isWritable(field: string): field is (typeof WRITABLE)[number] {
  return (WRITABLE as readonly string[]).includes(field);
}

export function pickWritable(body: Record<string, unknown>): WritableFields {
  const out: WritableFields = {};
  for (const k of WRITABLE) if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch, as Google's PATCH does it: objects merge, arrays replace, null deletes. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** base32hex, 5–1024 characters: what Google accepts as a client-chosen event id. */
export const EVENT_ID = /^[a-v0-9]{5,1024}$/;

export interface ResolvedTime {
  allDay: boolean;
  /** The instant (all-day: midnight in the zone). */
  ms: number;
  /** The zone the time is expressed in (the event's timeZone, else the calendar's). */
  zone: string;
  local: DateTime;
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function checkZone(tz: unknown, which: 'start' | 'end'): string | undefined {
  if (tz === undefined) return undefined;
  if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) throw apiErrors.invalid(`Invalid time zone definition for ${which} time.`);
  return tz;
}

/** Reads an EventDateTime as Google does (throws Google's 400s). */
export function resolveTime(raw: unknown, calendarZone: string, which: 'start' | 'end'): ResolvedTime {
  if (!isObject(raw)) throw apiErrors.required(`Missing ${which} time.`);
  const tz = checkZone(raw.timeZone, which);
  const zone = tz ?? calendarZone;
  if (raw.date !== undefined && raw.date !== null) {
    if (typeof raw.date !== 'string' || !DATE_ONLY.test(raw.date)) throw apiErrors.invalid(`Invalid ${which} time.`);
    const local = DateTime.fromISO(raw.date, { zone });
    if (!local.isValid) throw apiErrors.invalid(`Invalid ${which} time.`);
    if (raw.dateTime !== undefined && raw.dateTime !== null) throw apiErrors.invalid(`Invalid ${which} time.`);
    return { allDay: true, ms: local.toMillis(), zone, local };
  }
  if (raw.dateTime === undefined || raw.dateTime === null) throw apiErrors.required(`Missing ${which} time.`);
  if (typeof raw.dateTime !== 'string') throw apiErrors.invalid(`Invalid ${which} time.`);
  const withOffset = HAS_OFFSET.test(raw.dateTime);
  if (!withOffset && !tz) throw apiErrors.required(`Missing time zone definition for ${which} time.`);
  const parsed = withOffset ? DateTime.fromISO(raw.dateTime, { setZone: true }) : DateTime.fromISO(raw.dateTime, { zone });
  if (!parsed.isValid || !raw.dateTime.includes('T')) throw apiErrors.invalid(`Invalid ${which} time.`);
  const local = parsed.setZone(zone);
  return { allDay: false, ms: local.toMillis(), zone, local };
}

/** RFC 3339 as Google writes it: seconds, the zone's offset, `Z` for UTC. */
export function formatDateTime(dt: DateTime): string {
  const base = dt.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  return dt.offset === 0 ? `${base}Z` : base + dt.toFormat('ZZ');
}

/** Writes a resolved time back the way Google returns it. */
export function writeTime(t: ResolvedTime, timeZone: string | undefined): EventDateTime {
  if (t.allDay) return { date: t.local.toFormat('yyyy-MM-dd') };
  const out: EventDateTime = { dateTime: formatDateTime(t.local) };
  if (timeZone) out.timeZone = timeZone;
  return out;
}

const ENUMS: Record<string, readonly string[]> = {
  status: ['confirmed', 'tentative', 'cancelled'],
  transparency: ['opaque', 'transparent'],
  visibility: ['default', 'public', 'private', 'confidential'],
};

export interface ValidatedEvent {
  fields: WritableFields;
  start: ResolvedTime;
  end: ResolvedTime;
  recurrence: string[] | undefined;
}

/** Checks an event's writable fields as Google does on insert and patch; normalises start/end. */
export function validateEvent(fields: WritableFields, calendarZone: string): ValidatedEvent {
  for (const [field, allowed] of Object.entries(ENUMS)) {
    const v = fields[field as keyof WritableFields];
    if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v))) throw apiErrors.invalid(`Invalid value for: ${field}`);
  }
  for (const field of ['summary', 'description', 'location', 'colorId'] as const) {
    if (fields[field] !== undefined && typeof fields[field] !== 'string') throw apiErrors.invalid(`Invalid value for: ${field}`);
  }
  if (fields.start === undefined) throw apiErrors.required('Missing start time.');
  if (fields.end === undefined) throw apiErrors.required('Missing end time.');
  const recurrence = fields.recurrence;
  if (recurrence !== undefined && (!Array.isArray(recurrence) || recurrence.some((l) => typeof l !== 'string'))) {
    throw apiErrors.invalid('Invalid recurrence rule.');
  }
  const recurring = Array.isArray(recurrence) && recurrence.length > 0;
  const rawStart = fields.start;
  if (recurring && isObject(rawStart) && rawStart.dateTime !== undefined && rawStart.timeZone === undefined) {
    throw apiErrors.required('Missing time zone definition for start time.');
  }
  const start = resolveTime(rawStart, calendarZone, 'start');
  const end = resolveTime(fields.end, calendarZone, 'end');
  if (start.allDay !== end.allDay) throw apiErrors.invalid('Start and end times must either both be date or both be dateTime.');
  if (end.ms < start.ms || (start.allDay && end.ms === start.ms)) {
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  }
  if (recurring) {
    try {
      buildRuleSet(recurrence as string[], { start: start.local, allDay: start.allDay, zone: start.zone });
    } catch (err) {
      if (err instanceof RecurrenceError) throw apiErrors.invalid('Invalid recurrence rule.');
      throw err;
    }
  }
  checkAttendees(fields.attendees);
  checkReminders(fields.reminders);
  checkExtendedProperties(fields.extendedProperties);
  return { fields, start, end, recurrence: recurring ? (recurrence as string[]) : undefined };
}

function checkAttendees(v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw apiErrors.invalid('Invalid value for: attendees');
  for (const a of v) {
    if (!isObject(a)) throw apiErrors.invalid('Invalid value for: attendees');
    if (typeof a.email !== 'string' || a.email.length === 0) throw apiErrors.required('Missing attendee email.');
    if (!/^[^@\s]+@[^@\s]+$/.test(a.email)) throw apiErrors.invalid('Invalid attendee email.');
    if (a.responseStatus !== undefined && !['needsAction', 'declined', 'tentative', 'accepted'].includes(a.responseStatus as string)) {
      throw apiErrors.invalid('Invalid value for: attendees.responseStatus');
    }
  }
}

function checkReminders(v: unknown): void {
  if (v === undefined) return;
  if (!isObject(v)) throw apiErrors.invalid('Invalid value for: reminders');
  const overrides = v.overrides;
  if (overrides === undefined) return;
  if (!Array.isArray(overrides)) throw apiErrors.invalid('Invalid value for: reminders.overrides');
  if (v.useDefault === true && overrides.length > 0) throw apiErrors.badRequest('Cannot specify both default reminders and overrides at the same time.');
  if (overrides.length > 5) throw new GoogleApiError(400, 'cannotUseMoreThan5Reminders', 'Cannot specify more than 5 override reminders.');
  for (const o of overrides) {
    if (!isObject(o) || !['email', 'popup'].includes(o.method as string)) throw apiErrors.required('Missing reminder method.');
    if (typeof o.minutes !== 'number' || !Number.isInteger(o.minutes) || o.minutes < 0 || o.minutes > 40320) {
      throw apiErrors.invalid('Invalid reminder minutes value.');
    }
  }
}

function checkExtendedProperties(v: unknown): void {
  if (v === undefined) return;
  if (!isObject(v)) throw apiErrors.invalid('Invalid value for: extendedProperties');
  for (const scope of ['private', 'shared']) {
    const map = v[scope];
    if (map === undefined) continue;
    if (!isObject(map) || Object.values(map).some((x) => typeof x !== 'string')) {
      throw apiErrors.invalid(`Invalid value for: extendedProperties.${scope}`);
    }
  }
}
