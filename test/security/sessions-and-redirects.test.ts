import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { csrf, signIn } from '../support/google.ts';
import { consentUntilCallback } from '../auth/consent.ts';

/**
 * Session fixation, and open redirects through every URL the app sends a browser back to.
 * (The sign-in returnTo is covered value by value in test/auth/sign-in-redirects.test.ts.)
 */

const HOSTILE = [
  '//evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  'https://evil.example/app',
  'http:evil.example',
  '/%2F%2Fevil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  '/\t/evil.example',
  'javascript:alert(1)',
];

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app?.close());

const me = (cookieValue: string) => fetch(`${app.url}/api/v1/me`, { headers: { cookie: `lc_session=${cookieValue}` } }).then((r) => r.status);

/** Where a Location header sends a browser, and whether it is a plain path on our origin. */
function assertStaysHome(location: string | null, what: string) {
  assert.ok(location, `${what}: no Location`);
  assert.equal(new URL(location, app.url).origin, new URL(app.url).origin, `${what}: sent to ${location}`);
  assert.match(location, /^\/(?![/\\])/, `${what}: Location ${JSON.stringify(location)} is a plain absolute path`);
  assert.doesNotMatch(location, /[\\\s]/, what);
}

describe('session fixation', () => {
  it('the session id a browser held before sign-in is not the one after, and no longer works', async () => {
    const browser = new Browser();
    // The first visit to the sign-in start gives an anonymous session (an attacker can get one too).
    const start = await browser.request(`${app.url}/auth/google/start`);
    assert.equal(start.status, 302);
    const before = browser.cookie(app.url, 'lc_session');
    assert.ok(before, 'an anonymous session before sign-in');
    assert.equal(await me(before), 401);

    await signIn(app, { email: 'fixation@example.com' }, browser);
    const afterSignIn = browser.cookie(app.url, 'lc_session');
    assert.ok(afterSignIn);
    assert.notEqual(afterSignIn, before, 'sign-in issues a new session id');
    assert.equal(await me(afterSignIn), 200);
    assert.equal(await me(before), 401, 'the planted id did not become signed in');
  });

  it('a session id planted in the victim’s browser by an attacker gains nothing when the victim signs in', async () => {
    const attacker = new Browser();
    await attacker.request(`${app.url}/auth/google/start`);
    const planted = attacker.cookie(app.url, 'lc_session')!;
    // The victim's browser carries the attacker's cookie from its first request on.
    const victim = new Browser();
    const first = await victim.request(`${app.url}/auth/google/start`, { headers: { cookie: `lc_session=${planted}` } });
    assert.equal(first.status, 302);
    assert.deepEqual(first.headers.getSetCookie(), [], 'the planted session was used as it was');
    const sandboxUrl = app.runtime.sandbox.url;
    // Continue the round trip with the planted cookie (the Browser keeps no cookie of ours yet).
    const consent = await victim.go(first.headers.get('location')!);
    assert.ok(victim.lastUrl.startsWith(sandboxUrl) || victim.lastUrl.startsWith(app.url));
    const { consentBody } = await import('../sandbox/google-helpers.ts');
    const { action, body } = consentBody(await consent.text(), { typeEmail: 'victim@example.com' });
    let res = await victim.request(new URL(action, sandboxUrl).toString(), { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    let url = new URL(action, sandboxUrl);
    while ([302, 303].includes(res.status)) {
      url = new URL(res.headers.get('location')!, url);
      const headers: Record<string, string> = url.origin === new URL(app.url).origin ? { cookie: `lc_session=${planted}` } : {};
      res = await fetch(url, { headers, redirect: 'manual' });
      if (url.pathname === '/auth/google/callback') break;
    }
    assert.equal(url.pathname, '/auth/google/callback');
    assert.equal(res.status, 302, await res.clone().text());
    const issued = /lc_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1];
    assert.ok(issued && issued !== planted, 'the victim got a session of their own');
    assert.equal(await me(issued), 200);
    assert.equal(await me(planted), 401, 'the attacker’s copy is not signed in as the victim');
  });
});

describe('open redirects', () => {
  it('reconnecting (signed in) goes back only to a path on our origin', async () => {
    const { browser } = await signIn(app, { email: 'reconnect-redirect@example.com' });
    for (const hostile of HOSTILE) {
      const start = `/auth/google/start?consent=1&loginHint=${encodeURIComponent('reconnect-redirect@example.com')}&returnTo=${encodeURIComponent(hostile)}`;
      const callback = await consentUntilCallback(app, browser, start, 'reconnect-redirect@example.com');
      const res = await browser.request(callback.toString());
      assert.equal(res.status, 302, `${hostile}: ${await res.clone().text()}`);
      assertStaysHome(res.headers.get('location'), `reconnect with returnTo=${JSON.stringify(hostile)}`);
    }
  });

  it('PayPal’s and Binance’s return and cancel URLs send the browser to our own pages only, whatever the query', async () => {
    const { browser } = await signIn(app, { email: 'return-redirect@example.com' });
    const created = await browser.json(`${app.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'x-csrf-token': await csrf(app, browser) },
      body: JSON.stringify({ title: 'Redirects', timeZone: 'UTC', start: '2031-05-04T12:00', end: '2031-05-04T13:00' }),
    });
    const eventId = created.body.event.id;
    for (const provider of ['paypal', 'binance']) {
      const payment = await browser.json(`${app.url}/api/v1/events/${eventId}/payments`, {
        method: 'POST',
        headers: { 'x-csrf-token': await csrf(app, browser) },
        body: JSON.stringify({ provider }),
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      for (const path of ['return', 'cancel']) {
        for (const hostile of HOSTILE) {
          const q = new URLSearchParams({ payment: payment.body.id, returnTo: hostile, redirect: hostile, next: hostile, url: hostile, return_url: hostile });
          const res = await browser.request(`${app.url}/payments/${provider}/${path}?${q}`);
          assert.ok([302, 303].includes(res.status), `${provider}/${path}: ${res.status}`);
          const location = res.headers.get('location');
          assertStaysHome(location, `${provider}/${path} with ${JSON.stringify(hostile)}`);
          assert.ok(location === `/app/events/${eventId}` || location === '/app', location!);
        }
      }
    }
  });

  it('a caller cannot choose the return URL a provider sends the payer to', async () => {
    const { browser } = await signIn(app, { email: 'return-url@example.com' });
    const token = await csrf(app, browser);
    const created = await browser.json(`${app.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'x-csrf-token': token },
      body: JSON.stringify({ title: 'Return URL', timeZone: 'UTC', start: '2031-05-04T12:00', end: '2031-05-04T13:00' }),
    });
    for (const field of ['returnUrl', 'return_url', 'cancelUrl', 'redirectUrl']) {
      const res = await browser.json(`${app.url}/api/v1/events/${created.body.event.id}/payments`, {
        method: 'POST',
        headers: { 'x-csrf-token': token },
        body: JSON.stringify({ provider: 'paypal', [field]: 'https://evil.example/' }),
      });
      assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.errors.some((e: { path: string; code: string }) => e.path === `body/${field}` && e.code === 'unrecognized_field'), field);
    }
  });

  it('signing out goes home, whatever the query', async () => {
    const { browser } = await signIn(app, { email: 'logout-redirect@example.com' });
    const token = await csrf(app, browser);
    const res = await browser.request(`${app.url}/auth/logout?returnTo=${encodeURIComponent('//evil.example')}&next=https://evil.example`, {
      method: 'POST',
      headers: { 'x-csrf-token': token },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/');
  });
});
