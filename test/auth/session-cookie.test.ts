import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { consentUntilCallback } from './consent.ts';

/**
 * Behind https the session cookie is `__Host-lc_session`, and browsers ignore any Set-Cookie of a
 * __Host- cookie without Secure, with a Path other than / or with a Domain — including the one
 * that clears it on sign-out, which would otherwise leave the session cookie in place.
 */

// TLS ends at a proxy in front of the app: the public URL is https, the app itself speaks http.
const PUBLIC = 'https://127.0.0.1:3400';

function attributes(setCookie: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair, ...rest] = setCookie.split(';');
  const eq = pair!.indexOf('=');
  const attrs = new Map(rest.map((a) => {
    const [k, ...v] = a.trim().split('=');
    return [k!.toLowerCase(), v.join('=')] as [string, string];
  }));
  return { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1), attrs };
}

function assertHostPrefixRules(setCookie: string) {
  const c = attributes(setCookie);
  assert.equal(c.name, '__Host-lc_session');
  assert.ok(c.attrs.has('secure'), `Secure missing: ${setCookie}`);
  assert.equal(c.attrs.get('path'), '/', `Path=/ missing: ${setCookie}`);
  assert.ok(!c.attrs.has('domain'), `a Domain is set: ${setCookie}`);
  assert.ok(c.attrs.has('httponly'), `HttpOnly missing: ${setCookie}`);
  assert.equal(c.attrs.get('samesite')?.toLowerCase(), 'lax', setCookie);
  return c;
}

describe('the __Host- session cookie behind https', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ env: { PUBLIC_BASE_URL: PUBLIC } });
  });
  after(() => app.close());

  it('is Secure, Path=/ and has no Domain when set, and when cleared on sign-out', async () => {
    const browser = new Browser();
    const callback = await consentUntilCallback(app, browser, '/auth/google/start', 'secure-cookie@example.com');
    assert.equal(callback.origin, PUBLIC, 'Google answers at the public https URL');
    const signedIn = await browser.request(`${app.url}${callback.pathname}${callback.search}`);
    assert.equal(signedIn.status, 302, await signedIn.clone().text());
    const set = signedIn.headers.getSetCookie();
    assert.equal(set.length, 1, set.join('\n'));
    assertHostPrefixRules(set[0]!);

    const me = await browser.json(`${app.url}/api/v1/me`);
    assert.equal(me.status, 200);
    const out = await browser.request(`${app.url}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': me.body.csrfToken } });
    assert.equal(out.status, 303);
    const cleared = out.headers.getSetCookie();
    assert.equal(cleared.length, 1, cleared.join('\n'));
    const c = assertHostPrefixRules(cleared[0]!);
    assert.equal(c.value, '');
    assert.ok(Date.parse(c.attrs.get('expires')!) <= Date.now(), `the clearing cookie expires at once: ${cleared[0]}`);
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).status, 401, 'the session is gone');
  });
});
