import { PaypalApiError, type ErrorDetail } from './errors.ts';
import { CURRENCIES, VALUE_PATTERN, toMinor, type Money } from './money.ts';

/**
 * Request checks the way PayPal makes them: syntax and schema problems first (400
 * INVALID_REQUEST, every issue at once, with JSON-pointer-like `field`s such as
 * `/purchase_units/@reference_id=='default'/amount/value`), then business rules (422).
 */

export interface ParsedUnit {
  reference_id: string;
  amount: Money & { breakdown?: Record<string, Money> };
  minor: bigint;
  description?: string;
  custom_id?: string;
  invoice_id?: string;
  soft_descriptor?: string;
  items?: unknown[];
}

export interface ParsedOrderRequest {
  intent: 'CAPTURE' | 'AUTHORIZE';
  units: ParsedUnit[];
  experienceContext: boolean;
  returnUrl?: string;
  cancelUrl?: string;
  brandName?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_MINOR_TWO_DECIMALS = 99999999999999999n; // 999999999999999.99

const BREAKDOWN_PLUS = ['item_total', 'tax_total', 'shipping', 'handling', 'insurance'];
const BREAKDOWN_MINUS = ['shipping_discount', 'discount'];

class Issues {
  readonly list: ErrorDetail[] = [];
  add(issue: string, field: string, value?: unknown) {
    this.list.push({ field, ...(value !== undefined && typeof value !== 'object' ? { value: String(value) } : {}), location: 'body', issue });
  }
  string(obj: Record<string, unknown>, key: string, field: string, min: number, max: number, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.add('MISSING_REQUIRED_PARAMETER', field);
      return undefined;
    }
    if (typeof v !== 'string') return void this.add('INVALID_PARAMETER_SYNTAX', field, v);
    if (v.length < min || v.length > max) return void this.add('INVALID_STRING_LENGTH', field, v);
    return v;
  }
  url(obj: Record<string, unknown>, key: string, field: string): string | undefined {
    const v = this.string(obj, key, field, 10, 4000);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      return v;
    } catch {
      return void this.add('INVALID_PARAMETER_SYNTAX', field, v);
    }
  }
  /** Syntax of a money object; null when it is unusable. */
  money(v: unknown, field: string, required: boolean): Money | null {
    if (v === undefined || v === null) {
      if (required) this.add('MISSING_REQUIRED_PARAMETER', field);
      return null;
    }
    if (!isObject(v)) return void this.add('INVALID_PARAMETER_SYNTAX', field), null;
    const currency = this.string(v, 'currency_code', `${field}/currency_code`, 3, 3, true);
    let value: string | undefined;
    if (v.value === undefined || v.value === null) this.add('MISSING_REQUIRED_PARAMETER', `${field}/value`);
    else if (typeof v.value !== 'string') this.add('INVALID_PARAMETER_SYNTAX', `${field}/value`, v.value);
    else if (v.value.length > 32) this.add('INVALID_STRING_LENGTH', `${field}/value`, v.value);
    else if (!VALUE_PATTERN.test(v.value)) this.add('INVALID_PARAMETER_SYNTAX', `${field}/value`, v.value);
    else value = v.value;
    return currency !== undefined && value !== undefined ? { currency_code: currency, value } : null;
  }
}

/** Business checks of an amount (422): supported currency, precision, positive, not too large. */
export function amountIssues(m: Money, field: string, opts: { allowZero?: boolean } = {}): ErrorDetail[] {
  const at = (issue: string): ErrorDetail[] => [{ field, value: m.value, location: 'body', issue }];
  if (!(m.currency_code in CURRENCIES)) return [{ field: field.replace(/\/value$/, '/currency_code'), value: m.currency_code, location: 'body', issue: 'INVALID_CURRENCY_CODE' }];
  const minor = toMinor(m.value, m.currency_code);
  if (minor === null) return at('DECIMAL_PRECISION');
  if (minor < 0n || (minor === 0n && !opts.allowZero)) return at(opts.allowZero ? 'CANNOT_BE_NEGATIVE' : 'CANNOT_BE_ZERO_OR_NEGATIVE');
  if (minor > MAX_MINOR_TWO_DECIMALS) return at('MAX_VALUE_EXCEEDED');
  return [];
}

