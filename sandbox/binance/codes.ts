/**
 * Binance Pay's result codes and response envelopes (shared/providers/binance-pay.md §1, §6).
 *
 * HTTP status: Binance documents none for its failures (clients must branch on the envelope's
 * `status`/`code`). The sandbox answers FAIL envelopes with HTTP 400, the family their 6-digit
 * codes are named after, and the unknown error with 500; a client that only looks at the HTTP
 * status is therefore not enough here either. The gateway-level failure (GET, no JSON
 * content-type, empty body) has its own shape, `{"status":"ERROR","type":"SYS",...}`.
 */

export const BINANCE_CODES = {
  '000000': 'SUCCESS',
  '400000': 'UNKNOWN_ERROR',
  '400001': 'INVALID_REQUEST',
  '400002': 'INVALID_SIGNATURE',
  '400003': 'INVALID_TIMESTAMP',
  '400004': 'INVALID_API_KEY_OR_IP',
  '400005': 'BAD_API_KEY_FMT',
  '400006': 'BAD_HTTP_METHOD',
  '400007': 'MEDIA_TYPE_NOT_SUPPORTED',
  '400008': 'INVALID_REQUEST_BODY',
  '400100': 'MANDATORY_PARAM_EMPTY_OR_MALFORMED',
  '400101': 'INVALID_PARAM_WRONG_LENGTH',
  '400102': 'INVALID_PARAM_WRONG_VALUE',
  '400103': 'INVALID_PARAM_ILLEGAL_CHAR',
  '400104': 'INVALID_REQUEST_TOO_LARGE',
  '400201': 'INVALID_MERCHANT_TRADE_NO',
  '400202': 'ORDER_NOT_FOUND',
  '400203': 'INVALID_ACCOUNT_STATUS',
  '400204': 'INVALID_ORDER_STATUS',
  '400301': 'INVALID_PREPAY_ID',
  '400302': 'TOO_MANY_REFUND_ATTEMPTS',
  '400303': 'INVALID_REFUND_AMOUNT',
  '400304': 'ACCOUNT_REMAINING_AMOUNT_NOT_ENOUGH',
} as const;

export type BinanceCode = Exclude<keyof typeof BINANCE_CODES, '000000'>;

/** The documented messages where the docs print one; the others are the sandbox's wording. */
export const DEFAULT_MESSAGES: Partial<Record<BinanceCode, string>> = {
  '400000': 'An unknown error occurred while processing the request.',
  '400002': 'Signature for this request is not valid.',
  '400003': 'Timestamp for this request is outside of the recvWindow.',
  '400004': 'API identity key not found or invalid.',
};

export interface FailEnvelope {
  status: 'FAIL';
  code: BinanceCode;
  errorMessage: string;
}

export interface SuccessEnvelope<T> {
  status: 'SUCCESS';
  code: '000000';
  data: T;
  errorMessage: string;
}

/** A Binance failure raised inside a handler; the route turns it into the FAIL envelope. */
export class BinanceFailure extends Error {
  constructor(
    readonly code: BinanceCode,
    message?: string,
  ) {
    super(message ?? DEFAULT_MESSAGES[code] ?? BINANCE_CODES[code]);
    this.name = 'BinanceFailure';
  }

  get httpStatus(): number {
    return httpStatusFor(this.code);
  }

  envelope(): FailEnvelope {
    return { status: 'FAIL', code: this.code, errorMessage: this.message };
  }
}

export function httpStatusFor(code: BinanceCode): number {
  return code === '400000' ? 500 : 400;
}

export function success<T>(data: T): SuccessEnvelope<T> {
  return { status: 'SUCCESS', code: '000000', data, errorMessage: '' };
}

/** The gateway's answer to a GET, a missing JSON content-type or an empty body (FAQ, 100001001). */
export const GATEWAY_ERROR = { status: 'ERROR', type: 'SYS', code: '100001001', errorData: 'System abnormality' } as const;
