import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertPrice, parseRate } from '../../src/domain/crypto-price.ts';

const usd = (minor: bigint) => ({ minor, currency: 'USD' });

describe('fiat price → crypto amount at a configured rate', () => {
  it('converts exactly at rate 1: 1.00 USD is 1.00000000 USDT', () => {
    assert.deepEqual(convertPrice(usd(100n), '1', 'USDT'), { minor: 100_000_000n, currency: 'USDT' });
    assert.deepEqual(convertPrice(usd(12_345n), '1.0', 'USDT'), { minor: 12_345_000_000n, currency: 'USDT' });
  });

  it('keeps every digit a float would lose', () => {
    // 0.1 + 0.2 style: 0.29 USD × 1.1 = 0.319 USDT exactly.
    assert.deepEqual(convertPrice(usd(29n), '1.1', 'USDT'), { minor: 31_900_000n, currency: 'USDT' });
    // 9,999,999.99 USD × 0.99987654321 = 9,998,765.4221012345679… USDT
    assert.equal(convertPrice(usd(999_999_999n), '0.99987654321', 'USDT').minor, 999_876_542_210_123n);
  });

  it('rounds half up at the 8th decimal', () => {
    // 0.01 USD × rate = rate / 100 USDT; the digits past the 8th decide.
    assert.equal(convertPrice(usd(1n), '0.1234564', 'USDT').minor, 123_456n); // 0.00123456|4
    assert.equal(convertPrice(usd(1n), '0.12345649999', 'USDT').minor, 123_456n); // 0.00123456|49999
    assert.equal(convertPrice(usd(1n), '0.1234565', 'USDT').minor, 123_457n); // 0.00123456|5: half goes up
    assert.equal(convertPrice(usd(1n), '0.123456785', 'USDT').minor, 123_457n); // 0.00123456|785
  });

  it('uses the source currency decimals (JPY has none)', () => {
    assert.equal(convertPrice({ minor: 150n, currency: 'JPY' }, '0.0067', 'USDT').minor, 100_500_000n);
  });

  it('refuses malformed or non-positive rates and amounts below one unit', () => {
    for (const bad of ['', '0', '0.000', '-1', '1e3', '1,5', ' 1', '1.', '.5', 'NaN']) {
      assert.throws(() => parseRate(bad), RangeError, bad);
    }
    assert.deepEqual(parseRate('0.9995'), { units: 9995n, scale: 4 });
    assert.throws(() => convertPrice(usd(0n), '1', 'USDT'), RangeError);
    assert.throws(() => convertPrice(usd(-5n), '1', 'USDT'), RangeError);
    assert.throws(() => convertPrice(usd(1n), '0.0000001', 'USDT'), /less than the smallest USDT/);
  });

  it('takes up to 18 digits on each side of the point', () => {
    assert.deepEqual(parseRate('12'), { units: 12n, scale: 0 });
    assert.deepEqual(parseRate('123456789012345678.123456789012345678'), { units: 123456789012345678123456789012345678n, scale: 18 });
    assert.throws(() => parseRate('1234567890123456789'), RangeError);
    assert.throws(() => parseRate('1.1234567890123456789'), RangeError);
  });

  it('says which limit a refusal is about', () => {
    // The three refusals are all RangeErrors: the message is what tells them apart.
    assert.throws(() => convertPrice(usd(-5n), '1', 'USDT'), /must not be negative/);
    assert.throws(() => convertPrice(usd(0n), '1', 'USDT'), /less than the smallest USDT/);
    assert.throws(() => parseRate('0.00'), /greater than zero/);
    assert.throws(() => parseRate('abc'), /got "abc"/);
    // A long bad rate is cut in the message.
    assert.throws(() => parseRate('x'.repeat(100)), (e: Error) => e.message.includes(`"${'x'.repeat(40)}"`));
  });

  it('accepts exactly one smallest unit of the target currency', () => {
    // 0.01 USD × 0.000001 = 0.00000001 USDT: one unit, the least that can be paid.
    assert.deepEqual(convertPrice(usd(1n), '0.000001', 'USDT'), { minor: 1n, currency: 'USDT' });
  });
});
