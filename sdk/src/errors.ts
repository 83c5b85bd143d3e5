/**
 * One class per kind of failure, so callers branch with `instanceof`, never on message text.
 * API errors carry the server's RFC 9457 problem document; every error carries what was asked.
 */

/** What the SDK sent and got, for a bug report. Never holds the credentials. */
export interface DebugInfo {
  method: string;
  url: string;
  /** The response body as received (a problem document, or whatever a proxy answered). */
  responseBody?: string;
}

/** A field the server refused, from the problem document's `errors`. */
export interface FieldError {
  path: string;
  code: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  kind?: string;
  requestId?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class LeadsCalendarError extends Error {
  override readonly name: string = 'LeadsCalendarError';
  constructor(
    message: string,
    readonly debug: DebugInfo,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request never got an HTTP answer: refused connection, TLS failure, reset, or the timeout. */
export class ConnectionError extends LeadsCalendarError {
  override readonly name: string = 'ConnectionError';
}

/** The client-side deadline (`timeoutMs`) passed before the answer. */
export class TimeoutError extends ConnectionError {
  override readonly name: string = 'TimeoutError';
}

/** An HTTP answer that is not a success. */
export class ApiError extends LeadsCalendarError {
  override readonly name: string = 'ApiError';
  /** The problem's `type` URI; its page in the docs explains cause and fix. */
  readonly type: string;
  /** The stable machine code (`validation_failed`, `rate_limited`, …). */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];
  /** Seconds the server asked to wait (Retry-After), if it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly status: number,
    readonly problem: Problem,
    debug: DebugInfo,
    readonly headers: Headers,
  ) {
    super(`${problem.title}${problem.detail ? `: ${problem.detail}` : ''} (HTTP ${status}${problem.requestId ? `, request ${problem.requestId}` : ''})`, debug);
    this.type = problem.type;
    this.code = problem.code;
    this.requestId = problem.requestId ?? headers.get('x-request-id') ?? undefined;
    this.errors = problem.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds(headers.get('retry-after'));
  }
}

/** 400, 413, 415, 422: the request itself is wrong; `errors` names each field. */
export class InvalidRequestError extends ApiError {
  override readonly name: string = 'InvalidRequestError';
}
/** 401: no credentials, or they are wrong, revoked or expired. */
export class AuthenticationError extends ApiError {
  override readonly name: string = 'AuthenticationError';
}
/** 403: the credentials lack the scope, or the session lacks its CSRF token. */
export class PermissionError extends ApiError {
  override readonly name: string = 'PermissionError';
}
/** 404: no such thing, or it belongs to someone else. */
export class NotFoundError extends ApiError {
  override readonly name: string = 'NotFoundError';
}
/** 409: the thing is not in a state that allows this. */
export class ConflictError extends ApiError {
  override readonly name: string = 'ConflictError';
}
/** An Idempotency-Key reused with another body, or still in use by a request in flight. */
export class IdempotencyError extends ApiError {
  override readonly name: string = 'IdempotencyError';
}
/** 402: the provider declined the payment. */
export class PaymentDeclinedError extends ApiError {
  override readonly name: string = 'PaymentDeclinedError';
}
/** 429: too many requests; `retryAfterSeconds` says when to come back. */
export class RateLimitError extends ApiError {
  override readonly name: string = 'RateLimitError';
}
/** 5xx: the server or a payment provider failed; safe to retry with the same idempotency key. */
export class ServerError extends ApiError {
  override readonly name: string = 'ServerError';
}

/** A webhook delivery whose signature, timestamp or body does not check out. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

export function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The class for an answer: the problem's code first (idempotency), then the HTTP status. */
export function apiErrorFor(status: number, problem: Problem, debug: DebugInfo, headers: Headers): ApiError {
  if (problem.code?.startsWith('idempotency_')) return new IdempotencyError(status, problem, debug, headers);
  if (status === 401) return new AuthenticationError(status, problem, debug, headers);
  if (status === 402) return new PaymentDeclinedError(status, problem, debug, headers);
  if (status === 403) return new PermissionError(status, problem, debug, headers);
  if (status === 404) return new NotFoundError(status, problem, debug, headers);
  if (status === 409) return new ConflictError(status, problem, debug, headers);
  if (status === 429) return new RateLimitError(status, problem, debug, headers);
  if (status >= 500) return new ServerError(status, problem, debug, headers);
  if (status >= 400) return new InvalidRequestError(status, problem, debug, headers);
  return new ApiError(status, problem, debug, headers);
}
