import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROBLEM_CODES, type ProblemCode } from '../../src/errors.ts';
import { createServer } from '../../src/http/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { apiPost, csrf, sandboxJson, signIn } from '../support/google.ts';
import { payAtBinance, waitForPayment } from '../support/payments.ts';
import { addFault } from '../support/sandbox.ts';
import { SseStream } from '../support/sse.ts';
import { silentLogger } from '../support/wait.ts';
import { rawRequest } from '../security/raw-http.ts';

/**
 * Troubleshooting's "Problem codes" table and the API agree in both directions: the table lists
 * exactly the codes of the registry (src/errors.ts), and a real request produces each of them,
 * at the top of a problem document or in its `errors[]`. A code the API cannot produce cannot
 * stay documented, and a code added to the registry needs a row and a request here (the
 * `Record<ProblemCode, …>` below does not type-check without one).
 */

const root = resolve(import.meta.dirname, '../..');

function documentedCodes(): Map<string, number> {
  const page = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8');
  const start = page.indexOf('## Problem codes');
  assert.ok(start >= 0, 'docs/troubleshooting.md has a "Problem codes" section');
  const end = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, end < 0 ? undefined : end);
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)];
  assert.ok(rows.length > 10, `found only ${rows.length} rows: the parser needs updating`);
  return new Map(rows.map((m) => [m[1]!, Number(m[2])]));
}

interface Seen {
  status: number;
  body: { code?: string; errors?: { code?: string }[]; [k: string]: unknown };
}

interface Ctx {
  app: TestApp;
  browser: Browser;
}

const json = { 'content-type': 'application/json' };

async function send(ctx: Ctx, path: string, init: RequestInit = {}): Promise<Seen> {
  const res = await fetch(`${ctx.app.url}${path}`, init);
  return { status: res.status, body: await res.json() };
}

const preview = (ctx: Ctx, body: unknown) => send(ctx, '/api/v1/recurrence/preview', { method: 'POST', headers: json, body: JSON.stringify(body) });
const at = { start: '2026-03-02T09:00', timeZone: 'America/New_York' };
const event = { title: 'Codes', timeZone: 'Europe/Paris', start: '2031-05-04T12:00', end: '2031-05-04T13:00' };

async function raw(ctx: Ctx, bytes: string): Promise<Seen> {
  const res = await rawRequest(ctx.app.url, bytes);
  return { status: res.status, body: JSON.parse(res.body) };
}

/** These two servers answer one request each: a counter that never limits is enough. */
const unlimited = { hit: async () => ({ count: 1, ttlMs: 60_000 }) };

/** A request that gets a 408: our server with Node's request timeouts shortened. */
async function timedOut(): Promise<Seen> {
  const server = await createServer({ log: await silentLogger(), metrics: createMetrics(), trustProxy: false, publicBaseUrl: 'http://127.0.0.1', cookieSecret: 'x'.repeat(32), rateLimits: { counter: unlimited } });
  server.server.headersTimeout = 200;
  server.server.requestTimeout = 200;
  (server.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 50;
  await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = server.server.address() as { port: number };
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (c) => (got += String(c)));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    });
    return { status: Number(text.split(' ')[1]), body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) };
  } finally {
    await server.close();
  }
}

/**
 * A request that completes while the server closes: its connection was busy (headers half sent)
 * when the close began, so it was not reaped as idle.
 */
async function duringShutdown(): Promise<Seen> {
  const server = await createServer({ log: await silentLogger(), metrics: createMetrics(), trustProxy: false, publicBaseUrl: 'http://127.0.0.1', cookieSecret: 'x'.repeat(32), rateLimits: { counter: unlimited } });
  let closing: Promise<void> | undefined;
  let closeStarted!: () => void;
  const started = new Promise<void>((r) => (closeStarted = r));
  server.get('/slow', async () => {
    closing = server.close();
    closeStarted();
    await new Promise((r) => setTimeout(r, 300));
    return { ok: true };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as { port: number };
  const late = connect(port, '127.0.0.1');
  const text = new Promise<string>((resolve, reject) => {
    let got = '';
    late.on('data', (c) => (got += String(c)));
    late.on('error', reject);
    late.on('close', () => resolve(got));
  });
  late.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 50));
  const slow = fetch(`http://127.0.0.1:${port}/slow`);
  await started;
  late.write('\r\n');
  const answer = await text;
  await slow;
  await closing;
  return { status: Number(answer.split(' ')[1]), body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) };
}

