import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { t } from '../../web/src/strings.ts';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, signIn, withBrowserApp } from '../support/chromium.ts';

/**
 * The pages the server writes itself (the sign-in outcomes, the error page) in a real browser:
 * dressed as the web interface (its stylesheet, header and sandbox badge), each with a next step,
 * and each passing the accessibility check at both widths in both colour schemes.
 */
describe('server-written pages in the browser', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  const heading = (page: Page, name: string) => () => page.getByRole('heading', { level: 1, name }).waitFor();

  /** The web interface's dress: its built stylesheet applied, its header, the sandbox badge to the tour. */
  async function looksLikeTheApp(page: Page) {
    const badge = page.locator('header.top a.sandbox-badge');
    assert.equal((await badge.textContent())?.trim(), t.sandbox.badge);
    assert.equal(await badge.getAttribute('href'), '/tour');
    assert.equal(await page.locator('header.top a.brand').getAttribute('href'), '/');
    const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    assert.match(font, /system-ui/, 'the stylesheet of the web interface is applied');
  }

  /** Starts a sign-in in a signed-out browser, up to the sandbox's consent page. */
  async function toConsent(page: Page, email: string) {
    await page.goto(`${b.app.url}/auth/google/start`);
    await page.locator('input[type=email]').fill(email);
  }

  it('a denied consent: what happened, and a way to try again', async () => {
    const page = await b.newPage();
    await toConsent(page, 'denier@example.com');
    await page.getByRole('button', { name: /deny/i }).click();
    await checkPage(page, 'sign-in-denied', heading(page, 'You did not grant access'));
    await looksLikeTheApp(page);
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL(b.toSandbox);
  });

  it('missing permissions: what each is for, and a way to grant them', async () => {
    const page = await b.newPage();
    await toConsent(page, 'unticker@example.com');
    await page.locator('input[name=scope]').last().uncheck();
    await page.getByRole('button', { name: /allow/i }).click();
    await checkPage(page, 'sign-in-missing-scopes', heading(page, 'Some permissions were not granted'));
    await looksLikeTheApp(page);
    assert.equal(await page.locator('.missing-scopes li').count(), 1);
    await page.getByRole('link', { name: 'Sign in again with every permission' }).click();
    await page.waitForURL((u) => b.toSandbox(u) && /prompt=consent/.test(u.search));
  });

  it('an expired sign-in: says so, and starts a new one', async () => {
    const page = await b.newPage();
    // A callback this browser never started (or started too long ago) cannot be finished.
    await page.goto(`${b.app.url}/auth/google/callback?state=stale&code=stale`);
    await checkPage(page, 'sign-in-expired', heading(page, 'This sign-in has expired'));
    await looksLikeTheApp(page);
    await page.getByRole('link', { name: 'Sign in again' }).click();
    await page.waitForURL(b.toSandbox);
  });

  it('a reconnect as another Google account is refused; the right one reconnects', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'owner@example.com');
    await page.goto(`${b.app.url}/app/settings`);
    await page.getByRole('link', { name: t.google.reconnect }).click();
    await page.waitForURL(b.toSandbox);
    // Google's page offers the signed-in account first; the person picks another one.
    assert.ok(await page.locator('input[type=radio][value="owner@example.com"]').isChecked());
    await page.locator('input[type=email]').fill('someone-else@example.com');
    await page.getByRole('button', { name: /allow/i }).click();
    await checkPage(page, 'reconnect-other-account', heading(page, 'That is another Google account'));
    await looksLikeTheApp(page);
    assert.equal(await page.locator('#google-email').textContent(), 'someone-else@example.com');
    assert.equal(await page.locator('#account-email').textContent(), 'owner@example.com');

    await page.getByRole('link', { name: 'Reconnect with owner@example.com' }).click();
    await page.waitForURL(b.toSandbox);
    assert.ok(await page.locator('input[type=radio][value="owner@example.com"]').isChecked(), 'the retry asks Google for the right account');
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL(`${b.app.url}/app/settings`);
    await page.locator('#account-email').getByText('owner@example.com').waitFor();
    assert.equal(await page.locator('#google-state').getAttribute('data-status'), 'active');
  });

  it('a page that fails on our side: the error page with the request id; the API keeps its problem document', async () => {
    const page = await b.newPage();
    // A session cookie, so that /app has to read the sessions table; then that table goes away.
    await page.goto(`${b.app.url}/auth/google/start`);
    await page.waitForURL(b.toSandbox);
    const db = b.app.db.db;
    await db.query('alter table sessions rename to sessions_unavailable');
    try {
      const res = await page.goto(`${b.app.url}/app`);
      assert.equal(res?.status(), 500);
      await checkPage(page, 'server-error', heading(page, 'Something went wrong on our side'));
      await looksLikeTheApp(page);
      assert.equal(await page.locator('#request-id').textContent(), await res!.headerValue('x-request-id'));
      assert.equal(await page.getByRole('link', { name: 'Go to the home page' }).getAttribute('href'), '/');
      const api = await page.request.get(`${b.app.url}/api/v1/me`, { headers: { accept: 'text/html' } });
      assert.equal(api.status(), 500);
      assert.match(api.headers()['content-type']!, /^application\/problem\+json/);
    } finally {
      await db.query('alter table sessions_unavailable rename to sessions');
    }
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL(`${b.app.url}/`);
  });

  it('an unknown address: the designed 404', async () => {
    const page = await b.newPage();
    const res = await page.goto(`${b.app.url}/no/such/page`);
    assert.equal(res?.status(), 404);
    await checkPage(page, 'not-found-server', heading(page, t.notFound.title));
    await looksLikeTheApp(page);
  });
});
