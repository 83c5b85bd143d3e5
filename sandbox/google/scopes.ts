/**
 * OAuth scopes the emulated Google knows, and which of them each emulated Calendar method accepts
 * (the method scope lists of the Calendar v3 discovery document, rev 20251028; a test checks this
 * table against the discovery file).
 */

const AUTH = 'https://www.googleapis.com/auth/';

export const SCOPE = {
  calendar: `${AUTH}calendar`,
  appCreated: `${AUTH}calendar.app.created`,
  calendarList: `${AUTH}calendar.calendarlist`,
  calendarListReadonly: `${AUTH}calendar.calendarlist.readonly`,
  events: `${AUTH}calendar.events`,
  eventsFreebusy: `${AUTH}calendar.events.freebusy`,
  eventsOwned: `${AUTH}calendar.events.owned`,
  eventsOwnedReadonly: `${AUTH}calendar.events.owned.readonly`,
  eventsPublicReadonly: `${AUTH}calendar.events.public.readonly`,
  eventsReadonly: `${AUTH}calendar.events.readonly`,
  freebusy: `${AUTH}calendar.freebusy`,
  readonly: `${AUTH}calendar.readonly`,
  userinfoEmail: `${AUTH}userinfo.email`,
  userinfoProfile: `${AUTH}userinfo.profile`,
} as const;

/** Every scope the consent page accepts; the remaining discovery-doc scopes are listed for completeness. */
export const KNOWN_SCOPES = new Set<string>([
  'openid',
  'email',
  'profile',
  ...Object.values(SCOPE),
  `${AUTH}calendar.acls`,
  `${AUTH}calendar.acls.readonly`,
  `${AUTH}calendar.calendars`,
  `${AUTH}calendar.calendars.readonly`,
  `${AUTH}calendar.settings.readonly`,
]);

/** Short aliases Google accepts in the auth request, and the scope each stands for in tokens. */
const ALIASES: Record<string, string> = { email: SCOPE.userinfoEmail, profile: SCOPE.userinfoProfile };

/** The scopes a token carries: aliases replaced by their full names, deduplicated, in order. */
export function canonicalScopes(scopes: Iterable<string>): string[] {
  return [...new Set([...scopes].map((s) => ALIASES[s] ?? s))];
}

export function hasEmailScope(scopes: readonly string[]): boolean {
  return scopes.includes(SCOPE.userinfoEmail) || scopes.includes('email');
}

export function hasProfileScope(scopes: readonly string[]): boolean {
  return scopes.includes(SCOPE.userinfoProfile) || scopes.includes('profile');
}

/** Reading events: the discovery document lists the same scopes for get and list. */
const READ_EVENTS = [
  SCOPE.calendar,
  SCOPE.appCreated,
  SCOPE.events,
  SCOPE.eventsFreebusy,
  SCOPE.eventsOwned,
  SCOPE.eventsOwnedReadonly,
  SCOPE.eventsPublicReadonly,
  SCOPE.eventsReadonly,
  SCOPE.readonly,
] as const;

/** Calendar methods the emulator serves → the scopes that allow them (any one suffices). */
export const METHOD_SCOPES = {
  'calendar.calendarList.list': [SCOPE.calendar, SCOPE.calendarList, SCOPE.calendarListReadonly, SCOPE.readonly],
  'calendar.events.insert': [SCOPE.calendar, SCOPE.appCreated, SCOPE.events, SCOPE.eventsOwned],
  'calendar.events.patch': [SCOPE.calendar, SCOPE.appCreated, SCOPE.events, SCOPE.eventsOwned],
  'calendar.events.delete': [SCOPE.calendar, SCOPE.appCreated, SCOPE.events, SCOPE.eventsOwned],
  'calendar.events.get': READ_EVENTS,
  'calendar.events.list': READ_EVENTS,
  'calendar.freebusy.query': [SCOPE.calendar, SCOPE.eventsFreebusy, SCOPE.freebusy, SCOPE.readonly],
} as const satisfies Record<string, readonly string[]>;

export type CalendarMethod = keyof typeof METHOD_SCOPES;

/** Scopes that reach only calendars the user owns. */
export const OWNED_ONLY_SCOPES = new Set<string>([SCOPE.eventsOwned, SCOPE.eventsOwnedReadonly]);
/** Scopes that reach only calendars the app created (the emulator has none). */
export const APP_CREATED_SCOPES = new Set<string>([SCOPE.appCreated]);
/** Scopes that reach only public events, or only free/busy: no event bodies on private calendars. */
export const NO_EVENT_BODY_SCOPES = new Set<string>([SCOPE.eventsPublicReadonly, SCOPE.eventsFreebusy]);
