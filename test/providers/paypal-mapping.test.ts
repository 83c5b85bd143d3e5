import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.ts';
import { fromPaypalMoney, hintOf, orderToSnapshot, resourceRefs, toPaypalMoney } from '../../src/providers/paypal/mapping.ts';
import type { Order } from '../../src/providers/paypal/wire.ts';

/** PayPal states → ours, without a network. */

const amount = { currency_code: 'USD', value: '25.00' };
const PAYMENT_ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

function order(status: string, payments?: NonNullable<Order['purchase_units']>[number]['payments']): Order {
  return { id: 'ORDER1', status, purchase_units: [{ amount, custom_id: PAYMENT_ID, ...(payments ? { payments } : {}) }] };
}

describe('PayPal order → Snapshot', () => {
  it('reads the order status only while no payment exists', () => {
    assert.equal(orderToSnapshot(order('CREATED')).status, 'open');
    assert.equal(orderToSnapshot(order('PAYER_ACTION_REQUIRED')).status, 'open');
    assert.equal(orderToSnapshot(order('SAVED')).status, 'open');
    assert.equal(orderToSnapshot(order('APPROVED')).status, 'approved');
    assert.equal(orderToSnapshot(order('VOIDED')).status, 'cancelled');
    const s = orderToSnapshot(order('APPROVED'));
    assert.deepEqual(s, { ref: 'ORDER1', status: 'approved', merchantRef: PAYMENT_ID, amount: { minor: 2500n, currency: 'USD' }, authorizationRef: null, captureRef: null, refundRef: null, reason: null });
  });

  it('COMPLETED does not mean paid: the capture decides', () => {
    const cases: [string, string | undefined, string, string | null][] = [
      ['COMPLETED', undefined, 'captured', null],
      ['PENDING', 'ECHECK', 'pending', 'ECHECK'],
      ['DECLINED', undefined, 'declined', 'DECLINED'],
      ['FAILED', undefined, 'declined', 'FAILED'],
      ['REFUNDED', undefined, 'refunded', null],
      ['REFUNDED', 'CHARGEBACK', 'reversed', 'CHARGEBACK'],
      ['REVERSED', undefined, 'reversed', null],
    ];
    for (const [status, reason, ours, ourReason] of cases) {
      const s = orderToSnapshot(order('COMPLETED', { captures: [{ id: 'CAP1', status, amount, ...(reason ? { status_details: { reason } } : {}) }] }));
      assert.equal(s.status, ours, `${status} ${reason}`);
      assert.equal(s.reason, ourReason, `${status} ${reason}`);
      assert.equal(s.captureRef, 'CAP1');
    }
    const partial = orderToSnapshot(order('COMPLETED', { captures: [{ id: 'CAP1', status: 'PARTIALLY_REFUNDED', amount }], refunds: [{ id: 'R1', status: 'COMPLETED' }] }));
    assert.deepEqual([partial.status, partial.refundRef], ['captured', 'R1']);
  });

  it('an authorization without capture decides next', () => {
    const cases: [string, string][] = [
      ['CREATED', 'authorized'],
      ['PENDING', 'pending'],
      ['VOIDED', 'voided'],
      ['DENIED', 'declined'],
      ['EXPIRED', 'expired'],
    ];
    for (const [status, ours] of cases) {
      const s = orderToSnapshot(order('COMPLETED', { authorizations: [{ id: 'AUTH1', status, amount: { currency_code: 'USD', value: '24.00' } }] }));
      assert.equal(s.status, ours, status);
      assert.equal(s.authorizationRef, 'AUTH1');
      assert.deepEqual(s.amount, { minor: 2400n, currency: 'USD' });
    }
    const captured = orderToSnapshot(order('COMPLETED', { authorizations: [{ id: 'AUTH1', status: 'CAPTURED' }], captures: [{ id: 'CAP1', status: 'COMPLETED', amount }] }));
    assert.deepEqual([captured.status, captured.authorizationRef, captured.captureRef], ['captured', 'AUTH1', 'CAP1']);
  });

  it('refuses to guess an unknown status', () => {
    for (const o of [
      order('SOMETHING_NEW'),
      order('COMPLETED', { captures: [{ id: 'C', status: 'SOMETHING_NEW' }] }),
      order('COMPLETED', { authorizations: [{ id: 'A', status: 'SOMETHING_NEW' }] }),
      order('COMPLETED'),
    ]) {
      assert.throws(() => orderToSnapshot(o), (err) => isAppError(err, 'internal') && /PayPal/.test(err.message));
    }
  });

  it('converts money exactly, both ways', () => {
    assert.deepEqual(toPaypalMoney({ minor: 100n, currency: 'USD' }), { currency_code: 'USD', value: '1.00' });
    assert.deepEqual(toPaypalMoney({ minor: 5n, currency: 'USD' }), { currency_code: 'USD', value: '0.05' });
    assert.deepEqual(toPaypalMoney({ minor: 500n, currency: 'JPY' }), { currency_code: 'JPY', value: '500' });
    assert.deepEqual(fromPaypalMoney({ currency_code: 'USD', value: '30.0' }), { minor: 3000n, currency: 'USD' });
    assert.deepEqual(fromPaypalMoney({ currency_code: 'USD', value: '0.99' }), { minor: 99n, currency: 'USD' });
  });
});

describe('PayPal webhook → Notice parts', () => {
  it('hints from the event type; unknown types are ignored', () => {
    assert.equal(hintOf('PAYMENT.CAPTURE.COMPLETED'), 'captured');
    assert.equal(hintOf('PAYMENT.CAPTURE.DENIED'), 'declined');
    assert.equal(hintOf('PAYMENT.CAPTURE.REVERSED'), 'reversed');
    assert.equal(hintOf('PAYMENT.AUTHORIZATION.VOIDED'), 'voided');
    assert.equal(hintOf('CHECKOUT.ORDER.VOIDED'), 'cancelled');
    assert.equal(hintOf('PAYMENT.SALE.COMPLETED'), 'ignored');
    assert.equal(hintOf('constructor'), 'ignored');
  });

  it('finds our payment id and the order id in each resource type', () => {
    assert.deepEqual(resourceRefs('checkout-order', { id: 'O1', purchase_units: [{ custom_id: PAYMENT_ID }] }), { paymentId: PAYMENT_ID, ref: 'O1', captureId: null });
    assert.deepEqual(resourceRefs('capture', { id: 'C1', custom_id: PAYMENT_ID, supplementary_data: { related_ids: { order_id: 'O1' } } }), { paymentId: PAYMENT_ID, ref: 'O1', captureId: 'C1' });
    assert.deepEqual(resourceRefs('authorization', { id: 'A1', custom_id: 'evt_123', supplementary_data: { related_ids: { order_id: 'O1' } } }), { paymentId: null, ref: 'O1', captureId: null });
    assert.deepEqual(resourceRefs('refund', { id: 'R1', links: [{ rel: 'up', href: 'https://api.paypal.com/v2/payments/captures/C9' }] }), { paymentId: null, ref: null, captureId: 'C9' });
  });
});
