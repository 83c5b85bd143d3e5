/**
 * The calendar as the use cases see it, in LeadsCalendar's words; src/providers/google/ implements
 * it. Every method makes one attempt within the deadline it was created with: retrying is the
 * caller's choice (a job retries with backoff, a request degrades or refuses).
 *
 * Failures are AppErrors of these kinds:
 * - `unauthorized`: the person's access must be renewed (refused, revoked, or missing a permission);
 *   reconnecting is the only fix.
 * - `forbidden`, `not_found`, `invalid_request`: this calendar or this event cannot be written as
 *   asked; retrying will not help.
 * - `rate_limited` (with `retryAfterMs` when the provider said), `provider_unavailable` (no answer in
 *   time, or a server error): retry later.
 */

export type CalendarAccess = 'owner' | 'writer' | 'reader' | 'freeBusyReader';

export interface CalendarSummary {
  id: string;
  summary: string;
  primary: boolean;
  timeZone: string | null;
  access: CalendarAccess;
  /** LeadsCalendar can put events on it: the person's access and LeadsCalendar's permission both allow it. */
  writable: boolean;
}

export interface BusyPeriod {
  start: string;
  end: string;
}

export interface CalendarAttendee {
  email: string;
  displayName?: string | undefined;
  optional?: boolean | undefined;
}

/** What LeadsCalendar puts on the calendar for one of its events. */
export interface CalendarEventInput {
  title: string;
  description: string | null;
  location: string | null;
  timeZone: string;
  allDay: boolean;
  /** Wall-clock values as the person typed them ('2031-06-02T10:00' or '2031-06-02'). */
  startLocal: string;
  endLocal: string;
  /** The instants those wall-clock values were resolved to when the event was created. */
  startAt: Date;
  endAt: Date;
  recurrence: string[];
  attendees: CalendarAttendee[];
  /** Who the provider notifies. */
  sendUpdates: 'all' | 'externalOnly' | 'none';
  /** Where the person can see the booking in LeadsCalendar. */
  link: string;
}

export interface InsertedEvent {
  /** inserted: new; already_exists: an earlier attempt had put it there; restored: it had been deleted. */
  outcome: 'inserted' | 'already_exists' | 'restored';
  /** The provider's id for the event. */
  providerEventId: string;
  /** Where the person sees it in the provider's calendar, when the provider says. */
  htmlLink: string | null;
}

export interface CalendarPort {
  /** The person's own calendar list, with their access to each and whether LeadsCalendar can write to it; primary first. */
  listCalendars(): Promise<CalendarSummary[]>;

  /** The calendars of that list LeadsCalendar can put events on. */
  listWritableCalendars(): Promise<CalendarSummary[]>;

  /** Busy periods of one calendar between two instants. */
  freeBusy(calendarId: string, from: Date, to: Date): Promise<BusyPeriod[]>;

  /**
   * Puts one of our events on a calendar, idempotently: the provider's id derives from `eventId`,
   * so a repeat (after a lost answer, a crash, a retry) finds the earlier copy instead of adding one.
   */
  insertEvent(calendarId: string, eventId: string, event: CalendarEventInput): Promise<InsertedEvent>;

  /**
   * Takes one of our events off a calendar (its money was returned), telling the attendees as the
   * event said. Idempotent: an event already deleted, or never there, is `already_gone`.
   */
  removeEvent(calendarId: string, providerEventId: string, sendUpdates: CalendarEventInput['sendUpdates']): Promise<'removed' | 'already_gone'>;
}
