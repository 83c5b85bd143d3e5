import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BINANCE_CODES } from '../../sandbox/binance/codes.ts';
import { ORDER_STATUSES as EMULATOR_STATUSES } from '../../sandbox/binance/state.ts';
import { isAppError } from '../../src/errors.ts';
import { BINANCE_CODE_TABLE, binanceError, parseRetryAfter } from '../../src/providers/binance/errors.ts';
import { merchantTradeNoOf, noticeHint, paymentIdOf, snapshotStatus, toSnapshot } from '../../src/providers/binance/mapping.ts';
import { parseNotification } from '../../src/providers/binance/notification.ts';
import { ORDER_STATUSES } from '../../src/providers/binance/wire.ts';

describe('Binance Pay order status → snapshot', () => {
  it('maps every documented status by name', () => {
    const expected = {
      INITIAL: 'open',
      PENDING: 'pending',
      PAID: 'captured',
      CANCELED: 'cancelled',
      EXPIRED: 'expired',
      ERROR: 'declined',
      REFUNDING: 'captured',
      REFUNDED: 'refunded',
      FULL_REFUNDED: 'refunded',
    };
    assert.deepEqual(Object.fromEntries(ORDER_STATUSES.map((s) => [s, snapshotStatus(s)])), expected);
    // Everything the emulator can answer is known.
    for (const s of EMULATOR_STATUSES) snapshotStatus(s);
  });

  it('refuses an unknown status instead of guessing', () => {
    for (const s of ['SUCCESS', 'paid', '', 'CLOSED', 'toString', '__proto__']) {
      assert.throws(() => snapshotStatus(s), (err) => isAppError(err, 'internal') && /does not know/.test((err as Error).message), s);
    }
  });

  it('reads the amount exactly in 8-decimal USDT and echoes merchantTradeNo', () => {
    const snap = toSnapshot({ prepayId: '1234567890123456789', status: 'PAID', merchantTradeNo: 'ab'.repeat(16), currency: 'USDT', orderAmount: '12.34567891' });
    assert.deepEqual(snap, {
      ref: '1234567890123456789',
      status: 'captured',
      merchantRef: 'ab'.repeat(16),
      amount: { minor: 1_234_567_891n, currency: 'USDT' },
      authorizationRef: null,
      captureRef: null,
      refundRef: null,
      reason: null,
    });
    assert.equal(toSnapshot({ prepayId: '1', status: 'PENDING', currency: 'USDT', orderAmount: '1.00' }).reason, 'PENDING');
    assert.throws(() => toSnapshot({ prepayId: '1', status: 'PAID', currency: 'USDT', orderAmount: '1.123456789' }), (e) => isAppError(e, 'internal'));
  });

  it('turns a UUID into a merchantTradeNo and back', () => {
    const id = '3f9c1e0a-5b7d-4c2e-8a6f-1b3d5c7e9a0b';
    assert.equal(merchantTradeNoOf(id), '3f9c1e0a5b7d4c2e8a6f1b3d5c7e9a0b');
    assert.equal(paymentIdOf(merchantTradeNoOf(id)), id);
    assert.equal(paymentIdOf('9825382937292'), null);
    assert.equal(paymentIdOf(null), null);
    assert.throws(() => merchantTradeNoOf('pay_123'), (e) => isAppError(e, 'invalid_request'));
  });

  it('hints from bizType and bizStatus', () => {
    assert.equal(noticeHint('PAY', 'PAY_SUCCESS'), 'captured');
    assert.equal(noticeHint('PAY', 'PAY_CLOSED'), 'expired');
    assert.equal(noticeHint('PAY_REFUND', 'REFUND_SUCCESS'), 'refunded');
    assert.equal(noticeHint('PAY_REFUND', 'REFUND_REJECTED'), 'ignored');
    assert.equal(noticeHint('PAYOUT', 'PAY_SUCCESS'), 'ignored');
    assert.equal(noticeHint('PAY', 'SOMETHING_NEW'), 'ignored');
  });
});

