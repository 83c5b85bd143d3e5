import { decimalsOf } from './money.ts';

/**
 * A fiat price turned into a crypto amount at a configured rate, exactly: integer minor units and
 * a decimal-string rate, bigint arithmetic only (a float would lose sub-cent digits of an 8-decimal
 * coin), rounded half up at the target currency's last decimal.
 */

export interface Amount {
  minor: bigint;
  currency: string;
}

const RATE = /^(\d{1,18})(?:\.(\d{1,18}))?$/;

/** The rate as an integer over 10^scale; throws RangeError unless it is a positive plain decimal. */
export function parseRate(rate: string): { units: bigint; scale: number } {
  const m = RATE.exec(rate);
  if (!m) throw new RangeError(`rate must be a plain positive decimal such as "1" or "0.9995", got "${rate.slice(0, 40)}"`);
  const frac = m[2] ?? '';
  const units = BigInt(m[1]! + frac);
  if (units === 0n) throw new RangeError('rate must be greater than zero');
  return { units, scale: frac.length };
}

/**
 * `price` × `rate` (units of `to` per 1 unit of the price's currency) in `to`'s minor units,
 * half up. Throws RangeError for a negative price or a result below the smallest unit of `to`.
 */
export function convertPrice(price: Amount, rate: string, to: string): Amount {
  if (price.minor < 0n) throw new RangeError('price must not be negative');
  const r = parseRate(rate);
  // price.minor / 10^from × r.units / 10^scale × 10^toDecimals
  const numerator = price.minor * r.units * 10n ** BigInt(decimalsOf(to));
  const denominator = 10n ** BigInt(decimalsOf(price.currency) + r.scale);
  const minor = (numerator * 2n + denominator) / (denominator * 2n);
  if (minor < 1n) throw new RangeError(`${price.minor} ${price.currency} minor units at ${rate} is less than the smallest ${to} amount`);
  return { minor, currency: to };
}
