/**
 * PayPal money: `{currency_code, value}` with `value` a decimal string. Kept as integer minor units
 * inside the emulator; never floats.
 */

export interface Money {
  currency_code: string;
  value: string;
}

/** The currencies PayPal's REST APIs accept, with their decimal places (HUF, JPY, TWD: none). */
export const CURRENCIES: Record<string, number> = {
  AUD: 2, BRL: 2, CAD: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, HKD: 2, HUF: 0, ILS: 2, JPY: 0, MYR: 2,
  MXN: 2, TWD: 0, NZD: 2, NOK: 2, PHP: 2, PLN: 2, GBP: 2, RUB: 2, SGD: 2, SEK: 2, CHF: 2, THB: 2, USD: 2,
};

/** The pattern of `money.value` in the specs. */
export const VALUE_PATTERN = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;

export function decimals(currency: string): number {
  return CURRENCIES[currency] ?? 2;
}

/** Minor units of a syntactically valid value; null when it has more decimals than the currency. */
export function toMinor(value: string, currency: string): bigint | null {
  const neg = value.startsWith('-');
  const [int = '0', frac = ''] = (neg ? value.slice(1) : value).split('.');
  const places = decimals(currency);
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > places) return null;
  const minor = BigInt(int || '0') * 10n ** BigInt(places) + BigInt((trimmed.padEnd(places, '0') || '0'));
  return neg ? -minor : minor;
}

export function fromMinor(minor: bigint, currency: string): Money {
  const places = decimals(currency);
  const neg = minor < 0n;
  const abs = neg ? -minor : minor;
  const s = abs.toString().padStart(places + 1, '0');
  const value = places === 0 ? s : `${s.slice(0, -places)}.${s.slice(-places)}`;
  return { currency_code: currency, value: neg ? `-${value}` : value };
}

/** PayPal's standard US checkout fee: 3.49 % + 0.49 (in the currency's main unit), rounded half up. */
export function paypalFee(gross: bigint, currency: string): bigint {
  const unit = 10n ** BigInt(decimals(currency));
  const fixed = (49n * unit) / 100n;
  const pct = (gross * 349n + 5000n) / 10000n;
  const fee = pct + fixed;
  return fee > gross ? gross : fee;
}

/** "$ 1.0 USD"-style amount, as in PayPal's webhook summaries. */
export function summaryAmount(m: Money): string {
  const symbol = m.currency_code === 'USD' ? '$' : m.currency_code === 'EUR' ? '€' : m.currency_code === 'GBP' ? '£' : m.currency_code;
  return `${symbol} ${Number(m.value).toString().includes('.') ? Number(m.value).toString() : `${Number(m.value)}.0`} ${m.currency_code}`;
}