describe('Binance Pay notification body → Notice', () => {
  const tradeNo = '3f9c1e0a5b7d4c2e8a6f1b3d5c7e9a0b';
  it('uses bizIdStr, never the rounded number', () => {
    const data = JSON.stringify({ merchantTradeNo: tradeNo, totalFee: '1.00000000' });
    const text = `{"bizType":"PAY","bizId":29383937493038367292,"bizIdStr":"29383937493038367292","bizStatus":"PAY_SUCCESS","data":${JSON.stringify(data)}}`;
    assert.deepEqual(parseNotification(text), {
      providerEventId: '29383937493038367292:PAY:PAY_SUCCESS',
      providerType: 'PAY_SUCCESS',
      paymentId: '3f9c1e0a-5b7d-4c2e-8a6f-1b3d5c7e9a0b',
      ref: '29383937493038367292',
      hint: 'captured',
    });
  });

  it('without bizIdStr, reads bizId from the raw text', () => {
    const data = JSON.stringify({ merchantTradeNo: tradeNo, bizId: 1 });
    const text = `{"bizType":"PAY","data":${JSON.stringify(data)},"bizId":29383937493038367292,"bizStatus":"PAY_CLOSED"}`;
    const n = parseNotification(text);
    assert.equal(n.providerEventId, '29383937493038367292:PAY:PAY_CLOSED');
    assert.equal(n.hint, 'expired');
  });

  it('keeps two refunds of one order apart and names the order', () => {
    const refund = (id: string) =>
      parseNotification(
        JSON.stringify({
          bizType: 'PAY_REFUND',
          bizIdStr: '1111111111111111111',
          bizStatus: 'REFUND_SUCCESS',
          data: JSON.stringify({ merchantTradeNo: tradeNo, refundInfo: { refundRequestId: id, prepayId: '1111111111111111111' } }),
        }),
      );
    assert.equal(refund('a').providerEventId, '1111111111111111111:PAY_REFUND:REFUND_SUCCESS:a');
    assert.notEqual(refund('a').providerEventId, refund('b').providerEventId);
    assert.equal(refund('a').ref, '1111111111111111111');
    assert.equal(refund('a').hint, 'refunded');
  });

  it('refuses bodies it cannot read as signature_invalid', () => {
    for (const text of ['not json', '[]', '{"bizType":"PAY","bizStatus":"PAY_SUCCESS","data":"{}"}', '{"bizType":"PAY","bizIdStr":"1","bizStatus":"PAY_SUCCESS","data":"{oops"}']) {
      assert.throws(() => parseNotification(text), (e) => isAppError(e, 'signature_invalid'), text);
    }
  });
});

describe('Binance Pay failures → error kinds', () => {
  it('has an entry for every code the emulator produces', () => {
    for (const code of Object.keys(BINANCE_CODES).filter((c) => c !== '000000')) {
      assert.ok(BINANCE_CODE_TABLE[code], `no entry for ${code}`);
    }
  });

  it('classifies by code, even under HTTP 200', () => {
    const kind = (code: string, httpStatus = 200) => binanceError({ operation: 'x', httpStatus, code }).kind;
    assert.equal(kind('400002'), 'unauthorized');
    assert.equal(kind('400004', 400), 'unauthorized');
    assert.equal(kind('400005'), 'unauthorized');
    assert.equal(kind('400001'), 'invalid_request');
    assert.equal(kind('400100'), 'invalid_request');
    assert.equal(kind('400201'), 'conflict');
    assert.equal(kind('400202'), 'not_found');
    assert.equal(kind('400204'), 'conflict');
    assert.equal(kind('400302'), 'declined');
    assert.equal(kind('400303'), 'declined');
    assert.equal(kind('400304'), 'declined');
    assert.equal(kind('400003'), 'provider_unavailable');
    assert.equal(kind('100001001', 400), 'invalid_request');
    assert.equal(kind('499999', 400), 'invalid_request');
  });

  it('lets the transport speak first: 429 with Retry-After, 5xx', () => {
    const limited = binanceError({ operation: 'create the order', httpStatus: 429, code: '400000', retryAfter: '7' });
    assert.equal(limited.kind, 'rate_limited');
    assert.equal(limited.retryAfterMs, 7000);
    assert.equal(limited.provider, 'binance');
    assert.equal(limited.providerCode, '400000');
    assert.equal(limited.httpStatus, 429);
    assert.match(limited.message, /Binance Pay/);
    assert.equal(binanceError({ operation: 'x', httpStatus: 502, code: '400102' }).kind, 'provider_unavailable');
    assert.equal(binanceError({ operation: 'x', httpStatus: 403 }).kind, 'forbidden');
    assert.equal(binanceError({ operation: 'x', httpStatus: 200 }).kind, 'provider_unavailable');
    assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
