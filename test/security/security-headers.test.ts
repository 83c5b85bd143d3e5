import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { rawRequest } from './raw-http.ts';

/**
 * The security headers on every kind of answer: an HTML page (signed out and in), the designed 404
 * page, JSON, a problem document (from a route, from Fastify before any route, from Node before
 * Fastify), a static asset, a redirect, a provider webhook's answer and the OpenAPI document.
 * HSTS only where the public URL is https (over http a browser ignores it, and it would pin a
 * name that has no certificate).
 */

type Answer = { status: number; headers: Record<string, string> };

async function answers(app: TestApp, browser: Browser): Promise<Record<string, Answer>> {
  const get = async (path: string, init: RequestInit = {}, withCookie = false): Promise<Answer> => {
    const res = withCookie ? await browser.request(`${app.url}${path}`, init) : await fetch(`${app.url}${path}`, { redirect: 'manual', ...init });
    await res.arrayBuffer();
    return { status: res.status, headers: Object.fromEntries(res.headers) };
  };
  const home = await fetch(`${app.url}/`).then((r) => r.text());
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(home)?.[1];
  assert.ok(asset, 'the home page loads a hashed script');
  const host = new URL(app.url).host;
  const raw = async (bytes: string): Promise<Answer> => rawRequest(app.url, bytes);
  return {
    'HTML page': await get('/'),
    'HTML page, signed in': await get('/app', {}, true),
    '404 page': await get('/no-such-page', { headers: { accept: 'text/html' } }),
    JSON: await get('/api/v1/me', {}, true),
    'problem (route)': await get('/api/v1/events/not-a-uuid', {}, true),
    'problem (no route)': await get('/api/v1/nope'),
    'problem (URL Fastify cannot decode)': await raw(`GET /api/v1/events/%ZZ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    'problem (headers too large, from Node)': await raw(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    'problem (broken framing, from Node)': await raw(`POST /api/v1/events HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\n\r\n`),
    'static asset': await get(asset!),
    favicon: await get('/favicon.svg'),
    redirect: await get('/auth/google/start'),
    'webhook answer': await get('/webhooks/paypal', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    'OpenAPI document': await get('/openapi.json'),
  };
}

function assertHeaders(name: string, a: Answer, https: boolean) {
  const h = a.headers;
  assert.equal(h['x-content-type-options'], 'nosniff', `${name} (${a.status}): X-Content-Type-Options`);
  const csp = h['content-security-policy'] ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${name} (${a.status}): CSP frame-ancestors, got ${JSON.stringify(csp)}`);
  assert.match(csp, /default-src '(self|none)'/, `${name}: CSP default-src`);
  assert.ok(['DENY', 'SAMEORIGIN'].includes(h['x-frame-options'] ?? ''), `${name} (${a.status}): X-Frame-Options ${h['x-frame-options']}`);
  assert.match(h['referrer-policy'] ?? '', /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/, `${name}: Referrer-Policy`);
  if (https) assert.match(h['strict-transport-security'] ?? '', /max-age=\d{7,}/, `${name} (${a.status}): HSTS`);
  else assert.equal(h['strict-transport-security'], undefined, `${name}: no HSTS over http`);
}

for (const https of [false, true]) {
  describe(`security headers on every kind of answer (${https ? 'https' : 'http'} public URL)`, () => {
    let app: TestApp;
    let browser: Browser;
    before(async () => {
      app = await startTestApp(https ? { env: { PUBLIC_BASE_URL: 'https://lc.example' } } : {});
      // Behind https the session cookie is __Host- and Secure: sign in over http only where it works.
      browser = https ? new Browser() : (await signIn(app, { email: 'headers@example.com' })).browser;
    });
    after(() => app?.close());

    it('each carries them', async () => {
      const all = await answers(app, browser);
      const missing: string[] = [];
      for (const [name, a] of Object.entries(all)) {
        try {
          assertHeaders(name, a, https);
        } catch (err) {
          missing.push((err as Error).message.split('\n')[0]!);
        }
      }
      assert.deepEqual(missing, []);
    });
  });
}
