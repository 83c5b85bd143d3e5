import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/errors.ts';
import { createServer, type App } from '../../src/http/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../support/wait.ts';

/**
 * A fault on our side while a browser loads a page answers a page that says so (with the request
 * id to quote and a way on); programs, and every API path, keep the problem document. The failing
 * routes are registered on the server here, as the product registers its own, before it starts.
 */

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function server(mode?: 'sandbox' | 'live'): Promise<App> {
  const app = await createServer({
    log: await silentLogger(),
    metrics: createMetrics(),
    trustProxy: false,
    publicBaseUrl: 'http://127.0.0.1',
    cookieSecret: 'x'.repeat(32),
    rateLimits: { counter: { hit: async () => ({ count: 1, ttlMs: 60_000 }) } },
    ...(mode ? { mode } : {}),
  });
  const secret = new Error('connection to 10.0.0.5:5432 refused (password=hunter2)');
  app.get('/app/broken', async () => {
    throw secret;
  });
  app.get('/api/v1/broken', async () => {
    throw secret;
  });
  app.get('/app/google-down', async () => {
    throw new AppError('provider_unavailable', 'Google did not answer in time.');
  });
  app.get('/app/missing', async () => {
    throw new AppError('not_found', 'No such event.');
  });
  app.get('/*', async () => {
    throw secret;
  });
  return app;
}

describe('error pages for browsers, problem documents for programs', () => {
  let app: App;
  before(async () => {
    app = await server('sandbox');
  });
  after(() => app.close());

  it('answers a browser a page: what happened, the request id to quote, a way home', async () => {
    const res = await app.inject({ method: 'GET', url: '/app/broken?tab=2', headers: { accept: HTML } });
    assert.equal(res.statusCode, 500);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const id = String(res.headers['x-request-id']);
    assert.match(id, /^req_/);
    assert.match(res.body, /<h1>Something went wrong on our side<\/h1>/);
    assert.ok(res.body.includes(`<code id="request-id">${id}</code>`), 'the request id, to quote');
    assert.match(res.body, /<a class="button" href="\/app\/broken\?tab=2">Try again<\/a>/);
    assert.match(res.body, /<a class="button secondary" href="\/">Go to the home page<\/a>/);
    assert.match(res.body, /<a class="sandbox-badge" href="\/tour"/, 'the sandbox badge, in sandbox mode');
    assert.doesNotMatch(res.body, /10\.0\.0\.5|hunter2|at \//, 'no internals');
    assert.doesNotMatch(res.body, /<script|<style/, 'nothing the CSP would refuse');
  });

  it('keeps the problem document for programs and for every API path', async () => {
    const json = await app.inject({ method: 'GET', url: '/app/broken', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 500);
    assert.match(String(json.headers['content-type']), /^application\/problem\+json/);
    assert.equal(json.json().code, 'internal');
    const api = await app.inject({ method: 'GET', url: '/api/v1/broken', headers: { accept: HTML } });
    assert.equal(api.statusCode, 500);
    assert.match(String(api.headers['content-type']), /^application\/problem\+json/);
    assert.equal(api.json().requestId, api.headers['x-request-id']);
  });

  it('names an unavailable service as such (503), and leaves 4xx answers as they are', async () => {
    const down = await app.inject({ method: 'GET', url: '/app/google-down', headers: { accept: HTML } });
    assert.equal(down.statusCode, 503);
    assert.match(down.body, /<h1>LeadsCalendar cannot answer right now<\/h1>/);
    const missing = await app.inject({ method: 'GET', url: '/app/missing', headers: { accept: HTML } });
    assert.equal(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
  });

  it('never links "Try again" to another host', async () => {
    for (const url of ['//evil.example/x', '/.//evil.example/x', '/\\evil.example']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: HTML } });
      assert.equal(res.statusCode, 500, url);
      const href = /<a class="button" href="([^"]*)">Try again/.exec(res.body)?.[1];
      assert.equal(href, '/', `${url} → ${href}`);
    }
  });

  it('shows no sandbox badge outside sandbox mode', async () => {
    const live = await server();
    try {
      const res = await live.inject({ method: 'GET', url: '/app/broken', headers: { accept: HTML } });
      assert.equal(res.statusCode, 500);
      assert.doesNotMatch(res.body, /sandbox-badge/);
    } finally {
      await live.close();
    }
  });
});
