import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import { signRequest } from '../../src/providers/binance/signature.ts';
import { binanceOrderBody } from '../support/binance.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { PaypalTestClient } from '../sandbox/paypal-support.ts';
import { apiPost, signIn } from '../support/google.ts';
import { createEvent } from '../support/payments.ts';

/**
 * Every code sample of the documentation site is a file under examples/ that runs here, against
 * a real app in sandbox mode, with the base URLs in LEADSCALENDAR_URL and SANDBOX_URL.
 */

const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'examples');
const run = promisify(execFile);

let app: TestApp;
let sandboxUrl: string;

async function example(file: string, env: Record<string, string> = {}) {
  const path = join(examples, file);
  const [cmd, args] = file.endsWith('.sh') ? ['bash', [path]] : [process.execPath, [path]];
  try {
    const { stdout, stderr } = await run(cmd, args, {
      cwd: root,
      timeout: 30_000,
      env: { ...process.env, LEADSCALENDAR_URL: app.url, SANDBOX_URL: sandboxUrl, ...env },
    });
    return { stdout, stderr };
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    assert.fail(`${file} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

const json = async (file: string, env: Record<string, string> = {}) => JSON.parse((await example(file, env)).stdout);

const sandboxFetch = (path: string, init: RequestInit = {}) =>
  fetch(`${sandboxUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

describe('documentation examples', () => {
  before(async () => {
    app = await startTestApp();
    sandboxUrl = app.runtime.sandbox!.url;
  });
  after(() => app.close());
  beforeEach(async () => {
    await sandboxFetch('/__sandbox/reset', { method: 'POST', body: '{}' });
  });

  it('every example file is exercised by this test', async () => {
    const src = await import('node:fs/promises').then((fs) => fs.readFile(import.meta.filename, 'utf8'));
    const files = [
      ...readdirSync(examples).filter((f) => /\.(mjs|sh)$/.test(f)),
      ...readdirSync(join(examples, 'sandbox')).map((f) => `sandbox/${f}`),
    ];
    const missing = files.filter((f) => !src.includes(`'${f}'`));
    assert.deepEqual(missing, [], 'examples without a test');
  });

  describe('API', () => {
    it('recurrence-preview.mjs prints DST-correct occurrences', async () => {
      const { stdout } = await example('recurrence-preview.mjs');
      const lines = stdout.trim().split('\n');
      assert.equal(lines.length, 3, stdout);
      assert.match(lines[0]!, /^2026-03-02T09:00:00-05:00 → 2026-03-02T10:00:00-05:00 {2}\(2026-03-02T14:00:00Z\)$/);
      assert.match(lines[1]!, /^2026-03-09T09:00:00-04:00 /);
      assert.match(lines[2]!, /^2026-03-16T09:00:00-04:00 /);
    });

    it('recurrence-preview.sh previews all-day dates with an exclusion', async () => {
      const body = await json('recurrence-preview.sh');
      assert.equal(body.timeZone, 'Europe/Paris');
      assert.deepEqual(
        body.occurrences.map((o: { date: string; endDate: string }) => [o.date, o.endDate]),
        [
          ['2026-01-02', '2026-01-03'],
          ['2026-01-30', '2026-01-31'],
          ['2026-02-13', '2026-02-14'],
        ],
      );
    });

    it('dst-gap.sh is refused with a problem naming the gap', async () => {
      const body = await json('dst-gap.sh');
      assert.equal(body.status, 400);
      assert.equal(body.kind, 'invalid_request');
      assert.equal(body.type, 'https://leadscalendar.dev/errors/invalid-request');
      assert.equal(body.code, 'nonexistent_local_time');
      assert.equal(body.errors[0].path, 'body/start');
      assert.match(body.detail, /does not exist|DST|gap/i);
      assert.ok(body.requestId);
    });

    it('problem-details.sh shows a 401 problem with the caller’s request id', async () => {
      const { stdout } = await example('problem-details.sh');
      assert.match(stdout, /^HTTP\/1\.1 401/);
      assert.match(stdout, /x-request-id: docs-example-1/i);
      assert.match(stdout, /content-type: application\/problem\+json/i);
      const body = JSON.parse(stdout.slice(stdout.indexOf('{')));
      assert.deepEqual(
        { type: body.type, kind: body.kind, status: body.status, requestId: body.requestId },
        { type: 'https://leadscalendar.dev/errors/unauthorized', kind: 'unauthorized', status: 401, requestId: 'docs-example-1' },
      );
    });

    it('health.sh shows liveness, readiness and metrics', async () => {
      const { stdout } = await example('health.sh');
      const [health, ready] = stdout.split('\n');
      assert.deepEqual(JSON.parse(health!), { status: 'ok' });
      assert.equal(JSON.parse(ready!).status, 'ready');
      assert.match(stdout, /^leadscalendar_http_request_duration_seconds_count\{/m);
    });

    it('book-in-sandbox.mjs signs in through the emulated Google and creates an event', async () => {
      const { stdout } = await example('book-in-sandbox.mjs');
      assert.match(stdout, /^signed in as ada\.tester@example\.com; Google connection: active$/m);
      assert.match(stdout, /^event [0-9a-f-]{36} is pending_payment, price 1\.00 USD$/m);
      // A week ahead at 10:00 in Zurich, as the sample books it: 08:00 or 09:00 UTC with the season.
      const day = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
      const utc = DateTime.fromISO(`${day}T10:00`, { zone: 'Europe/Zurich' }).toUTC().toISO();
      assert.match(stdout, new RegExp(`^starts ${utc!.replace(/[.+]/g, '\\$&')} \\(UTC\\); Google event id [a-v0-9]{26}$`, 'm'));
      assert.match(stdout, /^free\/busy: 0 conflict\(s\) in 1 occurrence\(s\) checked$/m);
    });

    it('webhook-receiver.mjs verifies a delivery and refuses a tampered and a stale one', async () => {
      const { stdout } = await example('webhook-receiver.mjs');
      assert.match(stdout, /^endpoint [0-9a-f-]{36} receives event\.created$/m);
      assert.match(stdout, /^verified event\.created [0-9a-f-]{36} about event [0-9a-f-]{36} \(pending_payment\)$/m);
      assert.match(stdout, /^booked event [0-9a-f-]{36}: same$/m);
      assert.match(stdout, /^tampered: mismatch$/m);
      assert.match(stdout, /^stale: stale$/m);
    });

    it('pay-with-paypal.mjs approves at PayPal, follows the return URL and ends confirmed', async () => {
      const { stdout } = await example('pay-with-paypal.mjs');
      const event = /^event ([0-9a-f-]{36}) is pending_payment, price 1\.00 USD$/m.exec(stdout)?.[1];
      assert.ok(event, stdout);
      const started = /^payment ([0-9a-f-]{36}) is created \(intent AUTHORIZE\), PayPal order (\w+)$/m.exec(stdout);
      assert.ok(started, stdout);
      const [, paymentId, orderId] = started;
      assert.match(stdout, new RegExp(`^next: redirect to ${sandboxUrl.replace(/[.]/g, '\\.')}/checkoutnow\\?token=${orderId}$`, 'm'));
      assert.match(stdout, new RegExp(`^back from PayPal: HTTP 303 to /app/events/${event}$`, 'm'));
      assert.match(stdout, new RegExp(`^event ${event} is confirmed: pending_payment → paid → confirmed$`, 'm'));
      assert.match(stdout, new RegExp(`^payment ${paymentId} is captured: 1\\.00 USD, authorization \\w+, capture \\w+$`, 'm'));
      assert.match(stdout, /^payment history: created → (approved → )?authorized → captured$/m);
      // The order the sample paid is the one PayPal's emulator holds, captured.
      const orders = await (await sandboxFetch('/__sandbox/paypal/orders')).json();
      const order = orders.orders.find((o: { id: string }) => o.id === orderId);
      assert.equal(order.status, 'COMPLETED');
    });

    it('pay-with-binance.mjs pays in USDT and the signed notification confirms the event', async () => {
      const { stdout } = await example('pay-with-binance.mjs');
      const event = /^event ([0-9a-f-]{36}) is pending_payment, price 1\.00 USD$/m.exec(stdout)?.[1];
      assert.ok(event, stdout);
      const paymentId = /^payment ([0-9a-f-]{36}) is created: 1\.00000000 USDT for 1\.00 USD \(rate 1\)$/m.exec(stdout)?.[1];
      assert.ok(paymentId, stdout);
      assert.match(stdout, new RegExp(`^next: scan the QR code \\(SVG included\\) or open ${sandboxUrl.replace(/[.]/g, '\\.')}/\\S+$`, 'm'));
      assert.match(stdout, /^Binance Pay order \d+ is PAID$/m);
      assert.match(stdout, new RegExp(`^event ${event} is confirmed: pending_payment → paid → confirmed$`, 'm'));
      assert.match(stdout, new RegExp(`^payment ${paymentId} is captured, merchantTradeNo ${paymentId.replaceAll('-', '')}$`, 'm'));
      // The confirmation came through /webhooks/binance: the sandbox delivered PAY_SUCCESS and was acknowledged.
      const { deliveries } = await (await sandboxFetch('/__sandbox/webhooks/idle', { method: 'POST', body: '{}' })).json();
      const paySuccess = deliveries.filter((d: { provider: string; eventType: string; url: string }) => d.provider === 'binance' && d.eventType === 'PAY_SUCCESS' && d.url.endsWith('/webhooks/binance'));
      assert.ok(paySuccess.length >= 1, JSON.stringify(deliveries).slice(0, 500));
      assert.ok(paySuccess.every((d: { state: string }) => d.state === 'delivered'), JSON.stringify(paySuccess).slice(0, 500));
    });

    it('refund.mjs refunds a paid event: the payment is refunded, the event cancelled and off the calendar', async () => {
      const paid = await example('pay-with-binance.mjs');
      const paymentId = /^payment ([0-9a-f-]{36}) is captured/m.exec(paid.stdout)?.[1];
      const eventId = /^event ([0-9a-f-]{36}) is confirmed/m.exec(paid.stdout)?.[1];
      assert.ok(paymentId && eventId, paid.stdout);
      const { stdout } = await example('refund.mjs', { PAYMENT_ID: paymentId });
      assert.match(stdout, new RegExp(`^payment ${paymentId} is refunding$`, 'm'));
      assert.match(stdout, /^asked again: (refunding|refunded)$/m);
      assert.match(stdout, new RegExp(`^payment ${paymentId} is refunded, refund \\S+$`, 'm'));
      assert.match(stdout, new RegExp(`^event ${eventId} is cancelled: .*refunded.*$`, 'm'));
      // The sandbox's Binance Pay holds one refund for the order, and the event leaves the calendar.
      const order = (await (await sandboxFetch(`/__sandbox/binance/orders/${paymentId.replaceAll('-', '')}`)).json()).order;
      assert.match(order.status, /REFUNDED/);
      const googleId = googleEventId(eventId);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { calendars } = await (await sandboxFetch('/__sandbox/google/users/ada.tester@example.com/events')).json();
        const found = calendars.flatMap((c: { events: { id: string; status?: string }[] }) => c.events).find((e: { id: string }) => e.id === googleId);
        if (!found || found.status === 'cancelled') break;
        assert.ok(Date.now() < deadline, `event ${googleId} still on the emulated calendar`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    it('the served OpenAPI document is the one the docs build generates', async () => {
      const served = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
      // @ts-expect-error: a plain .mjs module without type declarations
      const { openApiDocument } = await import('../../scripts/build-docs.mjs');
      const generated = await openApiDocument();
      assert.deepEqual({ ...served, servers: [] }, { ...generated, servers: [] });
    });
  });

  describe('SDK (@leadscalendar/sdk, as examples/ resolves it from the workspace)', () => {
    /** A person signed in through the emulated Google, and an API key of theirs for the sample. */
    async function withKey(email: string) {
      const { browser } = await signIn(app, { email });
      const key = await apiPost(app, browser, '/api/v1/api-keys', { name: 'docs example', scope: 'write' });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      return { browser, env: { LEADSCALENDAR_API_KEY: key.body.secret as string } };
    }

    it('sdk-book-and-pay.mjs books, pays in the sandbox and ends confirmed', async () => {
      const { env } = await withKey('sdk.book@example.com');
      const { stdout } = await example('sdk-book-and-pay.mjs', env);
      const event = /^event ([0-9a-f-]{36}) is pending_payment, price 1\.00 USD$/m.exec(stdout)?.[1];
      const payment = /^payment ([0-9a-f-]{36}) is created: 1\.00000000 USDT for 1\.00 USD$/m.exec(stdout)?.[1];
      assert.ok(event && payment, stdout);
      assert.match(stdout, new RegExp(`^payment ${payment} is captured$`, 'm'));
      assert.match(stdout, new RegExp(`^event ${event} is confirmed: pending_payment → paid → confirmed$`, 'm'));
    });

    it('sdk-list-events.mjs lists every event a page at a time, and filters', async () => {
      const { browser, env } = await withKey('sdk.list@example.com');
      const ids: string[] = [];
      for (const title of ['First', 'Second', 'Third']) ids.push((await createEvent(app, browser, { title })).id);
      const { stdout } = await example('sdk-list-events.mjs', env);
      // Two events a page: the loop asks for the second page only once the first is used up.
      assert.equal(
        stdout,
        [
          'page 1: HTTP 200',
          `${ids[2]} pending_payment Third`,
          `${ids[1]} pending_payment Second`,
          'page 2: HTTP 200',
          `${ids[0]} pending_payment First`,
          '3 event(s)',
          'page 3: HTTP 200',
          'pending payment: 3',
          '',
        ].join('\n'),
      );
    });

    it('sdk-webhook-receiver.mjs verifies a delivery with constructEvent and refuses a tampered and a stale one', async () => {
      const { env } = await withKey('sdk.hooks@example.com');
      const { stdout } = await example('sdk-webhook-receiver.mjs', env);
      assert.match(stdout, /^endpoint [0-9a-f-]{36} receives event\.created$/m);
      assert.match(stdout, /^verified event\.created [0-9a-f-]{36} about event [0-9a-f-]{36} \(pending_payment\)$/m);
      assert.match(stdout, /^booked event [0-9a-f-]{36}: same$/m);
      assert.match(stdout, /^tampered: refused \(.*signature.*\)$/im);
      assert.match(stdout, /^stale: refused \(.*tolerance.*\)$/m);
    });
  });

  describe('sandbox control API', () => {
    it('sandbox-fault.mjs arms, lists and removes a fault', async () => {
      const { stdout } = await example('sandbox-fault.mjs');
      assert.match(stdout, /^fault (fault_\d+) armed: google calendar\.events\.insert → http_error 429$/m);
      assert.match(stdout, /^active faults: fault_\d+$/m);
      assert.match(stdout, /^fault fault_\d+ removed$/m);
      const faults = await (await sandboxFetch('/__sandbox/faults')).json();
      assert.deepEqual(faults.faults, []);
    });

    it('sandbox-state.mjs summarises the state', async () => {
      const { stdout } = await example('sandbox-state.mjs');
      assert.match(stdout, new RegExp(`^sandbox at ${sandboxUrl.replace(/[.]/g, '\\.')}$`, 'm'));
      assert.match(stdout, new RegExp(`^PayPal webhooks go to ${app.url}/webhooks/paypal$`, 'm'));
      assert.match(stdout, /^active faults: 0, fired so far: 0$/m);
      assert.match(stdout, /^providers: google, paypal, binance$/m);
    });

    it('state, reset, settings and webhooks', async () => {
      const state = await json('sandbox/state.sh');
      assert.equal(state.baseUrl, sandboxUrl);
      for (const k of ['settings', 'faults', 'firedFaults', 'webhooks', 'google', 'paypal', 'binance']) assert.ok(k in state, k);
      assert.deepEqual(await json('sandbox/reset.sh'), { ok: true });
      assert.equal((await json('sandbox/settings-get.sh')).binanceTimestampWindowMs, 5000);
      const patched = await json('sandbox/settings-patch.sh');
      assert.equal(patched.googleAccessTokenTtlSeconds, 60);
      await sandboxFetch('/__sandbox/settings', { method: 'PATCH', body: JSON.stringify({ googleAccessTokenTtlSeconds: 3599 }) });
      assert.deepEqual(await json('sandbox/webhooks-list.sh'), { deliveries: [] });
      assert.deepEqual(await json('sandbox/webhooks-idle.sh'), { deliveries: [] });
    });

    it('every fault kind example arms its rule', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['sandbox/fault-latency.sh', { provider: 'google', operation: '*', fault: 'latency', ms: 1500, remaining: null }],
        ['sandbox/fault-http-error.sh', { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'quotaExceeded', retryAfterSeconds: 60, remaining: 1 }],
        ['sandbox/fault-timeout.sh', { provider: 'paypal', operation: 'oauth.token', fault: 'timeout' }],
        ['sandbox/fault-reset.sh', { provider: 'binance', operation: 'order.query', fault: 'reset', remaining: 2 }],
        ['sandbox/fault-decline.sh', { provider: 'paypal', operation: 'orders.capture', fault: 'decline' }],
        ['sandbox/fault-webhook-duplicate.sh', { provider: 'paypal', operation: 'PAYMENT.CAPTURE.COMPLETED', fault: 'webhook_duplicate', copies: 2 }],
        ['sandbox/fault-webhook-delay.sh', { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_delay', ms: 10000 }],
        ['sandbox/fault-webhook-reorder.sh', { provider: 'paypal', operation: '*', fault: 'webhook_reorder' }],
        ['sandbox/fault-webhook-drop.sh', { provider: 'binance', operation: '*', fault: 'webhook_drop' }],
        ['sandbox/fault-webhook-forge.sh', { provider: 'paypal', operation: '*', fault: 'webhook_forge' }],
      ];
      const ids: string[] = [];
      for (const [file, expected] of cases) {
        const rule = await json(file);
        assert.match(rule.id, /^fault_\d+$/, file);
        for (const [k, v] of Object.entries(expected)) assert.deepEqual(rule[k], v, `${file}: ${k}`);
        ids.push(rule.id);
      }
      const listed = await json('sandbox/faults-list.sh');
      assert.deepEqual(listed.faults.map((f: { id: string }) => f.id), ids);
      assert.deepEqual(await json('sandbox/fault-delete.sh', { FAULT_ID: ids[0]! }), { ok: true });
      assert.deepEqual(await json('sandbox/fault-delete.sh', { FAULT_ID: ids[0]! }), { error: 'not_found' });
      assert.deepEqual(await json('sandbox/faults-clear.sh'), { ok: true });
      assert.deepEqual((await json('sandbox/faults-list.sh')).faults, []);
    });

    it('Google control routes', async () => {
      const users = await json('sandbox/google-users.sh');
      assert.ok(users.users.some((u: { email: string }) => u.email === 'ada.tester@example.com'));
      const created = await json('sandbox/google-user-create.sh');
      assert.equal(created.email, 'lin.tester@example.com');
      assert.equal((await json('sandbox/google-revoke.sh')).revoked, 0);
      assert.equal(typeof (await json('sandbox/google-tokens-expire.sh')).expired, 'number');
      assert.ok(Array.isArray((await json('sandbox/google-user-events.sh')).calendars));
      assert.deepEqual(await json('sandbox/google-notifications.sh'), { notifications: [] });
    });

    it('PayPal control routes', async () => {
      const paypal = new PaypalTestClient(app.runtime.sandbox!);
      await paypal.auth();
      const order = (await paypal.createOrder()).body;
      assert.equal((await json('sandbox/paypal-orders.sh')).orders[0].id, order.id);
      const approved = await json('sandbox/paypal-approve.sh', { ORDER_ID: order.id });
      assert.equal(approved.order.status, 'APPROVED');
      const other = (await paypal.createOrder()).body;
      const cancelled = await json('sandbox/paypal-cancel.sh', { ORDER_ID: other.id });
      assert.ok(cancelled.redirectUrl);
      // A capture left PENDING by an eCheck, then settled.
      const pendingOrder = (await paypal.createOrder()).body;
      await json('sandbox/paypal-approve.sh', { ORDER_ID: pendingOrder.id, FUNDING: 'pending' });
      const captured = await paypal.call('POST', `/v2/checkout/orders/${pendingOrder.id}/capture`, { headers: { 'paypal-request-id': `docs-${pendingOrder.id}` } });
      const capture = captured.body.purchase_units[0].payments.captures[0];
      assert.equal(capture.status, 'PENDING');
      assert.equal((await json('sandbox/paypal-capture-resolve.sh', { CAPTURE_ID: capture.id })).capture.status, 'COMPLETED');
      // A chargeback the payer won: PayPal takes the completed capture back.
      const reversed = await json('sandbox/paypal-capture-reverse.sh', { CAPTURE_ID: capture.id });
      assert.equal(reversed.capture.status, 'REFUNDED');
      assert.equal(reversed.refund.status, 'COMPLETED');
      assert.equal(typeof (await json('sandbox/paypal-tokens-expire.sh')).expired, 'number');
      const cert = await json('sandbox/paypal-webhook-certificate.sh');
      assert.match(cert.pem, /BEGIN CERTIFICATE/);
    });

    it('Binance Pay control routes', async () => {
      const key = SANDBOX_CREDENTIALS.binance;
      const create = async (merchantTradeNo: string) => {
        const body = JSON.stringify(binanceOrderBody(merchantTradeNo));
        const signed = signRequest({ ...key, body });
        const res = await fetch(`${sandboxUrl}/binancepay/openapi/v3/order`, { method: 'POST', headers: signed.headers, body });
        const out = (await res.json()) as { status: string; data: { prepayId: string } };
        assert.equal(out.status, 'SUCCESS', JSON.stringify(out));
        return out.data.prepayId;
      };
      const a = await create('docsorder1');
      assert.equal((await json('sandbox/binance-orders.sh')).orders.length, 1);
      assert.equal((await json('sandbox/binance-order.sh', { ORDER_REF: 'docsorder1' })).order.prepayId, a);
      assert.equal((await json('sandbox/binance-scan.sh', { ORDER_REF: a })).order.status, 'PENDING');
      assert.equal((await json('sandbox/binance-pay.sh', { ORDER_REF: a })).order.status, 'PAID');
      const b = await create('docsorder2');
      assert.equal((await json('sandbox/binance-fail.sh', { ORDER_REF: b })).order.status, 'ERROR');
      const c = await create('docsorder3');
      assert.equal((await json('sandbox/binance-expire.sh', { ORDER_REF: c })).order.status, 'EXPIRED');
      assert.ok((await json('sandbox/binance-certificate.sh')).certPublic);
      assert.equal((await json('sandbox/binance-api-key.sh')).apiKey, 'mytestmerchantkey');
    });
  });
});
