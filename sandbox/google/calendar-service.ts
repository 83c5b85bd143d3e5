import { randomBytes } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import { apiErrors, GoogleApiError } from './errors.ts';
import {
  EVENT_ID,
  formatDateTime,
  isObject,
  isWritable,
  mergePatch,
  pickWritable,
  resolveTime,
  validateEvent,
  writeTime,
  type EventAttendee,
  type EventResource,
  type ValidatedEvent,
  type WritableFields,
} from './event-model.ts';
import { buildRuleSet, expandStarts, fromFloating, instanceStamp, toFloating } from './recurrence.ts';
import {
  APP_CREATED_SCOPES,
  METHOD_SCOPES,
  NO_EVENT_BODY_SCOPES,
  OWNED_ONLY_SCOPES,
  type CalendarMethod,
} from './scopes.ts';
import type { AccessRole, CalendarRecord, GoogleState, SentNotification, StoredEvent, TestUser } from './state.ts';

/**
 * Calendar v3 as the emulator serves it: calendarList.list, events insert/get/patch/delete/list
 * and freeBusy.query over GoogleState. Methods take already-parsed query/body values and throw
 * GoogleApiError with Google's reasons and messages.
 */

export interface Caller {
  user: TestUser;
  scopes: readonly string[];
}

export type Query = Record<string, string | string[] | undefined>;

const ROLE_RANK: Record<AccessRole, number> = { freeBusyReader: 0, reader: 1, writer: 2, owner: 3 };
const DEFAULT_REMINDERS = [{ method: 'popup', minutes: 30 }];
const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;
type SendUpdates = (typeof SEND_UPDATES)[number];

/** Google-style random event id: 26 base32hex characters. */
function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function many(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function bool(q: Query, name: string): boolean {
  const v = one(q, name);
  if (v === undefined) return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw apiErrors.invalid(`Invalid boolean value: '${v}'.`, name);
}

function int(q: Query, name: string, min: number): number | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw apiErrors.invalid(`Invalid integer value: '${v}'.`, name);
  if (n < min) throw apiErrors.invalid(`Invalid value '${v}'. Values must be within the range: [${min}, 2147483647]`, name);
  return n;
}

/** An RFC 3339 timestamp with an offset, as the list and freeBusy bounds must be. */
function instant(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const dt = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? DateTime.fromISO(v, { setZone: true }) : null;
  if (!dt || !dt.isValid) throw new GoogleApiError(400, 'badRequest', 'Bad Request', { location: name, locationType: 'parameter' });
  return dt.toMillis();
}

function sendUpdatesParam(q: Query): SendUpdates | undefined {
  const v = one(q, 'sendUpdates');
  if (v === undefined) return undefined;
  if (!(SEND_UPDATES as readonly string[]).includes(v)) {
    throw apiErrors.invalid(`Invalid string value: '${v}'. Allowed values: [all, externalOnly, none]`, 'sendUpdates');
  }
  return v as SendUpdates;
}

/**
 * The method as Google names it in ErrorInfo metadata: the discovery id `calendar.events.insert`
 * becomes `calendar.v3.Events.Insert` (version added, resource and verb capitalised).
 */
export function rpcMethodName(method: CalendarMethod): string {
  const [, resource = '', verb = ''] = method.split('.');
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return `calendar.v3.${cap(resource)}.${cap(verb)}`;
}

const encodeToken = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function decodeToken<T>(t: string, check: (o: any) => boolean): T | null {
  try {
    const o = JSON.parse(Buffer.from(t, 'base64url').toString('utf8'));
    return check(o) ? (o as T) : null;
  } catch {
    return null;
  }
}

export class CalendarService {
  constructor(
    private readonly state: GoogleState,
    private readonly baseUrl: () => string,
    private readonly now: () => number,
  ) {}

  /** Throws 403 insufficientPermissions unless a granted scope allows the method at all. */
  requireScope(caller: Caller, method: CalendarMethod): string[] {
    const allowed: readonly string[] = METHOD_SCOPES[method];
    const matching = caller.scopes.filter((s) => allowed.includes(s));
    if (matching.length === 0) throw apiErrors.insufficientPermissions(rpcMethodName(method));
    return matching;
  }

