import { multiply, parseAmount } from './amount.ts';
import { BinanceFailure } from './codes.ts';

/**
 * Field rules of create-order v3 and refund (shared/providers/binance-pay.md §2–3), each broken
 * rule answered with the code Binance uses for it: 400100 missing or malformed, 400101 too long,
 * 400102 wrong value, 400103 illegal character, 400201 merchantTradeNo.
 */

export const TERMINAL_TYPES = ['APP', 'WEB', 'WAP', 'MINI_PROGRAM', 'OTHERS'] as const;
export const MERCHANT_TRADE_NO = /^[A-Za-z0-9]{1,32}$/;
/** Crypto the sandbox sells in (EUR was removed in 2025-02; fiat is refused). */
export const ORDER_CURRENCIES = new Set(['USDT', 'USDC', 'FDUSD', 'BUSD', 'BNB', 'BTC', 'ETH', 'SOL', 'TUSD', 'DAI']);
/** Fiat codes, for the "fiat NOT supported" answer. */
const FIAT = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CNY', 'RUB', 'TRY', 'AUD', 'CAD', 'CHF', 'BRL', 'NGN', 'UAH', 'INR', 'VND', 'PHP']);
/**
 * fiatCurrency + fiatAmount: Binance converts "based on market currency rate" into USDT. The
 * sandbox's rates are fixed, made-up values (10^-8 units of USDT per unit of fiat).
 */
export const FIAT_TO_USDT_RATES: Record<string, bigint> = { USD: 100_000_000n, EUR: 108_000_000n, GBP: 127_000_000n };
const GOODS_TYPES = new Set(['01', '02']);
const GOODS_CATEGORIES = new Set(['0000', '1000', '2000', '3000', '4000', '5000', '6000', '7000', '8000', '9000', 'A000', 'B000', 'C000', 'D000', 'E000', 'F000', 'Z000']);
/** 1 h: the documented default and the v1 maximum of an order's life. */
export const MAX_ORDER_LIFETIME_MS = 60 * 60 * 1000;

type Json = Record<string, unknown>;

export function asObject(body: unknown): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BinanceFailure('400008', 'The request body must be a JSON object.');
  }
  return body as Json;
}

interface StrRule {
  required?: boolean;
  max?: number;
}

function str(obj: Json, field: string, rule: StrRule & { required: true }, path?: string): string;
function str(obj: Json, field: string, rule?: StrRule, path?: string): string | null;
function str(obj: Json, field: string, rule: StrRule = {}, path = field): string | null {
  const v = obj[field];
  if (v === undefined || v === null || v === '') {
    if (rule.required) throw new BinanceFailure('400100', `Mandatory parameter '${path}' is empty.`);
    return null;
  }
  if (typeof v !== 'string') throw new BinanceFailure('400100', `Parameter '${path}' must be a string.`);
  if (rule.max !== undefined && v.length > rule.max) {
    throw new BinanceFailure('400101', `Parameter '${path}' is longer than ${rule.max} characters.`);
  }
  return v;
}