export function parseCreateOrder(body: unknown, jsonError: Error | undefined): ParsedOrderRequest {
  if (jsonError || (body !== undefined && !isObject(body))) throw new PaypalApiError(400, [{ issue: 'MALFORMED_REQUEST_JSON' }]);
  const req = (body ?? {}) as Record<string, unknown>;
  const issues = new Issues();

  let intent: 'CAPTURE' | 'AUTHORIZE' | undefined;
  if (req.intent === undefined || req.intent === null) issues.add('MISSING_REQUIRED_PARAMETER', '/intent');
  else if (req.intent !== 'CAPTURE' && req.intent !== 'AUTHORIZE') issues.add('INVALID_PARAMETER_VALUE', '/intent', req.intent);
  else intent = req.intent;

  const units: ParsedUnit[] = [];
  const rawUnits = req.purchase_units;
  if (rawUnits === undefined || rawUnits === null) issues.add('MISSING_REQUIRED_PARAMETER', '/purchase_units');
  else if (!Array.isArray(rawUnits)) issues.add('INVALID_PARAMETER_SYNTAX', '/purchase_units');
  else if (rawUnits.length === 0) issues.add('INVALID_ARRAY_MIN_ITEMS', '/purchase_units');
  else if (rawUnits.length > 10) issues.add('INVALID_ARRAY_MAX_ITEMS', '/purchase_units');
  else {
    rawUnits.forEach((u, i) => {
      if (!isObject(u)) return issues.add('INVALID_PARAMETER_SYNTAX', `/purchase_units/${i}`);
      const ref = issues.string(u, 'reference_id', `/purchase_units/${i}/reference_id`, 1, 256);
      const base = `/purchase_units/@reference_id=='${ref ?? 'default'}'`;
      const amount = issues.money(u.amount, `${base}/amount`, true);
      const breakdown: Record<string, Money> = {};
      if (isObject(u.amount) && u.amount.breakdown !== undefined) {
        if (!isObject(u.amount.breakdown)) issues.add('INVALID_PARAMETER_SYNTAX', `${base}/amount/breakdown`);
        else
          for (const k of [...BREAKDOWN_PLUS, ...BREAKDOWN_MINUS]) {
            const m = issues.money(u.amount.breakdown[k], `${base}/amount/breakdown/${k}`, false);
            if (m) breakdown[k] = m;
          }
      }
      const unit: Partial<ParsedUnit> = {
        reference_id: ref,
        description: issues.string(u, 'description', `${base}/description`, 1, 127),
        custom_id: issues.string(u, 'custom_id', `${base}/custom_id`, 1, 127),
        invoice_id: issues.string(u, 'invoice_id', `${base}/invoice_id`, 1, 127),
        soft_descriptor: issues.string(u, 'soft_descriptor', `${base}/soft_descriptor`, 1, 22),
      };
      if (u.items !== undefined) {
        if (!Array.isArray(u.items)) issues.add('INVALID_PARAMETER_SYNTAX', `${base}/items`);
        else unit.items = u.items;
      }
      if (amount) unit.amount = Object.keys(breakdown).length ? { ...amount, breakdown } : amount;
      units.push(unit as ParsedUnit);
    });
  }

  let experienceContext = false;
  let returnUrl: string | undefined;
  let cancelUrl: string | undefined;
  let brandName: string | undefined;
  const ps = req.payment_source;
  if (ps !== undefined) {
    if (!isObject(ps)) issues.add('INVALID_PARAMETER_SYNTAX', '/payment_source');
    else if (isObject(ps.paypal)) {
      experienceContext = true;
      const ec = ps.paypal.experience_context;
      if (isObject(ec)) {
        returnUrl = issues.url(ec, 'return_url', '/payment_source/paypal/experience_context/return_url');
        cancelUrl = issues.url(ec, 'cancel_url', '/payment_source/paypal/experience_context/cancel_url');
        brandName = issues.string(ec, 'brand_name', '/payment_source/paypal/experience_context/brand_name', 1, 127);
      }
    }
  }
  const ac = req.application_context;
  if (ac !== undefined) {
    if (!isObject(ac)) issues.add('INVALID_PARAMETER_SYNTAX', '/application_context');
    else {
      returnUrl ??= issues.url(ac, 'return_url', '/application_context/return_url');
      cancelUrl ??= issues.url(ac, 'cancel_url', '/application_context/cancel_url');
      brandName ??= issues.string(ac, 'brand_name', '/application_context/brand_name', 1, 127);
    }
  }
  if (issues.list.length) throw new PaypalApiError(400, issues.list);

  // Business rules (422).
  const business: ErrorDetail[] = [];
  if (units.length > 1) {
    const refs = units.map((u) => u.reference_id);
    if (refs.some((r) => r === undefined)) business.push({ field: '/purchase_units', location: 'body', issue: 'REFERENCE_ID_REQUIRED' });
    else if (new Set(refs).size !== refs.length) business.push({ field: '/purchase_units', location: 'body', issue: 'DUPLICATE_REFERENCE_ID' });
    if (intent === 'AUTHORIZE') business.push({ field: '/intent', value: 'AUTHORIZE', location: 'body', issue: 'UNSUPPORTED_INTENT' });
  }
  const currencies = new Set(units.map((u) => u.amount.currency_code));
  if (currencies.size > 1) business.push({ field: '/purchase_units', location: 'body', issue: 'MULTI_CURRENCY_ORDER' });
  for (const u of units) {
    u.reference_id ??= 'default';
    const base = `/purchase_units/@reference_id=='${u.reference_id}'/amount`;
    const own = amountIssues(u.amount, `${base}/value`);
    business.push(...own);
    if (own.length) continue;
    u.minor = toMinor(u.amount.value, u.amount.currency_code)!;
    const bd = u.amount.breakdown;
    if (bd) {
      let sum = 0n;
      for (const [k, m] of Object.entries(bd)) {
        const issues = amountIssues(m, `${base}/breakdown/${k}/value`, { allowZero: true });
        if (issues.length) {
          business.push(...issues);
          continue;
        }
        sum += (BREAKDOWN_MINUS.includes(k) ? -1n : 1n) * toMinor(m.value, m.currency_code)!;
      }
      if (sum !== u.minor) business.push({ field: `${base}/value`, value: u.amount.value, location: 'body', issue: 'AMOUNT_MISMATCH' });
    }
    if (u.items?.length) {
      const itemTotal = bd?.item_total;
      if (!itemTotal) business.push({ field: `${base}/breakdown/item_total`, location: 'body', issue: 'ITEM_TOTAL_REQUIRED' });
      else {
        let sum = 0n;
        for (const it of u.items) {
          if (!isObject(it) || !isObject(it.unit_amount) || typeof it.unit_amount.value !== 'string') continue;
          const m = toMinor(it.unit_amount.value, u.amount.currency_code);
          const q = typeof it.quantity === 'string' && /^\d+$/.test(it.quantity) ? BigInt(it.quantity) : 1n;
          if (m !== null) sum += m * q;
        }
        if (sum !== toMinor(itemTotal.value, itemTotal.currency_code)) business.push({ field: `${base}/breakdown/item_total/value`, value: itemTotal.value, location: 'body', issue: 'ITEM_TOTAL_MISMATCH' });
      }
    }
  }
  if (business.length) throw new PaypalApiError(422, business);

  return { intent: intent!, units, experienceContext, returnUrl, cancelUrl, brandName };
}
