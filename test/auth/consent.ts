import assert from 'node:assert/strict';
import { consentBody } from '../sandbox/google-helpers.ts';
import type { TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';

/**
 * Runs a sign-in up to the moment Google's answer would reach the app: app start → sandbox consent
 * page → consent form post, following redirects only while they stay on the sandbox. Returns the
 * callback URL the browser was sent to, unrequested, so a test controls (and can inspect) the
 * app's answer — and never follows a redirect that might leave loopback.
 */
export async function consentUntilCallback(app: TestApp, browser: Browser, startPath: string, email: string): Promise<URL> {
  const sandboxUrl = app.runtime.sandbox!.url;
  const start = await browser.request(`${app.url}${startPath}`);
  assert.equal(start.status, 302, `start answered ${start.status}: ${await start.clone().text()}`);
  const authUrl = start.headers.get('location')!;
  assert.ok(authUrl.startsWith(sandboxUrl), `start sent the browser to ${authUrl}`);
  const page = await browser.request(authUrl);
  assert.equal(page.status, 200, await page.clone().text());
  const { action, body } = consentBody(await page.text(), { typeEmail: email });
  let res = await browser.request(new URL(action, sandboxUrl).toString(), {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  let current = new URL(action, sandboxUrl);
  for (let i = 0; i < 5; i++) {
    assert.ok([302, 303].includes(res.status), `the sandbox answered ${res.status}`);
    current = new URL(res.headers.get('location')!, current);
    if (current.pathname === '/auth/google/callback') return current;
    assert.equal(current.origin, new URL(sandboxUrl).origin, `left the sandbox for ${current}`);
    res = await browser.request(current.toString());
  }
  throw new Error('the sandbox never sent the browser back to the app');
}
