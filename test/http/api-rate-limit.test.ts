import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseRateLimitCounter } from '../../src/db/repos/rate-limits.ts';
import { createServer, type App } from '../../src/http/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { silentLogger } from '../support/wait.ts';

/**
 * Every /api/v1 route spends one allowance per credential (API key, access token, session, or
 * else the client's address), counted in the shared store, so two instances behind one load
 * balancer let a key through exactly as often as one would. The IETF draft's RateLimit-* headers
 * say where a client stands, and the 429 is a problem document with Retry-After.
 */

const MAX = 5;

describe('per-credential rate limits on /api/v1, shared by two instances', () => {
  let db: TestDatabase;
  const servers: App[] = [];
  const urls: string[] = [];
  before(async () => {
    db = await createTestDatabase('pglite');
    const counter = new DatabaseRateLimitCounter(db.db);
    for (let i = 0; i < 2; i++) {
      const app = await createServer({
        log: await silentLogger(),
        metrics: createMetrics(),
        trustProxy: false,
        publicBaseUrl: 'http://127.0.0.1',
        cookieSecret: 'x'.repeat(32),
        rateLimits: { counter },
        apiRateLimit: { max: MAX, timeWindowMs: 60_000 },
      });
      app.get('/api/v1/things', async () => ({ ok: true }));
      app.post('/api/v1/things', async () => ({ ok: true }));
      app.get('/api/v1/own-limit', { config: { rateLimit: { max: 1000, timeWindow: 60_000 } } }, async () => ({ ok: true }));
      app.get('/healthz', async () => ({ ok: true }));
      urls.push(await app.listen({ host: '127.0.0.1', port: 0 }));
      servers.push(app);
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
    await db?.close();
  });

  const hit = (i: number, path: string, token?: string, method = 'GET') =>
    fetch(`${urls[i % 2]}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('counts one allowance per key across methods and instances, with RateLimit-* headers, then 429', async () => {
    for (let i = 0; i < MAX; i++) {
      const res = await hit(i, '/api/v1/things', 'key-a', i % 2 ? 'POST' : 'GET');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-limit'), String(MAX));
      assert.equal(res.headers.get('ratelimit-remaining'), String(MAX - i - 1));
      const reset = Number(res.headers.get('ratelimit-reset'));
      assert.ok(reset > 0 && reset <= 60, `RateLimit-Reset: ${reset}`);
      assert.equal(res.headers.get('x-ratelimit-limit'), null, 'the IETF names, not the X- ones');
    }
    const limited = await hit(MAX, '/api/v1/things', 'key-a');
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('content-type')!, /^application\/problem\+json/);
    const body = await limited.json();
    assert.equal(body.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
  });

  it('gives another key, and anonymous callers, their own allowance', async () => {
    assert.equal((await hit(0, '/api/v1/things', 'key-b')).status, 200);
    assert.equal((await hit(1, '/api/v1/things')).status, 200);
  });

  it('leaves routes with a limit of their own, and everything outside /api/v1, alone', async () => {
    const own = await hit(0, '/api/v1/own-limit', 'key-a');
    assert.equal(own.status, 200, 'its own limit, not the spent API allowance');
    assert.equal(own.headers.get('ratelimit-limit'), null);
    const health = await hit(1, '/healthz', 'key-a');
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('ratelimit-limit'), null);
  });

  it('keeps no credential in the store, only its digest', async () => {
    const keys = await db.db.query<{ key: string }>('select key from rate_limits');
    assert.ok(keys.length > 0);
    assert.ok(keys.every((k) => !k.key.includes('key-a') && !k.key.includes('key-b')), JSON.stringify(keys));
  });
});

describe('API_RATE_LIMIT_PER_MINUTE', () => {
  it('sets the allowance of each credential on the running app', async () => {
    const { startTestApp } = await import('../support/app.ts');
    const app = await startTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${app.url}/api/v1/events`, { headers: { authorization: 'Bearer lc_test_not-a-key' } });
        assert.equal(res.headers.get('ratelimit-limit'), '2');
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [401, 401, 429]);
    } finally {
      await app.close();
    }
  });
});
