import type { calendar_v3 } from '@googleapis/calendar';
import type { OAuth2Client } from 'google-auth-library';
import type { BusyPeriod, CalendarAccess, CalendarEventInput, CalendarPort, CalendarSummary, InsertedEvent } from '../../ports/calendar.ts';
import { isoWithOffset, type GoogleEventDateTime } from '../../domain/event-time.ts';
import { googleEventId, googleEventIdWithSuffix } from '../../domain/google-event-id.ts';
import { normalizeSchedule } from '../../domain/recurrence.ts';
import { AppError, isAppError } from '../../errors.ts';
import { googleError } from './errors.ts';
import { GOOGLE_SCOPES, REQUIRED_SCOPES } from './scopes.ts';

/**
 * Google Calendar v3 behind the calendar port, through the official client pointed at Google or
 * the sandbox by `rootUrl`. One attempt per call, bounded by `timeoutMs` and by the caller's
 * `signal` (a request's overall deadline): the library's own retries are off, retrying is the
 * caller's business. A 401 refreshes the access token once, since that is a renewal, not a retry.
 */

export interface CalendarOptions {
  rootUrl: string;
  /** Each call to Google, the token refresh included, gives up after this long (default 15 s). */
  timeoutMs?: number;
  /** Aborts every call still running (e.g. at the end of a request's deadline). */
  signal?: AbortSignal;
}

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

const ACCESS: Record<string, CalendarAccess> = { owner: 'owner', writer: 'writer', reader: 'reader', freeBusyReader: 'freeBusyReader' };

/**
 * The roles whose calendars the grant can write to. `calendar.events.owned`, the narrowest scope
 * that inserts events, reaches only calendars the person owns; a writer on someone else's calendar
 * would be refused at insert time.
 */
const WRITABLE_ACCESS: ReadonlySet<CalendarAccess> = REQUIRED_SCOPES.includes(GOOGLE_SCOPES.eventsOwned) ? new Set(['owner']) : new Set(['owner', 'writer']);

type CallOptions = { retry: false; timeout: number; signal?: AbortSignal };

// The generated client is one of the largest modules the server loads (~140 ms here), and a start
// needs none of it: load it on the first call to Google instead of on every restart.
let calendarModule: Promise<typeof import('@googleapis/calendar')> | undefined;
const loadCalendarModule = () => (calendarModule ??= import('@googleapis/calendar'));

export class GoogleCalendar implements CalendarPort {
  #api: Promise<calendar_v3.Calendar> | undefined;

  constructor(
    private readonly auth: OAuth2Client,
    private readonly opts: CalendarOptions,
  ) {}

