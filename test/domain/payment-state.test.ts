import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertPaymentTransition,
  canTransitionPayment,
  holdsMoney,
  isCancellable,
  isFinal,
  isOpen,
  isRefundable,
  PAYMENT_STATES,
  PAYMENT_TRANSITIONS,
  PaymentTransitionError,
  type PaymentState,
} from '../../src/domain/payment-state.ts';

const LATE = ['voiding', 'refunding', 'review', 'voided', 'refunded', 'reversed'] as const;

/** The whole table, written out: any change to the payment lifecycle is a visible decision. */
const NEXT: Record<PaymentState, readonly PaymentState[]> = {
  created: ['approved', 'pending', 'authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'error', 'voiding', 'refunding'],
  approved: ['pending', 'authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'voiding', 'refunding'],
  pending: ['authorized', 'captured', 'declined', 'expired', 'cancelled', 'review', 'voiding', 'refunding'],
  authorized: ['pending', 'captured', 'voiding', 'voided', 'declined', 'expired', 'review'],
  captured: ['refunding', 'refunded', 'reversed'],
  voiding: ['voided', 'refunding', 'review'],
  voided: [],
  refunding: ['refunded', 'reversed', 'review'],
  refunded: [],
  reversed: [],
  expired: LATE,
  cancelled: LATE,
  declined: LATE,
  review: ['voiding', 'voided', 'refunding', 'refunded', 'reversed'],
  error: LATE,
};

describe('payment state machine', () => {
  it('has the fifteen states', () => {
    assert.deepEqual([...PAYMENT_STATES].sort(), Object.keys(NEXT).sort());
    assert.equal(PAYMENT_STATES.length, 15);
    assert.equal(PAYMENT_STATES[0], 'created');
  });

  it('allows exactly the documented transitions, and lists them for the database', () => {
    const expected = PAYMENT_STATES.flatMap((from) => NEXT[from].map((to) => [from, to]));
    assert.deepEqual(PAYMENT_TRANSITIONS, expected);
    for (const from of PAYMENT_STATES) {
      for (const to of PAYMENT_STATES) {
        const ok = NEXT[from].includes(to);
        assert.equal(canTransitionPayment(from, to), ok, `${from} → ${to}`);
        if (ok) assert.doesNotThrow(() => assertPaymentTransition(from, to));
        else {
          assert.throws(
            () => assertPaymentTransition(from, to),
            (err: unknown) =>
              err instanceof PaymentTransitionError && err.name === 'PaymentTransitionError' && err.from === from && err.to === to && err.message.includes(`${from} to ${to}`),
          );
        }
      }
    }
  });

  it('late money on a closed order can only go back', () => {
    for (const closed of ['expired', 'cancelled', 'declined', 'error'] as const) {
      assert.equal(canTransitionPayment(closed, 'captured'), false);
      assert.equal(canTransitionPayment(closed, 'refunding'), true);
    }
  });

  it('classifies states: open, cancellable, holding money, final, refundable', () => {
    const pick = (f: (s: PaymentState) => boolean) => PAYMENT_STATES.filter(f);
    assert.deepEqual(pick(isOpen), ['created', 'approved', 'pending']);
    assert.deepEqual(pick(isCancellable), ['created', 'approved'], 'a pending payment was paid: only a refund returns it');
    assert.deepEqual(pick(holdsMoney), ['authorized', 'captured']);
    assert.deepEqual(pick(isFinal), ['voided', 'refunded', 'reversed']);
    assert.deepEqual(pick(isRefundable), ['captured', 'review']);
  });
});