/** One request per code; each must answer a problem carrying that code. */
const PRODUCERS: Record<ProblemCode, (ctx: Ctx) => Promise<Seen>> = {
  validation_failed: (ctx) => preview(ctx, {}),
  malformed_json: (ctx) => send(ctx, '/api/v1/recurrence/preview', { method: 'POST', headers: json, body: '{"start":' }),
  malformed_url: (ctx) => raw(ctx, `GET /api/v1/events/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
  malformed_request: (ctx) => raw(ctx, `POST /api/v1/recurrence/preview HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`),
  request_timeout: () => timedOut(),
  body_too_large: (ctx) => send(ctx, '/api/v1/recurrence/preview', { method: 'POST', headers: json, body: JSON.stringify({ pad: 'x'.repeat(300_000) }) }),
  unsupported_media_type: (ctx) => send(ctx, '/api/v1/recurrence/preview', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }),
  headers_too_large: (ctx) => raw(ctx, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
  route_not_found: (ctx) => send(ctx, '/api/v1/nope'),
  shutting_down: () => duringShutdown(),
  required: (ctx) => preview(ctx, { timeZone: 'UTC' }),
  invalid_type: (ctx) => preview(ctx, { ...at, count: 'ten' }),
  unrecognized_field: (ctx) => preview(ctx, { ...at, colour: 'blue' }),
  invalid_length: (ctx) => preview(ctx, { ...at, timeZone: '' }),
  invalid_value: (ctx) => apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, sendUpdates: 'everyone' }),
  invalid_character: (ctx) => preview(ctx, { ...at, timeZone: 'UTC\u0000' }),
  invalid_time_zone: (ctx) => preview(ctx, { ...at, timeZone: 'Mars/Olympus_Mons' }),
  invalid_format: (ctx) => preview(ctx, { ...at, start: 'tomorrow' }),
  invalid_date: (ctx) => preview(ctx, { ...at, start: '2026-02-30T09:00' }),
  out_of_range: (ctx) => preview(ctx, { ...at, count: 101 }),
  nonexistent_local_time: (ctx) => preview(ctx, { ...at, start: '2026-03-08T02:30' }),
  end_not_after_start: (ctx) => preview(ctx, { ...at, end: '2026-03-02T08:00' }),
  too_long: (ctx) => preview(ctx, { ...at, end: '2026-04-15T09:00' }),
  invalid_recurrence: (ctx) => preview(ctx, { ...at, recurrence: ['RRULE:FREQ=DAILY;COUNT=3;UNTIL=20261231'] }),
  unsupported_recurrence: (ctx) => preview(ctx, { ...at, recurrence: ['DTSTART:20260302T090000'] }),
  recurrence_too_large: (ctx) => preview(ctx, { ...at, recurrence: ['RRULE:FREQ=DAILY;COUNT=10001'] }),
  recurrence_too_complex: (ctx) =>
    preview(ctx, { ...at, recurrence: [`RRULE:FREQ=YEARLY;BYHOUR=${Array.from({ length: 24 }, (_, i) => i).join(',')};BYMINUTE=${Array.from({ length: 60 }, (_, i) => i).join(',')}`] }),
  no_occurrences: (ctx) =>
    apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, recurrence: ['RRULE:FREQ=DAILY;COUNT=1', 'EXDATE;TZID=Europe/Paris:20310504T120000'] }),
  start_in_past: (ctx) => apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, start: '2020-01-01T10:00', end: '2020-01-01T11:00' }),
  calendar_not_found: (ctx) => apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, calendarId: 'nobody-here@group.calendar.google.com' }),
  calendar_not_writable: async (ctx) => {
    // Every emulated Google user has a calendar shared with them read-only.
    const users = await (await fetch(`${ctx.app.runtime.sandbox!.url}/__sandbox/google/users`)).json();
    const me = users.users.find((u: { email: string }) => u.email === 'codes@example.com');
    const readOnly = me.calendars.find((c: { accessRole: string }) => c.accessRole === 'reader');
    return apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, calendarId: readOnly.id });
  },
  calendar_check_unavailable: async (ctx) => {
    await addFault(ctx.app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'timeout', count: 1 });
    return apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
  },
  invalid_request: async (ctx) => {
    await addFault(ctx.app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 400, count: 1 });
    return ctx.browser.json(`${ctx.app.url}/api/v1/calendars`);
  },
  unauthorized: (ctx) => send(ctx, '/api/v1/me'),
  forbidden: (ctx) => ctx.browser.json(`${ctx.app.url}/api/v1/events`, { method: 'POST', body: JSON.stringify(event) }),
  not_found: (ctx) => ctx.browser.json(`${ctx.app.url}/api/v1/events/00000000-0000-4000-8000-000000000000`),
  conflict: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // An event that expired unpaid cannot be cancelled (the expiry job's transition, made directly).
    await ctx.app.db.db.query(`update events set state = 'expired' where id = $1`, [created.body.event.id]);
    return apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/cancel`, {});
  },
  rate_limited: async (ctx) => {
    for (let i = 0; i < 100; i++) {
      const r = await preview(ctx, { ...at, count: 1 });
      if (r.status === 429) return r;
    }
    assert.fail('no 429 within 100 previews');
  },
  provider_unavailable: async (ctx) => {
    await addFault(ctx.app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 503, count: null });
    try {
      return await ctx.browser.json(`${ctx.app.url}/api/v1/calendars`);
    } finally {
      await fetch(`${ctx.app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  },
  event_not_payable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    assert.equal((await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/cancel`, {})).status, 200);
    return apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
  },
  payment_provider_disabled: async (ctx) => {
    // Saved through the settings service: this suite's app has no admin (the admin API is test/admin/settings.test.ts).
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const me = (await ctx.browser.json(`${ctx.app.url}/api/v1/me`)).body;
    const settings = ctx.app.runtime.settings;
    const before = await settings.current();
    await settings.save(me.user, { ...before, providers: ['binance'] });
    try {
      return await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
    } finally {
      await settings.save(me.user, before);
    }
  },
  receipt_not_available: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    return ctx.browser.json(`${ctx.app.url}/api/v1/events/${created.body.event.id}/receipt`);
  },
  calendar_file_not_available: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const res = await ctx.browser.request(`${ctx.app.url}/api/v1/events/${created.body.event.id}/calendar.ics`);
    return { status: res.status, body: await res.json() };
  },
  payment_not_refundable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const payment = await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
    assert.equal(payment.status, 201, JSON.stringify(payment.body));
    return apiPost(ctx.app, ctx.browser, `/api/v1/payments/${payment.body.id}/refund`, {});
  },
  payment_not_cancellable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const payment = await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'binance' });
    await payAtBinance(ctx.app, payment.body.providerReference.orderId);
    await waitForPayment(ctx.app, ctx.browser, payment.body.id, 'captured');
    return apiPost(ctx.app, ctx.browser, `/api/v1/payments/${payment.body.id}/cancel`, {});
  },
  payment_not_capturable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const payment = await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'binance' });
    return apiPost(ctx.app, ctx.browser, `/api/v1/payments/${payment.body.id}/capture`, {});
  },
  payment_not_voidable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const payment = await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
    return apiPost(ctx.app, ctx.browser, `/api/v1/payments/${payment.body.id}/void`, {});
  },
  payment_capture_too_early: async (ctx) => {
    // A hold whose event Google keeps refusing: the money is held, the event is not on the calendar.
    await addFault(ctx.app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 503, count: null });
    try {
      const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
      const payment = await apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
      assert.equal(payment.body.intent, 'AUTHORIZE');
      const approved = await sandboxJson(ctx.app, `/__sandbox/paypal/orders/${payment.body.providerReference.orderId}/approve`, { method: 'POST', body: JSON.stringify({ funding: 'ok' }) });
      assert.equal(approved.status, 200);
      assert.equal((await ctx.browser.request(`${ctx.app.url}/payments/paypal/return?payment=${payment.body.id}`)).status, 303);
      await waitForPayment(ctx.app, ctx.browser, payment.body.id, 'authorized');
      return await apiPost(ctx.app, ctx.browser, `/api/v1/payments/${payment.body.id}/capture`, {});
    } finally {
      await fetch(`${ctx.app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  },
  payment_provider_unavailable: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    await addFault(ctx.app.runtime.sandbox!, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 503, count: 1 });
    return apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
  },
  payment_provider_refused: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    await addFault(ctx.app.runtime.sandbox!, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 403, count: 1 });
    return apiPost(ctx.app, ctx.browser, `/api/v1/events/${created.body.event.id}/payments`, { provider: 'paypal' });
  },
  webhook_url_refused: (ctx) => apiPost(ctx.app, ctx.browser, '/api/v1/webhook-endpoints', { url: 'ftp://files.example.com/hooks' }),
  too_many_webhook_endpoints: async (ctx) => {
    for (let i = 0; i < 20; i++) {
      const r = await apiPost(ctx.app, ctx.browser, '/api/v1/webhook-endpoints', { url: `http://127.0.0.1:9/hook-${i}` });
      if (r.status !== 201) return r;
    }
    assert.fail('no refusal within 20 endpoints');
  },
  too_many_streams: async (ctx) => {
    const created = await apiPost(ctx.app, ctx.browser, '/api/v1/events', event);
    const url = `${ctx.app.url}/api/v1/events/${created.body.event.id}/stream`;
    const open: SseStream[] = [];
    try {
      for (;;) {
        const s = await SseStream.open(ctx.browser, url);
        open.push(s);
        if (s.response.status !== 200) return { status: s.response.status, body: await s.response.json() };
        assert.ok(open.length <= 100, 'no 429 within 100 streams');
      }
    } finally {
      for (const s of open) s.close();
    }
  },
  stream_capacity_reached: async () => {
    // An instance that serves one stream: the second person's is refused.
    const app = await startTestApp({ env: { SSE_MAX_STREAMS: '1' } });
    const open: SseStream[] = [];
    try {
      const streamFor = async (email: string) => {
        const { browser } = await signIn(app, { email });
        const created = await apiPost(app, browser, '/api/v1/events', event);
        const s = await SseStream.open(browser, `${app.url}/api/v1/events/${created.body.event.id}/stream`);
        open.push(s);
        return s.response;
      };
      assert.equal((await streamFor('capacity-1@example.com')).status, 200);
      const refused = await streamFor('capacity-2@example.com');
      return { status: refused.status, body: await refused.json() };
    } finally {
      for (const s of open) s.close();
      await app.close();
    }
  },
  signature_invalid: (ctx) =>
    send(ctx, '/webhooks/paypal', { method: 'POST', headers: { ...json, 'paypal-transmission-id': 'x', 'paypal-transmission-sig': 'AAAA' }, body: '{"id":"WH-1"}' }),
  insufficient_scope: async (ctx) => {
    const key = await apiPost(ctx.app, ctx.browser, '/api/v1/api-keys', { scope: 'read' });
    return send(ctx, '/api/v1/events', { method: 'POST', headers: { ...json, authorization: `Bearer ${key.body.secret}` }, body: JSON.stringify(event) });
  },
  idempotency_key_reused: async (ctx) => {
    const post = async (title: string) =>
      ctx.browser.json(`${ctx.app.url}/api/v1/events`, { method: 'POST', body: JSON.stringify({ ...event, title }), headers: { 'x-csrf-token': await csrf(ctx.app, ctx.browser), 'idempotency-key': 'codes-reused' } });
    assert.equal((await post('First')).status, 201);
    return post('Second');
  },
  idempotency_key_in_use: async (ctx) => {
    // The first request waits on a slow calendar check while the second arrives.
    await addFault(ctx.app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'latency', ms: 1000, count: 1 });
    const post = async () =>
      ctx.browser.json(`${ctx.app.url}/api/v1/events`, { method: 'POST', body: JSON.stringify(event), headers: { 'x-csrf-token': await csrf(ctx.app, ctx.browser), 'idempotency-key': 'codes-in-use' } });
    const first = post();
    await new Promise((r) => setTimeout(r, 300));
    const second = await post();
    await first;
    return second;
  },
  internal: async (ctx) => {
    // A constraint only this title breaks: the insert fails inside the database.
    await ctx.app.runtime.db.query(`alter table events add constraint lc_codes_boom check (title <> 'Boom')`);
    return apiPost(ctx.app, ctx.browser, '/api/v1/events', { ...event, title: 'Boom' });
  },
};