function url(obj: Json, field: string, max: number): string | null {
  const v = str(obj, field, { max });
  if (v === null) return null;
  let ok = false;
  try {
    const u = new URL(v);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new BinanceFailure('400102', `Parameter '${field}' must be an http(s) URL.`);
  return v;
}

// No backslash, double quote or emoji in goods names.
const ILLEGAL_NAME_CHARS = /[\\"]|\p{Extended_Pictographic}/u;

function goodsDetails(obj: Json): unknown[] {
  const items = obj.goodsDetails;
  if (!Array.isArray(items) || items.length === 0) throw new BinanceFailure('400100', "Mandatory parameter 'goodsDetails' is empty.");
  if (items.length > 100) throw new BinanceFailure('400101', "Parameter 'goodsDetails' has more than 100 items.");
  items.forEach((raw, i) => {
    const p = `goodsDetails[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BinanceFailure('400100', `Parameter '${p}' must be an object.`);
    const item = raw as Json;
    const type = str(item, 'goodsType', { required: true }, `${p}.goodsType`);
    if (!GOODS_TYPES.has(type)) throw new BinanceFailure('400102', `Parameter '${p}.goodsType' must be "01" (tangible) or "02" (virtual).`);
    const cat = str(item, 'goodsCategory', { required: true }, `${p}.goodsCategory`);
    if (!GOODS_CATEGORIES.has(cat)) throw new BinanceFailure('400102', `Parameter '${p}.goodsCategory' is not a known category.`);
    str(item, 'referenceGoodsId', { required: true, max: 64 }, `${p}.referenceGoodsId`);
    const name = str(item, 'goodsName', { required: true, max: 256 }, `${p}.goodsName`);
    if (ILLEGAL_NAME_CHARS.test(name)) throw new BinanceFailure('400103', `Parameter '${p}.goodsName' contains an illegal character.`);
    str(item, 'goodsDetail', { max: 256 }, `${p}.goodsDetail`);
    const unit = item.goodsUnitAmount;
    if (unit !== undefined && unit !== null) {
      if (typeof unit !== 'object' || Array.isArray(unit)) throw new BinanceFailure('400100', `Parameter '${p}.goodsUnitAmount' must be an object.`);
      str(unit as Json, 'currency', { required: true }, `${p}.goodsUnitAmount.currency`);
      if (parseAmount((unit as Json).amount) === null) throw new BinanceFailure('400102', `Parameter '${p}.goodsUnitAmount.amount' is not a valid amount.`);
    }
    const qty = item.goodsQuantity;
    if (qty !== undefined && qty !== null && !(typeof qty === 'string' || typeof qty === 'number')) {
      throw new BinanceFailure('400102', `Parameter '${p}.goodsQuantity' is not a number.`);
    }
  });
  return items;
}

function crypto(obj: Json, field: string): string {
  const c = str(obj, field, { required: true });
  if (FIAT.has(c.toUpperCase())) throw new BinanceFailure('400102', `Parameter '${field}': fiat NOT supported, use a crypto currency such as USDT.`);
  if (c !== c.toUpperCase()) throw new BinanceFailure('400102', `Parameter '${field}' must be upper case.`);
  if (!ORDER_CURRENCIES.has(c)) throw new BinanceFailure('400102', `Parameter '${field}': currency ${c} is not supported.`);
  return c;
}

function amount(obj: Json, field: string): bigint {
  const v = obj[field];
  if (v === undefined || v === null || v === '') throw new BinanceFailure('400100', `Mandatory parameter '${field}' is empty.`);
  const units = parseAmount(v);
  if (units === null) throw new BinanceFailure('400102', `Parameter '${field}' must be a decimal with at most 8 decimal places.`);
  if (units < 1n) throw new BinanceFailure('400102', `Parameter '${field}' must be at least 0.00000001.`);
  return units;
}

export interface CreateOrderInput {
  terminalType: string;
  merchantTradeNo: string;
  description: string;
  goodsDetails: unknown[];
  currency: string;
  amountUnits: bigint;
  fiatCurrency: string | null;
  fiatAmount: string | null;
  returnUrl: string | null;
  cancelUrl: string | null;
  webhookUrl: string | null;
  passThroughInfo: string | null;
  supportPayCurrency: string | null;
  expireTime: number;
}

export function parseCreateOrder(body: unknown, now: number): CreateOrderInput {
  const obj = asObject(body);
  const env = obj.env;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) throw new BinanceFailure('400100', "Mandatory parameter 'env' is empty.");
  const terminalType = str(env as Json, 'terminalType', { required: true }, 'env.terminalType');
  if (!(TERMINAL_TYPES as readonly string[]).includes(terminalType)) {
    throw new BinanceFailure('400102', `Parameter 'env.terminalType' must be one of ${TERMINAL_TYPES.join(', ')}.`);
  }

  const tradeNo = obj.merchantTradeNo;
  if (typeof tradeNo !== 'string' || !MERCHANT_TRADE_NO.test(tradeNo)) {
    throw new BinanceFailure('400201', 'merchantTradeNo is invalid: letters or digits only, at most 32 characters.');
  }

  const description = str(obj, 'description', { required: true, max: 256 });
  const goods = goodsDetails(obj);

  let currency: string;
  let amountUnits: bigint;
  let fiatCurrency: string | null = null;
  let fiatAmount: string | null = null;
  const hasCrypto = obj.orderAmount !== undefined || obj.currency !== undefined;
  const hasFiat = obj.fiatAmount !== undefined || obj.fiatCurrency !== undefined;
  if (hasCrypto && hasFiat) throw new BinanceFailure('400102', 'Give either currency + orderAmount or fiatCurrency + fiatAmount, not both.');
  if (hasFiat) {
    fiatCurrency = str(obj, 'fiatCurrency', { required: true });
    const rate = FIAT_TO_USDT_RATES[fiatCurrency];
    if (rate === undefined) throw new BinanceFailure('400102', `Parameter 'fiatCurrency': ${fiatCurrency} is not supported.`);
    const fiatUnits = amount(obj, 'fiatAmount');
    fiatAmount = String(obj.fiatAmount);
    currency = 'USDT';
    amountUnits = multiply(fiatUnits, rate);
  } else {
    currency = crypto(obj, 'currency');
    amountUnits = amount(obj, 'orderAmount');
  }

  const returnUrl = url(obj, 'returnUrl', 256);
  const cancelUrl = url(obj, 'cancelUrl', 256);
  const webhookUrl = url(obj, 'webhookUrl', 256);
  const passThroughInfo = str(obj, 'passThroughInfo', { max: 512 });
  const supportPayCurrency = str(obj, 'supportPayCurrency', { max: 1024 });
  str(obj, 'universalUrlAttach', { max: 120 });

  let expireTime = now + MAX_ORDER_LIFETIME_MS;
  const exp = obj.orderExpireTime;
  if (exp !== undefined && exp !== null) {
    if (typeof exp !== 'number' || !Number.isInteger(exp)) throw new BinanceFailure('400102', "Parameter 'orderExpireTime' must be epoch milliseconds.");
    if (exp <= now || exp > now + MAX_ORDER_LIFETIME_MS) {
      throw new BinanceFailure('400102', "Parameter 'orderExpireTime' must be in the future and at most 1 hour from now.");
    }
    expireTime = exp;
  }

  return {
    terminalType,
    merchantTradeNo: tradeNo,
    description,
    goodsDetails: goods,
    currency,
    amountUnits,
    fiatCurrency,
    fiatAmount,
    returnUrl,
    cancelUrl,
    webhookUrl,
    passThroughInfo,
    supportPayCurrency,
    expireTime,
  };
}

/** `{prepayId}` or `{merchantTradeNo}`; prepayId wins when both are given. */
export function parseOrderReference(body: unknown): { prepayId: string } | { merchantTradeNo: string } {
  const obj = asObject(body);
  const prepayId = obj.prepayId;
  if (prepayId !== undefined && prepayId !== null && prepayId !== '') {
    if (typeof prepayId !== 'string' && typeof prepayId !== 'number') throw new BinanceFailure('400301', 'prepayId is invalid.');
    return { prepayId: String(prepayId) };
  }
  const tradeNo = obj.merchantTradeNo;
  if (tradeNo !== undefined && tradeNo !== null && tradeNo !== '') {
    if (typeof tradeNo !== 'string') throw new BinanceFailure('400201', 'merchantTradeNo is invalid.');
    return { merchantTradeNo: tradeNo };
  }
  throw new BinanceFailure('400100', "Either 'prepayId' or 'merchantTradeNo' is mandatory.");
}

export interface RefundInput {
  refundRequestId: string;
  prepayId: string;
  refundAmountUnits: bigint;
  refundReason: string | null;
  webhookUrl: string | null;
}

export function parseRefund(body: unknown): RefundInput {
  const obj = asObject(body);
  const refundRequestId = str(obj, 'refundRequestId', { required: true, max: 64 });
  const prepayIdRaw = obj.prepayId;
  if (prepayIdRaw === undefined || prepayIdRaw === null || prepayIdRaw === '') throw new BinanceFailure('400100', "Mandatory parameter 'prepayId' is empty.");
  if (typeof prepayIdRaw !== 'string' && typeof prepayIdRaw !== 'number') throw new BinanceFailure('400301', 'prepayId is invalid.');
  const v = obj.refundAmount;
  if (v === undefined || v === null || v === '') throw new BinanceFailure('400100', "Mandatory parameter 'refundAmount' is empty.");
  const units = parseAmount(v);
  if (units === null || units < 1n) throw new BinanceFailure('400303', 'refundAmount must be a positive decimal with at most 8 decimal places.');
  return {
    refundRequestId,
    prepayId: String(prepayIdRaw),
    refundAmountUnits: units,
    refundReason: str(obj, 'refundReason', { max: 256 }),
    webhookUrl: url(obj, 'webhookUrl', 256),
  };
}

export function parseRefundQuery(body: unknown): string {
  return str(asObject(body), 'refundRequestId', { required: true, max: 64 });
}
