import assert from 'node:assert/strict';
import { createHmac, createVerify, randomBytes, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { pino } from 'pino';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/server.ts';
import { binanceOrderBody, binanceReceiver } from '../support/binance.ts';
import { api, authorize, GOOGLE, REDIRECT_URI, signIn, timedEvent, tokenRequest } from './google-helpers.ts';
import { HookReceiver, PaypalTestClient } from './paypal-support.ts';

/**
 * The sandbox keeps its state in the data folder: what clients created through the emulators'
 * own routes is there after a restart, tokens and signatures made before it still hold, waiting
 * webhooks go out, and only a reset (or deleting the folder) starts afresh.
 */

const BINANCE = SANDBOX_CREDENTIALS.binance;

/** A Binance merchant call, signed as the merchant API requires (HMAC-SHA512 over ts, nonce, body). */
async function binance(sb: Sandbox, path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const ts = String(Date.now());
  const nonce = randomBytes(16).toString('hex');
  const signature = createHmac('sha512', BINANCE.secretKey).update(`${ts}\n${nonce}\n${body}\n`).digest('hex').toUpperCase();
  const res = await fetch(`${sb.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'BinancePay-Timestamp': ts,
      'BinancePay-Nonce': nonce,
      'BinancePay-Certificate-SN': BINANCE.apiKey,
      'BinancePay-Signature': signature,
    },
    body,
  });
  return (await res.json()) as { status: string; code: string; data?: any };
}

const tempDirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lc-sandbox-state-'));
  tempDirs.push(d);
  return join(d, 'sandbox');
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A pino logger whose lines the test can read. */
function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('sandbox state survives a restart on the same data folder', () => {
  const dir = dataDir();
  let sb: Sandbox;
  let paypalHooks: HookReceiver;
  let binanceHooks: Awaited<ReturnType<typeof binanceReceiver>>;
  const before_: Record<string, any> = {};

  before(async () => {
    paypalHooks = await HookReceiver.start();
    binanceHooks = await binanceReceiver();
    const opts: SandboxOptions = { port: 0, dataDir: dir, settings: { paypalWebhookUrl: paypalHooks.url, binanceWebhookUrl: binanceHooks.url } };
    sb = await startSandbox(opts);

    // Google: the consent flow with a refresh token, then an event on the primary calendar.
    const tokens = await signIn(sb, { accessType: 'offline', prompt: 'consent' });
    assert.ok(tokens.refresh_token, 'offline consent gives a refresh token');
    const inserted = await api(sb, tokens.access_token, 'POST', '/calendar/v3/calendars/primary/events', timedEvent('2031-03-04T10:00:00Z', { summary: 'Kept across restarts' }));
    assert.equal(inserted.status, 200);
    before_.tokens = tokens;
    before_.event = inserted.body;
    before_.calendarList = (await api(sb, tokens.access_token, 'GET', '/calendar/v3/users/me/calendarList')).body;
    before_.events = (await api(sb, tokens.access_token, 'GET', '/calendar/v3/calendars/primary/events')).body;

    // PayPal: a captured order (its webhooks are signed now, before the restart).
    const pp = new PaypalTestClient(sb);
    await pp.auth();
    const orderId = await pp.approvedOrder('CAPTURE');
    assert.equal((await pp.call('POST', `/v2/checkout/orders/${orderId}/capture`)).status, 201);
    before_.paypalToken = pp.token;
    before_.order = (await pp.call('GET', `/v2/checkout/orders/${orderId}`)).body;

    // Binance: a paid order (its PAY_SUCCESS notification is signed now).
    const created = await binance(sb, '/binancepay/openapi/v3/order', binanceOrderBody(`persist${Date.now()}`));
    assert.equal(created.status, 'SUCCESS', JSON.stringify(created));
    const paid = await fetch(`${sb.url}/__sandbox/binance/orders/${created.data.prepayId}/pay`, { method: 'POST' });
    assert.equal((await paid.json()).order.status, 'PAID');
    before_.prepayId = created.data.prepayId;
    before_.binanceOrder = (await binance(sb, '/binancepay/openapi/v2/order/query', { prepayId: created.data.prepayId })).data;

    await sb.ctx.webhooks.idle();
    assert.ok(paypalHooks.received.length >= 2, 'PayPal webhooks delivered before the restart');
    assert.equal(binanceHooks.received.length, 1, 'the Binance notification delivered before the restart');

    // The same folder: a restart. (On a new port: restarting on the same one in this process
    // races the client's pooled connections to the old server.)
    before_.url = sb.url;
    await sb.close();
    sb = await startSandbox(opts);
  });
  after(async () => {
    await sb.close();
    await paypalHooks.close();
    binanceHooks.server.close();
  });

  it('keeps the data folder private: folder 0700, files 0600', () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.ok(files.includes('state.json') && files.includes('keys.json'), files.join(', '));
    for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  });

  it('Google: the same access token and refresh token work; calendarList and events are unchanged', async () => {
    const { tokens } = before_;
    const list = await api(sb, tokens.access_token, 'GET', '/calendar/v3/users/me/calendarList');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.items, before_.calendarList.items);
    const events = await api(sb, tokens.access_token, 'GET', '/calendar/v3/calendars/primary/events');
    assert.deepEqual(events.body.items, before_.events.items);
    assert.equal(events.body.items.length, 1);
    const got = await api(sb, tokens.access_token, 'GET', `/calendar/v3/calendars/primary/events/${before_.event.id}`);
    assert.deepEqual(got.body, before_.event);
    // Sync tokens made before the restart stay valid (the change counter is stored too).
    const sync = await api(sb, tokens.access_token, 'GET', `/calendar/v3/calendars/primary/events?syncToken=${encodeURIComponent(before_.events.nextSyncToken)}`);
    assert.equal(sync.status, 200);
    assert.deepEqual(sync.body.items, []);

    const refreshed = await tokenRequest(sb, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: GOOGLE.clientId,
      client_secret: GOOGLE.clientSecret,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal((await api(sb, refreshed.body.access_token, 'GET', '/calendar/v3/calendars/primary/events')).body.items.length, 1);
  });

  it('Google: an id_token signed before the restart verifies with the keys served after it', async () => {
    const jwks = await (await fetch(`${sb.url}/oauth2/v3/certs`)).json();
    const { payload } = await jwtVerify(before_.tokens.id_token, createLocalJWKSet(jwks), { issuer: 'https://accounts.google.com', audience: GOOGLE.clientId });
    assert.equal(payload.email, 'ada.tester@example.com');
  });

  it('PayPal: the same bearer token works and the order reads back the same', async () => {
    const res = await fetch(`${sb.url}/v2/checkout/orders/${before_.order.id}`, { headers: { authorization: `Bearer ${before_.paypalToken}` } });
    assert.equal(res.status, 200);
    // Its links name the sandbox's origin, which moved with the port.
    assert.deepEqual(JSON.parse((await res.text()).replaceAll(sb.url, before_.url)), before_.order);
    assert.equal(before_.order.status, 'COMPLETED');
  });

  it('PayPal: a webhook signed before the restart verifies with the certificate served after it', async () => {
    const hook = paypalHooks.received.at(-1)!;
    // The certificate URL names the sandbox's origin, which moved with the port.
    const certUrl = new URL(new URL(String(hook.headers['paypal-cert-url'])).pathname, sb.url).href;
    const h = (n: string) => (n === 'paypal-cert-url' ? certUrl : String(hook.headers[n]));
    const certPem = await (await fetch(certUrl)).text();
    const crc = crc32(hook.body);
    const message = `${h('paypal-transmission-id')}|${h('paypal-transmission-time')}|${SANDBOX_CREDENTIALS.paypal.webhookId}|${crc}`;
    assert.ok(createVerify('RSA-SHA256').update(message).verify(certPem, h('paypal-transmission-sig'), 'base64'));
    // And PayPal's own postback check agrees.
    const check = await fetch(`${sb.url}/v1/notifications/verify-webhook-signature`, {
      method: 'POST',
      headers: { authorization: `Bearer ${before_.paypalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        auth_algo: h('paypal-auth-algo'),
        cert_url: h('paypal-cert-url'),
        transmission_id: h('paypal-transmission-id'),
        transmission_sig: h('paypal-transmission-sig'),
        transmission_time: h('paypal-transmission-time'),
        webhook_id: SANDBOX_CREDENTIALS.paypal.webhookId,
        webhook_event: JSON.parse(hook.body.toString('utf8')),
      }),
    });
    assert.deepEqual(await check.json(), { verification_status: 'SUCCESS' });
  });

  it('Binance: the order is still PAID, and its notification verifies with the certificate served after the restart', async () => {
    const q = await binance(sb, '/binancepay/openapi/v2/order/query', { prepayId: before_.prepayId });
    assert.deepEqual(q.data, before_.binanceOrder);
    assert.equal(q.data.status, 'PAID');
    const certs = await binance(sb, '/binancepay/openapi/certificates', {});
    const [{ certPublic, certSerial }] = certs.data;
    const n = binanceHooks.received[0]!;
    assert.equal(n.headers['binancepay-certificate-sn'], certSerial);
    const signed = `${n.headers['binancepay-timestamp']}\n${n.headers['binancepay-nonce']}\n${n.body}\n`;
    assert.ok(verifySignature('sha256', Buffer.from(signed), certPublic, Buffer.from(String(n.headers['binancepay-signature']), 'base64')));
  });
});

