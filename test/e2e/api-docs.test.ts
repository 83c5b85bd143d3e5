import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, withBrowserApp } from '../support/chromium.ts';

/**
 * The API reference at /api/docs: rendered in the browser from the app's own OpenAPI document,
 * with nothing fetched from anywhere else (it works offline, and behind a CSP of 'self'), and
 * accessible at both widths in both colour schemes.
 */
describe('the API reference page', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  it('renders every operation from the app alone, and passes axe-core at 375 and 1280 px, light and dark', async () => {
    const page = await b.newPage();
    const origin = new URL(b.app.url).origin;
    const requested: string[] = [];
    const failed: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${b.app.url}/api/docs`);
    const ready = () => page.locator('.opblock-summary').first().waitFor();
    await ready();
    const doc = await (await fetch(`${b.app.url}/api/v1/openapi.json`)).json();
    const operations = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    assert.equal(await page.locator('.opblock').count(), operations, 'one block per documented operation');
    // An operation opens (the keyboard and screen readers reach it as a button).
    await page.locator('.opblock-summary-control').first().click();
    await page.locator('.opblock-body').first().waitFor();
    await checkPage(page, 'api-docs', ready);
    // Trying a request out, and the dialog that takes credentials.
    await page.getByRole('button', { name: 'Try it out' }).first().click();
    await checkPage(page, 'api-docs-try', () => page.getByRole('button', { name: 'Execute' }).first().waitFor());
    await page.getByRole('button', { name: 'Cancel' }).first().click();
    // One with parameters: an event's payments (a path parameter).
    const withParams = page.locator('.opblock').filter({ has: page.locator('[data-path="/api/v1/payments/{id}"]') }).first();
    await withParams.locator('.opblock-summary-control').click();
    await withParams.getByRole('button', { name: 'Try it out' }).click();
    await checkPage(page, 'api-docs-parameters', () => withParams.locator('tr[data-param-name] input').first().waitFor());
    await withParams.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.auth-wrapper .authorize').click();
    await checkPage(page, 'api-docs-authorize', () => page.locator('.modal-ux').waitFor());

    assert.ok(requested.includes(`${origin}/api/docs/json`), 'the document comes from the app');
    assert.deepEqual(
      requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:')),
      [],
      'every request goes to the app itself',
    );
    assert.deepEqual(failed, []);
    assert.deepEqual(errors, []);
  });
});
