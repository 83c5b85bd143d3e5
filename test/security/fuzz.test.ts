import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatSummary, fuzz, judge, REQUEST_BOUND_MS, send, startFuzzWorld, type FuzzRequest, type FuzzWorld } from './fuzz.ts';

/**
 * The fuzz properties (see fuzz.ts) on a fixed budget: a fixed seed and number of inputs, so that
 * the suite replays the same run each time and stays within about a minute on two cores.
 * `npm run fuzz` runs the same properties over 10,000 inputs or more.
 */
const SEED = 20261201;
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);

type Regression = Omit<FuzzRequest, 'auth' | 'headers'> & Partial<Pick<FuzzRequest, 'auth' | 'headers'>>;

/** Inputs the fuzzer once found wrong, kept as they were found (trimmed to what mattered). */
const REGRESSIONS = (world: FuzzWorld): Regression[] => [
  // Answered without the security headers (Fastify's frameworkErrors path runs no hook).
  { route: 'RAW plain', method: 'GET', target: '/api/v1/payments/%ZZ', raw: 'GET /api/v1/payments/%ZZ HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n\r\n' },
  // Answered by Node before Fastify, without the security headers.
  { route: 'RAW big-header', method: 'GET', target: '/healthz', raw: `GET /healthz HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` },
  { route: 'RAW bad-length', method: 'POST', target: '/webhooks/paypal', raw: 'POST /webhooks/paypal HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}' },
  // A 500: the Idempotency-Key hash serialised the body of a route that takes none, and JSON
  // nested 20,000 deep overflowed JSON.stringify's stack.
  {
    route: 'POST /api/v1/google/disconnect',
    method: 'POST',
    target: '/api/v1/google/disconnect',
    headers: { 'idempotency-key': '8d8bf492-e0ec-182b-aa14-5f25b9719b8d', 'content-type': 'application/json' },
    body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  },
  // Answered 503 (retry later) for a certificate URL on a trusted host that names no certificate,
  // and fetched it although the transmission time was not even a time.
  ...['yesterday', new Date().toISOString()].map((time) => ({
    route: 'POST /webhooks/paypal',
    method: 'POST',
    target: '/webhooks/paypal',
    auth: 'none' as const,
    headers: {
      'content-type': 'application/json',
      'paypal-transmission-id': '6dda7a3f-35da-1407-bfff-ffee0000001a',
      'paypal-transmission-time': time,
      'paypal-transmission-sig': '4f6AA8kD',
      'paypal-cert-url': `${world.app.runtime.sandbox.url}/v1/notifications/certs/CERT-360caa42-fca2a594-unknown`,
      'paypal-auth-algo': 'SHA256withRSA',
    },
    body: JSON.stringify({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} }),
  })),
];

describe('fuzzing every route', () => {
  let world: FuzzWorld;
  before(async () => {
    world = await startFuzzWorld();
  });
  after(() => world?.app.close());

  it('fuzzes every route of the route table, the provider webhooks included', () => {
    const routes = world.routes.map((r) => `${r.method} ${r.url}`);
    for (const r of ['POST /webhooks/paypal', 'POST /webhooks/binance', 'POST /api/v1/events', 'DELETE /api/v1/webhook-endpoints/:id', 'POST /oauth/token']) {
      assert.ok(routes.includes(r), `${r} missing from ${routes.join(', ')}`);
    }
    // Every operation of the OpenAPI document is a route of the table, so it is fuzzed too.
    assert.ok(world.routes.filter((r) => r.op).length >= 35, `${world.routes.filter((r) => r.op).length} documented operations`);
  });

  it(`${RUNS} inputs: never a 5xx, every 4xx a problem document, security headers on every answer, none slower than ${REQUEST_BOUND_MS} ms, /healthz fast throughout`, async (t) => {
    const summary = await fuzz(world, { seed: SEED, runs: RUNS, workers: 2 });
    t.diagnostic(formatSummary(summary));
    assert.equal(summary.inputs, RUNS);
    assert.deepEqual(summary.failures, []);
    assert.ok(summary.healthz.checks > 0);
    assert.equal(summary.healthz.failures, 0);
    assert.ok(summary.healthz.slowestMs < REQUEST_BOUND_MS, `/healthz took ${summary.healthz.slowestMs.toFixed(0)} ms`);
    // Every route got inputs: a route the arbitraries cannot reach would go untested silently.
    const untouched = world.routes.map((r) => `${r.method} ${r.url}`).filter((r) => !summary.perRoute.has(r));
    assert.deepEqual(untouched, []);
    // The process is still up and answering, and the run stayed signed in to the end (a lost
    // session or key would have turned the rest of the run into signed-out requests).
    assert.equal((await fetch(`${world.app.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${world.app.url}/api/v1/me`, { headers: { cookie: world.me.browser.cookieHeader(world.app.url)! } })).status, 200);
    assert.equal((await fetch(`${world.app.url}/api/v1/me`, { headers: { authorization: `Bearer ${world.me.apiKey}` } })).status, 200);
  });

  // After the run: some of these change the fuzzer's own state (Google disconnected).
  it('answers every input it once found wrong', async () => {
    for (const input of REGRESSIONS(world)) {
      const req: FuzzRequest = { auth: 'cookie', headers: {}, ...input };
      assert.deepEqual(judge(req, await send(world, req)), [], JSON.stringify({ ...req, raw: req.raw?.slice(0, 200) }));
    }
  });
});
