import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimalsOf, formatMinor, parseMinor } from '../../src/domain/money.ts';

describe('money in minor units', () => {
  it('knows each listed currency’s decimals and defaults to 2', () => {
    const expected: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3, USDT: 8, USDC: 8, USD: 2, EUR: 2, CHF: 2 };
    for (const [currency, d] of Object.entries(expected)) assert.equal(decimalsOf(currency), d, currency);
  });

  it('formats with the currency’s decimals, padding small amounts', () => {
    assert.equal(formatMinor(100n, 'USD'), '1.00');
    assert.equal(formatMinor(5n, 'USD'), '0.05');
    assert.equal(formatMinor(0n, 'USD'), '0.00');
    assert.equal(formatMinor(123_456n, 'USD'), '1234.56');
    assert.equal(formatMinor(150n, 'JPY'), '150');
    assert.equal(formatMinor(0n, 'JPY'), '0');
    assert.equal(formatMinor(1_234n, 'KWD'), '1.234');
    assert.equal(formatMinor(1n, 'USDT'), '0.00000001');
    assert.equal(formatMinor(100_000_000n, 'USDT'), '1.00000000');
  });

  it('formats negative amounts (refunds) with one leading minus', () => {
    assert.equal(formatMinor(-100n, 'USD'), '-1.00');
    assert.equal(formatMinor(-5n, 'USD'), '-0.05');
    assert.equal(formatMinor(-7n, 'JPY'), '-7');
  });

  it('parses exactly, padding missing decimals', () => {
    assert.equal(parseMinor('1', 'USD'), 100n);
    assert.equal(parseMinor('1.5', 'USD'), 150n);
    assert.equal(parseMinor('1.05', 'USD'), 105n);
    assert.equal(parseMinor('0.01', 'USD'), 1n);
    assert.equal(parseMinor('1234.56', 'USD'), 123_456n);
    assert.equal(parseMinor('150', 'JPY'), 150n);
    assert.equal(parseMinor('0.00000001', 'USDT'), 1n);
    assert.equal(parseMinor('1.1', 'KWD'), 1_100n);
    // 0.1 + 0.2 as floats is 0.30000000000000004; as minor units it is exact.
    assert.equal(parseMinor('0.1', 'USD') + parseMinor('0.2', 'USD'), parseMinor('0.3', 'USD'));
  });

  it('round-trips through formatMinor', () => {
    for (const [minor, currency] of [[1n, 'USD'], [99n, 'USD'], [100n, 'USD'], [123_456_789n, 'USDT'], [42n, 'JPY'], [1n, 'BHD']] as const) {
      assert.equal(parseMinor(formatMinor(minor, currency), currency), minor);
    }
  });

  it('refuses more decimals than the currency has, and anything that is not a plain decimal', () => {
    assert.throws(() => parseMinor('1.001', 'USD'), /more than 2 decimals for USD/);
    assert.throws(() => parseMinor('1.5', 'JPY'), Error);
    assert.throws(() => parseMinor('0.000000001', 'USDT'), Error);
    for (const bad of ['', '-1', '+1', '1.', '.5', '1e2', ' 1', '1 ', '1,00', 'abc', '1.2.3', '0x10']) {
      // Refused as what it is (naming the amount), not by a crash further on.
      assert.throws(() => parseMinor(bad, 'USD'), (e: unknown) => e instanceof Error && !(e instanceof TypeError) && e.message.endsWith(`: ${bad}`), JSON.stringify(bad));
    }
    // The limit is the currency's, exactly: 2 decimals pass for USD, 3 for KWD.
    assert.equal(parseMinor('1.23', 'USD'), 123n);
    assert.equal(parseMinor('1.234', 'KWD'), 1_234n);
  });
});
