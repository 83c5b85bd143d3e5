import assert from 'node:assert/strict';
import { consentBody, type ConsentChoice } from '../sandbox/google-helpers.ts';
import type { TestApp } from './app.ts';
import { Browser } from './browser.ts';

/**
 * Signs a person into the app through the sandbox's Google consent page, as a browser would:
 * app start → Google consent page → form post → app callback → /app.
 */
export async function signIn(app: TestApp, choice: ConsentChoice & { email?: string; start?: string } = {}, browser = new Browser()) {
  const sandboxUrl = app.runtime.sandbox!.url;
  const toGoogle = await browser.request(`${app.url}${choice.start ?? '/auth/google/start'}`);
  assert.equal(toGoogle.status, 302);
  const authUrl = toGoogle.headers.get('location')!;
  assert.ok(authUrl.startsWith(sandboxUrl), `redirected to ${authUrl}`);
  const consent = await browser.go(authUrl);
  // The emulator may skip its page when consent was already given; then we are already back.
  if (browser.lastUrl.startsWith(app.url)) return { browser, final: consent, authUrl };
  assert.equal(consent.status, 200, await consent.clone().text());
  const html = await consent.text();
  const { action, body } = consentBody(html, { typeEmail: choice.email ?? 'ada@example.com', ...choice });
  const final = await browser.submit(new URL(action, sandboxUrl).toString(), body);
  return { browser, final, authUrl };
}

/** The session's CSRF token, for API POSTs. */
export async function csrf(app: TestApp, browser: Browser): Promise<string> {
  const me = await browser.json(`${app.url}/api/v1/me`);
  assert.equal(me.status, 200, JSON.stringify(me.body));
  return me.body.csrfToken;
}

export async function apiPost(app: TestApp, browser: Browser, path: string, body: unknown) {
  return browser.json(`${app.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'x-csrf-token': await csrf(app, browser) } });
}

export async function sandboxJson(app: TestApp, path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.runtime.sandbox!.url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
