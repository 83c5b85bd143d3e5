import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { idKind, person, routeTable, type Person } from './world.ts';

/**
 * Access control over every route of Fastify's route table, so that a route added later is
 * covered without a change here: another person's objects answer 404 through every route that
 * takes an id, with a session and with an API key; every cookie-authenticated change needs the
 * CSRF token.
 */

/** A body each route accepts, so that only ownership (or the CSRF token) can refuse the request. */
const VALID_BODY: Record<string, unknown> = {
  'POST /api/v1/events/:id/payments': { provider: 'binance' },
  'PATCH /api/v1/webhook-endpoints/:id': { enabled: false },
};

/** State-changing routes not authenticated by the session cookie, and why. */
const NOT_COOKIE_AUTHENTICATED = new Set([
  'POST /oauth/token', // the client authenticates itself (HTTP Basic or its secret in the body)
  'POST /webhooks/paypal', // signed by PayPal, verified before anything is read
  'POST /webhooks/binance', // signed by Binance Pay, verified before anything is read
  'POST /api/v1/recurrence/preview', // public and changes nothing: no credential at all
]);

let app: TestApp;
let owner: Person;
let intruder: Person;

before(async () => {
  // The owner is an admin, so the admin routes are theirs to change (and need the CSRF token too).
  app = await startTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '100000', ADMIN_EMAILS: 'owner@example.com' } });
  owner = await person(app, 'owner@example.com');
  intruder = await person(app, 'intruder@example.com');
});
after(() => app?.close());

type Credential = 'session' | 'api key';

async function call(as: Person, via: Credential, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> =
    via === 'session' ? { cookie: as.browser.cookieHeader(app.url)!, 'x-csrf-token': as.csrfToken } : { authorization: `Bearer ${as.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** The /api/v1 routes that name one object by id (pages under /app are shells that fetch these). */
const idRoutes = () => routeTable(app).filter((r) => r.url.startsWith('/api/v1/') && r.url.includes(':id'));

describe('another person’s objects answer 404 through every route that takes an id', () => {
  for (const via of ['session', 'api key'] as const) {
    it(`with a ${via}: reads and changes alike, and nothing of the owner's changes`, async () => {
      const routes = idRoutes();
      assert.ok(routes.length >= 15, `${routes.length} routes with an id`);
      const kinds = new Set<string>();
      for (const r of routes) {
        const kind = idKind(r.url)!;
        kinds.add(kind);
        const path = r.url.replace(':id', owner.ids[kind]);
        const key = `${r.method} ${r.url}`;
        const res = await call(intruder, via, r.method, path, VALID_BODY[key] ?? (r.method === 'GET' || r.method === 'DELETE' ? undefined : {}));
        assert.equal(res.status, 404, `${key} as another person: ${res.status} ${JSON.stringify(res.body)}`);
        assert.match(res.type, /^application\/problem\+json/, key);
        assert.equal(res.body.code, 'not_found', key);
        // Exactly like an id that does not exist: ids cannot be probed.
        const nobodys = '3f6c1a52-0000-4000-8000-000000000001';
        const unknown = await call(intruder, via, r.method, r.url.replace(':id', nobodys), VALID_BODY[key] ?? (r.method === 'GET' || r.method === 'DELETE' ? undefined : {}));
        assert.equal(unknown.status, 404, key);
        assert.equal(unknown.body.detail.replace(nobodys, '<id>'), res.body.detail.replace(owner.ids[kind], '<id>'), `${key}: the same answer as for an unknown id`);
      }
      assert.deepEqual([...kinds].sort(), ['apiKey', 'event', 'oauthClient', 'payment', 'webhookDelivery', 'webhookEndpoint']);

      // The owner's objects are as they were.
      const event = await call(owner, 'session', 'GET', `/api/v1/events/${owner.ids.event}`);
      assert.equal(event.body.state, 'pending_payment');
      const payments = await call(owner, 'session', 'GET', `/api/v1/events/${owner.ids.event}/payments`);
      assert.deepEqual(payments.body.payments.map((p: { id: string }) => p.id), [owner.ids.payment]);
      const keys = await call(owner, 'session', 'GET', '/api/v1/api-keys');
      assert.equal(keys.body.apiKeys.find((k: { id: string }) => k.id === owner.ids.apiKey).revokedAt, null);
      const clients = await call(owner, 'session', 'GET', '/api/v1/oauth-clients');
      assert.equal(clients.body.oauthClients.find((c: { id: string }) => c.id === owner.ids.oauthClient).revokedAt, null);
      const endpoint = await call(owner, 'session', 'GET', `/api/v1/webhook-endpoints/${owner.ids.webhookEndpoint}`);
      assert.equal(endpoint.body.enabled, true);
      const deliveries = await call(owner, 'session', 'GET', `/api/v1/webhook-endpoints/${owner.ids.webhookEndpoint}/deliveries`);
      assert.ok(deliveries.body.deliveries.some((d: { id: string }) => d.id === owner.ids.webhookDelivery));
    });
  }
});

describe('CSRF: every cookie-authenticated change needs the session’s token', () => {
  const changes = () => routeTable(app).filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !NOT_COOKIE_AUTHENTICATED.has(`${r.method} ${r.url}`));

  for (const [name, token] of [
    ['without the token', undefined],
    ['with a wrong token', 'x'.repeat(32)],
    ['with the token of another session', 'intruder'],
  ] as const) {
    it(`refuses each with 403 ${name}, before the body is read`, async () => {
      const routes = changes();
      assert.ok(routes.some((r) => r.url === '/auth/logout') && routes.length >= 15, routes.map((r) => `${r.method} ${r.url}`).join(', '));
      for (const r of routes) {
        const kind = r.url.includes(':id') ? idKind(r.url) : null;
        const path = kind ? r.url.replace(':id', owner.ids[kind]) : r.url;
        const key = `${r.method} ${r.url}`;
        const headers: Record<string, string> = { cookie: owner.browser.cookieHeader(app.url)!, 'content-type': 'application/json' };
        if (token) headers['x-csrf-token'] = token === 'intruder' ? intruder.csrfToken : token;
        const res = await fetch(`${app.url}${path}`, { method: r.method, headers, redirect: 'manual', body: JSON.stringify(VALID_BODY[key] ?? {}) });
        if (r.url === '/auth/logout') {
          // A page route: it answers with a redirect either way, and signs nobody out.
          assert.equal(res.status, 303);
          continue;
        }
        const body = await res.json();
        assert.equal(res.status, 403, `${key} ${name}: ${res.status} ${JSON.stringify(body)}`);
        assert.equal(body.code, 'forbidden', key);
      }
      // Still signed in, and nothing changed.
      const me = await call(owner, 'session', 'GET', '/api/v1/me');
      assert.equal(me.status, 200, 'the logout without its token signed nobody out');
      assert.equal((await call(owner, 'session', 'GET', `/api/v1/events/${owner.ids.event}`)).body.state, 'pending_payment');
      assert.equal((await call(owner, 'session', 'GET', `/api/v1/webhook-endpoints/${owner.ids.webhookEndpoint}`)).body.enabled, true);
    });
  }

  it('a form post from another site (urlencoded, no token) is refused too', async () => {
    const res = await fetch(`${app.url}/api/v1/events`, {
      method: 'POST',
      headers: { cookie: owner.browser.cookieHeader(app.url)!, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'title=x&timeZone=UTC&start=2031-05-04T12:00&end=2031-05-04T13:00',
    });
    assert.equal(res.status, 403);
  });
});