describe('problem codes: docs/troubleshooting.md and the API agree', () => {
  let ctx: Ctx;
  const seen = new Set<string>();
  before(async () => {
    const app = await startTestApp();
    const { browser } = await signIn(app, { email: 'codes@example.com' });
    await csrf(app, browser);
    ctx = { app, browser };
  });
  after(() => ctx.app.close());

  it('the table lists exactly the registry’s codes, with their statuses', () => {
    const documented = documentedCodes();
    const registry = new Map(Object.entries(PROBLEM_CODES).map(([code, e]) => [code, e.status]));
    assert.deepEqual([...documented.keys()].filter((c) => !registry.has(c)), [], 'documented codes the registry does not have');
    assert.deepEqual([...registry.keys()].filter((c) => !documented.has(c)), [], 'registry codes missing from docs/troubleshooting.md');
    for (const [code, status] of registry) assert.equal(documented.get(code), status, `status of ${code}`);
  });

  // Rate limiting goes last: it spends the preview's allowance for this client.
  const order = (Object.keys(PRODUCERS) as ProblemCode[]).sort((a, b) => Number(a === 'rate_limited') - Number(b === 'rate_limited'));
  for (const code of order) {
    it(`a request produces ${code}`, async () => {
      const res = await PRODUCERS[code](ctx);
      const codes = [res.body.code, ...(res.body.errors ?? []).map((e) => e.code)];
      for (const c of codes) if (c !== undefined) seen.add(c);
      assert.ok(codes.includes(code), `${code} not in ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.code, 'string', 'every problem carries a code');
      assert.equal(res.status, PROBLEM_CODES[res.body.code as ProblemCode].status, `the status follows the code: ${JSON.stringify(res.body)}`);
    });
  }

  it('every code a request produced is documented', () => {
    const documented = documentedCodes();
    assert.ok(seen.size >= Object.keys(PROBLEM_CODES).length);
    assert.deepEqual([...seen].filter((c) => !documented.has(c)), []);
  });
});
