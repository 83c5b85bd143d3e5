/**
 * The error kinds of LeadsCalendar, shared by the API, the use cases and the provider adapters.
 * One class, one `kind` field; what is retryable is decided here and nowhere else.
 */
export const ERROR_KINDS = {
  invalid_request: { status: 400, title: 'Invalid request', retryable: false },
  unauthorized: { status: 401, title: 'Authentication required', retryable: false },
  forbidden: { status: 403, title: 'Forbidden', retryable: false },
  not_found: { status: 404, title: 'Not found', retryable: false },
  conflict: { status: 409, title: 'Conflict', retryable: false },
  rate_limited: { status: 429, title: 'Too many requests', retryable: true },
  provider_unavailable: { status: 503, title: 'Provider unavailable', retryable: true },
  declined: { status: 402, title: 'Payment declined', retryable: false },
  signature_invalid: { status: 400, title: 'Signature invalid', retryable: false },
  internal: { status: 500, title: 'Internal error', retryable: false },
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

interface ProblemCodeEntry {
  /** The error kind: the problem's `type`, `title` and `kind`. */
  kind: ErrorKind;
  /** The HTTP status when the code answers a request (field codes: the status of `validation_failed`). */
  status: number;
  /** One line for people: what happened. docs/troubleshooting.md explains cause and fix. */
  doc: string;
}

/**
 * Every `code` a problem document, or one of its `errors[]`, can carry: the one registry. To add
 * a code, add a line here and a row under "Problem codes" in docs/troubleshooting.md, and make
 * some request produce it in test/docs/problem-codes.test.ts (the test checks all three agree).
 * Codes are stable: clients branch on them, so a code is never renamed or reused.
 */
export const PROBLEM_CODES = {
  // The request itself could not be read.
  validation_failed: { kind: 'invalid_request', status: 400, doc: 'The request does not match the schema; errors[] names each field and its own code.' },
  malformed_json: { kind: 'invalid_request', status: 400, doc: 'The body is not valid JSON, or is empty while Content-Type says JSON.' },
  malformed_url: { kind: 'invalid_request', status: 400, doc: 'The URL cannot be decoded (a stray % such as /api/v1/events/%ZZ).' },
  malformed_request: { kind: 'invalid_request', status: 400, doc: 'The HTTP framing is broken: a bad Content-Length, broken chunked encoding, an invalid header.' },
  request_timeout: { kind: 'invalid_request', status: 408, doc: 'The request headers or body did not arrive in time.' },
  body_too_large: { kind: 'invalid_request', status: 413, doc: 'The body is over the 256 KiB limit.' },
  unsupported_media_type: { kind: 'invalid_request', status: 415, doc: 'The Content-Type is not one this endpoint reads (application/json).' },
  headers_too_large: { kind: 'invalid_request', status: 431, doc: 'The request headers are over the server limit (16 KiB).' },
  route_not_found: { kind: 'not_found', status: 404, doc: 'No route for this method and path.' },
  shutting_down: { kind: 'provider_unavailable', status: 503, doc: 'The server is shutting down; retry.' },
  // Codes of one field inside validation_failed's errors[].
  required: { kind: 'invalid_request', status: 400, doc: 'A required field is missing.' },
  invalid_type: { kind: 'invalid_request', status: 400, doc: 'A field has the wrong JSON type (a string where a number is expected, …).' },
  unrecognized_field: { kind: 'invalid_request', status: 400, doc: 'A field the endpoint does not know (often a typo).' },
  invalid_length: { kind: 'invalid_request', status: 400, doc: 'A string or list is shorter or longer than allowed.' },
  invalid_value: { kind: 'invalid_request', status: 400, doc: 'A value outside the allowed set (e.g. sendUpdates).' },
  invalid_character: { kind: 'invalid_request', status: 400, doc: 'A text contains a NUL character (\u0000), which cannot be stored.' },
  // Event times and recurrence (also used as field codes: invalid_format, out_of_range).
  invalid_time_zone: { kind: 'invalid_request', status: 400, doc: 'Not a known IANA time zone name.' },
  invalid_format: { kind: 'invalid_request', status: 400, doc: 'A value not in its documented format (dates, times, e-mail addresses, ids).' },
  invalid_date: { kind: 'invalid_request', status: 400, doc: 'Not a real date or time (2026-02-30, 24:10).' },
  out_of_range: { kind: 'invalid_request', status: 400, doc: 'A number or year outside its range.' },
  nonexistent_local_time: { kind: 'invalid_request', status: 400, doc: 'The local time falls in a DST gap of the zone.' },
  end_not_after_start: { kind: 'invalid_request', status: 400, doc: 'end is not after start.' },
  too_long: { kind: 'invalid_request', status: 400, doc: 'The event lasts more than 31 days.' },
  invalid_recurrence: { kind: 'invalid_request', status: 400, doc: 'A recurrence line that cannot be parsed, or a value out of range.' },
  unsupported_recurrence: { kind: 'invalid_request', status: 400, doc: 'A recurrence feature LeadsCalendar does not accept (DTSTART lines, sub-hourly rules, …).' },
  recurrence_too_large: { kind: 'invalid_request', status: 400, doc: 'COUNT or INTERVAL over 10000 (too many or too long lines are validation_failed).' },
  recurrence_too_complex: { kind: 'invalid_request', status: 400, doc: 'A rule too costly to expand.' },
  no_occurrences: { kind: 'invalid_request', status: 400, doc: 'The exclusions remove every occurrence.' },
  start_in_past: { kind: 'invalid_request', status: 400, doc: 'The event (its first occurrence) has already begun; an all-day event, its day is over.' },
  // The calendar an event is created on.
  calendar_not_found: { kind: 'invalid_request', status: 400, doc: 'calendarId is not in the person’s Google calendar list.' },
  calendar_not_writable: { kind: 'invalid_request', status: 400, doc: 'LeadsCalendar cannot add events to that calendar (read-only, or not owned).' },
  calendar_check_unavailable: { kind: 'provider_unavailable', status: 503, doc: 'Google did not answer in time to confirm the calendar is writable; nothing was created.' },
  // Payments.
  event_not_payable: { kind: 'conflict', status: 409, doc: 'The event is not waiting for payment (paid, confirmed, expired, cancelled), or its payment deadline passed.' },
  payment_not_refundable: { kind: 'conflict', status: 409, doc: 'Only a payment that took money (captured, or held for review) can be refunded.' },
  payment_not_cancellable: { kind: 'conflict', status: 409, doc: 'Only an open payment (created or approved, no money taken) can be cancelled; one that took or holds money is refunded or voided instead.' },
  payment_not_capturable: { kind: 'conflict', status: 409, doc: 'Only a PayPal payment holding money (intent AUTHORIZE, status authorized) can be captured.' },
  payment_capture_too_early: { kind: 'conflict', status: 409, doc: 'The held payment’s event is not on Google Calendar yet; the money is taken only once it is.' },
  payment_not_voidable: { kind: 'conflict', status: 409, doc: 'Only a PayPal payment holding money (intent AUTHORIZE, status authorized) can be voided.' },
  payment_provider_unavailable: { kind: 'provider_unavailable', status: 503, doc: 'PayPal or Binance Pay did not answer in time while creating the order (nothing was charged) or capturing a hold (retried by itself).' },
  payment_provider_disabled: { kind: 'conflict', status: 409, doc: 'An admin has turned this payment provider off for now; pay with one of details.enabledProviders.' },
  payment_provider_refused: { kind: 'provider_unavailable', status: 502, doc: 'PayPal or Binance Pay refused to create the order (credentials, account, request); nothing was charged.' },
  // An event's receipt and calendar file.
  receipt_not_available: { kind: 'conflict', status: 409, doc: 'No payment took money for this event (waiting for payment, expired, cancelled before payment, a PayPal hold released): there is no receipt.' },
  calendar_file_not_available: { kind: 'conflict', status: 409, doc: 'The event was never booked (waiting for payment, expired, failed): it has no calendar file.' },
  // Live status streams.
  too_many_streams: { kind: 'rate_limited', status: 429, doc: 'This person already has SSE_MAX_STREAMS_PER_USER live status streams open (tabs, devices); close one or poll.' },
  stream_capacity_reached: { kind: 'provider_unavailable', status: 503, doc: 'This instance already serves SSE_MAX_STREAMS live status streams; retry later (another instance may answer) or poll.' },
  signature_invalid: { kind: 'signature_invalid', status: 400, doc: 'A provider notification whose signature does not verify (forged, altered, stale, or from an untrusted certificate); nothing was stored.' },
  // Credentials for servers and idempotent POSTs.
  insufficient_scope: { kind: 'forbidden', status: 403, doc: 'The API key or access token has the read scope; this request changes something and needs write.' },
  idempotency_key_reused: { kind: 'invalid_request', status: 422, doc: 'This Idempotency-Key was already used with another method, path or body in the last 24 hours.' },
  idempotency_key_in_use: { kind: 'conflict', status: 409, doc: 'A request with this Idempotency-Key is still running; retry after Retry-After seconds to get its answer.' },
  // Outgoing webhooks.
  webhook_url_refused: { kind: 'invalid_request', status: 400, doc: 'The webhook URL is not one LeadsCalendar delivers to: live mode takes only https URLs whose host is public (no private, loopback, link-local or reserved address).' },
  too_many_webhook_endpoints: { kind: 'conflict', status: 409, doc: 'This person already has the most webhook endpoints allowed (16); delete one first.' },
  // The default code of each kind, for errors that carry no code of their own.
  invalid_request: { kind: 'invalid_request', status: 400, doc: 'A provider refused the request as invalid.' },
  unauthorized: { kind: 'unauthorized', status: 401, doc: 'Not signed in, or the Google connection needs reconnecting.' },
  forbidden: { kind: 'forbidden', status: 403, doc: 'A missing CSRF token, or a permission Google refused.' },
  not_found: { kind: 'not_found', status: 404, doc: 'The resource does not exist or is not yours.' },
  conflict: { kind: 'conflict', status: 409, doc: 'The resource is in a state that does not allow the operation.' },
  rate_limited: { kind: 'rate_limited', status: 429, doc: 'Too many requests; retry after Retry-After seconds.' },
  provider_unavailable: { kind: 'provider_unavailable', status: 503, doc: 'A provider (Google) did not answer or failed.' },
  internal: { kind: 'internal', status: 500, doc: 'An unexpected error on our side.' },
} as const satisfies Record<string, ProblemCodeEntry>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/**
 * The code of an error that names none. `declined` has none: a provider's decline never answers a
 * request (it is recorded on the payment, and starting a payment maps it to payment_provider_refused).
 */
export const DEFAULT_CODES: { readonly [K in ErrorKind]?: ProblemCode } = {
  invalid_request: 'invalid_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  rate_limited: 'rate_limited',
  provider_unavailable: 'provider_unavailable',
  signature_invalid: 'signature_invalid',
  internal: 'internal',
};

export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && Object.hasOwn(PROBLEM_CODES, code);
}

