import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { dbKinds } from '../support/db.ts';
import { apiPost, csrf, sandboxJson, signIn } from '../support/google.ts';
import { createEvent, startPayment } from '../support/payments.ts';
import { startInstance } from '../http/instances.ts';

/**
 * The admin area (/api/v1/admin): only ADMIN_EMAILS may see it, the settings it saves are checked,
 * recorded, and used by the next event and payment; the payments chart counts outcomes per day.
 */

const ADMIN = 'Admin@Example.com';
const ENV = { ADMIN_EMAILS: `ops@example.com, ${ADMIN}`, EVENT_PRICE_MINOR: '100', PAYMENT_TTL_MINUTES: '30', PAYPAL_INTENT: 'AUTHORIZE', BINANCE_USDT_RATE: '1' };

async function put(app: TestApp, browser: Browser, body: unknown, token?: string) {
  return browser.json(`${app.url}/api/v1/admin/settings`, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'x-csrf-token': token ?? (await csrf(app, browser)) },
  });
}

const defaults = { priceMinor: 100, providers: ['paypal', 'binance'], paypalIntent: 'AUTHORIZE', paymentWindowMinutes: 30, binanceUsdtRate: '1' };

describe('admin settings API', () => {
  let app: TestApp;
  let admin: Browser;
  let payer: Browser;
  before(async () => {
    app = await startTestApp({ env: ENV });
    // The case of the configured address and of Google's answer do not matter.
    ({ browser: admin } = await signIn(app, { email: 'admin@example.com' }));
    ({ browser: payer } = await signIn(app, { email: 'payer@example.com' }));
  });
  after(() => app?.close());

  it('GET /api/v1/me says who is an admin', async () => {
    assert.equal((await admin.json(`${app.url}/api/v1/me`)).body.isAdmin, true);
    assert.equal((await payer.json(`${app.url}/api/v1/me`)).body.isAdmin, false);
  });

  it('anyone else gets the unknown route’s 404, whatever they send', async () => {
    const unknown = await payer.json(`${app.url}/api/v1/admin/nothing-here`);
    for (const res of [
      await payer.json(`${app.url}/api/v1/admin/settings`),
      await payer.json(`${app.url}/api/v1/admin/payments-per-day?days=7`),
      await put(app, payer, { priceMinor: 1 }),
      // Not even a malformed body or a missing CSRF token gives the area away.
      await payer.json(`${app.url}/api/v1/admin/settings`, { method: 'PUT', body: '{not json', headers: {} }),
      await new Browser().json(`${app.url}/api/v1/admin/settings`),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(res.body.code, 'route_not_found');
      assert.deepEqual(Object.keys(res.body).sort(), Object.keys(unknown.body).sort());
    }
  });

  it('shows the environment’s values until an admin saves, and refuses an invalid body field by field', async () => {
    const view = await admin.json(`${app.url}/api/v1/admin/settings`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.deepEqual(view.body.settings, defaults);
    assert.deepEqual(view.body.defaults, defaults);
    assert.equal(view.body.currency, 'USD');

    const bad = await put(app, admin, { priceMinor: 0, providers: [], paypalIntent: 'SALE', paymentWindowMinutes: 7 * 24 * 60 + 1, binanceUsdtRate: '1.123456789' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_failed');
    const fields = Object.fromEntries(bad.body.errors.map((e: { path: string; code: string }) => [e.path, e.code]));
    assert.deepEqual(fields, {
      'body/priceMinor': 'out_of_range',
      'body/providers': 'invalid_length',
      'body/paypalIntent': 'invalid_value',
      'body/paymentWindowMinutes': 'out_of_range',
      'body/binanceUsdtRate': 'invalid_format',
    });
    const tiny = await put(app, admin, { ...defaults, priceMinor: 1, binanceUsdtRate: '0.00000001' });
    assert.equal(tiny.status, 400);
    assert.deepEqual(tiny.body.errors.map((e: { path: string }) => e.path), ['body/binanceUsdtRate']);
    const noCsrf = await put(app, admin, defaults, 'wrong');
    assert.equal(noCsrf.status, 403);
    assert.deepEqual((await admin.json(`${app.url}/api/v1/admin/settings`)).body.settings, defaults, 'nothing saved');
  });

  it('a saved price and payment window apply to the next event, and the shell shows them', async () => {
    const saved = await put(app, admin, { ...defaults, priceMinor: 250, paymentWindowMinutes: 45 });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.settings.priceMinor, 250);
    const changes = saved.body.changes.map((c: { setting: string; from: string; to: string; by: string }) => [c.setting, c.from, c.to, c.by]);
    assert.deepEqual(changes.slice(0, 2), [
      ['paymentWindowMinutes', '30', '45', 'admin@example.com'],
      ['priceMinor', '100', '250', 'admin@example.com'],
    ]);
    const before = Date.now();
    const e = await createEvent(app, payer, { title: 'At the new price' });
    assert.deepEqual(e.price, { currency: 'USD', amount: '2.50' });
    const window = (Date.parse(e.pendingUntil) - before) / 60_000;
    assert.ok(window > 44 && window <= 45.1, `payment window ${window} min`);
    const page = await (await fetch(`${app.url}/`, { headers: { accept: 'text/html' } })).text();
    assert.match(page, /&quot;amount&quot;:&quot;2\.50&quot;/);
    assert.match(page, /&quot;paymentMinutes&quot;:45/);
  });

  it('a disabled provider is refused with a clear problem; the enabled one still works', async () => {
    assert.equal((await put(app, admin, { ...defaults, providers: ['binance'] })).status, 200);
    const e = await createEvent(app, payer, { title: 'PayPal off' });
    const refused = await apiPost(app, payer, `/api/v1/events/${e.id}/payments`, { provider: 'paypal' });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'payment_provider_disabled');
    assert.match(refused.body.detail, /PayPal is not accepted at the moment; pay with Binance Pay/);
    assert.deepEqual(refused.body.enabledProviders, ['binance']);
    assert.equal((await startPayment(app, payer, e.id, 'binance')).provider, 'binance');
  });

  it('the PayPal intent in force is the order’s intent at PayPal', async () => {
    for (const intent of ['CAPTURE', 'AUTHORIZE'] as const) {
      assert.equal((await put(app, admin, { ...defaults, paypalIntent: intent })).status, 200);
      const e = await createEvent(app, payer, { title: `Intent ${intent}` });
      const p = await startPayment(app, payer, e.id, 'paypal');
      assert.equal(p.intent, intent);
      const order = (await sandboxJson(app, '/__sandbox/paypal/orders')).body.orders.find((o: { id: string }) => o.id === p.providerReference.orderId);
      assert.equal(order.intent, intent);
    }
  });

  it('the Binance rate in force prices the USDT order', async () => {
    assert.equal((await put(app, admin, { ...defaults, priceMinor: 200, binanceUsdtRate: '0.9985' })).status, 200);
    const e = await createEvent(app, payer, { title: 'At the new rate' });
    const p = await startPayment(app, payer, e.id, 'binance');
    assert.equal(p.rate, '0.9985');
    assert.deepEqual(p.charge, { minor: 199_700_000, currency: 'USDT', value: '1.99700000' });
    const o = (await sandboxJson(app, `/__sandbox/binance/orders/${p.providerReference.orderId}`)).body;
    assert.equal(Number((o.order ?? o).orderAmount), 1.997);
  });

  it('counts payment outcomes per UTC day, with every day present', async () => {
    const bad = await admin.json(`${app.url}/api/v1/admin/payments-per-day?days=367`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'out_of_range');
    // Outcomes written as the state machine would: yesterday one expiry and a refund, today two successes.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const p = (await payer.json(`${app.url}/api/v1/payments?limit=1`)).body.payments[0];
    const insert = (to: string, at: string) =>
      app.runtime.db.query(`insert into audit_trail (event_id, payment_id, from_state, to_state, reason, at) values ($1, $2, 'created', $3, 'test', $4)`, [p.eventId, p.id, to, at]);
    await insert('expired', `${yesterday}T23:59:00Z`);
    await insert('refunded', `${yesterday}T00:00:00Z`);
    await insert('captured', `${today}T00:00:00Z`);
    await insert('captured', new Date().toISOString());
    await insert('declined', new Date().toISOString());
    const res = await admin.json(`${app.url}/api/v1/admin/payments-per-day?days=2`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.days, [
      { date: yesterday, succeeded: 0, failed: 0, expired: 1, refunded: 1 },
      { date: today, succeeded: 2, failed: 1, expired: 0, refunded: 0 },
    ]);
    assert.equal((await admin.json(`${app.url}/api/v1/admin/payments-per-day`)).body.days.length, 30);
  });
});

describe('admin settings on PostgreSQL, two instances', async () => {
  const kinds = await dbKinds();
  it('a save on one instance applies on the other at once', { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable' }, async () => {
    const app = await startTestApp({ kind: 'postgres', env: ENV });
    const other = await startInstance({ ...ENV, DATABASE_URL: app.db.url! });
    try {
      const { browser } = await signIn(app, { email: 'admin@example.com' });
      assert.equal((await put(app, browser, { ...defaults, priceMinor: 500, providers: ['paypal'] })).status, 200);
      assert.deepEqual(await other.runtime.settings.current(), { ...defaults, priceMinor: 500, providers: ['paypal'] });
      const page = await (await fetch(`${other.url}/`, { headers: { accept: 'text/html' } })).text();
      assert.match(page, /&quot;amount&quot;:&quot;5\.00&quot;/);
      const rows = await app.runtime.db.query<{ name: string; changed_by_email: string }>('select name, changed_by_email from instance_settings_changes order by id');
      assert.deepEqual(rows.map((r) => [r.name, r.changed_by_email]), [['priceMinor', 'admin@example.com'], ['providers', 'admin@example.com']]);
    } finally {
      await other.close();
      await app.close();
    }
  });
});
