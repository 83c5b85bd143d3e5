import { convertPrice } from './crypto-price.ts';

/**
 * The settings an admin may change while the instance runs. The environment gives each one's
 * default (EVENT_PRICE_MINOR, PAYMENT_TTL_MINUTES, PAYPAL_INTENT, BINANCE_USDT_RATE, and both
 * providers enabled); a value an admin saved replaces its default until changed again. Pure: the
 * bounds, the checks and the difference between two versions; storage is src/app/instance-settings.ts.
 */

export const PROVIDERS = ['paypal', 'binance'] as const;
export type SettingsProvider = (typeof PROVIDERS)[number];
export const PAYPAL_INTENTS = ['AUTHORIZE', 'CAPTURE'] as const;

/** The price is always in USD: Binance Pay orders are priced in USDT from a USD price. */
export const PRICE_CURRENCY = 'USD' as const;
/** What Binance Pay charges in; the rate is this currency per 1 USD. */
export const RATE_CURRENCY = 'USDT';

/** One definition of each bound, for the environment (src/config/env.ts) and the admin API alike. */
export const SETTING_BOUNDS = {
  priceMinor: { min: 1, max: 1_000_000 },
  paymentWindowMinutes: { min: 1, max: 7 * 24 * 60 },
} as const;
/** USDT per 1 USD: a positive decimal with at most 8 decimals (Binance Pay's precision). */
export const RATE_PATTERN = /^(?:0|[1-9]\d{0,8})(?:\.\d{1,8})?$/;

export interface InstanceSettings {
  /** The event price in US cents. */
  priceMinor: number;
  /** Providers a payer may choose; never empty. */
  providers: SettingsProvider[];
  paypalIntent: (typeof PAYPAL_INTENTS)[number];
  /** How long a new event waits for its payment. */
  paymentWindowMinutes: number;
  binanceUsdtRate: string;
}

export type SettingName = keyof InstanceSettings;
export const SETTING_NAMES = ['priceMinor', 'providers', 'paypalIntent', 'paymentWindowMinutes', 'binanceUsdtRate'] as const satisfies readonly SettingName[];

/** A problem with one setting, in plain words (the admin form shows it next to the field). */
export interface SettingProblem {
  setting: SettingName;
  code: 'out_of_range' | 'invalid_format' | 'invalid_value';
  message: string;
}

/**
 * What no schema alone can say: the settings together. The zod schema (src/http/schemas.ts) has
 * already checked each field's type and bounds; this refuses a rate that turns the price into less
 * than the smallest USDT amount while Binance Pay is enabled (every Binance order would fail).
 */
export function settingsProblems(s: InstanceSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (s.providers.includes('binance') && RATE_PATTERN.test(s.binanceUsdtRate)) {
    try {
      convertPrice({ minor: BigInt(s.priceMinor), currency: PRICE_CURRENCY }, s.binanceUsdtRate, RATE_CURRENCY);
    } catch {
      problems.push({ setting: 'binanceUsdtRate', code: 'out_of_range', message: 'At this rate the price is less than the smallest USDT amount; use a larger rate or price.' });
    }
  }
  return problems;
}

export interface SettingChange {
  setting: SettingName;
  from: string;
  to: string;
}

/** How a setting is written in the change history: one string per value, providers in a fixed order. */
export function settingText(name: SettingName, s: InstanceSettings): string {
  if (name === 'providers') return PROVIDERS.filter((p) => s.providers.includes(p)).join(',');
  return String(s[name]);
}

/** The settings `next` changes, in the fixed order of {@link SETTING_NAMES}. */
export function settingChanges(current: InstanceSettings, next: InstanceSettings): SettingChange[] {
  return SETTING_NAMES.flatMap((setting) => {
    const from = settingText(setting, current);
    const to = settingText(setting, next);
    return from === to ? [] : [{ setting, from, to }];
  });
}

/** The settings as an admin saved them over the defaults; a value never saved is the default's. */
export function withOverrides(defaults: InstanceSettings, saved: Partial<InstanceSettings>): InstanceSettings {
  const out = { ...defaults };
  for (const name of SETTING_NAMES) if (saved[name] !== undefined) (out as Record<SettingName, unknown>)[name] = saved[name];
  out.providers = PROVIDERS.filter((p) => out.providers.includes(p));
  return out;
}

/**
 * Whether a stored value is one this version accepts for `name`. A row that is not (written by
 * hand, or by a later version with a wider range) is ignored: the default applies instead of an
 * instance that cannot price events.
 */
export function isSettingValue(name: SettingName, v: unknown): boolean {
  const within = (b: { min: number; max: number }) => typeof v === 'number' && Number.isInteger(v) && v >= b.min && v <= b.max;
  switch (name) {
    case 'priceMinor':
      return within(SETTING_BOUNDS.priceMinor);
    case 'paymentWindowMinutes':
      return within(SETTING_BOUNDS.paymentWindowMinutes);
    case 'paypalIntent':
      return (PAYPAL_INTENTS as readonly unknown[]).includes(v);
    case 'binanceUsdtRate':
      return typeof v === 'string' && RATE_PATTERN.test(v) && /[1-9]/.test(v);
    case 'providers':
      return Array.isArray(v) && v.length > 0 && v.every((p) => (PROVIDERS as readonly unknown[]).includes(p));
  }
}
