/**
 * Crypto amounts in integer units of 10^-8 (Binance's finest unit: "up to 8 decimal places,
 * minimum 0.00000001"). Never floats: a JSON number is read through its decimal text.
 */

export const DECIMALS = 8;
const ONE = 10n ** BigInt(DECIMALS);
const DECIMAL_TEXT = /^(\d{1,12})(?:\.(\d{1,8}))?$/;

/** The amount as given (JSON number or decimal string), in 10^-8 units; null if malformed or > 8 dp. */
export function parseAmount(value: unknown): bigint | null {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    // A JSON number arrives as a double; its shortest decimal form is the text the merchant wrote.
    text = value.toString();
    if (/e/i.test(text)) {
      const fixed = value.toFixed(DECIMALS);
      if (Number(fixed) !== value) return null;
      text = fixed;
    }
  } else return null;
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * ONE + BigInt((m[2] ?? '').padEnd(DECIMALS, '0'));
}

/** Decimal text with at least `minDecimals` places and no trailing zeros beyond them. */
export function formatAmount(units: bigint, minDecimals = 2): string {
  const whole = units / ONE;
  let frac = (units % ONE).toString().padStart(DECIMALS, '0');
  while (frac.length > minDecimals && frac.endsWith('0')) frac = frac.slice(0, -1);
  return frac.length ? `${whole}.${frac}` : whole.toString();
}

/** Eight places, as Binance writes `totalFee` in notifications (`0.88000000`). */
export function formatFixed(units: bigint): string {
  return formatAmount(units, DECIMALS);
}

/** amount × rate, both in 10^-8 units, rounded half up to 10^-8. */
export function multiply(units: bigint, rateUnits: bigint): bigint {
  return (units * rateUnits + ONE / 2n) / ONE;
}
