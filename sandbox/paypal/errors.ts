import { randomBytes } from 'node:crypto';

/**
 * PayPal's REST error shape (`error` in the Orders v2 / Payments v2 specs): a `name` per HTTP
 * status with a fixed `message`, a `debug_id` equal to the `PayPal-Debug-Id` header, `details[]`
 * with a fine-grained `issue` (+ `field`/`value`/`location` for 400s), and an `information_link`.
 * The strings below are the ones the official OpenAPI files fix with `enum`s, except the 401's,
 * where the servers' wording differs from the spec's.
 */

export const ERROR_NAMES: Record<number, { name: string; message: string }> = {
  400: { name: 'INVALID_REQUEST', message: 'Request is not well-formed, syntactically incorrect, or violates schema.' },
  // The specs' enum says "…due to missing authorization header, or invalid authentication
  // credentials."; PayPal's servers send this wording instead.
  401: { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.' },
  403: { name: 'NOT_AUTHORIZED', message: 'Authorization failed due to insufficient permissions.' },
  404: { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.' },
  409: { name: 'RESOURCE_CONFLICT', message: 'The server has detected a conflict while processing this request.' },
  415: { name: 'UNSUPPORTED_MEDIA_TYPE', message: "The server does not support the request payload's media type." },
  422: { name: 'UNPROCESSABLE_ENTITY', message: 'The requested action could not be performed, semantically incorrect, or failed business validation.' },
  429: { name: 'RATE_LIMIT_REACHED', message: 'Too many requests. Blocked due to rate limiting.' },
  500: { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.' },
  503: { name: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable.' },
};

/** Which API an operation belongs to: the two specs word some issue descriptions differently. */
type Api = 'orders' | 'payments';
export function apiOf(operation: string): Api {
  return operation.startsWith('orders.') || operation === 'checkout.approve' ? 'orders' : 'payments';
}

const COMMON: Record<string, string> = {
  INVALID_RESOURCE_ID: 'Specified resource ID does not exist. Please check the resource ID and try again.',
  PERMISSION_DENIED: 'You do not have permission to access or perform operations on this resource.',
  INVALID_PARAMETER_SYNTAX: 'The value of a field does not conform to the expected format.',
  MALFORMED_REQUEST_JSON: 'The request JSON is not well formed.',
  CANNOT_BE_ZERO_OR_NEGATIVE: 'Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported.',
  DECIMAL_PRECISION: 'If the currency supports decimals, only two decimal place precision is supported.',
  PREVIOUS_REQUEST_IN_PROGRESS:
    'A previous request on this resource is currently in progress. Please wait for sometime and try again. It is best to space out the initial and the subsequent request(s) to avoid receiving this error.',
};

/** Issue descriptions, per API and per operation where the spec words them differently. */
const ORDERS: Record<string, string> = {
  ...COMMON,
  INVALID_ARRAY_MAX_ITEMS: 'The number of items in an array parameter is too large.',
  INVALID_ARRAY_MIN_ITEMS: 'The number of items in an array parameter is too small.',
  INVALID_STRING_LENGTH: 'The value of a field is either too short or too long',
  INVALID_PARAMETER_VALUE: 'A parameter value is not valid.',
  MISSING_REQUIRED_PARAMETER: 'A required parameter is missing.',
  AMOUNT_MISMATCH: 'Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount.',
  ITEM_TOTAL_MISMATCH: 'Should equal sum of (unit_amount * quantity) across all items for a given purchase_unit.',
  ITEM_TOTAL_REQUIRED: 'If item details are specified (items.unit_amount and items.quantity) corresponding amount.breakdown.item_total is required.',
  DUPLICATE_REFERENCE_ID: '`reference_id` must be unique if multiple `purchase_unit` are provided.',
  REFERENCE_ID_REQUIRED: "'reference_id' is required for each 'purchase_unit' if multiple 'purchase_unit' are provided.",
  INVALID_CURRENCY_CODE:
    'Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/api/rest/reference/currency-codes/ for list of supported currency codes.',
  MAX_VALUE_EXCEEDED: 'Should be less than or equal to 999999999999999.99.',
  MULTI_CURRENCY_ORDER: 'Multiple differing values of currency_code are not supported. Entire Order request must have the same currency_code.',
  UNSUPPORTED_INTENT: '`intent=AUTHORIZE` is not supported for multiple purchase units. Only `intent=CAPTURE` is supported.',
  DUPLICATE_INVOICE_ID:
    'Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction.',
  INSTRUMENT_DECLINED: "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.",
  ORDER_ALREADY_CAPTURED: "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
  ORDER_ALREADY_AUTHORIZED: "Order already authorized.If 'intent=AUTHORIZE' only one authorization per order is allowed.",
  ORDER_COMPLETED_OR_VOIDED: 'Order is voided or completed and hence cannot be authorized.',
  ORDER_EXPIRED: 'Order is expired and hence cannot be authorized. Please contact Customer Support if you need to increase your order validity period.',
  TRANSACTION_REFUSED: 'The request was refused.',
  PAYER_ACTION_REQUIRED: 'Transaction cannot complete successfully, instruct the buyer to return to PayPal.',
  ACTION_DOES_NOT_MATCH_INTENT:
    "Order was created with an intent to 'CAPTURE'. Please use v2/checkout/orders/order_id/capture to complete the transaction or alternately Create an order with an intent of 'AUTHORIZE'.",
};

const ORDERS_BY_OPERATION: Record<string, Record<string, string>> = {
  'orders.capture': {
    MISSING_REQUIRED_PARAMETER: 'A required field / parameter is missing',
    ORDER_NOT_APPROVED:
      "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request.",
    // Not in the spec's list for capture, but what PayPal answers when capturing an AUTHORIZE order.
    ACTION_DOES_NOT_MATCH_INTENT:
      "Order was created with an intent to 'AUTHORIZE'. Please use v2/checkout/orders/order_id/authorize to complete the transaction or alternately Create an order with an intent of 'CAPTURE'.",
  },
  'orders.authorize': {
    MISSING_REQUIRED_PARAMETER: 'A required field / parameter is missing',
    ORDER_NOT_APPROVED:
      "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call.",
  },
};

const PAYMENTS: Record<string, string> = {
  ...COMMON,
  INVALID_PARAMETER_VALUE: 'The value of a field is invalid.',
  MISSING_REQUIRED_PARAMETER: 'A required field / parameter is missing.',
  INVALID_STRING_LENGTH: 'The value of a field is either too short or too long.',
  INVALID_STRING_MAX_LENGTH: 'The value of a field is too long.',
  INVALID_CURRENCY_CODE:
    'Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/docs/api/reference/currency-codes/ for list of supported currency codes.',
  DECIMALS_NOT_SUPPORTED:
    'Currency does not support decimals. Please refer to https://developer.paypal.com/docs/api/reference/currency-codes/ for more information.',
  TRANSACTION_REFUSED: "PayPal's internal controls prevent authorization from being captured.",
  AUTHORIZATION_VOIDED: 'A voided authorization cannot be captured or reauthorized. ',
  AUTHORIZATION_DENIED: 'An denied authorization cannot be captured.',
  AUTHORIZATION_EXPIRED: 'An expired authorization cannot be captured.',
  AUTHORIZATION_ALREADY_CAPTURED: 'Authorization has previously been captured.',
  AUTH_CAPTURE_CURRENCY_MISMATCH: 'Currency of capture must be the same as currency of authorization.',
  DUPLICATE_INVOICE_ID: 'Requested invoice_id has been previously captured. Possible duplicate transaction.',
  MAX_CAPTURE_AMOUNT_EXCEEDED:
    'Capture amount exceeds allowable limit. Please contact customer service or your account manager to request the change to your overage limit. The default overage limit is 115%, which allows the sum of all captures to be up to 115% of the order amount. The ability to over capture is subjected to regulatory approvals.',
  PREVIOUSLY_CAPTURED: 'Authorization has been previously captured and hence cannot be voided.',
  PREVIOUSLY_VOIDED: 'Authorization has been previously voided and hence cannot be voided again.',
  CANNOT_BE_VOIDED: 'A reauthorization cannot be voided. Please void the original parent authorization.',
  CAPTURE_FULLY_REFUNDED: 'The capture has already been fully refunded',
  REFUND_CAPTURE_CURRENCY_MISMATCH: 'Refund must be in the same currency as the capture',
  REFUND_NOT_ALLOWED: 'Capture cannot be refunded.',
  REFUND_TIME_LIMIT_EXCEEDED: 'You are over the time limit to perform a refund on this capture',
  REFUND_AMOUNT_EXCEEDED: 'The refund amount must be less than or equal to the capture amount that has not yet been refunded.',
  REFUND_FAILED_INSUFFICIENT_FUNDS:
    'Capture could not be refunded due to insufficient funds. Please check to see if you have sufficient funds in your PayPal account or if the bank account linked to your PayPal account is verified and has sufficient funds.',
  PENDING_CAPTURE:
    'Cannot initiate a refund as the capture is pending. Capture is typically pending when the payer has funded the transaction using e-check/bank funded.',
};

export function issueDescription(operation: string, issue: string): string | undefined {
  if (apiOf(operation) === 'orders') return ORDERS_BY_OPERATION[operation]?.[issue] ?? ORDERS[issue];
  return PAYMENTS[issue];
}

export interface ErrorDetail {
  issue: string;
  description?: string;
  field?: string;
  value?: string;
  location?: 'body' | 'path' | 'query';
}

export interface PaypalErrorBody {
  name: string;
  message: string;
  debug_id: string;
  details?: ErrorDetail[];
  links?: { href: string; rel: string; method?: string }[];
}

/** 13 lowercase hex characters, like PayPal's debug ids. */
export function newDebugId(): string {
  return randomBytes(7).toString('hex').slice(0, 13);
}

function docsUrl(operation: string, code: string): string {
  return apiOf(operation) === 'orders'
    ? `https://developer.paypal.com/docs/api/orders/v2/#error-${code}`
    : `https://developer.paypal.com/docs/api/payments/v2/#error-${code}`;
}

/** Builds PayPal's error body for a status; details get the spec's description for their issue. */
export function errorBody(operation: string, status: number, debugId: string, details: ErrorDetail[] = []): PaypalErrorBody {
  const known = ERROR_NAMES[status] ?? (status >= 500 ? ERROR_NAMES[500]! : ERROR_NAMES[400]!);
  const body: PaypalErrorBody = { name: known.name, message: known.message, debug_id: debugId };
  if (details.length > 0) {
    body.details = details.map((d) => {
      const description = d.description ?? issueDescription(operation, d.issue);
      return { ...(d.field !== undefined ? { field: d.field } : {}), ...(d.value !== undefined ? { value: d.value } : {}), ...(d.location ? { location: d.location } : {}), issue: d.issue, ...(description ? { description } : {}) };
    });
  }
  body.links = [{ href: docsUrl(operation, details[0]?.issue ?? known.name), rel: 'information_link', method: 'GET' }];
  return body;
}

/** Thrown by route logic; the emulator's error handler turns it into the wire response. */
export class PaypalApiError extends Error {
  constructor(
    readonly status: number,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${details.map((d) => d.issue).join(', ')}`);
  }
}

export const unprocessable = (issue: string, extra: Omit<ErrorDetail, 'issue'> = {}) => new PaypalApiError(422, [{ issue, ...extra }]);
export const notFound = (field: string, id: string) => new PaypalApiError(404, [{ field, value: id, location: 'path', issue: 'INVALID_RESOURCE_ID' }]);
