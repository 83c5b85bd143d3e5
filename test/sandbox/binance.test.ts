import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { verifySignedRequest } from '../../sandbox/binance/verify.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { signRequest } from '../../src/providers/binance/signature.ts';
import { binanceOrderBody, binanceReceiver } from '../support/binance.ts';
import { withSandbox } from '../support/sandbox.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

const creds = SANDBOX_CREDENTIALS.binance;
const ORDER = '/binancepay/openapi/v3/order';
const QUERY = '/binancepay/openapi/v2/order/query';
const CLOSE = '/binancepay/openapi/order/close';
const REFUND = '/binancepay/openapi/order/refund';
const REFUND_QUERY = '/binancepay/openapi/order/refund/query';
const CERTS = '/binancepay/openapi/certificates';

type Envelope = { status: string; code: string; data?: any; errorMessage?: string };

/** A merchant call signed by the product's signer (itself checked against the official vector). */
async function call(sandbox: Sandbox, path: string, payload: unknown, key: { apiKey: string; secretKey: string } = creds) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signed = signRequest({ ...key, body, timestamp: sandbox.ctx.now() });
  const res = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: signed.headers, body });
  return { http: res.status, ...((await res.json()) as Envelope) };
}

/** Replaces the character at `i` with a different one of the same kind (digit, hex, letter). */
function mutate(s: string, i: number): string {
  const c = s[i]!;
  const repl = /\d/.test(c) ? String((Number(c) + 1) % 10) : /[A-F]/.test(c) ? (c === 'A' ? 'B' : 'A') : /[a-zA-Z]/.test(c) ? (c === 'x' ? 'y' : 'x') : c === '"' ? "'" : 'x';
  return s.slice(0, i) + repl + s.slice(i + 1);
}

