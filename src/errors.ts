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

export interface AppErrorOptions {
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
  }

  get retryable(): boolean {
    return ERROR_KINDS[this.kind].retryable;
  }
}

export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  return err instanceof AppError && (kind === undefined || err.kind === kind);
}
