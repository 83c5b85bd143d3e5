import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { consentUntilCallback } from './consent.ts';

/**
 * A reconnect keeps the signed-in account: when a signed-in person comes back from Google as
 * another Google account, nothing of that account is stored, the session and the existing
 * connection stay as they were, and the page says which account to use, with a link that offers it.
 */

describe('reconnect: the signed-in account is kept', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const connection = async (email: string) =>
    (
      await app.db.db.query<{ refresh_token_enc: Uint8Array | null; access_token_enc: Uint8Array | null; status: string; updated_at: Date }>(
        `select c.refresh_token_enc, c.access_token_enc, c.status, c.updated_at from google_connections c join users u on u.id = c.user_id where u.email = $1`,
        [email],
      )
    )[0];
  const userCount = async (email: string) => (await app.db.db.query<{ n: number }>('select count(*)::int as n from users where email = $1', [email]))[0]!.n;

  it('refuses another Google account, keeps nothing of it, and offers the right one', async () => {
    const { browser } = await signIn(app, { email: 'kept@example.com' });
    const before = await connection('kept@example.com');
    assert.ok(before?.refresh_token_enc);
    const sessionBefore = browser.cookie(app.url, 'lc_session');

    const start = `/auth/google/start?consent=1&loginHint=${encodeURIComponent('kept@example.com')}&returnTo=${encodeURIComponent('/app/settings')}`;
    const callback = await consentUntilCallback(app, browser, start, 'intruder@example.com');
    const res = await browser.request(callback.toString());
    assert.equal(res.status, 409);
    assert.match(String(res.headers.get('content-type')), /^text\/html/);
    assert.deepEqual(res.headers.getSetCookie(), [], 'the session cookie is not replaced');
    const html = await res.text();
    assert.match(html, /<h1>That is another Google account<\/h1>/);
    assert.match(html, /You signed in to Google as <strong id="google-email">intruder@example\.com<\/strong>, but this LeadsCalendar account is <strong id="account-email">kept@example\.com<\/strong>/);

    // Nothing of the other account was stored, and the person's own link is as it was.
    assert.equal(await userCount('intruder@example.com'), 0);
    const after = await connection('kept@example.com');
    assert.equal(after!.status, 'active');
    assert.deepEqual(Buffer.from(after!.refresh_token_enc!), Buffer.from(before!.refresh_token_enc!));
    assert.deepEqual(Buffer.from(after!.access_token_enc!), Buffer.from(before!.access_token_enc!));
    assert.equal(after!.updated_at.getTime(), before!.updated_at.getTime());
    // Still signed in, as the same person, with the same session.
    assert.equal(browser.cookie(app.url, 'lc_session'), sessionBefore);
    const me = await browser.json(`${app.url}/api/v1/me`);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, 'kept@example.com');

    // The retry link asks Google for the signed-in account, and goes back to where the reconnect started.
    const retry = /<a class="button" href="([^"]+)">Reconnect with kept@example\.com<\/a>/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(retry, 'a reconnect link');
    const retryUrl = new URL(retry, app.url);
    assert.equal(retryUrl.pathname, '/auth/google/start');
    assert.equal(retryUrl.searchParams.get('loginHint'), 'kept@example.com');
    assert.equal(retryUrl.searchParams.get('consent'), '1');
    assert.equal(retryUrl.searchParams.get('returnTo'), '/app/settings');
    const toGoogle = await browser.request(retryUrl.toString());
    assert.equal(new URL(toGoogle.headers.get('location')!).searchParams.get('login_hint'), 'kept@example.com');

    // Following it with the right account reconnects and lands where the reconnect started.
    const again = await consentUntilCallback(app, browser, `${retryUrl.pathname}${retryUrl.search}`, 'kept@example.com');
    const done = await browser.request(again.toString());
    assert.equal(done.status, 302, await done.clone().text());
    assert.equal(done.headers.get('location'), '/app/settings');
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.user.email, 'kept@example.com');
  });

  it('offers signing out to use the other account, with the session\'s CSRF token', async () => {
    const { browser } = await signIn(app, { email: 'switcher@example.com' });
    const callback = await consentUntilCallback(app, browser, '/auth/google/start?consent=1', 'other-one@example.com');
    const html = await (await browser.request(callback.toString())).text();
    const token = /<form method="post" action="\/auth\/logout"[^>]*><input type="hidden" name="_csrf" value="([^"]+)">/.exec(html)?.[1];
    assert.ok(token, 'a sign-out form');
    const out = await browser.request(`${app.url}/auth/logout`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: token }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(out.status, 303);
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).status, 401);
    // Signed out, the other account signs in as itself (with the consent screen: the refused round
    // trip kept no refresh token of it, and Google hands one out only there).
    const callback2 = await consentUntilCallback(app, browser, '/auth/google/start?consent=1', 'other-one@example.com');
    assert.equal((await browser.request(callback2.toString())).status, 302);
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.user.email, 'other-one@example.com');
  });

  it('does not bind a sign-in started without a session: anyone may sign in as themselves', async () => {
    const browser = new Browser();
    const callback = await consentUntilCallback(app, browser, '/auth/google/start', 'fresh@example.com');
    assert.equal((await browser.request(callback.toString())).status, 302);
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.user.email, 'fresh@example.com');
  });
});
