import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn } from '../support/google.ts';

/** A GET whose body arrives as sent: fetch would decode it and drop Content-Encoding's meaning. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

const pageConfig = (html: string) => JSON.parse(/<meta name="lc-config" content="([^"]*)">/.exec(html)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));

describe('operations endpoints', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('answers liveness', async () => {
    const res = await fetch(`${app.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('answers readiness from the database and the migrations', async () => {
    const ok = await fetch(`${app.url}/readyz`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok' } });

    const [row] = await app.db.db.query<{ version: string; name: string; checksum: string }>(
      'delete from schema_migrations where version = $1 returning version, name, checksum',
      ['0001'],
    );
    const pending = await fetch(`${app.url}/readyz`);
    assert.equal(pending.status, 503);
    assert.deepEqual((await pending.json()).checks.migrations, ['0001_core']);
    await app.db.db.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [row!.version, row!.name, row!.checksum]);
  });

  it('serves Prometheus metrics, including request durations by route', async () => {
    await fetch(`${app.url}/healthz`);
    const res = await fetch(`${app.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /leadscalendar_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    assert.match(text, /leadscalendar_process_cpu_seconds_total/);
  });

  it('serves the home page with strict security headers, its script from a hashed file cached for a year', async () => {
    const res = await fetch(`${app.url}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // No inline script: every script element loads a file (the CSP would refuse anything else).
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /\bsrc="\/assets\/[A-Za-z0-9_-]+-[A-Za-z0-9_-]{8,}\.js"/);
      assert.equal(body!.trim(), '');
    }
    // The server's facts for the page travel as data, in a meta tag.
    const config = pageConfig(html);
    assert.deepEqual(config.price, { amount: '1.00', currency: 'USD' });
    assert.equal(config.signedIn, false, 'a request without a session is told so: its page does not ask /api/v1/me for a 401');
    const src = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${app.url}${src}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${app.url}/assets/nothing-here1234.js`)).status, 404);
  });

  it('sends each asset compressed as the browser accepts (brotli, else gzip, else as is), from copies the build made', async () => {
    const html = await (await fetch(`${app.url}/`)).text();
    const paths = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css|svg))"/g)].map((m) => m[1]!);
    assert.ok(paths.some((p) => p.endsWith('.js')) && paths.some((p) => p.endsWith('.css')) && paths.some((p) => p.endsWith('.svg')), paths.join(' '));
    for (const path of paths) {
      const plain = await rawGet(`${app.url}${path}`, {});
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'accept-encoding');
      const br = await rawGet(`${app.url}${path}`, { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.ok(br.body.length < plain.body.length, `${path}: ${br.body.length} ≥ ${plain.body.length}`);
      assert.deepEqual(brotliDecompressSync(br.body), plain.body);
      const gz = await rawGet(`${app.url}${path}`, { 'accept-encoding': 'gzip, br;q=0' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.deepEqual(gunzipSync(gz.body), plain.body);
      const none = await rawGet(`${app.url}${path}`, { 'accept-encoding': 'identity' });
      assert.equal(none.headers['content-encoding'], undefined);
      assert.deepEqual(none.body, plain.body);
    }
    // The unhashed icon name still answers, for the pages the server writes itself.
    const icon = await fetch(`${app.url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type') ?? '', /image\/svg\+xml/);
  });

  it('tells the page whether its request carried a session', async () => {
    const { browser } = await signIn(app, { email: 'shell@example.com' });
    for (const path of ['/', '/app', '/no-such-page']) {
      const res = await browser.request(`${app.url}${path}`, { headers: { accept: 'text/html' } });
      assert.equal(pageConfig(await res.text()).signedIn, true, path);
    }
    const out = await fetch(`${app.url}/no-such-page`, { headers: { accept: 'text/html' } });
    assert.equal(pageConfig(await out.text()).signedIn, false);
  });

  it('answers a browser asking for an unknown page with the designed 404 page, and API paths with problem documents', async () => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const res = await fetch(`${app.url}/no/such/page`, { headers: html });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /<title>Page not found · LeadsCalendar<\/title>/);
    for (const path of ['/api/v1/nope', '/api/nope', '/auth/nope']) {
      const api = await fetch(`${app.url}${path}`, { headers: html });
      assert.equal(api.status, 404, path);
      assert.match(api.headers.get('content-type') ?? '', /application\/problem\+json/, path);
    }
  });

  it('answers unknown routes with a problem document carrying the request id', async () => {
    const res = await fetch(`${app.url}/no/such/page`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = await res.json();
    assert.equal(body.kind, 'not_found');
    assert.equal(body.requestId, res.headers.get('x-request-id'));
  });

  it('puts the request id on every log line of a request and redacts secrets', async () => {
    const res = await fetch(`${app.url}/healthz`, {
      headers: { 'x-request-id': 'trace-abc-123', authorization: 'Bearer very-secret-token', cookie: 'lc_session=secret-cookie' },
    });
    assert.equal(res.headers.get('x-request-id'), 'trace-abc-123');
    const lines = app.logs.filter((l) => l.requestId === 'trace-abc-123');
    assert.ok(lines.length >= 2, 'incoming and completed lines');
    // Log a request with its headers, as an error path would, and check the secrets never appear.
    app.runtime.log.info({ req: { headers: { authorization: 'Bearer very-secret-token', cookie: 'c=secret-cookie' } } }, 'probe');
    const all = JSON.stringify(app.logs);
    assert.doesNotMatch(all, /very-secret-token|secret-cookie/);
    assert.match(all, /\[redacted\]/);
  });

  it('publishes the OpenAPI document and its browsable reference', async () => {
    const doc = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
    assert.equal(doc.openapi, '3.1.0');
    // The document's former address stays a permanent redirect, so old links and bookmarks work.
    const old = await fetch(`${app.url}/openapi.json`, { redirect: 'manual' });
    assert.equal(old.status, 308);
    assert.equal(old.headers.get('location'), '/api/v1/openapi.json');
    assert.equal((await (await fetch(`${app.url}/openapi.json`)).json()).openapi, '3.1.0');
    assert.equal((await fetch(`${app.url}/api/docs/`)).status, 200);
  });
});
