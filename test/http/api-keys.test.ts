import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { apiPost, signIn } from '../support/google.ts';

/**
 * Credentials for servers: API keys and OAuth 2.0 client credentials, used as
 * `Authorization: Bearer` instead of a session cookie and its CSRF token. Each only ever acts for
 * its owner, a read credential changes nothing, a revoked one stops at once, and no secret is
 * stored or logged in clear.
 */

const event = { title: 'From a server', timeZone: 'Europe/Paris', start: '2031-05-04T12:00', end: '2031-05-04T13:00' };

let app: TestApp;
let ada: Browser;
let bob: Browser;

before(async () => {
  app = await startTestApp();
  ada = (await signIn(app, { email: 'ada-keys@example.com' })).browser;
  bob = (await signIn(app, { email: 'bob-keys@example.com' })).browser;
});
after(() => app?.close());

async function bearer(token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

async function newKey(browser: Browser, scope: 'read' | 'write', name = `${scope} key`) {
  const created = await apiPost(app, browser, '/api/v1/api-keys', { name, scope });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: string; secret: string; prefix: string; scope: string };
}

function token(body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${app.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('API keys', () => {
  it('are shown once, stored as a digest, and listed without their secret', async () => {
    const key = await newKey(ada, 'read', 'CRM sync');
    assert.match(key.secret, /^lc_test_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, 'sandbox mode makes test keys');
    assert.ok(key.secret.startsWith(`${key.prefix}_`));
    const list = await ada.json(`${app.url}/api/v1/api-keys`);
    assert.equal(list.status, 200);
    const listed = list.body.apiKeys.find((k: { id: string }) => k.id === key.id);
    assert.equal(listed.name, 'CRM sync');
    assert.equal(listed.scope, 'read');
    assert.ok(!JSON.stringify(list.body).includes(key.secret.slice(-43)), 'the list never shows a secret');
    const rows = await app.db.db.query<Record<string, unknown>>('select * from api_keys where id = $1', [key.id]);
    assert.ok(!JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)).includes(key.secret.slice(-43)), 'the database holds no clear secret');
  });

  it('authenticate without a cookie or CSRF token; a read key reads and is refused changes with insufficient_scope', async () => {
    const read = await newKey(ada, 'read');
    const me = await bearer(read.secret, '/api/v1/me');
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user.email, 'ada-keys@example.com');
    assert.equal(me.body.csrfToken, null, 'a bearer credential needs no CSRF token');
    assert.equal((await bearer(read.secret, '/api/v1/events')).status, 200);
    const refused = await bearer(read.secret, '/api/v1/events', { method: 'POST', body: JSON.stringify(event) });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'insufficient_scope');
    assert.match(refused.headers.get('content-type')!, /^application\/problem\+json/);
    const asked = await bearer(read.secret, '/api/v1/availability', { method: 'POST', body: JSON.stringify({ timeZone: 'Europe/Paris', start: event.start, end: event.end }) });
    assert.equal(asked.status, 200, `a check changes nothing, so a read key may ask: ${JSON.stringify(asked.body)}`);
  });

  it('a write key creates events, with no CSRF token', async () => {
    const write = await newKey(ada, 'write');
    const created = await bearer(write.secret, '/api/v1/events', { method: 'POST', body: JSON.stringify(event) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const own = await ada.json(`${app.url}/api/v1/events/${created.body.event.id}`);
    assert.equal(own.status, 200, 'the event belongs to the key’s owner');
  });

  it('a key only ever sees its owner’s events: another person’s is 404', async () => {
    const bobs = await apiPost(app, bob, '/api/v1/events', { ...event, title: 'Bob’s' });
    assert.equal(bobs.status, 201);
    const adaKey = await newKey(ada, 'write');
    for (const [method, path] of [
      ['GET', `/api/v1/events/${bobs.body.event.id}`],
      ['GET', `/api/v1/events/${bobs.body.event.id}/payments`],
      ['POST', `/api/v1/events/${bobs.body.event.id}/cancel`],
      ['POST', `/api/v1/events/${bobs.body.event.id}/payments`],
    ] as const) {
      const res = await bearer(adaKey.secret, path, { method, ...(method === 'POST' ? { body: JSON.stringify(path.endsWith('payments') ? { provider: 'paypal' } : {}) } : {}) });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    const list = await bearer(adaKey.secret, '/api/v1/events?limit=100');
    assert.ok(!list.body.events.some((e: { id: string }) => e.id === bobs.body.event.id));
    // Nor another person's keys.
    const bobKey = await newKey(bob, 'read');
    const revoke = await bearer(adaKey.secret, `/api/v1/api-keys/${bobKey.id}`, { method: 'DELETE' });
    assert.equal(revoke.status, 404);
    assert.equal((await bearer(bobKey.secret, '/api/v1/me')).status, 200);
  });

  it('records when a key was last used', async () => {
    const key = await newKey(ada, 'read');
    const before = (await ada.json(`${app.url}/api/v1/api-keys`)).body.apiKeys.find((k: { id: string }) => k.id === key.id);
    assert.equal(before.lastUsedAt, null);
    await bearer(key.secret, '/api/v1/events');
    const after = (await ada.json(`${app.url}/api/v1/api-keys`)).body.apiKeys.find((k: { id: string }) => k.id === key.id);
    assert.ok(after.lastUsedAt && Date.now() - Date.parse(after.lastUsedAt) < 60_000, JSON.stringify(after));
  });

  it('a revoked key is refused at once (401), and unknown or malformed credentials too', async () => {
    const key = await newKey(ada, 'write');
    assert.equal((await bearer(key.secret, '/api/v1/events')).status, 200);
    const csrf = (await ada.json(`${app.url}/api/v1/me`)).body.csrfToken;
    const revoked = await ada.json(`${app.url}/api/v1/api-keys/${key.id}`, { method: 'DELETE', headers: { 'x-csrf-token': csrf } });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.ok(revoked.body.revokedAt);
    const refused = await bearer(key.secret, '/api/v1/events');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 'unauthorized');
    assert.equal((await bearer(`${key.secret.slice(0, -1)}A`, '/api/v1/events')).status, 401);
    assert.equal((await bearer('lc_live_0123456789ab_' + 'A'.repeat(43), '/api/v1/events')).status, 401, 'a live key in sandbox mode');
    assert.equal((await bearer('nonsense', '/api/v1/events')).status, 401);
    const wrongScheme = await fetch(`${app.url}/api/v1/events`, { headers: { authorization: `Basic ${key.secret}` } });
    assert.equal(wrongScheme.status, 401);
  });

  it('a session still needs its CSRF token for changes (the bearer exemption is for bearers only)', async () => {
    const res = await ada.json(`${app.url}/api/v1/api-keys`, { method: 'POST', body: JSON.stringify({ scope: 'read' }) });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'forbidden');
  });
});

