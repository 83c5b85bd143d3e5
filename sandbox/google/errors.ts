import type { ProviderErrorResponse } from '../context.ts';

/**
 * Google's two error shapes: the Calendar API's JSON error envelope and the OAuth endpoints'
 * `{error, error_description}`. One table of reasons → default messages, one status → canonical
 * `status` string table; every error the emulator answers goes through here.
 */

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** The canonical `status` Google adds to newer error bodies (google.rpc.Code names). */
const CANONICAL_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** reason → [domain, item message, top-level message when it differs]. */
const REASONS: Record<string, [string, string, string?]> = {
  badRequest: ['global', 'Bad Request'],
  invalid: ['global', 'Invalid Value'],
  required: ['global', 'Required'],
  parseError: ['global', 'Parse Error'],
  invalidParameter: ['global', 'Invalid Value'],
  timeRangeEmpty: ['calendar', 'The specified time range is empty.'],
  authError: [
    'global',
    'Invalid Credentials',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  ],
  insufficientPermissions: ['global', 'Insufficient Permission', 'Request had insufficient authentication scopes.'],
  forbidden: ['global', 'Forbidden'],
  requiredAccessLevel: ['calendar', 'You need to have writer access to this calendar.'],
  rateLimitExceeded: ['usageLimits', 'Rate Limit Exceeded'],
  userRateLimitExceeded: ['usageLimits', 'User Rate Limit Exceeded'],
  quotaExceeded: ['usageLimits', 'Calendar usage limits exceeded.'],
  notFound: ['global', 'Not Found'],
  duplicate: ['global', 'The requested identifier already exists.'],
  deleted: ['global', 'Resource has been deleted'],
  fullSyncRequired: ['global', 'Sync token is no longer valid, a full sync is required.'],
  conditionNotMet: ['global', 'Precondition Failed'],
  backendError: ['global', 'Backend Error'],
};

/** A Calendar API error; routes throw it and the route wrapper answers with `toResponse()`. */
export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message?: string,
    readonly extra: { location?: string; locationType?: string; topMessage?: string; domain?: string; headers?: Record<string, string>; details?: unknown[] } = {},
  ) {
    super(message ?? REASONS[reason]?.[1] ?? reason);
  }

  toResponse(): ProviderErrorResponse {
    const [domain, , top] = REASONS[this.reason] ?? ['global'];
    const item: GoogleErrorItem = { domain: this.extra.domain ?? domain, reason: this.reason, message: this.message };
    if (this.extra.location) item.location = this.extra.location;
    if (this.extra.locationType) item.locationType = this.extra.locationType;
    const error: Record<string, unknown> = { code: this.code, message: this.extra.topMessage ?? top ?? this.message, errors: [item] };
    const status = CANONICAL_STATUS[this.code];
    if (status) error.status = status;
    if (this.extra.details) error.details = this.extra.details;
    return { status: this.code, headers: this.extra.headers, body: { error } };
  }
}

export const WWW_AUTHENTICATE_INVALID = 'Bearer realm="https://accounts.google.com/", error="invalid_token"';

export const apiErrors = {
  invalid: (message: string, location?: string) =>
    new GoogleApiError(400, 'invalid', message, location ? { location, locationType: 'parameter' } : {}),
  required: (message: string, location?: string) =>
    new GoogleApiError(400, 'required', message, location ? { location, locationType: 'parameter' } : {}),
  badRequest: (message = 'Bad Request') => new GoogleApiError(400, 'badRequest', message),
  parseError: () => new GoogleApiError(400, 'parseError', 'Parse Error'),
  timeRangeEmpty: () => new GoogleApiError(400, 'timeRangeEmpty', undefined, { location: 'timeMax', locationType: 'parameter' }),
  notFound: () => new GoogleApiError(404, 'notFound'),
  duplicate: () => new GoogleApiError(409, 'duplicate'),
  deleted: () => new GoogleApiError(410, 'deleted'),
  fullSyncRequired: () => new GoogleApiError(410, 'fullSyncRequired'),
  requiredAccessLevel: () => new GoogleApiError(403, 'requiredAccessLevel'),
  missingCredentials: () =>
    new GoogleApiError(401, 'required', 'Login Required.', {
      location: 'Authorization',
      locationType: 'header',
      topMessage:
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
    }),
  authError: () =>
    new GoogleApiError(401, 'authError', undefined, {
      location: 'Authorization',
      locationType: 'header',
      headers: { 'www-authenticate': WWW_AUTHENTICATE_INVALID },
    }),
  insufficientPermissions: (method: string) =>
    new GoogleApiError(403, 'insufficientPermissions', undefined, {
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"' },
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
          domain: 'googleapis.com',
          metadata: { service: 'calendar-json.googleapis.com', method },
        },
      ],
    }),
};

/** The Calendar API's answer to an injected HTTP error (fault `http_error`). */
export function calendarFaultError(status: number, reason?: string): GoogleApiError {
  if (reason && REASONS[reason]) {
    if (reason === 'authError') return apiErrors.authError();
    return new GoogleApiError(status, reason);
  }
  if (reason) return new GoogleApiError(status, reason, reason);
  if (status === 429) return new GoogleApiError(429, 'rateLimitExceeded');
  if (status === 401) return apiErrors.authError();
  if (status === 403) return new GoogleApiError(403, 'forbidden');
  if (status === 404) return apiErrors.notFound();
  if (status === 409) return apiErrors.duplicate();
  if (status === 410) return apiErrors.deleted();
  if (status === 412) return new GoogleApiError(412, 'conditionNotMet');
  if (status >= 500) return new GoogleApiError(status, 'backendError');
  return new GoogleApiError(status, 'badRequest');
}

/** An OAuth endpoint error: `{error, error_description}`. */
export function oauthError(status: number, error: string, description?: string): ProviderErrorResponse {
  return { status, body: description === undefined ? { error } : { error, error_description: description } };
}

/** The OAuth endpoints' answer to an injected HTTP error. */
export function oauthFaultError(status: number, reason?: string): ProviderErrorResponse {
  if (reason) return oauthError(status, reason, 'Bad Request');
  if (status === 401) return oauthError(401, 'invalid_client', 'Unauthorized');
  if (status === 429) return oauthError(429, 'rate_limit_exceeded', 'Rate Limit Exceeded');
  if (status >= 500) return oauthError(status, 'internal_failure', 'Backend Error');
  if (status === 403) return oauthError(403, 'access_denied', 'Forbidden');
  return oauthError(status, 'invalid_request', 'Bad Request');
}
