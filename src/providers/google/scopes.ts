/**
 * The narrowest scopes that do what LeadsCalendar does (shared/providers/google.md §1):
 * insert/read events on calendars the user owns, check free/busy, list calendars to choose from.
 */
export const GOOGLE_SCOPES = {
  openid: 'openid',
  email: 'email',
  eventsOwned: 'https://www.googleapis.com/auth/calendar.events.owned',
  freeBusy: 'https://www.googleapis.com/auth/calendar.freebusy',
  calendarList: 'https://www.googleapis.com/auth/calendar.calendarlist.readonly',
} as const;

export const REQUIRED_SCOPES: readonly string[] = Object.values(GOOGLE_SCOPES);

/** What each scope is for, in words a person understands (shown when one was unticked). */
export const SCOPE_PURPOSE: Record<string, string> = {
  [GOOGLE_SCOPES.openid]: 'know who you are',
  [GOOGLE_SCOPES.email]: 'know your email address',
  [GOOGLE_SCOPES.eventsOwned]: 'add the events you book to your own calendars',
  [GOOGLE_SCOPES.freeBusy]: 'warn you when a booking overlaps something already in your calendar',
  [GOOGLE_SCOPES.calendarList]: 'let you choose which of your calendars receives the event',
};

/** Google returns scopes space-separated, with `email` possibly expanded to its URL form. */
export function normaliseScopes(scope: string | undefined | null): string[] {
  return (scope ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => (s === 'https://www.googleapis.com/auth/userinfo.email' ? 'email' : s));
}

export function missingScopes(granted: readonly string[]): string[] {
  const have = new Set(granted);
  return REQUIRED_SCOPES.filter((s) => !have.has(s));
}
