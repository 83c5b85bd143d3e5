/**
 * Money in integer minor units, never floats. Fiat currencies have 2 decimals except the few
 * listed; crypto amounts (USDT) use 8, Binance Pay's maximum precision.
 */
const DECIMALS: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3, USDT: 8, USDC: 8 };

export function decimalsOf(currency: string): number {
  return DECIMALS[currency] ?? 2;
}

export function formatMinor(minor: bigint, currency: string): string {
  const d = decimalsOf(currency);
  const neg = minor < 0n;
  const abs = (neg ? -minor : minor).toString().padStart(d + 1, '0');
  const s = d === 0 ? abs : `${abs.slice(0, -d)}.${abs.slice(-d)}`;
  return neg ? `-${s}` : s;
}

/** Parses a decimal string exactly; refuses more decimals than the currency has. */
export function parseMinor(amount: string, currency: string): bigint {
  const d = decimalsOf(currency);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) throw new Error(`not a decimal amount: ${amount}`);
  const frac = m[2] ?? '';
  if (frac.length > d) throw new Error(`${amount} has more than ${d} decimals for ${currency}`);
  return BigInt(m[1]! + frac.padEnd(d, '0'));
}
