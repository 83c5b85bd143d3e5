import { AppError, type ErrorKind } from '../../errors.ts';
import type { ErrorBody, OAuthErrorBody } from './wire.ts';

/**
 * PayPal's answers → our error kinds, in one table (shared/providers/paypal.md "Errors"). PayPal
 * puts the useful word in `details[0].issue`; the HTTP status decides only when the issue is not
 * in the table. "Already done" issues (ORDER_ALREADY_CAPTURED, PREVIOUSLY_VOIDED, …) are `conflict`
 * here, and the adapter turns exactly those into success by reading the resource again; the issue
 * stays in `providerCode` so it can tell them apart.
 */

/** The issues whose meaning is the same whatever the HTTP status says. */
const BY_ISSUE: Record<string, ErrorKind> = {
  // Two requests with one PayPal-Request-Id raced: the first is still running, so ask again later.
  PREVIOUS_REQUEST_IN_PROGRESS: 'provider_unavailable',
  ORDER_COMPLETION_IN_PROGRESS: 'provider_unavailable',
  // PayPal said no to the money movement; asking again will not change it.
  INSTRUMENT_DECLINED: 'declined',
  TRANSACTION_REFUSED: 'declined',
  PAYER_CANNOT_PAY: 'declined',
  MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED: 'declined',
  AUTHORIZATION_VOIDED: 'declined',
  AUTHORIZATION_EXPIRED: 'declined',
  AUTHORIZATION_DENIED: 'declined',
  REFUND_NOT_ALLOWED: 'declined',
  REFUND_TIME_LIMIT_EXCEEDED: 'declined',
  REFUND_FAILED_INSUFFICIENT_FUNDS: 'declined',
  // The order or payment is in a state that does not allow the operation (yet, or any more).
  ORDER_NOT_APPROVED: 'conflict',
  PAYER_ACTION_REQUIRED: 'conflict',
  ORDER_EXPIRED: 'conflict',
  ORDER_COMPLETED_OR_VOIDED: 'conflict',
  ACTION_DOES_NOT_MATCH_INTENT: 'conflict',
  PENDING_CAPTURE: 'conflict',
  CANNOT_BE_VOIDED: 'conflict',
  PREVIOUSLY_CAPTURED: 'conflict',
  DUPLICATE_INVOICE_ID: 'conflict',
  ORDER_ALREADY_CAPTURED: 'conflict',
  ORDER_ALREADY_AUTHORIZED: 'conflict',
  AUTHORIZATION_ALREADY_CAPTURED: 'conflict',
  PREVIOUSLY_VOIDED: 'conflict',
  CAPTURE_FULLY_REFUNDED: 'conflict',
};

const BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  // Business validation of the request itself (AMOUNT_MISMATCH, DECIMAL_PRECISION, …).
  422: 'invalid_request',
  429: 'rate_limited',
};

/** The issues the adapter treats as "this was done already". */
export const ALREADY_DONE = new Set(['ORDER_ALREADY_CAPTURED', 'ORDER_ALREADY_AUTHORIZED', 'AUTHORIZATION_ALREADY_CAPTURED', 'PREVIOUSLY_VOIDED', 'CAPTURE_FULLY_REFUNDED']);

const WORDS: Record<ErrorKind, string> = {
  invalid_request: 'PayPal refused the request as invalid',
  unauthorized: 'PayPal refused our merchant credentials',
  forbidden: 'PayPal says our merchant account may not do this',
  not_found: 'PayPal does not know this resource',
  conflict: 'PayPal says the payment is not in a state that allows this',
  rate_limited: 'PayPal asks us to slow down',
  provider_unavailable: 'PayPal is unavailable',
  declined: 'PayPal declined the payment',
  signature_invalid: 'PayPal notification signature is invalid',
  internal: 'PayPal answered something we cannot read',
};

export interface PaypalFailure {
  /** What we were doing, in words ("capture the order"). */
  operation: string;
  status: number;
  body: unknown;
  debugId?: string | null | undefined;
  retryAfter?: string | null | undefined;
}

/** Retry-After as seconds or an HTTP date → milliseconds from `now`. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function issueOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const rest = body as ErrorBody;
  const issue = Array.isArray(rest.details) ? rest.details[0]?.issue : undefined;
  if (typeof issue === 'string' && issue) return issue;
  // The OAuth endpoint answers in OAuth's shape: {error: "invalid_client", …}.
  const oauth = (body as OAuthErrorBody).error;
  if (typeof oauth === 'string' && oauth) return oauth;
  return typeof rest.name === 'string' && rest.name ? rest.name : undefined;
}

/** The one factory: an HTTP answer PayPal gave us, as an AppError. */
export function paypalError(f: PaypalFailure): AppError {
  const issue = issueOf(f.body);
  const bodyDebugId = typeof f.body === 'object' && f.body !== null ? (f.body as ErrorBody).debug_id : undefined;
  const debugId = f.debugId ?? bodyDebugId ?? undefined;
  let kind: ErrorKind;
  if (issue === 'invalid_client') kind = 'unauthorized';
  else if (issue !== undefined && BY_ISSUE[issue]) kind = BY_ISSUE[issue]!;
  else if (f.status >= 500) kind = 'provider_unavailable';
  else kind = BY_STATUS[f.status] ?? 'invalid_request';
  const retry = kind === 'rate_limited' ? retryAfterMs(f.retryAfter) : undefined;
  const facts = [`HTTP ${f.status}`, issue, debugId ? `debug id ${debugId}` : undefined].filter(Boolean).join(', ');
  return new AppError(kind, `${WORDS[kind]}: could not ${f.operation} (${facts}).`, {
    provider: 'paypal',
    httpStatus: f.status,
    ...(issue ? { providerCode: issue } : {}),
    ...(debugId ? { debugId } : {}),
    ...(retry !== undefined ? { retryAfterMs: retry } : {}),
  });
}

/** No answer: the deadline passed, the connection failed, or the answer was not PayPal's JSON. */
export function paypalUnavailable(operation: string, cause: unknown, timedOut: boolean): AppError {
  const why = timedOut ? 'no answer within the deadline' : 'the connection failed';
  return new AppError('provider_unavailable', `PayPal is unavailable: could not ${operation} (${why}).`, { provider: 'paypal', cause });
}

/** PayPal answered 2xx with something we cannot read: a provider fault, retried like a 5xx. */
export function paypalUnreadable(operation: string, status: number, debugId: string | null | undefined): AppError {
  return new AppError('provider_unavailable', `PayPal answered ${operation} with a body that is not the JSON we expect (HTTP ${status}${debugId ? `, debug id ${debugId}` : ''}).`, {
    provider: 'paypal',
    httpStatus: status,
    ...(debugId ? { debugId } : {}),
  });
}
