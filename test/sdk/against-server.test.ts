import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationError,
  ConflictError,
  LeadsCalendar,
  NotFoundError,
  PermissionError,
  SandboxError,
  webhooks,
  WebhookVerificationError,
  type ResponseInfo,
  type WebhookEvent,
} from '../../sdk/src/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { apiPost, signIn } from '../support/google.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The SDK against the real server in sandbox mode: every operation of the OpenAPI document is
 * called, through the SDK, with an API key, with OAuth client credentials, and its webhook
 * verification on real deliveries; the provider notification routes by the sandbox's signed
 * notifications, as PayPal and Binance Pay call them.
 */

const ADMIN = 'sdk-admin@example.com';
const EVENT = { title: 'SDK booking', timeZone: 'Europe/London', start: '2031-06-02T10:00', end: '2031-06-02T11:00' };

/** A URL the SDK asked for, as its OpenAPI path template. */
function templateOf(paths: string[], method: string, path: string): string | null {
  for (const p of paths) {
    const re = new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) return `${method} ${p}`;
  }
  return null;
}

describe('the SDK against the server in sandbox mode', () => {
  let app: TestApp;
  let lc: LeadsCalendar;
  let apiKey: string;
  let operations: string[];
  let paths: string[];
  const called = new Set<string>();
  const record = (i: ResponseInfo) => {
    const t = templateOf(paths, i.method.toLowerCase(), i.path.split('?')[0]!);
    if (t) called.add(t);
  };
  // A receiver of our webhooks, on loopback (allowed in sandbox mode).
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ body: string; signature: string | undefined }> = [];

  before(async () => {
    app = await startTestApp({ env: { ADMIN_EMAILS: ADMIN, JOB_POLL_INTERVAL_SECONDS: '0.5' } });
    const doc = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
    paths = Object.keys(doc.paths).sort((a, b) => b.length - a.length);
    operations = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    const { browser } = await signIn(app, { email: ADMIN });
    const key = await apiPost(app, browser, '/api/v1/api-keys', { name: 'sdk test', scope: 'write' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    apiKey = key.body.secret;
    lc = new LeadsCalendar({ mode: 'sandbox', baseUrl: app.url, apiKey, sandboxUrl: app.runtime.sandbox!.url, onResponse: record });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, signature: req.headers['leadscalendar-signature'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  after(async () => {
    await lc?.close();
    receiver?.close();
    await app?.close();
  });

  it('books, pays through the sandbox, follows the live status, and reads the results', async () => {
    const me = await lc.account.me();
    assert.equal(me.user.email, ADMIN);
    assert.equal(me.csrfToken, null, 'a key needs no CSRF token');
    const calendars = await lc.calendars.list();
    assert.ok(calendars.some((c) => c.primary));
    const availability = await lc.calendars.availability({ start: EVENT.start, end: EVENT.end, timeZone: EVENT.timeZone });
    assert.ok(Array.isArray(availability.conflicts));
    const preview = await lc.recurrence.preview({ start: EVENT.start, timeZone: EVENT.timeZone, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'] });
    assert.equal(preview.occurrences.length, 3);

    const endpoint = await lc.webhookEndpoints.create({ url: receiverUrl, description: 'SDK test receiver' });
    assert.match(endpoint.secret, /^whsec_/);

    const { event } = await lc.events.create(EVENT);
    assert.equal(event.state, 'pending_payment');
    const payment = await lc.payments.create(event.id, { provider: 'binance' });
    assert.equal(payment.provider, 'binance');
    assert.deepEqual((await lc.payments.listForEvent(event.id)).map((p) => p.id), [payment.id]);

    // The live status: the snapshot, then the changes the payment causes.
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const message of lc.events.stream(event.id, { signal: controller.signal })) {
        seen.push(message.event === 'snapshot' ? 'snapshot' : ((message.data as { entry?: { to?: string } }).entry?.to ?? message.event));
        if (seen.includes('confirmed')) break;
      }
    })();
    await waitFor('the stream snapshot', async () => (seen.includes('snapshot') ? true : null), 20_000, 20);
    await lc.sandbox.drivePayment(payment.id, 'completed');
    await following;
    controller.abort();
    assert.equal(seen[0], 'snapshot');
    assert.ok(seen.includes('confirmed'), seen.join(' '));

    const confirmed = await lc.events.get(event.id);
    assert.equal(confirmed.state, 'confirmed');
    assert.ok(confirmed.timeline.length >= 3);
    const ics = await lc.events.calendarFile(event.id);
    assert.match(ics, /BEGIN:VCALENDAR[\s\S]*STATUS:CONFIRMED/);
    const receipt = await lc.events.receipt(event.id);
    assert.equal(receipt.paymentId, payment.id);

    const listed: string[] = [];
    for await (const e of lc.events.list({ limit: 1 })) listed.push(e.id);
    assert.ok(listed.includes(event.id));
    const first = await lc.payments.list({ limit: 1 });
    assert.equal(first.items.length, 1);
    assert.equal((await lc.payments.get(payment.id)).status, 'captured');

    // The refund cancels the event; a second event is cancelled before payment.
    const refunding = await lc.payments.refund(payment.id);
    assert.ok(['refunding', 'refunded'].includes(refunding.status), refunding.status);
    await lc.sandbox.waitForPayment(payment.id, ['refunded']);
    const { event: other } = await lc.events.create({ ...EVENT, title: 'Cancelled at once' });
    assert.equal((await lc.events.cancel(other.id)).state, 'cancelled');

    // The deliveries verify with the SDK; a tampered or stale one is refused.
    const deliveries = await waitFor(
      'the event.confirmed delivery',
      async () => (received.some((r) => r.body.includes('"event.confirmed"')) ? received : null),
      30_000,
      50,
    );
    const events: WebhookEvent[] = deliveries.map((d) => webhooks.constructEvent(d.body, d.signature, endpoint.secret));
    const confirmedHook = events.find((e) => e.type === 'event.confirmed');
    assert.equal(confirmedHook?.data.id, event.id);
    assert.ok(events.some((e) => e.type === 'payment.completed' && e.data.id === payment.id));
    const one = deliveries.find((d) => d.body.includes('"event.confirmed"'))!;
    assert.throws(() => webhooks.constructEvent(one.body.replace('confirmed', 'cancelled'), one.signature, endpoint.secret), WebhookVerificationError);
    const t = Number(/t=(\d+)/.exec(one.signature!)![1]);
    assert.throws(() => webhooks.constructEvent(one.body, one.signature, endpoint.secret, { now: () => t + 301 }), /tolerance/);

    // The endpoint's log and management.
    assert.ok((await lc.webhookEndpoints.list()).some((e) => e.id === endpoint.id));
    assert.equal((await lc.webhookEndpoints.get(endpoint.id)).url, receiverUrl);
    assert.equal((await lc.webhookEndpoints.update(endpoint.id, { description: 'renamed' })).description, 'renamed');
    const log = await lc.webhookEndpoints.deliveries(endpoint.id).toArray();
    assert.ok(log.length >= deliveries.length - 1);
    const again = await lc.webhookEndpoints.redeliver(log[0]!.id);
    assert.ok(again.id);
    const rotated = await lc.webhookEndpoints.rotateSecret(endpoint.id);
    assert.notEqual(rotated.secret, endpoint.secret);
    await lc.webhookEndpoints.delete(endpoint.id);
    await assert.rejects(lc.webhookEndpoints.get(endpoint.id), NotFoundError);
  });

  it('drives the other outcomes, and says which ones a provider cannot reach', async () => {
    const { event } = await lc.events.create({ ...EVENT, title: 'Expires' });
    const binance = await lc.payments.create(event.id, { provider: 'binance' });
    await lc.sandbox.drivePayment(binance.id, 'expired');
    await lc.sandbox.waitForPayment(binance.id, ['expired']);
    await assert.rejects(lc.sandbox.drivePayment(binance.id, 'reversed'), (e: Error) => e instanceof SandboxError && /chargebacks/.test(e.message));
    const paypal = await lc.payments.create(event.id, { provider: 'paypal' });
    await assert.rejects(lc.sandbox.drivePayment(paypal.id, 'expired'), SandboxError);
    await lc.sandbox.drivePayment(paypal.id, 'declined');
  });

  it('cancels an open payment, captures a hold, and is refused a void of a payment holding nothing', async () => {
    const { event } = await lc.events.create({ ...EVENT, title: 'Payment operations' });
    const open = await lc.payments.create(event.id, { provider: 'binance' });
    const cancelled = await lc.payments.cancel(open.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(Array.isArray(cancelled.webhookDeliveries));
    await assert.rejects(lc.payments.void(open.id), (e: Error) => e instanceof ConflictError && e.code === 'payment_not_voidable');
    const held = await lc.payments.create(event.id, { provider: 'paypal' });
    assert.equal(held.intent, 'AUTHORIZE');
    await lc.sandbox.drivePayment(held.id, 'completed');
    await lc.sandbox.waitForPayment(held.id, ['captured']);
    // Captured by the job once the event was on the calendar: capturing again answers it as it is.
    assert.equal((await lc.payments.capture(held.id)).status, 'captured');
  });

  it('manages keys and OAuth clients, and a client-credentials client works as the key does', async () => {
    const key = await lc.apiKeys.create({ name: 'read only', scope: 'read' });
    assert.ok((await lc.apiKeys.list()).some((k) => k.id === key.id));
    const reader = new LeadsCalendar({ mode: 'sandbox', baseUrl: app.url, apiKey: key.secret, maxRetries: 0, onResponse: record });
    await reader.events.list();
    await assert.rejects(reader.events.create(EVENT), PermissionError);
    assert.ok((await lc.apiKeys.revoke(key.id)).revokedAt);
    await assert.rejects(reader.account.me(), AuthenticationError);

    const client = await lc.oauthClients.create({ name: 'sdk', scopes: ['read', 'write'] });
    assert.ok((await lc.oauthClients.list()).some((c) => c.id === client.id));
    const viaToken = new LeadsCalendar({ mode: 'sandbox', baseUrl: app.url, clientId: client.clientId, clientSecret: client.clientSecret, onResponse: record });
    assert.equal((await viaToken.account.me()).user.email, ADMIN);
    assert.ok((await lc.oauthClients.revoke(client.id)).revokedAt);
    await assert.rejects(viaToken.account.me(), AuthenticationError, 'a revoked client’s token stops at once, and no new one is granted');
    await Promise.all([reader.close(), viaToken.close()]);
  });

  it('cannot read another owner’s event with its own key', async () => {
    const { browser } = await signIn(app, { email: 'someone-else@example.com' });
    const key = await apiPost(app, browser, '/api/v1/api-keys', { scope: 'read' });
    const stranger = new LeadsCalendar({ mode: 'sandbox', baseUrl: app.url, apiKey: key.body.secret, maxRetries: 0 });
    const [mine] = (await lc.events.list({ limit: 1 })).items;
    await assert.rejects(stranger.events.get(mine!.id), NotFoundError);
    await stranger.close();
  });

  it('reads and changes the instance settings as an admin', async () => {
    const { settings } = await lc.admin.settings();
    const saved = await lc.admin.updateSettings({ ...settings, priceMinor: 150 });
    assert.equal(saved.settings.priceMinor, 150);
    await lc.admin.updateSettings(settings);
    const perDay = await lc.admin.paymentsPerDay(7);
    assert.equal(perDay.days.length, 7);
  });

  it('the providers’ signed notifications of the payments above reached their routes and were acknowledged', async () => {
    // Providers, not clients, call these: the sandbox sent them, signed as PayPal and Binance Pay
    // sign, for the payments the SDK drove above.
    const { deliveries } = (await (await fetch(`${app.runtime.sandbox!.url}/__sandbox/webhooks/idle`, { method: 'POST' })).json()) as {
      deliveries: Array<{ url: string; state: string; eventType: string; attempts: Array<{ status: number | null; headers?: Record<string, string> }> }>;
    };
    const signature = { paypal: 'paypal-transmission-sig', binance: 'binancepay-signature' } as const;
    for (const provider of ['paypal', 'binance'] as const) {
      const path = `/webhooks/${provider}`;
      const accepted = deliveries.filter(
        (d) => new URL(d.url).pathname === path && d.state === 'delivered' && d.attempts.some((a) => a.status === 200 && Object.keys(a.headers ?? {}).some((h) => h.toLowerCase() === signature[provider])),
      );
      assert.ok(accepted.length > 0, `no signed ${provider} notification acknowledged: ${JSON.stringify(deliveries.map((d) => [d.url, d.state, d.eventType]))}`);
      called.add(`post ${path}`);
    }
  });

  it('called every API operation of the document', async () => {
    await lc.account.disconnectGoogle();
    const missing = operations.filter((o) => !called.has(o));
    assert.deepEqual(missing, [], `operations no test called: ${missing.join(', ')}`);
  });
});