  /** The calendar an events method works on, after Google's access and scope-reach checks. */
  #eventsCalendar(caller: Caller, method: CalendarMethod, calendarId: string, need: 'read' | 'write') {
    const matching = this.requireScope(caller, method);
    const calendar = this.#lookup(caller, calendarId);
    const role = calendar && this.state.accessRole(calendar, caller.user.sub);
    if (!calendar || !role || role === 'freeBusyReader') throw apiErrors.notFound();
    const reaching = matching.filter(
      (s) => !APP_CREATED_SCOPES.has(s) && !NO_EVENT_BODY_SCOPES.has(s) && (!OWNED_ONLY_SCOPES.has(s) || role === 'owner'),
    );
    if (reaching.length === 0) throw apiErrors.insufficientPermissions(rpcMethodName(method));
    if (need === 'write' && ROLE_RANK[role] < ROLE_RANK.writer) throw apiErrors.requiredAccessLevel();
    return { calendar, role };
  }

  #lookup(caller: Caller, calendarId: string): CalendarRecord | undefined {
    return this.state.calendars.get(calendarId === 'primary' ? caller.user.email : calendarId);
  }

  #etag(): string {
    return `"${this.now()}${String(++this.state.rev % 1000).padStart(3, '0')}"`;
  }

  // ---- calendarList ----

  calendarList(caller: Caller, q: Query) {
    this.requireScope(caller, 'calendar.calendarList.list');
    const min = one(q, 'minAccessRole');
    if (min !== undefined && !(min in ROLE_RANK)) {
      throw apiErrors.invalid(`Invalid string value: '${min}'. Allowed values: [freeBusyReader, owner, reader, writer]`, 'minAccessRole');
    }
    const maxResults = Math.min(int(q, 'maxResults', 1) ?? 100, 250);
    const entries = [...this.state.calendars.values()]
      .map((c) => ({ c, role: this.state.accessRole(c, caller.user.sub) }))
      .filter((x): x is { c: CalendarRecord; role: AccessRole } => x.role !== null)
      .filter((x) => min === undefined || ROLE_RANK[x.role] >= ROLE_RANK[min as AccessRole])
      .sort((a, b) => Number(b.c.id === caller.user.email) - Number(a.c.id === caller.user.email) || ROLE_RANK[b.role] - ROLE_RANK[a.role])
      .map(({ c, role }) => this.#calendarListEntry(caller, c, role));
    const { page, next } = this.#paginate(entries, one(q, 'pageToken'), maxResults, 'calendarList');
    return {
      kind: 'calendar#calendarList',
      etag: `"p${this.state.calendars.size}${caller.user.sub.slice(-6)}"`,
      ...(next ? { nextPageToken: next } : { nextSyncToken: encodeToken({ k: 'calendarList', at: this.now() }) }),
      items: page,
    };
  }

  #calendarListEntry(caller: Caller, c: CalendarRecord, role: AccessRole) {
    const primary = c.id === caller.user.email;
    return {
      kind: 'calendar#calendarListEntry',
      etag: `"${c.id.length}${c.colorId}0000000"`,
      id: c.id,
      summary: c.summary,
      ...(c.description ? { description: c.description } : {}),
      timeZone: c.timeZone,
      colorId: c.colorId,
      backgroundColor: c.backgroundColor,
      foregroundColor: '#000000',
      selected: true,
      accessRole: role,
      defaultReminders: role === 'owner' ? DEFAULT_REMINDERS : [],
      ...(primary
        ? {
            notificationSettings: {
              notifications: [
                { type: 'eventCreation', method: 'email' },
                { type: 'eventChange', method: 'email' },
                { type: 'eventCancellation', method: 'email' },
                { type: 'eventResponse', method: 'email' },
              ],
            },
            primary: true,
          }
        : {}),
      conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
    };
  }

  // ---- events ----

  insert(caller: Caller, calendarId: string, q: Query, body: unknown): EventResource {
    const { calendar } = this.#eventsCalendar(caller, 'calendar.events.insert', calendarId, 'write');
    const sendUpdates = sendUpdatesParam(q);
    const input = isObject(body) ? body : {};
    const id = input.id;
    if (id !== undefined && id !== null && (typeof id !== 'string' || !EVENT_ID.test(id))) throw apiErrors.invalid('Invalid resource id value.');
    const valid = validateEvent(pickWritable(input), calendar.timeZone);
    const events = this.state.calendarEvents(calendar.id);
    if (typeof id === 'string' && events.has(id)) throw apiErrors.duplicate();
    const eventId = typeof id === 'string' ? id : newEventId();
    const nowMs = this.now();
    const iso = new Date(nowMs).toISOString();
    const resource = this.#compose(caller, calendar, valid, {
      id: eventId,
      created: iso,
      nowMs,
      iCalUID: typeof input.iCalUID === 'string' && input.iCalUID ? input.iCalUID : `${eventId}@google.com`,
      sequence: typeof valid.fields.sequence === 'number' ? valid.fields.sequence : 0,
    });
    const stored: StoredEvent = { calendarId: calendar.id, resource, cancelledInstances: new Set(), updatedMs: nowMs, rev: ++this.state.rev };
    events.set(eventId, stored);
    this.#notify(stored, 'created', sendUpdates);
    return resource;
  }

  get(caller: Caller, calendarId: string, eventId: string): EventResource {
    const { calendar } = this.#eventsCalendar(caller, 'calendar.events.get', calendarId, 'read');
    const stored = this.state.calendarEvents(calendar.id).get(eventId);
    if (stored) return stored.resource;
    const instance = this.#findInstance(calendar, eventId);
    if (instance) return instance.resource;
    throw apiErrors.notFound();
  }

  patch(caller: Caller, calendarId: string, eventId: string, q: Query, body: unknown): EventResource {
    const { calendar } = this.#eventsCalendar(caller, 'calendar.events.patch', calendarId, 'write');
    const sendUpdates = sendUpdatesParam(q);
    const stored = this.state.calendarEvents(calendar.id).get(eventId);
    if (!stored) throw apiErrors.notFound();
    const patch = isObject(body) ? body : {};
    const current = pickWritable(stored.resource as Record<string, unknown>);
    const writablePatch: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) if (isWritable(k)) writablePatch[k] = v;
    const merged = mergePatch(current, writablePatch) as Record<string, unknown>;
    const valid = validateEvent(pickWritable(merged), calendar.timeZone);
    const old = stored.resource;
    const rescheduled = ['start', 'end', 'recurrence', 'location'].some((k) => JSON.stringify(current[k as keyof WritableFields]) !== JSON.stringify(valid.fields[k as keyof WritableFields]));
    const clientSequence = typeof writablePatch.sequence === 'number' ? writablePatch.sequence : undefined;
    const nowMs = this.now();
    const resource = this.#compose(caller, calendar, valid, {
      id: old.id,
      created: old.created,
      nowMs,
      iCalUID: old.iCalUID,
      sequence: clientSequence ?? old.sequence + (rescheduled ? 1 : 0),
      creator: old.creator,
    });
    stored.resource = resource;
    stored.updatedMs = nowMs;
    stored.rev = ++this.state.rev;
    this.#notify(stored, resource.status === 'cancelled' && old.status !== 'cancelled' ? 'cancelled' : 'updated', sendUpdates);
    return resource;
  }

  delete(caller: Caller, calendarId: string, eventId: string, q: Query): void {
    const { calendar } = this.#eventsCalendar(caller, 'calendar.events.delete', calendarId, 'write');
    const sendUpdates = sendUpdatesParam(q);
    const events = this.state.calendarEvents(calendar.id);
    const stored = events.get(eventId);
    if (!stored) {
      const instance = this.#findInstance(calendar, eventId);
      if (!instance) throw apiErrors.notFound();
      if (instance.resource.status === 'cancelled') throw apiErrors.deleted();
      instance.master.cancelledInstances.add(instance.stamp);
      const nowMs = this.now();
      instance.master.updatedMs = nowMs;
      instance.master.resource = { ...instance.master.resource, updated: new Date(nowMs).toISOString(), etag: this.#etag() };
      instance.master.rev = ++this.state.rev;
      this.#notify(instance.master, 'updated', sendUpdates);
      return;
    }
    if (stored.resource.status === 'cancelled') throw apiErrors.deleted();
    const nowMs = this.now();
    stored.resource = { ...stored.resource, status: 'cancelled', updated: new Date(nowMs).toISOString(), etag: this.#etag() };
    stored.updatedMs = nowMs;
    stored.rev = ++this.state.rev;
    this.#notify(stored, 'cancelled', sendUpdates);
  }

  list(caller: Caller, calendarId: string, q: Query) {
    const { calendar, role } = this.#eventsCalendar(caller, 'calendar.events.list', calendarId, 'read');
    const singleEvents = bool(q, 'singleEvents');
    const orderBy = one(q, 'orderBy');
    if (orderBy !== undefined && orderBy !== 'startTime' && orderBy !== 'updated') {
      throw apiErrors.invalid(`Invalid string value: '${orderBy}'. Allowed values: [startTime, updated]`, 'orderBy');
    }
    if (orderBy === 'startTime' && !singleEvents) throw apiErrors.badRequest('The requested ordering is not available for the particular query.');
    const syncToken = one(q, 'syncToken');
    const filters = ['timeMin', 'timeMax', 'updatedMin', 'q', 'iCalUID', 'privateExtendedProperty', 'sharedExtendedProperty', 'orderBy'];
    if (syncToken !== undefined && filters.some((f) => q[f] !== undefined)) {
      throw apiErrors.invalid('Sync token cannot be used with other filters.', 'syncToken');
    }
    const sync = syncToken === undefined ? null : decodeToken<{ k: string; c: string; rev: number }>(syncToken, (o) => o?.k === 'events' && o.c === calendar.id);
    if (syncToken !== undefined && !sync) throw apiErrors.fullSyncRequired();
    const showDeleted = bool(q, 'showDeleted') || sync !== null;
    const timeMin = instant(one(q, 'timeMin'), 'timeMin');
    const timeMax = instant(one(q, 'timeMax'), 'timeMax');
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) throw apiErrors.timeRangeEmpty();
    const updatedMin = instant(one(q, 'updatedMin'), 'updatedMin');
    const timeZone = one(q, 'timeZone');
    if (timeZone !== undefined && !IANAZone.isValidZone(timeZone)) throw apiErrors.invalid('Invalid time zone definition.', 'timeZone');
    const maxResults = Math.min(int(q, 'maxResults', 1) ?? 250, 2500);
    const props = (name: string) =>
      many(q, name).map((p) => {
        const i = p.indexOf('=');
        if (i <= 0) throw apiErrors.invalid(`Invalid value for: ${name}`, name);
        return [p.slice(0, i), p.slice(i + 1)] as const;
      });
    const privateProps = props('privateExtendedProperty');
    const sharedProps = props('sharedExtendedProperty');
    const text = one(q, 'q')?.toLowerCase();
    const iCalUID = one(q, 'iCalUID');

    const window = { fromMs: timeMin, toMs: timeMax };
    const items: { resource: EventResource; startMs: number; updatedMs: number }[] = [];
    for (const stored of this.state.calendarEvents(calendar.id).values()) {
      const ev = stored.resource;
      if (sync && stored.rev <= sync.rev) continue;
      if (!showDeleted && ev.status === 'cancelled') continue;
      if (iCalUID !== undefined && ev.iCalUID !== iCalUID) continue;
      if (updatedMin !== undefined && stored.updatedMs < updatedMin) continue;
      if (!privateProps.every(([k, v]) => ev.extendedProperties?.private?.[k] === v)) continue;
      if (!sharedProps.every(([k, v]) => ev.extendedProperties?.shared?.[k] === v)) continue;
      if (text !== undefined && !matchesText(ev, text)) continue;
      if (ev.recurrence && ev.status !== 'cancelled') {
        const instances = this.#instances(stored, calendar, window);
        if (singleEvents) {
          for (const i of instances) {
            if (i.resource.status === 'cancelled' && !showDeleted) continue;
            items.push({ resource: i.resource, startMs: i.startMs, updatedMs: stored.updatedMs });
          }
          continue;
        }
        if ((timeMin !== undefined || timeMax !== undefined) && !instances.some((i) => i.resource.status !== 'cancelled')) continue;
        items.push({ resource: ev, startMs: instances[0]?.startMs ?? 0, updatedMs: stored.updatedMs });
        continue;
      }
      const start = resolveTime(ev.start, calendar.timeZone, 'start');
      const end = resolveTime(ev.end, calendar.timeZone, 'end');
      if (timeMin !== undefined && !(end.ms > timeMin)) continue;
      if (timeMax !== undefined && !(start.ms < timeMax)) continue;
      items.push({ resource: ev, startMs: start.ms, updatedMs: stored.updatedMs });
    }
    if (orderBy === 'startTime') items.sort((a, b) => a.startMs - b.startMs || a.resource.id.localeCompare(b.resource.id));
    if (orderBy === 'updated') items.sort((a, b) => a.updatedMs - b.updatedMs);

    const { page, next } = this.#paginate(
      items.map((i) => i.resource),
      one(q, 'pageToken'),
      maxResults,
      `events:${calendar.id}`,
    );
    const lastUpdated = Math.max(0, ...[...this.state.calendarEvents(calendar.id).values()].map((s) => s.updatedMs));
    return {
      kind: 'calendar#events',
      etag: `"${lastUpdated || this.now()}000"`,
      summary: calendar.summary,
      ...(calendar.description ? { description: calendar.description } : {}),
      updated: new Date(lastUpdated || this.now()).toISOString(),
      timeZone: timeZone ?? calendar.timeZone,
      accessRole: role,
      defaultReminders: role === 'owner' ? DEFAULT_REMINDERS : [],
      ...(next ? { nextPageToken: next } : { nextSyncToken: encodeToken({ k: 'events', c: calendar.id, rev: this.state.rev }) }),
      items: page,
    };
  }

  // ---- freeBusy ----

  freeBusy(caller: Caller, body: unknown) {
    this.requireScope(caller, 'calendar.freebusy.query');
    const input = isObject(body) ? body : {};
    if (input.timeMin === undefined) throw apiErrors.required('Missing timeMin.', 'timeMin');
    if (input.timeMax === undefined) throw apiErrors.required('Missing timeMax.', 'timeMax');
    const timeMin = instant(String(input.timeMin), 'timeMin')!;
    const timeMax = instant(String(input.timeMax), 'timeMax')!;
    if (timeMax <= timeMin) throw apiErrors.timeRangeEmpty();
    const zone = input.timeZone === undefined ? 'UTC' : String(input.timeZone);
    if (!IANAZone.isValidZone(zone)) throw apiErrors.invalid('Invalid time zone definition.', 'timeZone');
    const items = Array.isArray(input.items) ? input.items : [];
    const fmt = (ms: number) => formatDateTime(DateTime.fromMillis(ms, { zone }));
    const calendars: Record<string, { busy: { start: string; end: string }[]; errors?: { domain: string; reason: string }[] }> = {};
    items.forEach((item: unknown, index: number) => {
      const id = isObject(item) && typeof item.id === 'string' ? item.id : '';
      if (index >= 50) {
        calendars[id] = { busy: [], errors: [{ domain: 'calendar', reason: 'tooManyCalendarsRequested' }] };
        return;
      }
      const calendar = this.#lookup(caller, id);
      if (!calendar || !this.state.accessRole(calendar, caller.user.sub)) {
        calendars[id] = { busy: [], errors: [{ domain: 'global', reason: 'notFound' }] };
        return;
      }
      calendars[id] = { busy: this.busy(calendar, timeMin, timeMax).map(([s, e]) => ({ start: fmt(s), end: fmt(e) })) };
    });
    return {
      kind: 'calendar#freeBusy',
      timeMin: new Date(timeMin).toISOString(),
      timeMax: new Date(timeMax).toISOString(),
      calendars,
    };
  }

  /** Busy periods, clipped to [fromMs, toMs) and merged: confirmed, opaque events (series expanded). */
  busy(calendar: CalendarRecord, fromMs: number, toMs: number): [number, number][] {
    const periods: [number, number][] = [];
    for (const stored of this.state.calendarEvents(calendar.id).values()) {
      const ev = stored.resource;
      if (ev.status !== 'confirmed' || ev.transparency === 'transparent') continue;
      const spans = ev.recurrence
        ? this.#instances(stored, calendar, { fromMs, toMs })
            .filter((i) => i.resource.status === 'confirmed')
            .map((i) => [i.startMs, i.endMs] as [number, number])
        : [[resolveTime(ev.start, calendar.timeZone, 'start').ms, resolveTime(ev.end, calendar.timeZone, 'end').ms] as [number, number]];
      for (const [s, e] of spans) if (s < toMs && e > fromMs && e > s) periods.push([Math.max(s, fromMs), Math.min(e, toMs)]);
    }
    periods.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const p of periods) {
      const last = merged[merged.length - 1];
      if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
      else merged.push([p[0], p[1]]);
    }
    return merged;
  }

  // ---- helpers ----

  #compose(
    caller: Caller,
    calendar: CalendarRecord,
    valid: ValidatedEvent,
    fixed: { id: string; created: string; nowMs: number; iCalUID: string; sequence: number; creator?: EventResource['creator'] },
  ): EventResource {
    const f = valid.fields;
    const nowMs = fixed.nowMs;
    const organizer =
      calendar.id === caller.user.email || !calendar.ownerSub
        ? { email: calendar.ownerSub ? caller.user.email : calendar.id, self: true }
        : { email: calendar.id, displayName: calendar.summary, self: true };
    const startTz = isObject(f.start) && typeof f.start.timeZone === 'string' ? f.start.timeZone : undefined;
    const endTz = isObject(f.end) && typeof f.end.timeZone === 'string' ? f.end.timeZone : undefined;
    const { start: _s, end: _e, recurrence: _r, status, summary, description, location, colorId, transparency, visibility, attendees, extendedProperties, reminders, sequence: _q, ...rest } = f;
    const resource: EventResource = {
      kind: 'calendar#event',
      etag: this.#etag(),
      id: fixed.id,
      status: (status as EventResource['status']) ?? 'confirmed',
      htmlLink: `${this.baseUrl()}/calendar/event?eid=${Buffer.from(`${fixed.id} ${calendar.id}`).toString('base64url')}`,
      created: fixed.created,
      updated: new Date(nowMs).toISOString(),
      ...(summary !== undefined ? { summary: summary as string } : {}),
      ...(description !== undefined ? { description: description as string } : {}),
      ...(location !== undefined ? { location: location as string } : {}),
      ...(colorId !== undefined ? { colorId } : {}),
      creator: fixed.creator ?? { email: caller.user.email, self: true },
      organizer,
      start: writeTime(valid.start, startTz),
      end: writeTime(valid.end, endTz),
      ...(valid.recurrence ? { recurrence: valid.recurrence } : {}),
      ...(transparency !== undefined ? { transparency: transparency as EventResource['transparency'] } : {}),
      ...(visibility !== undefined ? { visibility: visibility as string } : {}),
      iCalUID: fixed.iCalUID,
      sequence: fixed.sequence,
      ...(Array.isArray(attendees) && attendees.length > 0 ? { attendees: normaliseAttendees(attendees as EventAttendee[], organizer.email, caller.user.email) } : {}),
      ...(extendedProperties !== undefined ? { extendedProperties: extendedProperties as EventResource['extendedProperties'] } : {}),
      reminders: (reminders as EventResource['reminders']) ?? { useDefault: true },
      eventType: 'default',
      ...(rest as Record<string, unknown>),
    };
    return resource;
  }

  #instances(stored: StoredEvent, calendar: CalendarRecord, window: { fromMs?: number; toMs?: number }) {
    const master = stored.resource;
    const start = resolveTime(master.start, calendar.timeZone, 'start');
    const end = resolveTime(master.end, calendar.timeZone, 'end');
    const series = { start: start.local, allDay: start.allDay, zone: start.zone };
    const set = buildRuleSet(master.recurrence ?? [], series);
    const floatingDuration = toFloating(end.local).getTime() - toFloating(start.local).getTime();
    const { recurrence: _r, ...base } = master;
    const out: { resource: EventResource; startMs: number; endMs: number; stamp: string }[] = [];
    for (const os of expandStarts(set, series, { ...window, durationMs: end.ms - start.ms })) {
      const oe = fromFloating(new Date(toFloating(os).getTime() + floatingDuration), series.zone);
      const startMs = os.toMillis();
      const endMs = oe.toMillis();
      if (window.fromMs !== undefined && !(endMs > window.fromMs)) continue;
      if (window.toMs !== undefined && !(startMs < window.toMs)) continue;
      const stamp = instanceStamp(os, series.allDay);
      const startOut = writeTime({ allDay: series.allDay, ms: startMs, zone: series.zone, local: os }, master.start.timeZone);
      out.push({
        resource: {
          ...base,
          id: `${master.id}_${stamp}`,
          status: stored.cancelledInstances.has(stamp) ? 'cancelled' : master.status,
          htmlLink: `${this.baseUrl()}/calendar/event?eid=${Buffer.from(`${master.id}_${stamp} ${calendar.id}`).toString('base64url')}`,
          start: startOut,
          end: writeTime({ allDay: series.allDay, ms: endMs, zone: series.zone, local: oe }, master.end.timeZone),
          recurringEventId: master.id,
          originalStartTime: startOut,
        },
        startMs,
        endMs,
        stamp,
      });
    }
    return out;
  }

  #findInstance(calendar: CalendarRecord, eventId: string) {
    const m = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(eventId);
    if (!m) return null;
    const master = this.state.calendarEvents(calendar.id).get(m[1]!);
    if (!master?.resource.recurrence || master.resource.status === 'cancelled') return null;
    const stamp = m[2]!;
    const at = stamp.length === 8 ? DateTime.fromFormat(stamp, 'yyyyMMdd', { zone: 'UTC' }) : DateTime.fromFormat(stamp, "yyyyMMdd'T'HHmmss'Z'", { zone: 'UTC' });
    if (!at.isValid) return null;
    const found = this.#instances(master, calendar, { fromMs: at.toMillis() - 2 * 86_400_000, toMs: at.toMillis() + 2 * 86_400_000 }).find(
      (i) => i.stamp === stamp,
    );
    return found ? { ...found, master } : null;
  }

  #paginate<T>(all: T[], pageToken: string | undefined, maxResults: number, kind: string): { page: T[]; next: string | undefined } {
    let offset = 0;
    if (pageToken !== undefined) {
      const t = decodeToken<{ k: string; o: number }>(pageToken, (o) => o?.k === kind && Number.isInteger(o.o) && o.o >= 0);
      if (!t) throw apiErrors.invalid('Invalid page token value.', 'pageToken');
      offset = t.o;
    }
    const page = all.slice(offset, offset + maxResults);
    const next = offset + maxResults < all.length ? encodeToken({ k: kind, o: offset + maxResults }) : undefined;
    return { page, next };
  }

  #notify(stored: StoredEvent, action: SentNotification['action'], sendUpdates: SendUpdates | undefined): void {
    const mode = sendUpdates ?? 'none';
    const ev = stored.resource;
    const domain = (email: string) => email.split('@')[1]?.toLowerCase() ?? '';
    const recipients =
      mode === 'none'
        ? []
        : (ev.attendees ?? [])
            .filter((a) => !a.self && !a.organizer && !a.resource)
            .filter((a) => mode === 'all' || domain(a.email) !== domain(ev.organizer.email))
            .map((a) => a.email);
    this.state.notifications.push({ at: new Date(this.now()).toISOString(), calendarId: stored.calendarId, eventId: ev.id, action, sendUpdates: mode, recipients });
  }
}

function normaliseAttendees(list: EventAttendee[], organizerEmail: string, selfEmail: string): EventAttendee[] {
  return list.map((a) => {
    const { organizer: _o, self: _s, ...rest } = a;
    const email = a.email.toLowerCase();
    return {
      ...rest,
      email,
      ...(email === organizerEmail.toLowerCase() ? { organizer: true } : {}),
      ...(email === selfEmail.toLowerCase() ? { self: true } : {}),
      responseStatus: a.responseStatus ?? 'needsAction',
    };
  });
}

function matchesText(ev: EventResource, text: string): boolean {
  const hay = [ev.summary, ev.description, ev.location, ev.organizer.email, ...(ev.attendees ?? []).flatMap((a) => [a.email, a.displayName])]
    .filter((s): s is string => typeof s === 'string')
    .join('\n')
    .toLowerCase();
  return text.split(/\s+/).filter(Boolean).every((w) => hay.includes(w));
}
