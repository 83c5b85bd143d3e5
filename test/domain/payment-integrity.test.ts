import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mismatches, type Expected } from '../../src/domain/payment-integrity.ts';

const expected: Expected = { charge: { minor: 100n, currency: 'USD' }, merchantRef: 'ref-1' };

describe('payment integrity: the provider answers about what we asked', () => {
  it('finds nothing when amount, currency and reference agree, or the reference is not reported', () => {
    assert.deepEqual(mismatches(expected, { amount: { minor: 100n, currency: 'USD' }, merchantRef: 'ref-1' }, 'PayPal'), []);
    assert.deepEqual(mismatches(expected, { amount: { minor: 100n, currency: 'USD' }, merchantRef: null }, 'PayPal'), []);
  });

  it('names a different amount, in the currency’s decimals', () => {
    assert.deepEqual(mismatches(expected, { amount: { minor: 200n, currency: 'USD' }, merchantRef: 'ref-1' }, 'PayPal'), [
      'amount: PayPal reported 2.00 USD, expected 1.00 USD',
    ]);
    assert.deepEqual(mismatches(expected, { amount: { minor: 99n, currency: 'USD' }, merchantRef: null }, 'Binance'), [
      'amount: Binance reported 0.99 USD, expected 1.00 USD',
    ]);
  });

  it('names a different currency (not compared as an amount), and a missing amount', () => {
    assert.deepEqual(mismatches(expected, { amount: { minor: 100n, currency: 'EUR' }, merchantRef: 'ref-1' }, 'PayPal'), ['currency: PayPal reported EUR, expected USD']);
    assert.deepEqual(mismatches(expected, { amount: null, merchantRef: 'ref-1' }, 'PayPal'), ['amount: PayPal reported none, expected 1.00 USD']);
  });

  it('names a different reference, along with an amount mismatch', () => {
    assert.deepEqual(mismatches(expected, { amount: { minor: 100n, currency: 'USD' }, merchantRef: 'ref-2' }, 'PayPal'), ['reference: PayPal reported ref-2, expected ref-1']);
    assert.deepEqual(mismatches(expected, { amount: null, merchantRef: '' }, 'PayPal'), [
      'amount: PayPal reported none, expected 1.00 USD',
      'reference: PayPal reported , expected ref-1',
    ]);
    const usdt: Expected = { charge: { minor: 100_000_000n, currency: 'USDT' }, merchantRef: 'm' };
    assert.deepEqual(mismatches(usdt, { amount: { minor: 99_999_999n, currency: 'USDT' }, merchantRef: 'm' }, 'Binance'), [
      'amount: Binance reported 0.99999999 USDT, expected 1.00000000 USDT',
    ]);
  });
});
