import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { apiPost, sandboxJson, signIn } from '../support/google.ts';
import { S } from '../sandbox/google-helpers.ts';

describe('Google sign-in', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('asks Google for offline access with PKCE S256, a state and the narrowest scopes', async () => {
    const b = new Browser();
    const res = await b.request(`${app.url}/auth/google/start`);
    assert.equal(res.status, 302);
    const u = new URL(res.headers.get('location')!);
    assert.equal(u.pathname, '/o/oauth2/v2/auth');
    assert.equal(u.searchParams.get('access_type'), 'offline');
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.match(u.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(u.searchParams.get('state')!, /^[A-Za-z0-9_-]{40,}$/);
    assert.deepEqual(u.searchParams.get('scope')!.split(' ').sort(), ['email', 'openid', S.calendarListReadonly, S.eventsOwned, S.freebusy].sort());
    assert.ok(b.cookie(app.url, 'lc_session'), 'the state is bound to a browser session');
    const cookie = res.headers.getSetCookie().join(';');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
  });

  it('signs in, keys the user by Google sub, and stores the refresh token encrypted', async () => {
    const { browser, final } = await signIn(app, { email: 'grace@example.com' });
    assert.equal(final.status, 200);
    assert.ok(browser.lastUrl.endsWith('/app'), browser.lastUrl);
    const me = await browser.json(`${app.url}/api/v1/me`);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'grace@example.com');
    assert.equal(me.body.google.status, 'active');
    assert.deepEqual(me.body.google.missingScopes, []);

    const users = (await sandboxJson(app, '/__sandbox/google/users')).body.users;
    const sandboxUser = users.find((u: { email: string }) => u.email === 'grace@example.com');
    const [row] = await app.db.db.query<{ google_sub: string; refresh_token_enc: Uint8Array }>(
      `select u.google_sub, c.refresh_token_enc from users u join google_connections c on c.user_id = u.id where u.email = $1`,
      ['grace@example.com'],
    );
    assert.equal(row!.google_sub, sandboxUser.sub);
    assert.notEqual(row!.google_sub, 'grace@example.com');
    const stored = Buffer.from(row!.refresh_token_enc);
    assert.ok(stored.length > 40);
    assert.ok(!stored.toString('latin1').includes('1//'), 'no refresh token in clear');
  });

  it('ends a denied consent on a page that says so', async () => {
    const { final } = await signIn(app, { email: 'denies@example.com', decision: 'deny' });
    assert.equal(final.status, 403);
    assert.match(await final.text(), /You did not grant access/);
  });

  it('ends an unticked permission on a page naming what is missing, and signs nobody in', async () => {
    const { final, browser } = await signIn(app, { email: 'unticks@example.com', untick: [S.freebusy] });
    assert.equal(final.status, 403);
    const html = await final.text();
    assert.match(html, /Some permissions were not granted/);
    assert.match(html, /calendar\.freebusy/);
    assert.doesNotMatch(html, /calendar\.events\.owned<\/code>/);
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).status, 401);
  });

  it('refuses a callback whose state does not match the browser session', async () => {
    const b = new Browser();
    await b.request(`${app.url}/auth/google/start`);
    const res = await b.request(`${app.url}/auth/google/callback?code=x&state=forged-state`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<h1>Sign-in refused<\/h1>/);
  });

  it('refuses a callback from a browser that never started a sign-in', async () => {
    const res = await new Browser().request(`${app.url}/auth/google/callback?code=x&state=y`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /expired/);
  });

  it('refuses API calls without a session, and POSTs without the CSRF token', async () => {
    assert.equal((await new Browser().json(`${app.url}/api/v1/events`)).status, 401);
    const { browser } = await signIn(app, { email: 'csrf@example.com' });
    const res = await browser.json(`${app.url}/api/v1/google/disconnect`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /CSRF/);
  });

  it('disconnects: revokes the grant at Google and forgets the tokens', async () => {
    const { browser } = await signIn(app, { email: 'leaves@example.com' });
    const res = await apiPost(app, browser, '/api/v1/google/disconnect', {});
    assert.equal(res.status, 204);
    const me = await browser.json(`${app.url}/api/v1/me`);
    assert.equal(me.body.google.status, 'revoked');
    const [row] = await app.db.db.query<{ refresh_token_enc: unknown; access_token_enc: unknown }>(
      `select c.refresh_token_enc, c.access_token_enc from google_connections c join users u on u.id = c.user_id where u.email = $1`,
      ['leaves@example.com'],
    );
    assert.equal(row!.refresh_token_enc, null);
    assert.equal(row!.access_token_enc, null);
    const grants = (await sandboxJson(app, '/__sandbox/state')).body.google.grants.filter((g: { user: string }) => g.user === 'leaves@example.com');
    assert.ok(grants.length > 0 && grants.every((g: { revokedAt: string | null }) => g.revokedAt !== null), JSON.stringify(grants));
  });

  it('lists only the calendars the user owns, primary first', async () => {
    const { browser } = await signIn(app, { email: 'lister@example.com' });
    const res = await browser.json(`${app.url}/api/v1/calendars`);
    assert.equal(res.status, 200);
    const cals = res.body.calendars as { id: string; primary: boolean }[];
    assert.ok(cals.length >= 2, JSON.stringify(cals));
    assert.equal(cals[0]!.primary, true);
    assert.equal(cals[0]!.id, 'lister@example.com');
    const all = (await sandboxJson(app, '/__sandbox/google/users')).body.users.find((u: { email: string }) => u.email === 'lister@example.com').calendars;
    const notOwned = all.filter((c: { accessRole: string }) => c.accessRole !== 'owner').map((c: { id: string }) => c.id);
    assert.ok(notOwned.length > 0, 'the sandbox user sees a calendar they do not own');
    for (const id of notOwned) assert.ok(!cals.some((c) => c.id === id), `${id} is not the user's own`);
  });
});