describe('OAuth 2.0 client credentials', () => {
  let client: { id: string; clientId: string; clientSecret: string; scopes: string[] };
  before(async () => {
    const created = await apiPost(app, ada, '/api/v1/oauth-clients', { name: 'Billing', scopes: ['read', 'write'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    client = created.body;
  });

  it('issues a short-lived bearer token to a client authenticated with HTTP Basic', async () => {
    const res = await token({ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, client.clientSecret) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'read write');
    const created = await bearer(body.access_token, '/api/v1/events', { method: 'POST', body: JSON.stringify(event) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const list = await ada.json(`${app.url}/api/v1/oauth-clients`);
    assert.ok(list.body.oauthClients.find((c: { id: string }) => c.id === client.id).lastUsedAt);
    assert.ok(!JSON.stringify(list.body).includes(client.clientSecret));
  });

  it('takes the credentials in the body too, and narrows the scope on request', async () => {
    const res = await token({ grant_type: 'client_credentials', scope: 'read', client_id: client.clientId, client_secret: client.clientSecret });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.scope, 'read');
    const refused = await bearer(body.access_token, '/api/v1/events', { method: 'POST', body: JSON.stringify(event) });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'insufficient_scope');
  });

  it('answers RFC 6749 §5.2 errors', async () => {
    const cases: [Record<string, string>, Record<string, string>, number, string][] = [
      [{ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, 'wrong') }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'wrong' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'password', client_id: client.clientId, client_secret: client.clientSecret }, {}, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials', scope: 'admin', client_id: client.clientId, client_secret: client.clientSecret }, {}, 400, 'invalid_scope'],
      [{ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }, { authorization: basic(client.clientId, client.clientSecret) }, 400, 'invalid_request'],
    ];
    for (const [body, headers, status, error] of cases) {
      const res = await token(body, headers);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${error}`);
      const json = await res.json();
      assert.equal(json.error, error);
      assert.equal(typeof json.error_description, 'string');
    }
    const challenged = await token({ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, 'wrong') });
    assert.match(challenged.headers.get('www-authenticate') ?? '', /^Basic /);
    const asJson = await fetch(`${app.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
    assert.equal(asJson.status, 400);
    assert.equal((await asJson.json()).error, 'invalid_request');
  });

  it('revoking the client ends its tokens at once', async () => {
    const other = (await apiPost(app, ada, '/api/v1/oauth-clients', { scopes: ['read'] })).body;
    const t = await (await token({ grant_type: 'client_credentials', client_id: other.clientId, client_secret: other.clientSecret })).json();
    assert.equal((await bearer(t.access_token, '/api/v1/events')).status, 200);
    const csrf = (await ada.json(`${app.url}/api/v1/me`)).body.csrfToken;
    assert.equal((await ada.json(`${app.url}/api/v1/oauth-clients/${other.id}`, { method: 'DELETE', headers: { 'x-csrf-token': csrf } })).status, 200);
    assert.equal((await bearer(t.access_token, '/api/v1/events')).status, 401);
    assert.equal((await token({ grant_type: 'client_credentials', client_id: other.clientId, client_secret: other.clientSecret })).status, 401);
  });

  it('an expired token is refused', async () => {
    const t = await (await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })).json();
    await app.db.db.query(`update oauth_access_tokens set expires_at = now() - interval '1 second'`);
    const res = await bearer(t.access_token, '/api/v1/events');
    assert.equal(res.status, 401);
    assert.match(res.body.detail, /expired/);
  });
});

describe('secrets never reach the log', () => {
  it('no key, client secret or access token appears in any log line', async () => {
    const key = await newKey(ada, 'write');
    await bearer(key.secret, '/api/v1/events');
    await bearer(key.secret, '/api/v1/nope');
    // A failing request logs its error; the key must not be in it either.
    await bearer(`${key.secret}x`, '/api/v1/events');
    const c = (await apiPost(app, ada, '/api/v1/oauth-clients', { scopes: ['read'] })).body;
    const t = await (await token({ grant_type: 'client_credentials' }, { authorization: basic(c.clientId, c.clientSecret) })).json();
    await bearer(t.access_token, '/api/v1/events');
    const logs = JSON.stringify(app.logs);
    for (const secret of [key.secret, c.clientSecret, t.access_token]) {
      assert.ok(!logs.includes(secret.slice(-20)), `a secret reached the log: ${secret.slice(0, 12)}…`);
    }
  });
});

describe('the log redaction knows LeadsCalendar’s own credentials', () => {
  it('replaces a key, client secret or access token quoted in any text', async () => {
    const { redactLogValue, REDACTED } = await import('../../src/observability/logger.ts');
    const key = `lc_test_0123456789ab_${'k'.repeat(43)}`;
    const secret = `lcs_live_${'s'.repeat(43)}`;
    const access = `lct_test_${'t'.repeat(43)}`;
    const line = redactLogValue({ msg: `rejected ${key} and ${secret}`, err: { message: `token ${access} expired` }, clientId: 'lcc_test_0123456789abcdef' }) as Record<string, any>;
    assert.equal(line.msg, `rejected lc_test_0123456789ab_${REDACTED} and lcs_live_${REDACTED}`);
    assert.equal(line.err.message, `token lct_test_${REDACTED} expired`);
    assert.equal(line.clientId, 'lcc_test_0123456789abcdef', 'a client id is not a secret');
  });
});
