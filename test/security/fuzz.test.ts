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

/** Inputs the fuzzer once found wrong, kept as they were found. */
const REGRESSIONS: (Omit<FuzzRequest, 'auth' | 'headers'> & Partial<Pick<FuzzRequest, 'auth' | 'headers'>>)[] = [
  // Answered without the security headers (Fastify's frameworkErrors path runs no hook).
  { route: 'RAW plain', method: 'GET', target: '/api/v1/payments/%ZZ', raw: 'GET /api/v1/payments/%ZZ HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n\r\n' },
  // Answered by Node before Fastify, without the security headers.
  { route: 'RAW big-header', method: 'GET', target: '/healthz', raw: `GET /healthz HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` },
  { route: 'RAW bad-length', method: 'POST', target: '/webhooks/paypal', raw: 'POST /webhooks/paypal HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}' },
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

  for (const [i, input] of REGRESSIONS.entries()) {
    it(`regression ${i + 1}: ${input.route}`, async () => {
      const req: FuzzRequest = { auth: 'cookie', headers: {}, ...input };
      assert.deepEqual(judge(req, await send(world, req)), []);
    });
  }

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
});
