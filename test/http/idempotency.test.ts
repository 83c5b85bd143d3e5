import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { apiPost, signIn } from '../support/google.ts';
import { addFault } from '../support/sandbox.ts';

/**
 * Idempotency-Key on POSTs under /api/v1: the first answer is kept 24 hours and replayed (5xx
 * included), another request under the same key is refused, a request still running holds its
 * key, and keys belong to their owner.
 */

const event = { title: 'Once only', timeZone: 'Europe/Paris', start: '2031-05-04T12:00', end: '2031-05-04T13:00' };

let app: TestApp;
let ada: Browser;
let key: string;
let n = 0;
const idem = () => `test-${process.pid}-${++n}`;

before(async () => {
  app = await startTestApp();
  ada = (await signIn(app, { email: 'ada-idem@example.com' })).browser;
  const created = await apiPost(app, ada, '/api/v1/api-keys', { scope: 'write' });
  key = created.body.secret;
});
after(() => app?.close());

async function post(path: string, body: unknown, idempotencyKey: string, token = key) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, text };
}

const eventCount = async (title: string) =>
  Number((await app.db.db.query<{ n: string }>('select count(*)::text as n from events where title = $1', [title]))[0]!.n);

describe('Idempotency-Key', () => {
  it('replays the first answer to the same request, without running it again', async () => {
    const k = idem();
    const body = { ...event, title: 'Replay me' };
    const first = await post('/api/v1/events', body, k);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await post('/api/v1/events', body, k);
    assert.equal(again.status, 201);
    assert.equal(again.text, first.text, 'the same body, byte for byte');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.match(again.headers.get('content-type')!, /^application\/json/);
    assert.notEqual(again.headers.get('x-request-id'), first.headers.get('x-request-id'), 'the replay is a request of its own');
    assert.equal(await eventCount('Replay me'), 1);
  });

  it('refuses the same key with another body (422 idempotency_key_reused)', async () => {
    const k = idem();
    assert.equal((await post('/api/v1/events', { ...event, title: 'First body' }, k)).status, 201);
    const other = await post('/api/v1/events', { ...event, title: 'Second body' }, k);
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'idempotency_key_reused');
    assert.match(other.headers.get('content-type')!, /^application\/problem\+json/);
    // And on another path.
    const elsewhere = await post('/api/v1/availability', { timeZone: 'Europe/Paris', start: event.start, end: event.end }, k);
    assert.equal(elsewhere.status, 422);
    assert.equal(await eventCount('Second body'), 0);
  });

  it('lets one of two concurrent requests run; the other gets 409 idempotency_key_in_use with Retry-After', async () => {
    // The calendar check takes a second, so the first request is still running when the second arrives.
    await addFault(app.runtime.sandbox, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'latency', ms: 1500, count: 1 });
    const k = idem();
    const body = { ...event, title: 'Concurrent' };
    const first = post('/api/v1/events', body, k);
    await new Promise((r) => setTimeout(r, 300));
    const second = await post('/api/v1/events', body, k);
    assert.equal(second.status, 409, second.text);
    assert.equal(second.body.code, 'idempotency_key_in_use');
    assert.equal(second.headers.get('retry-after'), '1');
    assert.equal((await first).status, 201);
    const third = await post('/api/v1/events', body, k);
    assert.equal(third.status, 201);
    assert.equal(third.headers.get('idempotent-replayed'), 'true');
    assert.equal(await eventCount('Concurrent'), 1);
  });

  it('two requests at the same instant: exactly one runs', async () => {
    const k = idem();
    const body = { ...event, title: 'Same instant' };
    const answers = await Promise.all([post('/api/v1/events', body, k), post('/api/v1/events', body, k)]);
    const statuses = answers.map((a) => a.status).sort();
    // Either the second arrived while the first ran (409), or after it finished (a replayed 201).
    assert.ok(JSON.stringify(statuses) === '[201,409]' || (statuses.every((s) => s === 201) && answers.some((a) => a.headers.get('idempotent-replayed') === 'true')), JSON.stringify(statuses));
    assert.equal(await eventCount('Same instant'), 1);
  });

  it('replays a 5xx too (as Stripe does): a retry with the same key does not pay twice', async () => {
    const created = await post('/api/v1/events', { ...event, title: 'Provider down' }, idem());
    assert.equal(created.status, 201);
    await addFault(app.runtime.sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 503, count: 1 });
    const k = idem();
    const path = `/api/v1/events/${created.body.event.id}/payments`;
    const failed = await post(path, { provider: 'paypal' }, k);
    assert.equal(failed.status, 503, failed.text);
    assert.equal(failed.body.code, 'payment_provider_unavailable');
    const replayed = await post(path, { provider: 'paypal' }, k);
    assert.equal(replayed.status, 503);
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    assert.equal(replayed.text, failed.text);
    // A new key runs it again, now that PayPal answers.
    const fresh = await post(path, { provider: 'paypal' }, idem());
    assert.equal(fresh.status, 201, fresh.text);
  });

  it('forgets a key after 24 hours: then it runs a new request', async () => {
    const k = idem();
    assert.equal((await post('/api/v1/events', { ...event, title: 'Yesterday' }, k)).status, 201);
    await app.db.db.query(`update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`, [k]);
    const today = await post('/api/v1/events', { ...event, title: 'Today' }, k);
    assert.equal(today.status, 201, today.text);
    assert.equal(today.headers.get('idempotent-replayed'), null);
    assert.equal(await eventCount('Today'), 1);
  });

  it('sweeps expired keys in passing', async () => {
    const { deleteExpired } = await import('../../src/db/repos/idempotency.ts');
    const k = idem();
    assert.equal((await post('/api/v1/events', { ...event, title: 'Swept' }, k)).status, 201);
    await app.db.db.query(`update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`, [k]);
    assert.ok((await deleteExpired(app.db.db)) >= 1);
    assert.equal((await app.db.db.query('select 1 from idempotency_keys where key = $1', [k])).length, 0);
  });

  it('keys belong to their owner: another person’s request with the same key runs on its own', async () => {
    const k = idem();
    assert.equal((await post('/api/v1/events', { ...event, title: 'Ada’s' }, k)).status, 201);
    const bob = (await signIn(app, { email: 'bob-idem@example.com' })).browser;
    const bobKey = (await apiPost(app, bob, '/api/v1/api-keys', { scope: 'write' })).body.secret;
    const theirs = await post('/api/v1/events', { ...event, title: 'Ada’s' }, k, bobKey);
    assert.equal(theirs.status, 201);
    assert.equal(theirs.headers.get('idempotent-replayed'), null, 'never another person’s answer');
    assert.equal(await eventCount('Ada’s'), 2);
  });

  it('works for a browser session too, and keeps nothing for a request refused before it ran', async () => {
    const k = idem();
    const invalid = await fetch(`${app.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': k },
      body: JSON.stringify({ ...event, title: '' }),
    });
    assert.equal(invalid.status, 400);
    const csrf = (await ada.json(`${app.url}/api/v1/me`)).body.csrfToken;
    const send = () => ada.json(`${app.url}/api/v1/events`, { method: 'POST', body: JSON.stringify({ ...event, title: 'Session' }), headers: { 'x-csrf-token': csrf, 'idempotency-key': k } });
    const first = await send();
    assert.equal(first.status, 201, 'the key was free: the invalid request kept nothing');
    const again = await send();
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(await eventCount('Session'), 1);
  });

  it('refuses a malformed key', async () => {
    const res = await post('/api/v1/events', event, 'x'.repeat(256));
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'validation_failed');
    assert.equal(res.body.errors[0].path, 'headers/idempotency-key');
  });
});
