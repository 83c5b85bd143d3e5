import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { Problem } from '../../src/http/problem.ts';
import { createServer } from '../../src/http/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../support/wait.ts';

/**
 * An error answer never fails on its own response schema: a problem whose extra fields are not
 * what the schema expects (a field error without its code, a stray `status`) still goes out as the
 * problem document the code decided, never as Fastify's plain 500.
 */
describe('problem documents and response schemas', () => {
  it('answers the problem even when its extras do not match the declared schema', async () => {
    const app = await createServer({
      log: await silentLogger(),
      metrics: createMetrics(),
      trustProxy: false,
      publicBaseUrl: 'http://127.0.0.1',
      cookieSecret: 'x'.repeat(32),
      rateLimits: { counter: { hit: async () => ({ count: 1, ttlMs: 60_000 }) } },
    });
    app.get('/odd', { schema: { response: { 400: Problem } } }, async () => {
      throw new AppError('invalid_request', 'No such page.', { details: { errors: [{ path: 'querystring/page', message: 'no code here' }], status: 200, code: 'ok' } });
    });
    app.get('/things/:id', { schema: { params: z.object({ id: z.uuid() }) } }, async () => ({}));
    try {
      const named = await app.inject({ method: 'GET', url: '/things/nope' });
      assert.equal(named.statusCode, 400);
      assert.match(named.json().detail, /^The path parameters are invalid: params\/id: /, 'the detail names the part in plain words');
      const res = await app.inject({ method: 'GET', url: '/odd' });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      const body = res.json();
      assert.equal(body.status, 400, 'extras cannot change the status');
      assert.equal(body.code, 'invalid_request', 'nor the code');
      assert.equal(body.errors[0].path, 'querystring/page');
    } finally {
      await app.close();
    }
  });
});
