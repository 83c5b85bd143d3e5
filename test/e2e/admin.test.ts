import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';

// The admin section of Settings, in a real browser: the keyboard alone changes the price (an error
// first, next to its field), the saved confirmation is announced, the chart and its table show,
// the next event costs the new price; and a person who is not an admin sees none of it.
describe('admin settings in the web interface', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp({ env: { ADMIN_EMAILS: 'admin@example.com' } });

  it('an admin changes the price with the keyboard and sees the payments chart', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'admin@example.com');
    // One payment with outcomes today, so the chart has bars to draw.
    const eventId = await createAndOpenEvent(page, b.app.url, 'Chart data');
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.getByRole('link', { name: 'Open Binance Pay checkout' }).waitFor();
    const [payment] = await b.app.runtime.db.query<{ id: string }>('select id from payments where event_id = $1', [eventId]);
    for (const to of ['captured', 'refunded', 'declined'])
      await b.app.runtime.db.query(`insert into audit_trail (event_id, payment_id, from_state, to_state, reason) values ($1, $2, 'created', $3, 'seeded')`, [eventId, payment!.id, to]);

    await page.goto(`${b.app.url}/app/settings`);
    await page.getByRole('heading', { level: 2, name: 'Instance settings' }).waitFor();
    const price = page.getByLabel('Price per event (USD)');
    assert.equal(await price.inputValue(), '1.00');

    // A wrong value: the error is next to the field, in words, and the field is marked.
    await price.focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('abc');
    await page.keyboard.press('Enter');
    await page.locator('#admin-price-error').waitFor();
    assert.match((await page.locator('#admin-price-error').textContent()) ?? '', /Enter a price in US dollars/);
    assert.equal(await price.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'admin-price');

    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('2.50');
    await page.keyboard.press('Enter');
    await page.locator('#admin-status .ok-note').waitFor();
    assert.match((await page.locator('#admin-status').textContent()) ?? '', /Settings saved/);
    assert.equal(await page.locator('#admin-status').getAttribute('aria-live'), 'polite');
    assert.equal(await price.getAttribute('aria-invalid'), null);

    // The chart: an image named by its totals, and the same numbers as a table, by keyboard.
    const chart = page.locator('#payments-chart');
    assert.match((await chart.getAttribute('aria-label')) ?? '', /1 succeeded, 1 failed or declined, 0 expired, and 1 refunded/);
    assert.equal(await chart.locator('rect').count(), 3);
    const toggle = page.getByRole('button', { name: 'Show the numbers as a table' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('table').waitFor();
    assert.equal(await page.locator('#chart-table tbody tr').count(), 30);
    await page.locator('summary', { hasText: 'Recent changes' }).click();
    assert.match((await page.locator('.changes li').first().textContent()) ?? '', /admin@example\.com changed the price from 1\.00 USD to 2\.50 USD/);

    await checkPage(page, 'settings-admin', () => page.locator('#payments-chart').waitFor());

    // The next event is priced by the new setting.
    await page.goto(`${b.app.url}/app/new`);
    await page.getByRole('button', { name: 'Continue to payment — 2.50 USD' }).waitFor();
  });

  it('a person who is not an admin sees no admin section and never loads it', async () => {
    const page = await b.newPage();
    const chunks: string[] = [];
    page.on('request', (r) => {
      if (/admin/.test(r.url())) chunks.push(r.url());
    });
    await signIn(page, b.app, 'someone@example.com');
    await page.goto(`${b.app.url}/app/settings`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Instance settings' }).count(), 0);
    assert.deepEqual(chunks, []);
  });
});
