import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, signIn, withBrowserApp } from '../support/chromium.ts';

/**
 * The Developers page (/app/developers): a person creates an API key, sees it once, uses it from a
 * server (here: fetch from the test), revokes it with a confirmation, and the next call is 401.
 * OAuth clients likewise show their secret once.
 */
describe('the Developers page', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  it('creates an API key shown once, which works until it is revoked', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'developer@example.com');
    await page.goto(`${b.app.url}/app/settings`);
    await page.getByRole('link', { name: 'Manage API keys and OAuth clients' }).click();
    await page.waitForURL(`${b.app.url}/app/developers`);
    await page.getByRole('heading', { level: 1, name: 'Developers' }).waitFor();
    await page.locator('#keys').getByText('None yet.').waitFor();

    await page.fill('#keys-name', 'Integration test');
    await page.selectOption('#keys-scope', 'write');
    await page.locator('#keys-create').click();
    const secret = ((await page.locator('#keys-secret').textContent()) ?? '').trim();
    assert.match(secret, /^lc_test_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.match((await page.locator('.shown-once').textContent()) ?? '', /only time it is shown/);
    await checkPage(page, 'developers', () => page.locator('#keys-secret').waitFor());

    // A server uses it: no cookie, no CSRF token.
    const call = () => fetch(`${b.app.url}/api/v1/events`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal((await call()).status, 200);
    const created = await fetch(`${b.app.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'From my server', timeZone: 'Europe/Paris', start: '2031-05-04T12:00', end: '2031-05-04T13:00' }),
    });
    assert.equal(created.status, 201);

    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await page.locator('#keys-secret').count(), 0, 'gone once dismissed');
    await page.reload();
    const row = page.locator('#keys-list li').filter({ hasText: 'Integration test' });
    await row.waitFor();
    assert.ok(!((await page.content()).includes(secret.slice(-43))), 'never shown again');
    assert.doesNotMatch((await row.locator('.last-used').textContent()) ?? '', /Never/, 'its use is recorded');

    await row.getByRole('button', { name: 'Revoke Integration test' }).click();
    assert.match((await row.locator('.confirm').textContent()) ?? '', /stop working at once/);
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText('“Integration test” is revoked.').waitFor();
    assert.equal((await call()).status, 401);
  });

  it('creates an OAuth client whose id and secret obtain a token', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'oauth-developer@example.com');
    await page.goto(`${b.app.url}/app/developers`);
    await page.fill('#clients-name', 'Billing');
    await page.locator('#clients-create').click();
    const clientId = ((await page.locator('#clients-id').textContent()) ?? '').trim();
    const clientSecret = ((await page.locator('#clients-secret').textContent()) ?? '').trim();
    const res = await fetch(`${b.app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    assert.equal(res.status, 200);
    const token = await res.json();
    assert.equal(token.scope, 'read');
    assert.equal((await fetch(`${b.app.url}/api/v1/events`, { headers: { authorization: `Bearer ${token.access_token}` } })).status, 200);
  });
});
