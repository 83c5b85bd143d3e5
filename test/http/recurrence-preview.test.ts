import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerApiRoutes, type ApiDeps } from '../../src/http/routes/api.ts';
import { createServer } from '../../src/http/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../support/wait.ts';

/** The preview needs no sign-in and nothing but the domain: no database, no other dependency. */
describe('POST /api/v1/recurrence/preview', () => {
  it('answers with the canonical name of the zone it expanded in', async () => {
    const app = await createServer({
      log: await silentLogger(),
      metrics: createMetrics(),
      trustProxy: false,
      publicBaseUrl: 'http://127.0.0.1',
      cookieSecret: 'x'.repeat(32),
      rateLimits: { counter: { hit: async () => ({ count: 1, ttlMs: 60_000 }) } },
    });
    registerApiRoutes(app, {} as ApiDeps);
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/recurrence/preview',
        payload: { start: '2026-03-02T09:00', timeZone: 'us/eastern', recurrence: ['RRULE:FREQ=WEEKLY'], count: 2 },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        timeZone: 'America/New_York',
        occurrences: [
          { start: '2026-03-02T09:00:00-05:00', startUtc: '2026-03-02T14:00:00Z' },
          { start: '2026-03-09T09:00:00-04:00', startUtc: '2026-03-09T13:00:00Z' },
        ],
      });
    } finally {
      await app.close();
    }
  });
});
