import { AppError, type ErrorKind } from '../../errors.ts';

/**
 * Binance Pay failures → AppError kinds, in one table (../shared/providers/binance-pay.md §6).
 * Binance reports failures in its JSON envelope (`status` FAIL/ERROR and a 6-digit `code`), often
 * under HTTP 200, and documents no HTTP statuses; so the code decides, except for what only the
 * transport can say: 429 (the emulator's synthetic one), 5xx, no answer.
 */

interface CodeEntry {
  kind: ErrorKind;
  /** Plain words for logs and operators; never secrets. */
  what: string;
}

const CONFIG = 'check BINANCE_API_KEY and BINANCE_SECRET_KEY (a configuration problem)';

export const BINANCE_CODE_TABLE: Readonly<Record<string, CodeEntry>> = {
  '400000': { kind: 'provider_unavailable', what: 'Binance Pay had an unknown error' },
  '400001': { kind: 'invalid_request', what: 'Binance Pay refused the request as invalid' },
  '400002': { kind: 'unauthorized', what: `Binance Pay refused our request signature; ${CONFIG}` },
  // Our clock or a slow hop put the timestamp outside Binance's window: a new attempt signs anew.
  '400003': { kind: 'provider_unavailable', what: 'Binance Pay refused the request timestamp (clock skew or a slow network); retry' },
  '400004': { kind: 'unauthorized', what: `Binance Pay does not know our API key or our IP address; ${CONFIG}` },
  '400005': { kind: 'unauthorized', what: `Binance Pay says our API key is malformed; ${CONFIG}` },
  '400006': { kind: 'invalid_request', what: 'Binance Pay refused the HTTP method' },
  '400007': { kind: 'invalid_request', what: 'Binance Pay refused the content type' },
  '400008': { kind: 'invalid_request', what: 'Binance Pay could not read the request body' },
  '400100': { kind: 'invalid_request', what: 'Binance Pay says a mandatory field is empty or malformed' },
  '400101': { kind: 'invalid_request', what: 'Binance Pay says a field is too long' },
  '400102': { kind: 'invalid_request', what: 'Binance Pay says a field has a wrong value' },
  '400103': { kind: 'invalid_request', what: 'Binance Pay says a field has an illegal character' },
  '400104': { kind: 'invalid_request', what: 'Binance Pay says the request is too large' },
  // Invalid or duplicated; ours are always valid, so the adapter reads it as "already created".
  '400201': { kind: 'conflict', what: 'Binance Pay already has an order with this merchantTradeNo (or refused it)' },
  '400202': { kind: 'not_found', what: 'Binance Pay has no such order' },
  '400203': { kind: 'forbidden', what: 'Binance Pay refused the call because of the merchant account status' },
  '400204': { kind: 'conflict', what: 'Binance Pay says the order status does not allow this (paid, or a payment under way)' },
  '400205': { kind: 'invalid_request', what: 'Binance Pay says the sub-merchant already exists' },
  '400206': { kind: 'invalid_request', what: 'Binance Pay says the sub-merchant is invalid' },
  '400301': { kind: 'invalid_request', what: 'Binance Pay says the prepayId is invalid' },
  '400302': { kind: 'declined', what: 'Binance Pay refused the refund: too many refund attempts on this order' },
  '400303': { kind: 'declined', what: 'Binance Pay refused the refund amount (more than is left to refund)' },
  '400304': { kind: 'declined', what: 'Binance Pay refused the refund: the merchant balance is not enough' },
  '400601': { kind: 'not_found', what: 'Binance Pay has no such account' },
  '400606': { kind: 'forbidden', what: 'Binance Pay refused merchant access' },
  // The gateway's answer to a request it cannot route (GET, no JSON content type, empty body).
  '100001001': { kind: 'invalid_request', what: 'the Binance Pay gateway refused the request format' },
};

export interface FailureInput {
  /** What we were doing, in words ("create the order"). */
  operation: string;
  httpStatus: number;
  /** The envelope's code, when the body was a Binance envelope. */
  code?: string | undefined;
  /** Binance's own message; short, and it never contains our secrets. */
  providerMessage?: string | undefined;
  retryAfter?: string | null | undefined;
}

/** The AppError for one failed answer. */
export function binanceError(input: FailureInput): AppError {
  const { operation, httpStatus, code } = input;
  const said = input.providerMessage ? ` (Binance: ${input.providerMessage.slice(0, 200)})` : '';
  const opts = { provider: 'binance' as const, httpStatus, ...(code ? { providerCode: code } : {}) };
  if (httpStatus === 429) {
    const retryAfterMs = parseRetryAfter(input.retryAfter);
    return new AppError('rate_limited', `Binance Pay is rate limiting us; could not ${operation}${said}`, {
      ...opts,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (httpStatus >= 500) {
    return new AppError('provider_unavailable', `Binance Pay failed with HTTP ${httpStatus}; could not ${operation}${said}`, opts);
  }
  const entry = code === undefined ? undefined : BINANCE_CODE_TABLE[code];
  if (entry) return new AppError(entry.kind, `${entry.what}; could not ${operation}${said}`, opts);
  if (code !== undefined) {
    // An undocumented code: not retried (it may be about money), but named for the operator.
    return new AppError('invalid_request', `Binance Pay refused the call with unknown code ${code}; could not ${operation}${said}`, opts);
  }
  if (httpStatus >= 200 && httpStatus < 300) {
    return new AppError('provider_unavailable', `Binance Pay sent an answer we cannot read; could not ${operation}`, opts);
  }
  // Not an envelope: Binance's CDN refuses an unknown path with an HTML 403.
  const kind: ErrorKind = httpStatus === 403 ? 'forbidden' : 'invalid_request';
  return new AppError(kind, `Binance Pay answered HTTP ${httpStatus} without its JSON envelope (check the base URL); could not ${operation}`, opts);
}

/** No answer: a timeout, our caller's deadline, a dropped connection. */
export function binanceTransportError(operation: string, cause: unknown, reason: 'timeout' | 'deadline' | 'network'): AppError {
  const why = { timeout: 'did not answer in time', deadline: 'did not answer before the caller’s deadline', network: 'could not be reached' }[reason];
  return new AppError('provider_unavailable', `Binance Pay ${why}; could not ${operation}`, { provider: 'binance', cause });
}

/** Retry-After in seconds or as an HTTP date → ms. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
