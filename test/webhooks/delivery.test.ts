import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../src/crypto/webhook-signature.ts';
import { setState } from '../../src/db/repos/events.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { createEvent, payAtBinance, startPayment, waitForEvent } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';
import { mailsOf, outbox } from '../mail/support.ts';
import { api, Receiver } from './support.ts';

/**
 * Outgoing webhooks end to end, against a real HTTP receiver: the outbox, signing, the retry
 * schedule (shortened by configuration), the delivery log, redelivery, rotation, disabling after
 * the failure window, and ownership.
 */
describe('outgoing webhooks', () => {
  let app: TestApp;
  let browser: Browser;
  let receiver: Receiver;
  before(async () => {
    app = await startTestApp({ env: { JOB_POLL_INTERVAL_SECONDS: '0.5', WEBHOOK_RETRY_BASE_SECONDS: '0.1', WEBHOOK_TIMEOUT_MS: '2000' } });
    ({ browser } = await signIn(app, { email: 'integrator@example.com' }));
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver?.close();
    await app?.close();
  });

  it('a receiver that fails four times then succeeds gets the event exactly once more, and the log shows all five attempts', async () => {
    const created = await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: receiver.url, description: 'CRM', types: ['event.created'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id: endpointId, secret } = created.body;
    assert.match(secret, /^whsec_/);
    assert.equal((await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${endpointId}`)).body.secret, undefined, 'the secret is shown only once');
    receiver.script = [500, 500, 503, 500];
    receiver.then = 200;

    const event = await createEvent(app, browser, { title: 'Announced' });
    await waitFor('five attempts', () => receiver.received.length >= 5 || null, 20_000);
    // Nothing more comes once it succeeded (a few retry periods later).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.received.length, 5);

    const bodies = new Set(receiver.received.map((r) => r.body));
    assert.equal(bodies.size, 1, 'every attempt sends the same bytes');
    const body = JSON.parse(receiver.received[0]!.body);
    assert.deepEqual(Object.keys(body), ['id', 'type', 'created', 'data']);
    assert.equal(body.type, 'event.created');
    assert.equal(body.data.id, event.id);
    assert.equal(body.data.state, 'pending_payment');
    assert.equal(body.data.title, 'Announced');
    assert.equal(body.data.price.amount, event.price.amount, 'data is the event as the API shows it');
    for (const r of receiver.received) {
      assert.equal(r.headers['leadscalendar-event-id'], body.id);
      assert.deepEqual(verifyWebhook(r.body, String(r.headers['leadscalendar-signature']), secret).ok, true);
    }
    // Backoff: each wait at least as long as the one before (0.1 s, 0.2 s, 0.4 s, 0.8 s plus polling).
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
    assert.ok(gaps.every((g, i) => g >= 100 * 2 ** i - 20), `gaps ${gaps.join(', ')} ms`);

    const log = await waitFor('five logged attempts', async () => {
      const l = (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`)).body;
      return l.deliveries.length === 5 ? l : null;
    });
    const oldestFirst = [...log.deliveries].reverse();
    assert.deepEqual(oldestFirst.map((d: { attempt: number }) => d.attempt), [1, 2, 3, 4, 5]);
    assert.deepEqual(oldestFirst.map((d: { statusCode: number }) => d.statusCode), [500, 500, 503, 500, 200]);
    assert.deepEqual(oldestFirst.map((d: { succeeded: boolean }) => d.succeeded), [false, false, false, false, true]);
    assert.equal(oldestFirst[4].responseExcerpt, 'ok 5');
    assert.match(oldestFirst[0].error, /HTTP 500/);
    assert.ok(oldestFirst.every((d: { webhookEventId: string; type: string; durationMs: number }) => d.webhookEventId === body.id && d.type === 'event.created' && d.durationMs >= 0));

    // Paged by cursor, newest first, without skipping or repeating.
    const first = (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?limit=2`)).body;
    assert.equal(first.deliveries.length, 2);
    const second = (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).body;
    assert.deepEqual([...first.deliveries, ...second.deliveries].map((d: { id: string }) => d.id), log.deliveries.map((d: { id: string }) => d.id));
    assert.equal(second.nextCursor, null);

    // The event shows the deliveries sent about it.
    const shown = (await api(app, browser, 'GET', `/api/v1/events/${event.id}`)).body;
    assert.equal(shown.webhookDeliveries.length, 5);

    // Redelivery: the same event, once more, logged as attempt 6.
    const again = await api(app, browser, 'POST', `/api/v1/webhook-deliveries/${log.deliveries[0].id}/redeliver`);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.attempt, 6);
    assert.equal(again.body.manual, true);
    assert.equal(again.body.succeeded, true);
    assert.equal(receiver.received.length, 6);
    assert.equal(receiver.received[5]!.body, receiver.received[0]!.body);
    assert.equal((await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${endpointId}`)).status, 204);
  });

  it('sends only the types an endpoint asked for, and every type to an endpoint that asked for all', async () => {
    const all = await Receiver.start();
    const some = await Receiver.start();
    try {
      const a = await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: all.url });
      assert.equal(a.body.types, null);
      const s = await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: some.url, types: ['event.cancelled'] });
      const event = await createEvent(app, browser, { title: 'Cancelled soon' });
      assert.equal((await api(app, browser, 'POST', `/api/v1/events/${event.id}/cancel`, {})).status, 200);
      await waitFor('both webhooks at the first endpoint', () => all.received.length >= 2 || null);
      await waitFor('the cancellation at the second', () => some.received.length >= 1 || null);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(all.received.map((r) => JSON.parse(r.body).type), ['event.created', 'event.cancelled']);
      assert.deepEqual(some.received.map((r) => JSON.parse(r.body).type), ['event.cancelled']);
      assert.equal(JSON.parse(some.received[0]!.body).data.state, 'cancelled');
      for (const id of [a.body.id, s.body.id]) await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${id}`);
    } finally {
      await all.close();
      await some.close();
    }
  });

  it('announces a booking paid with Binance Pay: created, paid, confirmed, each with the record as it then was', async () => {
    const r = await Receiver.start();
    try {
      const ep = (await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: r.url })).body;
      const event = await createEvent(app, browser, { title: 'Paid and announced' });
      const payment = await startPayment(app, browser, event.id, 'binance');
      await payAtBinance(app, payment.providerReference.orderId);
      await waitForEvent(app, browser, event.id, 'confirmed');
      const want = ['event.created', 'payment.created', 'payment.completed', 'event.confirmed'];
      await waitFor('four webhooks', () => r.received.length >= want.length || null, 20_000);
      await new Promise((res) => setTimeout(res, 500));
      const got = r.received.map((x) => JSON.parse(x.body));
      assert.deepEqual(got.map((b) => b.type).sort(), [...want].sort());
      const byType = Object.fromEntries(got.map((b) => [b.type, b]));
      assert.equal(byType['payment.created'].data.status, 'created');
      assert.equal(byType['payment.completed'].data.status, 'captured');
      assert.equal(byType['payment.completed'].data.id, payment.id);
      assert.equal(byType['payment.completed'].data.charge.currency, 'USDT');
      assert.equal(byType['event.confirmed'].data.state, 'confirmed');
      // "created" orders them as they happened, whatever order they arrived in.
      assert.deepEqual([...got].sort((a, b) => a.created.localeCompare(b.created)).map((b) => b.type), want);
      const p = (await api(app, browser, 'GET', `/api/v1/payments/${payment.id}`)).body;
      await waitFor('the payment shows its deliveries', async () => ((await api(app, browser, 'GET', `/api/v1/payments/${payment.id}`)).body.webhookDeliveries.length >= 2) || null);
      assert.ok(Array.isArray(p.webhookDeliveries));
      await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${ep.id}`);
    } finally {
      await r.close();
    }
  });

  it('writes a webhook in the transaction of the change: a rolled-back transition announces nothing', async () => {
    const event = await createEvent(app, browser, { title: 'Rolled back' });
    const types = async () => (await app.db.db.query<{ type: string }>('select type from webhook_events where event_id = $1 order by created_at', [event.id])).map((r) => r.type);
    assert.deepEqual(await types(), ['event.created']);
    await assert.rejects(
      app.db.db.transaction(async (tx) => {
        await setState(tx, event.id, 'pending_payment', 'cancelled', 'a change that will not commit');
        assert.deepEqual((await tx.query<{ type: string }>('select type from webhook_events where event_id = $1 order by created_at', [event.id])).map((r) => r.type), ['event.created', 'event.cancelled'], 'written with the change');
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await types(), ['event.created'], 'gone with the rollback');
  });

  it('during a secret rotation signs with both secrets; either verifies', async () => {
    const r = await Receiver.start();
    try {
      const created = await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: r.url, types: ['event.created'] });
      const oldSecret = created.body.secret;
      const rotated = await api(app, browser, 'POST', `/api/v1/webhook-endpoints/${created.body.id}/rotate-secret`);
      assert.equal(rotated.status, 200);
      const newSecret = rotated.body.secret;
      assert.notEqual(newSecret, oldSecret);
      const overlapEnds = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
      assert.ok(overlapEnds > 23.9 * 3600_000 && overlapEnds <= 24 * 3600_000, 'the old secret signs for 24 h by default');
      await createEvent(app, browser, { title: 'Signed twice' });
      await waitFor('a delivery', () => r.received[0]);
      const { body, headers } = r.received[0]!;
      const header = String(headers['leadscalendar-signature']);
      assert.equal(header.match(/v1=/g)?.length, 2);
      assert.equal(verifyWebhook(body, header, newSecret).ok, true);
      assert.equal(verifyWebhook(body, header, oldSecret).ok, true);
      await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${created.body.id}`);
    } finally {
      await r.close();
    }
  });

  it('another person’s endpoints and deliveries answer 404', async () => {
    const r = await Receiver.start();
    try {
      const mine = (await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: r.url, types: ['event.created'] })).body;
      await createEvent(app, browser, { title: 'Mine' });
      const delivery = await waitFor('a logged delivery', async () => (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${mine.id}/deliveries`)).body.deliveries[0]);
      const { browser: other } = await signIn(app, { email: 'stranger@example.com' });
      for (const [method, path, body] of [
        ['GET', `/api/v1/webhook-endpoints/${mine.id}`],
        ['PATCH', `/api/v1/webhook-endpoints/${mine.id}`, { enabled: false }],
        ['DELETE', `/api/v1/webhook-endpoints/${mine.id}`],
        ['POST', `/api/v1/webhook-endpoints/${mine.id}/rotate-secret`],
        ['GET', `/api/v1/webhook-endpoints/${mine.id}/deliveries`],
        ['POST', `/api/v1/webhook-deliveries/${delivery.id}/redeliver`],
      ] as const) {
        const res = await api(app, other, method, path, body);
        assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      }
      assert.deepEqual((await api(app, other, 'GET', '/api/v1/webhook-endpoints')).body.endpoints, []);
      // Their events are not announced to my endpoint either.
      const before = r.received.length;
      await createEvent(app, other, { title: 'Theirs' });
      await new Promise((res) => setTimeout(res, 1000));
      assert.equal(r.received.length, before);
      assert.equal((await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${mine.id}`)).body.enabled, true, 'unchanged');
      await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${mine.id}`);
    } finally {
      await r.close();
    }
  });

  it('updates, disables and enables an endpoint; a disabled one gets nothing', async () => {
    const r = await Receiver.start();
    try {
      const ep = (await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: r.url, types: ['event.created'] })).body;
      const off = await api(app, browser, 'PATCH', `/api/v1/webhook-endpoints/${ep.id}`, { enabled: false, description: 'paused' });
      assert.equal(off.status, 200);
      assert.equal(off.body.enabled, false);
      assert.equal(off.body.description, 'paused');
      await createEvent(app, browser, { title: 'Not sent' });
      await new Promise((res) => setTimeout(res, 1000));
      assert.equal(r.received.length, 0);
      const on = await api(app, browser, 'PATCH', `/api/v1/webhook-endpoints/${ep.id}`, { enabled: true, types: null });
      assert.equal(on.body.enabled, true);
      assert.equal(on.body.types, null);
      await createEvent(app, browser, { title: 'Sent' });
      await waitFor('a delivery after enabling', () => r.received[0]);
      assert.equal(JSON.parse(r.received[0]!.body).data.title, 'Sent');
      assert.equal((await api(app, browser, 'PATCH', `/api/v1/webhook-endpoints/${ep.id}`, { url: 'ftp://x.example/' })).body.code, 'webhook_url_refused');
      await api(app, browser, 'DELETE', `/api/v1/webhook-endpoints/${ep.id}`);
      assert.equal((await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${ep.id}`)).status, 404);
    } finally {
      await r.close();
    }
  });
});

describe('an endpoint failing for the whole retry window', () => {
  let app: TestApp;
  let receiver: Receiver;
  before(async () => {
    app = await startTestApp({ env: { JOB_POLL_INTERVAL_SECONDS: '0.5', WEBHOOK_RETRY_BASE_SECONDS: '0.2', WEBHOOK_RETRY_WINDOW_SECONDS: '2' } });
    receiver = await Receiver.start();
    receiver.then = 500;
  });
  after(async () => {
    await receiver?.close();
    await app?.close();
  });

  it('is disabled and its owner told by mail', async () => {
    const { browser } = await signIn(app, { email: 'broken-receiver@example.com' });
    const ep = (await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: receiver.url, description: 'Broken CRM' })).body;
    await createEvent(app, browser, { title: 'Never received' });
    const disabled = await waitFor(
      'the endpoint disabled',
      async () => {
        const e = (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${ep.id}`)).body;
        return e.enabled ? null : e;
      },
      20_000,
      100,
    );
    assert.match(disabled.disabledReason, /failed since .*HTTP 500/);
    const attempts = receiver.received.length;
    assert.ok(attempts >= 3, `retried before giving up (${attempts} attempts)`);
    const mail = await waitFor('the mail', async () => mailsOf(await outbox(app), 'webhook_endpoint_disabled', ep.id)[0], 20_000, 100);
    assert.deepEqual(mail.envelope.to, ['broken-receiver@example.com']);
    assert.match(mail.subject ?? '', /Webhook endpoint disabled/);
    assert.match(mail.text ?? '', new RegExp(receiver.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    // Nothing more is sent to it.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(receiver.received.length, attempts);
  });
});