describe('Binance request verification: official vector', { skip: specsSkip() }, () => {
  const v = specsSkip() ? ({} as any) : readSpecJson('binance-pay', 'samples', 'request-signature-vector.json');
  const API_KEY = 'faqvectorapikey';
  // The vector's file carries two signatures: the FAQ prints a USDT body but its published
  // signature prefix only reproduces with the older BUSD body (docs edited without recomputing).
  // `signature` is the one that verifies with `body`; that is the one used here.
  const verify = (over: Partial<{ body: string; timestamp: string; nonce: string; signature: string }> = {}, windowMs = Number.MAX_SAFE_INTEGER) =>
    verifySignedRequest(
      {
        headers: {
          'binancepay-certificate-sn': API_KEY,
          'binancepay-timestamp': over.timestamp ?? v.timestamp,
          'binancepay-nonce': over.nonce ?? v.nonce,
          'binancepay-signature': over.signature ?? v.signature,
        },
        rawBody: over.body ?? v.body,
      },
      { secretFor: (k) => (k === API_KEY ? v.secretKey : undefined), now: Number(v.timestamp), windowMs },
    );
  const codeOf = (r: ReturnType<typeof verify>) => (r.ok ? '000000' : r.failure.code);

  it('accepts the vector; the FAQ-printed body only with its own signature', () => {
    assert.deepEqual(verify(), { ok: true, apiKey: API_KEY });
    assert.equal(codeOf(verify({ body: v.bodyAsPrintedInFaq })), '400002');
    assert.equal(codeOf(verify({ body: v.bodyAsPrintedInFaq, signature: v.signatureForBodyAsPrintedInFaq })), '000000');
  });

  it('refuses any one-character change with 400002 (verifier)', () => {
    for (let i = 0; i < v.body.length; i += 7) assert.equal(codeOf(verify({ body: mutate(v.body, i) })), '400002', `body[${i}]`);
    for (let i = 0; i < v.timestamp.length; i++) assert.equal(codeOf(verify({ timestamp: mutate(v.timestamp, i) })), '400002', `timestamp[${i}]`);
    for (let i = 0; i < v.nonce.length; i++) assert.equal(codeOf(verify({ nonce: mutate(v.nonce, i) })), '400002', `nonce[${i}]`);
    for (let i = 0; i < v.signature.length; i += 5) assert.equal(codeOf(verify({ signature: mutate(v.signature, i) })), '400002', `signature[${i}]`);
    assert.equal(codeOf(verify({ signature: v.signature.toLowerCase() })), '400002', 'lower-case hex');
    assert.equal(codeOf(verify({ body: `${v.body} ` })), '400002', 'appended space');
  });

  it('checks the key, the timestamp window and the nonce length', () => {
    assert.equal(codeOf(verify({}, 1000)), '000000');
    assert.equal(codeOf(verify({ timestamp: String(Number(v.timestamp) - 1001) }, 1000)), '400003');
    assert.equal(codeOf(verify({ timestamp: `${Number(v.timestamp) / 1000}` })), '400003', 'seconds with a dot');
    assert.equal(codeOf(verify({ nonce: v.nonce.slice(1) })), '400001');
  });

  describe('over HTTP', () => {
    let sandbox: Sandbox;
    before(async () => {
      // Binance's clock stopped at the vector's time; a window wide enough for last-digit changes.
      sandbox = await withSandbox({ now: () => Number(v.timestamp), settings: { binanceTimestampWindowMs: 60_000 } });
      const res = await fetch(`${sandbox.url}/__sandbox/binance/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: API_KEY, secretKey: v.secretKey }),
      });
      assert.equal(res.status, 201);
    });
    after(() => sandbox.close());

    async function send(over: Partial<{ body: string; timestamp: string; nonce: string; signature: string; apiKey: string }> = {}) {
      const res = await fetch(`${sandbox.url}${CERTS}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'BinancePay-Certificate-SN': over.apiKey ?? API_KEY,
          'BinancePay-Timestamp': over.timestamp ?? v.timestamp,
          'BinancePay-Nonce': over.nonce ?? v.nonce,
          'BinancePay-Signature': over.signature ?? v.signature,
        },
        body: over.body ?? v.body,
      });
      return { http: res.status, ...((await res.json()) as Envelope) };
    }

    it('accepts the exact vector', async () => {
      const ok = await send();
      assert.equal(ok.status, 'SUCCESS');
      assert.equal(ok.code, '000000');
    });

    it('refuses one-character changes with 400002 in the FAIL envelope', async () => {
      const cases = [
        { body: mutate(v.body, 2) },
        { body: mutate(v.body, v.body.indexOf('BUSD')) },
        { body: mutate(v.body, v.body.length - 2) },
        { timestamp: mutate(v.timestamp, 12) },
        { timestamp: mutate(v.timestamp, 11) },
        { nonce: mutate(v.nonce, 0) },
        { nonce: mutate(v.nonce, 31) },
        { signature: mutate(v.signature, 0) },
        { signature: mutate(v.signature, 127) },
        { signature: v.signature.toLowerCase() },
      ];
      for (const c of cases) {
        const res = await send(c);
        assert.deepEqual(res, { http: 400, status: 'FAIL', code: '400002', errorMessage: 'Signature for this request is not valid.' }, JSON.stringify(c));
      }
    });

    it('refuses a stale timestamp (400003), an unknown key (400004) and a short nonce', async () => {
      assert.equal((await send({ timestamp: String(Number(v.timestamp) - 61_000) })).code, '400003');
      assert.equal((await send({ apiKey: 'someoneelse' })).code, '400004');
      assert.equal((await send({ nonce: v.nonce.slice(0, 31) })).code, '400001');
    });

    it('answers gateway errors to a GET, a missing content-type or an empty body, and 403 to a wrong path', async () => {
      const gateway = { status: 'ERROR', type: 'SYS', code: '100001001', errorData: 'System abnormality' };
      const get = await fetch(`${sandbox.url}${CERTS}`);
      assert.deepEqual(await get.json(), gateway);
      const noType = await fetch(`${sandbox.url}${CERTS}`, { method: 'POST', body: new TextEncoder().encode(v.body) });
      assert.deepEqual(await noType.json(), gateway);
      const empty = await fetch(`${sandbox.url}${CERTS}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      assert.deepEqual(await empty.json(), gateway);
      const wrong = await fetch(`${sandbox.url}/binancepay/openapi/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(wrong.status, 403);
      assert.match(await wrong.text(), /could not be satisfied/);
    });
  });
});

