import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { OAuth2Client } from 'google-auth-library';
import { AppError, isAppError } from '../../errors.ts';
import { DEFAULT_RETRY, withRetries, type RetryHooks, type RetryPolicy } from '../retry.ts';
import { googleError } from './errors.ts';

/**
 * Google Calendar v3 through the official client, pointed at Google or the sandbox by `rootUrl`.
 * The library's own retries are off (it would retry GETs but never POST/PATCH or a 403 rate
 * limit): one policy, ours, applies to every call. A 401 refreshes the access token once.
 */

export interface CalendarSummary {
  id: string;
  summary: string;
  primary: boolean;
  timeZone: string | null;
  accessRole: string;
}

export interface BusyPeriod {
  start: string;
  end: string;
}

export type InsertOutcome = 'inserted' | 'already_there' | 'restored';

export interface CalendarOptions {
  rootUrl: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  hooks?: RetryHooks;
}

export class GoogleCalendar {
  readonly #api: calendar_v3.Calendar;

  constructor(
    private readonly auth: OAuth2Client,
    private readonly opts: CalendarOptions,
  ) {
    this.#api = calendar({ version: 'v3', auth, rootUrl: opts.rootUrl.endsWith('/') ? opts.rootUrl : `${opts.rootUrl}/` });
  }

  async #call<T>(operation: string, fn: (o: { retry: false; timeout: number }) => Promise<{ data: T }>): Promise<T> {
    let refreshed = false;
    return withRetries(
      async () => {
        try {
          return (await fn({ retry: false, timeout: this.opts.timeoutMs ?? 10_000 })).data;
        } catch (raw) {
          const err = googleError(raw, operation);
          if (err.kind === 'unauthorized' && err.providerCode !== 'invalid_grant' && !refreshed) {
            // The access token was refused although not expired by our clock: refresh once.
            refreshed = true;
            this.auth.setCredentials({ ...this.auth.credentials, access_token: null, expiry_date: null });
            return (await fn({ retry: false, timeout: this.opts.timeoutMs ?? 10_000 }).catch((e) => {
              throw googleError(e, operation);
            })).data;
          }
          throw err;
        }
      },
      this.opts.retry ?? DEFAULT_RETRY,
      this.opts.hooks,
    );
  }

  /** Calendars the user owns (events.owned cannot write elsewhere), primary first. */
  async listOwnedCalendars(): Promise<CalendarSummary[]> {
    const out: CalendarSummary[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#call('calendarList.list', (o) =>
        this.#api.calendarList.list({ minAccessRole: 'owner', maxResults: 250, ...(pageToken ? { pageToken } : {}) }, o),
      );
      for (const c of page.items ?? []) {
        if (c.accessRole !== 'owner' || !c.id) continue;
        out.push({ id: c.id, summary: c.summaryOverride ?? c.summary ?? c.id, primary: c.primary === true, timeZone: c.timeZone ?? null, accessRole: c.accessRole });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return out.sort((a, b) => Number(b.primary) - Number(a.primary) || a.summary.localeCompare(b.summary));
  }

  async freeBusy(calendarId: string, timeMin: Date, timeMax: Date): Promise<BusyPeriod[]> {
    const res = await this.#call('freebusy.query', (o) =>
      this.#api.freebusy.query({ requestBody: { timeMin: timeMin.toISOString(), timeMax: timeMax.toISOString(), items: [{ id: calendarId }] } }, o),
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

  async getEvent(calendarId: string, eventId: string): Promise<calendar_v3.Schema$Event> {
    return this.#call('events.get', (o) => this.#api.events.get({ calendarId, eventId }, o));
  }

  /**
   * Inserts with our client-chosen id, so a repeat (a retry after a lost answer, a re-run job) is
   * harmless: on 409 the existing event is read; confirmed means done, cancelled means restore it.
   */
  async insertIdempotent(
    calendarId: string,
    event: calendar_v3.Schema$Event & { id: string },
    sendUpdates: 'all' | 'externalOnly' | 'none',
  ): Promise<{ event: calendar_v3.Schema$Event; outcome: InsertOutcome }> {
    try {
      const created = await this.#call('events.insert', (o) => this.#api.events.insert({ calendarId, sendUpdates, requestBody: event }, o));
      return { event: created, outcome: 'inserted' };
    } catch (err) {
      if (!isAppError(err, 'conflict')) throw err;
    }
    const existing = await this.getEvent(calendarId, event.id);
    if (existing.status !== 'cancelled') return { event: existing, outcome: 'already_there' };
    // Deleted events linger as cancelled and keep their id: bring it back with our current content.
    const restored = await this.#call('events.patch', (o) =>
      this.#api.events.patch({ calendarId, eventId: event.id, sendUpdates, requestBody: { ...event, status: 'confirmed' } }, o),
    );
    return { event: restored, outcome: 'restored' };
  }
}
