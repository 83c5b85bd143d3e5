import { AppError, type ErrorKind } from '../../errors.ts';

/**
 * Google's errors → our kinds (shared/providers/google.md §3): one table, branching on
 * errors[0].reason as Google advises. `unauthorized` always means "the person must reconnect": a
 * refused or revoked grant, or a permission they did not give. A quota error becomes rate_limited
 * with a long cool-down, which the job waits out before its next attempt.
 */

const QUOTA_COOL_DOWN_MS = 15 * 60 * 1000;

interface GaxiosLike {
  message?: string;
  code?: string | number;
  status?: number;
  name?: string;
  response?: {
    status?: number;
    data?: unknown;
    headers?: Headers | Record<string, string | undefined>;
  };
}

const REASONS: Record<string, ErrorKind> = {
  insufficientPermissions: 'unauthorized',
  forbidden: 'forbidden',
  requiredAccessLevel: 'forbidden',
  forbiddenForNonOrganizer: 'forbidden',
  rateLimitExceeded: 'rate_limited',
  userRateLimitExceeded: 'rate_limited',
  quotaExceeded: 'rate_limited',
  duplicate: 'conflict',
  conditionNotMet: 'conflict',
  notFound: 'not_found',
  deleted: 'not_found',
  authError: 'unauthorized',
  backendError: 'provider_unavailable',
};

const BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'not_found',
  412: 'conflict',
  429: 'rate_limited',
};

const TRANSPORT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ABORT_ERR']);

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string | undefined>)[name];
}

export function retryAfterMs(value: string | undefined | null): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

export function googleError(err: unknown, operation: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as GaxiosLike;
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const data = e.response?.data as
    | { error?: string | { message?: string; errors?: { reason?: string; message?: string }[] }; error_description?: string }
    | undefined;

  // OAuth endpoint errors are flat: {"error":"invalid_grant","error_description":"…"}.
  if (data && typeof data.error === 'string') {
    const code = data.error;
    // A busy or failing token endpoint answers in the same flat shape: that is a "try again", not a refusal.
    const kind: ErrorKind =
      code === 'invalid_grant' || code === 'invalid_client'
        ? 'unauthorized'
        : status === 429
          ? 'rate_limited'
          : status !== undefined && status >= 500
            ? 'provider_unavailable'
            : 'invalid_request';
    const message =
      code === 'invalid_grant'
        ? 'Google no longer accepts LeadsCalendar’s access to this account (the grant was revoked or expired). Reconnect Google.'
        : kind === 'rate_limited' || kind === 'provider_unavailable'
          ? `Google could not answer ${operation} now: ${data.error_description ?? code}`
          : `Google refused the sign-in request: ${data.error_description ?? code}`;
    const retryAfter = retryAfterMs(header(e.response?.headers, 'retry-after'));
    return new AppError(kind, message, {
      provider: 'google',
      httpStatus: status,
      providerCode: code,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
      cause: err,
    });
  }

  if (status === undefined) {
    const code = String(e.code ?? e.name ?? '');
    if (TRANSPORT_CODES.has(code) || /timeout|aborted|socket|network/i.test(`${e.message} ${code}`)) {
      return new AppError('provider_unavailable', `Google did not answer ${operation} in time (${e.message ?? code}).`, {
        provider: 'google',
        providerCode: code || undefined,
        cause: err,
      });
    }
    return new AppError('provider_unavailable', `Calling Google (${operation}) failed: ${e.message ?? 'unknown error'}`, {
      provider: 'google',
      cause: err,
    });
  }

  const body = data && typeof data.error === 'object' ? data.error : undefined;
  const reason = body?.errors?.[0]?.reason;
  const googleMessage = body?.message ?? body?.errors?.[0]?.message ?? e.message ?? `HTTP ${status}`;
  let kind: ErrorKind = (reason && REASONS[reason]) || BY_STATUS[status] || (status >= 500 ? 'provider_unavailable' : 'invalid_request');
  if (status >= 500) kind = 'provider_unavailable';
  let retryAfter = retryAfterMs(header(e.response?.headers, 'retry-after'));
  if (reason === 'quotaExceeded') retryAfter = Math.max(retryAfter ?? 0, QUOTA_COOL_DOWN_MS);

  const message =
    reason === 'insufficientPermissions'
      ? 'LeadsCalendar lacks a Google permission it needs. Reconnect Google and keep every permission ticked.'
      : kind === 'invalid_request'
        ? `Google Calendar refused the event: ${googleMessage}`
        : `Google Calendar ${operation} failed: ${googleMessage}`;
  return new AppError(kind, message, {
    provider: 'google',
    httpStatus: status,
    providerCode: reason,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    cause: err,
  });
}