describe('Binance orders', () => {
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof binanceReceiver>>;
  let clock = Date.now();

  before(async () => {
    sandbox = await withSandbox({ now: () => clock, webhooks: { retryDelayMs: () => 5 } });
    hook = await binanceReceiver();
    sandbox.ctx.settings.binanceWebhookUrl = hook.url;
  });
  after(async () => {
    await sandbox.close();
    hook.server.close();
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    sandbox.ctx.settings.binanceWebhookUrl = hook.url;
    hook.received.length = 0;
    hook.answers.length = 0;
  });

  const control = async (path: string, init: RequestInit = { method: 'POST' }) => {
    const res = await fetch(`${sandbox.url}/__sandbox/binance${path}`, init);
    return { http: res.status, ...((await res.json()) as { order: any; orders?: any[]; error?: string }) };
  };

  it('creates an order with Binance\'s result fields and a sandbox checkout URL', async () => {
    const res = await call(sandbox, ORDER, binanceOrderBody('3f9c1e0a5b7d4c2e8a6f1b3d5c7e9a0b', { passThroughInfo: 'evt_1' }));
    assert.equal(res.http, 200);
    assert.equal(res.status, 'SUCCESS');
    assert.equal(res.code, '000000');
    assert.equal(res.errorMessage, '');
    const d = res.data;
    assert.match(d.prepayId, /^\d{19}$/);
    assert.ok(BigInt(d.prepayId) > BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(d.terminalType, 'WEB');
    assert.equal(d.expireTime, clock + 3_600_000);
    assert.equal(d.currency, 'USDT');
    assert.equal(d.totalFee, '1.00');
    assert.ok(d.checkoutUrl.startsWith(`${sandbox.url}/en/checkout/`));
    for (const k of ['qrcodeLink', 'qrContent', 'universalUrl']) assert.ok(d[k].startsWith(sandbox.url), k);
    assert.match(d.deeplink, /^bnc:\/\/app\.binance\.com\/payment\/secpay\?/);
    // The universal URL and the QR content lead the payer to the checkout page.
    const viaQr = await fetch(d.qrContent, { redirect: 'manual' });
    assert.equal(viaQr.headers.get('location'), d.checkoutUrl);
  });

  it('applies the merchantTradeNo rules (400201 for bad or duplicate)', async () => {
    assert.equal((await call(sandbox, ORDER, binanceOrderBody('3f9c1e0a-5b7d-4c2e-8a6f-1b3d5c7e9a0b'))).code, '400201');
    assert.equal((await call(sandbox, ORDER, binanceOrderBody('a'.repeat(33)))).code, '400201');
    assert.equal((await call(sandbox, ORDER, binanceOrderBody(''))).code, '400201');
    assert.equal((await call(sandbox, ORDER, binanceOrderBody('a'.repeat(32)))).status, 'SUCCESS');
    const dup = await call(sandbox, ORDER, binanceOrderBody('a'.repeat(32)));
    assert.equal(dup.http, 400);
    assert.equal(dup.status, 'FAIL');
    assert.equal(dup.code, '400201');
  });

  it('validates the other fields with Binance\'s codes', async () => {
    const code = async (extra: Record<string, unknown>, tradeNo = `v${Math.random().toString(36).slice(2, 12)}`) =>
      (await call(sandbox, ORDER, binanceOrderBody(tradeNo, extra))).code;
    assert.equal(await code({ description: undefined }), '400100');
    assert.equal(await code({ env: {} }), '400100');
    assert.equal(await code({ env: { terminalType: 'DESKTOP' } }), '400102');
    assert.equal(await code({ goodsDetails: [] }), '400100');
    assert.equal(await code({ goodsDetails: [{ goodsType: '03', goodsCategory: 'Z000', referenceGoodsId: 'x', goodsName: 'y' }] }), '400102');
    assert.equal(await code({ goodsDetails: [{ goodsType: '02', goodsCategory: 'Z000', referenceGoodsId: 'x', goodsName: 'a "quoted" name' }] }), '400103');
    assert.equal(await code({ currency: 'USD' }), '400102');
    assert.equal(await code({ currency: 'usdt' }), '400102');
    assert.equal(await code({ orderAmount: '1.000000001' }), '400102');
    assert.equal(await code({ orderAmount: '0' }), '400102');
    assert.equal(await code({ orderAmount: 'one' }), '400102');
    assert.equal(await code({ orderAmount: 0.00000001 }), '000000');
    assert.equal(await code({ orderAmount: 25.17 }), '000000');
    assert.equal(await code({ returnUrl: `https://app.example/${'r'.repeat(240)}` }), '400101');
    assert.equal(await code({ webhookUrl: 'ftp://app.example/hook' }), '400102');
    assert.equal(await code({ passThroughInfo: 'p'.repeat(513) }), '400101');
    assert.equal(await code({ passThroughInfo: 'p'.repeat(512) }), '000000');
    assert.equal(await code({ orderExpireTime: clock - 1 }), '400102');
    assert.equal(await code({ orderExpireTime: clock + 2 * 3_600_000 }), '400102');
    const fiat = await call(sandbox, ORDER, { ...binanceOrderBody('fiat1'), currency: undefined, orderAmount: undefined, fiatCurrency: 'USD', fiatAmount: '1.00' });
    assert.equal(fiat.status, 'SUCCESS');
    assert.equal(fiat.data.currency, 'USDT');
    assert.equal(fiat.data.totalFee, '1.00');
    assert.equal(fiat.data.fiatCurrency, 'USD');
    const notJson = await call(sandbox, ORDER, "{'merchantTradeNo':'x'}");
    assert.equal(notJson.code, '400008');
  });

  it('queries by prepayId or merchantTradeNo (prepayId wins) with the v2 fields', async () => {
    const a = (await call(sandbox, ORDER, binanceOrderBody('queryA', { passThroughInfo: 'evt_a' }))).data;
    await call(sandbox, ORDER, binanceOrderBody('queryB'));
    const byId = await call(sandbox, QUERY, { prepayId: a.prepayId });
    assert.equal(byId.status, 'SUCCESS');
    assert.equal(byId.data.merchantTradeNo, 'queryA');
    assert.equal(byId.data.status, 'INITIAL');
    assert.equal(byId.data.orderAmount, '1.00');
    assert.equal(byId.data.passThroughInfo, 'evt_a');
    assert.equal(typeof byId.data.merchantId, 'number');
    assert.equal(byId.data.createTime, clock);
    const byNo = await call(sandbox, QUERY, { merchantTradeNo: 'queryB' });
    assert.equal(byNo.data.merchantTradeNo, 'queryB');
    const both = await call(sandbox, QUERY, { prepayId: a.prepayId, merchantTradeNo: 'queryB' });
    assert.equal(both.data.merchantTradeNo, 'queryA');
    assert.equal((await call(sandbox, QUERY, { merchantTradeNo: 'nosuchorder' })).code, '400202');
    assert.equal((await call(sandbox, QUERY, {})).code, '400100');
  });

  it('closes an unpaid order (data true, then PAY_CLOSED) and refuses to close a paid one (400204)', async () => {
    const open = (await call(sandbox, ORDER, binanceOrderBody('close1'))).data;
    const closed = await call(sandbox, CLOSE, { merchantTradeNo: 'close1' });
    assert.equal(closed.status, 'SUCCESS');
    assert.equal(closed.data, true);
    assert.equal((await call(sandbox, QUERY, { prepayId: open.prepayId })).data.status, 'CANCELED');
    await sandbox.ctx.webhooks.idle();
    const [ev] = hook.events();
    assert.equal(ev!.bizType, 'PAY');
    assert.equal(ev!.bizStatus, 'PAY_CLOSED');
    assert.equal(ev!.bizIdStr, open.prepayId);

    const paid = (await call(sandbox, ORDER, binanceOrderBody('close2'))).data;
    await control(`/orders/${paid.prepayId}/pay`);
    assert.equal((await call(sandbox, CLOSE, { prepayId: paid.prepayId })).code, '400204');
    const scanned = (await call(sandbox, ORDER, binanceOrderBody('close3'))).data;
    assert.equal((await control(`/orders/${scanned.prepayId}/scan`)).order.status, 'PENDING');
    assert.equal((await call(sandbox, CLOSE, { prepayId: scanned.prepayId })).code, '400204');
  });

  it('refunds partially and fully, idempotently per refundRequestId, then PAY_REFUND notifications', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('refund1'))).data;
    assert.equal((await call(sandbox, REFUND, { refundRequestId: 'r0', prepayId: o.prepayId, refundAmount: '0.10' })).code, '400204');
    await control(`/orders/${o.prepayId}/pay`);
    const first = await call(sandbox, REFUND, { refundRequestId: 'r1', prepayId: o.prepayId, refundAmount: '0.40', refundReason: 'partial' });
    assert.equal(first.status, 'SUCCESS');
    assert.deepEqual(
      { ...first.data, payerOpenId: typeof first.data.payerOpenId },
      { refundRequestId: 'r1', prepayId: o.prepayId, orderAmount: '1.00', refundedAmount: '0.40', refundAmount: '0.40', remainingAttempts: 9, payerOpenId: 'string', duplicateRequest: 'N' },
    );
    const again = await call(sandbox, REFUND, { refundRequestId: 'r1', prepayId: o.prepayId, refundAmount: '0.40' });
    assert.equal(again.data.duplicateRequest, 'Y');
    assert.equal(again.data.refundedAmount, '0.40');
    assert.equal((await call(sandbox, QUERY, { prepayId: o.prepayId })).data.status, 'REFUNDED');
    assert.equal((await call(sandbox, REFUND, { refundRequestId: 'r2', prepayId: o.prepayId, refundAmount: '0.61' })).code, '400303');
    const rest = await call(sandbox, REFUND, { refundRequestId: 'r3', prepayId: o.prepayId, refundAmount: 0.6 });
    assert.equal(rest.data.refundedAmount, '1.00');
    assert.equal((await call(sandbox, QUERY, { prepayId: o.prepayId })).data.status, 'FULL_REFUNDED');
    assert.equal((await call(sandbox, REFUND, { refundRequestId: 'r4', prepayId: o.prepayId, refundAmount: '0.01' })).code, '400303');
    const q = await call(sandbox, REFUND_QUERY, { refundRequestId: 'r3' });
    assert.equal(q.data.refundStatus, 'REFUND_SUCCESS');
    assert.equal((await call(sandbox, REFUND_QUERY, { refundRequestId: 'nope' })).code, '400202');

    await sandbox.ctx.webhooks.idle();
    const refunds = hook.events().filter((e) => e.bizType === 'PAY_REFUND');
    assert.equal(refunds.length, 2, 'the duplicate request sends nothing');
    assert.ok(refunds.every((e) => e.bizStatus === 'REFUND_SUCCESS' && e.bizIdStr === o.prepayId));
    assert.equal(JSON.parse(refunds[1]!.data).refundInfo.refundedAmount, '1.00');
  });

  it('allows at most 10 refunds per order (400302)', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('refund10'))).data;
    await control(`/orders/${o.prepayId}/pay`);
    for (let i = 0; i < 10; i++) {
      assert.equal((await call(sandbox, REFUND, { refundRequestId: `t${i}`, prepayId: o.prepayId, refundAmount: '0.01' })).status, 'SUCCESS');
    }
    assert.equal((await call(sandbox, REFUND, { refundRequestId: 't10', prepayId: o.prepayId, refundAmount: '0.01' })).code, '400302');
  });

  it('lets the payer pay on the checkout page (form post) → PAID and PAY_SUCCESS', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('page1', { returnUrl: 'https://app.example/pay/done', cancelUrl: 'https://app.example/pay/cancel' }))).data;
    const page = await fetch(o.checkoutUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<svg[^>]*>/);
    assert.match(html, /1\.00 USDT/);
    assert.doesNotMatch(html, /<script/i);
    assert.ok(html.includes(`action="${o.checkoutUrl}/pay"`));
    const paid = await fetch(`${o.checkoutUrl}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=1',
      redirect: 'manual',
    });
    assert.equal(paid.status, 303);
    assert.equal(paid.headers.get('location'), 'https://app.example/pay/done');
    const q = (await call(sandbox, QUERY, { prepayId: o.prepayId })).data;
    assert.equal(q.status, 'PAID');
    assert.equal(q.transactTime, clock);
    assert.match(q.transactionId, /\S/);
    assert.equal(q.paymentInfo.paymentInstructions[0].amount, '1.00');
    assert.match(await (await fetch(o.checkoutUrl)).text(), /data-status="PAID"/);
    await sandbox.ctx.webhooks.idle();
    const [ev] = hook.events();
    assert.equal(ev!.bizStatus, 'PAY_SUCCESS');
    const data = JSON.parse(ev!.data);
    for (const k of ['merchantTradeNo', 'productType', 'productName', 'transactTime', 'tradeType', 'totalFee', 'currency', 'transactionId', 'openUserId', 'commission', 'paymentInfo']) {
      assert.ok(k in data, k);
    }
    assert.equal(data.merchantTradeNo, 'page1');
    assert.ok(hook.received[0]!.body.includes('\\"totalFee\\":1.00000000'), 'totalFee as a raw 8-place number');
    // Paying twice is refused.
    const twice = await fetch(`${o.checkoutUrl}/pay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=1', redirect: 'manual' });
    assert.equal(twice.status, 409);
  });

  it('lets the payer let the order expire, or fail to pay', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('page2', { cancelUrl: 'https://app.example/pay/cancel' }))).data;
    const expired = await fetch(`${o.checkoutUrl}/expire`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=1', redirect: 'manual' });
    assert.equal(expired.status, 303);
    assert.equal(expired.headers.get('location'), 'https://app.example/pay/cancel');
    assert.equal((await call(sandbox, QUERY, { prepayId: o.prepayId })).data.status, 'EXPIRED');

    const f = (await call(sandbox, ORDER, binanceOrderBody('page3'))).data;
    const failed = await fetch(`${f.checkoutUrl}/fail`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=1', redirect: 'manual' });
    assert.equal(failed.status, 303);
    assert.equal(failed.headers.get('location'), f.checkoutUrl);
    assert.equal((await call(sandbox, QUERY, { prepayId: f.prepayId })).data.status, 'ERROR');
    await sandbox.ctx.webhooks.idle();
    assert.deepEqual(hook.events().map((e) => [e.bizIdStr, e.bizStatus]), [[o.prepayId, 'PAY_CLOSED']], 'a failed payment sends nothing');
  });

  it('expires an order once its expireTime has passed', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('late1', { orderExpireTime: clock + 60_000 }))).data;
    assert.equal((await call(sandbox, QUERY, { prepayId: o.prepayId })).data.status, 'INITIAL');
    clock += 60_000;
    assert.equal((await call(sandbox, QUERY, { prepayId: o.prepayId })).data.status, 'EXPIRED');
    assert.equal((await control(`/orders/${o.prepayId}/pay`)).http, 409);
    await sandbox.ctx.webhooks.idle();
    assert.deepEqual(hook.events().map((e) => e.bizStatus), ['PAY_CLOSED']);
  });

  it('retries a notification until the exact success body, up to 7 attempts', async () => {
    hook.answers.push(
      { status: 500, body: '{"returnCode":"SUCCESS","returnMessage":null}' },
      { status: 200, body: '{"returnCode":"FAIL","returnMessage":"busy"}' },
      { status: 200, body: 'OK' },
      { status: 200, body: '{"returnCode":"SUCCESS"}' },
      { status: 201, body: '{"returnCode":"SUCCESS","returnMessage":null}' },
    );
    const o = (await call(sandbox, ORDER, binanceOrderBody('retry1'))).data;
    await control(`/orders/${o.prepayId}/pay`);
    await sandbox.ctx.webhooks.idle();
    assert.equal(hook.received.length, 6);
    assert.ok(hook.received.every((r) => r.body === hook.received[0]!.body), 'same bytes each time');
    const [d] = sandbox.ctx.webhooks.deliveries;
    assert.equal(d!.state, 'delivered');
    assert.deepEqual(d!.attempts.map((a) => a.status), [500, 200, 200, 200, 201, 200]);

    hook.received.length = 0;
    for (let i = 0; i < 7; i++) hook.answers.push({ status: 200, body: '{"returnCode":"FAIL","returnMessage":null}' });
    const p = (await call(sandbox, ORDER, binanceOrderBody('retry2'))).data;
    await control(`/orders/${p.prepayId}/pay`);
    await sandbox.ctx.webhooks.idle();
    assert.equal(hook.received.length, 7, 'one attempt and 6 retries');
    assert.equal(sandbox.ctx.webhooks.deliveries.at(-1)!.state, 'failed');
  });

  it('prefers the order\'s webhookUrl and records a notification it cannot send', async () => {
    const own = await binanceReceiver();
    try {
      const o = (await call(sandbox, ORDER, binanceOrderBody('own1', { webhookUrl: own.url }))).data;
      await control(`/orders/${o.prepayId}/pay`);
      await sandbox.ctx.webhooks.idle();
      assert.equal(own.received.length, 1);
      assert.equal(hook.received.length, 0);
    } finally {
      own.server.close();
    }
    sandbox.ctx.settings.binanceWebhookUrl = null;
    const n = (await call(sandbox, ORDER, binanceOrderBody('nowhere1'))).data;
    await control(`/orders/${n.prepayId}/pay`);
    const state = await (await fetch(`${sandbox.url}/__sandbox/state`)).json();
    assert.deepEqual(
      state.binance.skippedNotifications.map((s: any) => [s.prepayId, s.bizStatus]),
      [[n.prepayId, 'PAY_SUCCESS']],
    );
  });

  it('drives the payer through the control API and lists orders', async () => {
    const o = (await call(sandbox, ORDER, binanceOrderBody('ctl1'))).data;
    assert.equal((await control('/orders/ctl1', { method: 'GET' })).order.prepayId, o.prepayId);
    assert.equal((await control('/orders/nosuch/pay')).http, 404);
    const paid = await control(`/orders/ctl1/pay`);
    assert.equal(paid.http, 200);
    assert.equal(paid.order.status, 'PAID');
    assert.equal(paid.order.checkoutUrl, o.checkoutUrl);
    const conflict = await control(`/orders/ctl1/expire`);
    assert.equal(conflict.http, 409);
    assert.equal(conflict.error, 'conflict');
    const list = await control('/orders', { method: 'GET' });
    assert.deepEqual(list.orders!.map((x: any) => x.merchantTradeNo), ['ctl1']);
    const snap = sandbox.emulators.binance.snapshot();
    assert.equal(snap.orders.length, 1);
    sandbox.emulators.binance.reset();
    assert.equal(sandbox.emulators.binance.snapshot().orders.length, 0);
    assert.equal((await call(sandbox, CERTS, {})).status, 'SUCCESS', 'keys survive a reset');
  });
});