describe('sandbox state: webhooks, reset, damaged files', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  /** A control call; the answer is read whole, so its connection is free again at once. */
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${sb!.url}${path}`, { method: 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  it('a webhook still waiting when the sandbox stops is delivered after it starts again', async () => {
    const dir = dataDir();
    const hooks = await binanceReceiver();
    try {
      sb = await startSandbox({ port: 0, dataDir: dir, settings: { binanceWebhookUrl: hooks.url } });
      assert.equal((await control('/__sandbox/faults', { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_delay', ms: 800 })).status, 201);
      const created = await binance(sb, '/binancepay/openapi/v3/order', binanceOrderBody(`wait${Date.now()}`));
      assert.equal((await control(`/__sandbox/binance/orders/${created.data.prepayId}/pay`)).status, 200);
      await sb.close();
      assert.equal(hooks.received.length, 0, 'nothing sent before the stop');

      sb = await startSandbox({ port: 0, dataDir: dir });
      await sb.ctx.webhooks.idle();
      assert.equal(hooks.received.length, 1);
      assert.equal(hooks.events()[0]!.bizIdStr, created.data.prepayId);
      assert.equal(sb.ctx.webhooks.deliveries[0]!.state, 'delivered');
    } finally {
      hooks.server.close();
    }
  });

  it('faults and settings are kept; the environment\'s webhook URL overrides the stored one', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const patched = await fetch(`${sb.url}/__sandbox/settings`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paypalWebhookUrl: 'http://127.0.0.1:9/a', binanceTimestampWindowMs: 1234 }) });
    assert.equal((await patched.json()).binanceTimestampWindowMs, 1234);
    await control('/__sandbox/faults', { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 503, count: null });
    await sb.close();
    sb = await startSandbox({ port: 0, dataDir: dir, settings: { paypalWebhookUrl: 'http://127.0.0.1:9/b' } });
    const settings = await (await fetch(`${sb.url}/__sandbox/settings`)).json();
    assert.deepEqual([settings.paypalWebhookUrl, settings.binanceTimestampWindowMs], ['http://127.0.0.1:9/b', 1234]);
    const { faults } = await (await fetch(`${sb.url}/__sandbox/faults`)).json();
    assert.deepEqual(faults.map((f: any) => [f.provider, f.operation, f.status]), [['paypal', 'orders.create', 503]]);
  });

  it('POST /__sandbox/reset clears memory and disk; keys stay', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const pp = new PaypalTestClient(sb);
    await pp.auth();
    const order = (await pp.createOrder()).body;
    const tokens = await signIn(sb);
    await pp.createOrder(); // a second write, so a last good copy (.bak) exists
    assert.match(readFileSync(join(dir, 'state.json'), 'utf8'), new RegExp(order.id));
    const certBefore = (await (await fetch(`${sb.url}/__sandbox/paypal/webhook-certificate`)).json()).pem;

    assert.equal((await control('/__sandbox/reset')).status, 200);
    assert.doesNotMatch(readFileSync(join(dir, 'state.json'), 'utf8'), new RegExp(order.id));
    assert.deepEqual(readdirSync(dir).sort(), ['keys.json', 'lock', 'state.json']);
    await sb.close();

    sb = await startSandbox({ port: 0, dataDir: dir });
    const again = new PaypalTestClient(sb);
    again.token = pp.token;
    assert.equal((await again.call('GET', `/v2/checkout/orders/${order.id}`)).status, 401, 'the old token is gone');
    await again.auth();
    assert.equal((await again.call('GET', `/v2/checkout/orders/${order.id}`)).status, 404);
    assert.equal((await api(sb, tokens.access_token, 'GET', '/calendar/v3/users/me/calendarList')).status, 401);
    assert.equal((await (await fetch(`${sb.url}/__sandbox/paypal/webhook-certificate`)).json()).pem, certBefore);
  });

  it('refuses a second sandbox on a folder in use, and takes over the lock of a process that is gone', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    await assert.rejects(startSandbox({ port: 0, dataDir: dir }), new RegExp(`in use by process ${process.pid}`));
    await sb.close();
    // A killed sandbox leaves its lock behind; the pid in it no longer runs.
    writeFileSync(join(dir, 'lock'), '2147483646');
    sb = await startSandbox({ port: 0, dataDir: dir });
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid));
  });

  it('a damaged state.json does not stop a start: it is moved aside, with a warning, and the last good copy is used', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const pp = new PaypalTestClient(sb);
    await pp.auth();
    const first = (await pp.createOrder()).body.id as string;
    await pp.createOrder();
    await sb.close();
    sb = undefined;

    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    writeFileSync(join(dir, 'state.json'), text.slice(0, Math.floor(text.length / 2))); // a torn write
    const { logger, lines } = capturedLogger();
    sb = await startSandbox({ port: 0, dataDir: dir, logger });
    const warning = lines.find((l) => /state\.json is unreadable/.test(l.msg));
    assert.ok(warning, JSON.stringify(lines));
    assert.ok(lines.some((l) => /last good copy/.test(l.msg)));
    assert.ok(readdirSync(dir).some((f) => f.startsWith('state.json.corrupt-')), 'the damaged file is kept for inspection');
    const again = new PaypalTestClient(sb);
    again.token = pp.token;
    assert.equal((await again.call('GET', `/v2/checkout/orders/${first}`)).status, 200, 'the order from the last good copy');
    assert.match(readFileSync(join(dir, 'state.json'), 'utf8'), new RegExp(first), 'the recovered state is written back at once');
  });

  it('with no usable copy at all it starts afresh; a damaged keys.json gives new keys', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const pp = new PaypalTestClient(sb);
    await pp.auth();
    await pp.createOrder();
    await pp.createOrder();
    await sb.close();
    sb = undefined;
    for (const f of ['state.json', 'state.json.bak', 'keys.json']) writeFileSync(join(dir, f), '{"format":');
    const { logger, lines } = capturedLogger();
    sb = await startSandbox({ port: 0, dataDir: dir, logger });
    assert.ok(lines.filter((l) => /is unreadable/.test(l.msg)).length >= 3, JSON.stringify(lines));
    const { orders } = await (await fetch(`${sb.url}/__sandbox/paypal/orders`)).json();
    assert.deepEqual(orders, []);
    const again = new PaypalTestClient(sb);
    await again.auth();
    assert.equal((await again.createOrder()).status, 201);
    assert.doesNotThrow(() => JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')));
  });

  it('an authorization code issued before a restart is exchanged after it', async () => {
    const dir = dataDir();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const params = await authorize(sb, { accessType: 'offline' });
    await sb.close();
    sb = await startSandbox({ port: 0, dataDir: dir });
    const t = await tokenRequest(sb, {
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: GOOGLE.clientId,
      client_secret: GOOGLE.clientSecret,
    });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.ok(t.body.refresh_token);
  });
});