  #client(): Promise<calendar_v3.Calendar> {
    const { auth, opts } = this;
    return (this.#api ??= loadCalendarModule().then(({ calendar }) =>
      calendar({ version: 'v3', auth, rootUrl: opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/` }),
    ));
  }

  async #call<T>(operation: string, call: (api: calendar_v3.Calendar, o: CallOptions) => Promise<{ data: T }>): Promise<T> {
    const api = await this.#client();
    const fn = (o: CallOptions) => call(api, o);
    const o: CallOptions = { retry: false, timeout: this.opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, ...(this.opts.signal ? { signal: this.opts.signal } : {}) };
    try {
      return (await fn(o)).data;
    } catch (raw) {
      const err = googleError(raw, operation);
      if (err.httpStatus !== 401 || err.providerCode === 'invalid_grant') throw err;
    }
    // The access token was refused although not expired by our clock: refresh it once.
    this.auth.setCredentials({ ...this.auth.credentials, access_token: null, expiry_date: null });
    try {
      return (await fn(o)).data;
    } catch (raw) {
      throw googleError(raw, operation);
    }
  }

  async listCalendars(): Promise<CalendarSummary[]> {
    const out: CalendarSummary[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#call('calendarList.list', (api, o) => api.calendarList.list({ maxResults: 250, ...(pageToken ? { pageToken } : {}) }, o));
      for (const c of page.items ?? []) {
        const access = c.accessRole ? ACCESS[c.accessRole] : undefined;
        if (!c.id || !access) continue;
        out.push({
          id: c.id,
          summary: c.summaryOverride ?? c.summary ?? c.id,
          primary: c.primary === true,
          timeZone: c.timeZone ?? null,
          access,
          writable: WRITABLE_ACCESS.has(access),
        });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return out.sort((a, b) => Number(b.primary) - Number(a.primary) || a.summary.localeCompare(b.summary));
  }

  async listWritableCalendars(): Promise<CalendarSummary[]> {
    return (await this.listCalendars()).filter((c) => c.writable);
  }

  async freeBusy(calendarId: string, from: Date, to: Date): Promise<BusyPeriod[]> {
    const res = await this.#call('freebusy.query', (api, o) =>
      api.freebusy.query({ requestBody: { timeMin: from.toISOString(), timeMax: to.toISOString(), items: [{ id: calendarId }] } }, o),
    );
    const entry = Object.values(res.calendars ?? {})[0];
    if (entry?.errors?.length) {
      const reason = entry.errors[0]?.reason ?? 'unknown';
      throw new AppError(reason === 'notFound' ? 'not_found' : 'provider_unavailable', `Google could not read free/busy for calendar ${calendarId}: ${reason}`, {
        provider: 'google',
        providerCode: reason,
      });
    }
    return (entry?.busy ?? []).map((b) => ({ start: b.start!, end: b.end! }));
  }

  /**
   * Inserts under the id derived from ours, so a repeat is answered 409 and the existing event is
   * read instead: confirmed means done, cancelled (deleted by the person) means restore it. If
   * Google will not restore it, a fresh id that is still deterministic (the same suffix each time).
   */
  async insertEvent(calendarId: string, eventId: string, event: CalendarEventInput): Promise<InsertedEvent> {
    const body = googleEventBody(eventId, event);
    try {
      return await this.#insertOnce(calendarId, body, event.sendUpdates);
    } catch (err) {
      if (!isAppError(err, 'forbidden') || err.providerCode === 'insufficientPermissions') throw err;
    }
    return this.#insertOnce(calendarId, { ...body, id: googleEventIdWithSuffix(eventId, 1) }, event.sendUpdates);
  }

  async removeEvent(calendarId: string, providerEventId: string, sendUpdates: CalendarEventInput['sendUpdates']): Promise<'removed' | 'already_gone'> {
    try {
      await this.#call('events.delete', (api, o) => api.events.delete({ calendarId, eventId: providerEventId, sendUpdates }, o));
      return 'removed';
    } catch (err) {
      // Google answers 410 Gone for a deleted event and 404 for an unknown one: either way it is off the calendar.
      if (isAppError(err, 'not_found') || (isAppError(err) && err.httpStatus === 410)) return 'already_gone';
      throw err;
    }
  }

  async #insertOnce(calendarId: string, body: calendar_v3.Schema$Event & { id: string }, sendUpdates: CalendarEventInput['sendUpdates']): Promise<InsertedEvent> {
    const done = (e: calendar_v3.Schema$Event, outcome: InsertedEvent['outcome']): InsertedEvent => ({
      outcome,
      providerEventId: body.id,
      htmlLink: e.htmlLink ?? null,
    });
    try {
      return done(await this.#call('events.insert', (api, o) => api.events.insert({ calendarId, sendUpdates, requestBody: body }, o)), 'inserted');
    } catch (err) {
      if (!isAppError(err, 'conflict')) throw err;
    }
    const existing = await this.#call('events.get', (api, o) => api.events.get({ calendarId, eventId: body.id }, o));
    if (existing.status !== 'cancelled') return done(existing, 'already_exists');
    const restored = await this.#call('events.patch', (api, o) =>
      api.events.patch({ calendarId, eventId: body.id, sendUpdates, requestBody: { ...body, status: 'confirmed' } }, o),
    );
    return done(restored, 'restored');
  }
}

/** Calendar v3's event resource for one of our events. */
export function googleEventBody(eventId: string, e: CalendarEventInput): calendar_v3.Schema$Event & { id: string } {
  const time = normalizeSchedule({ timeZone: e.timeZone, allDay: e.allDay, start: e.startLocal, end: e.endLocal, recurrence: e.recurrence });
  // Timed events carry the offset we resolved as well as the zone: an ambiguous local time
  // (DST overlap) then means the instant we stored and showed, whatever Google would pick.
  const pin = (d: GoogleEventDateTime, instant: Date): GoogleEventDateTime =>
    'dateTime' in d ? { dateTime: isoWithOffset(instant, e.timeZone), timeZone: d.timeZone } : d;
  return {
    id: googleEventId(eventId),
    summary: e.title,
    description: `${e.description ? `${e.description}\n\n` : ''}Booked with LeadsCalendar: ${e.link}`,
    ...(e.location ? { location: e.location } : {}),
    start: pin(time.google.start, e.startAt),
    end: pin(time.google.end, e.endAt),
    ...(e.recurrence.length ? { recurrence: e.recurrence } : {}),
    ...(e.attendees.length ? { attendees: e.attendees.map((a) => ({ email: a.email, displayName: a.displayName, optional: a.optional })) } : {}),
    extendedProperties: { private: { lcEventId: eventId } },
  };
}