export interface AppErrorOptions {
  /** The problem code clients see (see {@link PROBLEM_CODES}); by default the kind's. */
  code?: ProblemCode;
  /** Which provider answered, when the error comes from one. */
  provider?: 'google' | 'paypal' | 'binance';
  /** The provider's HTTP status. */
  httpStatus?: number;
  /** Binance's 6-digit code, Google's errors[0].reason, PayPal's details[0].issue. */
  providerCode?: string;
  /** PayPal-Debug-Id or equivalent, for support tickets. */
  debugId?: string;
  retryAfterMs?: number;
  /** Extra machine-readable fields for the problem document (e.g. field errors). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly provider: AppErrorOptions['provider'];
  readonly httpStatus: number | undefined;
  readonly providerCode: string | undefined;
  readonly debugId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** The problem code, or undefined for a kind that has no default code (see {@link DEFAULT_CODES}). */
  readonly code: ProblemCode | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.provider = opts.provider;
    this.httpStatus = opts.httpStatus;
    this.providerCode = opts.providerCode;
    this.debugId = opts.debugId;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
    this.code = opts.code ?? DEFAULT_CODES[kind];
  }

  get retryable(): boolean {
    return ERROR_KINDS[this.kind].retryable;
  }
}

export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  return err instanceof AppError && (kind === undefined || err.kind === kind);
}
