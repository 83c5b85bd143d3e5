import { AppError, isAppError } from '../../errors.ts';
import type { Notice, RawNotification } from '../../ports/payments.ts';
import { noticeHint, paymentIdOf } from './mapping.ts';
import type { BinanceCertificateCache } from './signature.ts';
import type { WebhookBody, WebhookData } from './wire.ts';

/**
 * A Binance Pay notification → Notice: the raw bytes are verified first (RSA over ts, nonce and
 * the body exactly as received, the key chosen by BinancePay-Certificate-SN, the timestamp within
 * the replay window measured at `receivedAt`), and only then parsed. A signature that does not
 * verify is `signature_invalid`. Certificates that cannot be fetched right now say nothing about
 * the notification: `provider_unavailable` (a 503, no security alarm), and Binance redelivers it.
 * Either way nothing unverified reaches the core.
 */
export async function readBinanceNotification(raw: RawNotification, certificates: BinanceCertificateCache): Promise<Notice> {
  try {
    await certificates.verify({ rawBody: raw.body, headers: raw.headers, now: () => raw.receivedAt.getTime() });
  } catch (err) {
    if (isAppError(err, 'signature_invalid')) throw err;
    throw new AppError('provider_unavailable', 'The Binance Pay notification could not be verified yet: Binance’s certificates could not be fetched. Binance sends it again.', {
      provider: 'binance',
      cause: err,
    });
  }
  return parseNotification(raw.body.toString('utf8'));
}

const invalid = (message: string, cause?: unknown) =>
  new AppError('signature_invalid', message, { provider: 'binance', ...(cause === undefined ? {} : { cause }) });

const DIGITS = /^\d{1,40}$/;

/** The body of a verified notification → Notice. Exported for the mapping tests. */
export function parseNotification(text: string): Notice {
  let body: WebhookBody;
  try {
    body = JSON.parse(text) as WebhookBody;
  } catch (err) {
    throw invalid('the Binance Pay notification body is not JSON', err);
  }
  if (body === null || typeof body !== 'object' || typeof body.bizType !== 'string' || typeof body.bizStatus !== 'string') {
    throw invalid('the Binance Pay notification has no bizType or bizStatus');
  }
  const bizId = bizIdOf(body, text);
  const data = dataOf(body.data);
  const refundInfo: Record<string, unknown> = typeof data.refundInfo === 'string' ? parseObject(data.refundInfo, 'refundInfo') : (data.refundInfo ?? {});
  const refundRequestId = typeof refundInfo.refundRequestId === 'string' ? refundInfo.refundRequestId : null;

  const prepayId = stringOrNull(data.prepayId) ?? stringOrNull(refundInfo.prepayId) ?? (body.bizType === 'PAY' ? bizId : null);
  // Two refunds of one order both end REFUND_SUCCESS: the refund id keeps their events apart.
  const eventId = [bizId, body.bizType, body.bizStatus, ...(body.bizType === 'PAY_REFUND' && refundRequestId ? [refundRequestId] : [])].join(':');
  return {
    providerEventId: eventId,
    providerType: body.bizStatus,
    paymentId: paymentIdOf(stringOrNull(data.merchantTradeNo)),
    ref: prepayId,
    hint: noticeHint(body.bizType, body.bizStatus),
  };
}

/**
 * bizIdStr; else bizId's digits as written in the raw text (Binance's own signed sample has no
 * bizIdStr), never the parsed number, which has lost digits beyond 2^53.
 */
function bizIdOf(body: WebhookBody, text: string): string {
  if (typeof body.bizIdStr === 'string' && DIGITS.test(body.bizIdStr)) return body.bizIdStr;
  // Inside the `data` string every quote is escaped, so only the top-level key matches here.
  const m = /"bizId"\s*:\s*"?(\d{1,40})"?/.exec(text);
  if (m) return m[1]!;
  throw invalid('the Binance Pay notification has no bizIdStr or bizId');
}

function dataOf(data: unknown): WebhookData {
  if (typeof data === 'string') return parseObject(data, 'data') as WebhookData;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) return data as WebhookData;
  throw invalid('the Binance Pay notification has no data');
}

function parseObject(text: string, field: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw invalid(`the Binance Pay notification's ${field} is not JSON`, err);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`the Binance Pay notification's ${field} is not an object`);
  return v as Record<string, unknown>;
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
