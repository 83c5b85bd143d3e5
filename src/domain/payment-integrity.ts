import { formatMinor } from './money.ts';

/**
 * The provider's answer must be about what we asked for: the amount, its currency and our own
 * reference. Pure; the caller flags a mismatch for review and never confirms on it.
 */
export interface Expected {
  charge: { minor: bigint; currency: string };
  merchantRef: string;
}

export interface Reported {
  amount: { minor: bigint; currency: string } | null;
  merchantRef: string | null;
}

/** Each mismatch in words ("amount: PayPal reported 2.00 USD, expected 1.00 USD"); empty when all agree. */
export function mismatches(expected: Expected, reported: Reported, provider: string): string[] {
  const found: string[] = [];
  const want = `${formatMinor(expected.charge.minor, expected.charge.currency)} ${expected.charge.currency}`;
  if (!reported.amount) found.push(`amount: ${provider} reported none, expected ${want}`);
  else if (reported.amount.currency !== expected.charge.currency) found.push(`currency: ${provider} reported ${reported.amount.currency}, expected ${expected.charge.currency}`);
  else if (reported.amount.minor !== expected.charge.minor) {
    found.push(`amount: ${provider} reported ${formatMinor(reported.amount.minor, reported.amount.currency)} ${reported.amount.currency}, expected ${want}`);
  }
  if (reported.merchantRef !== null && reported.merchantRef !== expected.merchantRef) {
    found.push(`reference: ${provider} reported ${reported.merchantRef}, expected ${expected.merchantRef}`);
  }
  return found;
}
