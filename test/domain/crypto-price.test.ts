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
});
