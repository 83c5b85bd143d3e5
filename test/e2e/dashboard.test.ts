import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';
import { payAtBinance } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';

/** Pays the event through the public API with the page's own session, and the payer pays at the Binance Pay emulator. */
async function payWithBinance(page: Page, appUrl: string, app: Parameters<typeof payAtBinance>[0], eventId: string) {
  const me = await (await page.request.get(`${appUrl}/api/v1/me`)).json();
  const res = await page.request.post(`${appUrl}/api/v1/events/${eventId}/payments`, { data: { provider: 'binance' }, headers: { 'x-csrf-token': me.csrfToken } });
  assert.equal(res.status(), 201, await res.text());
  const payment = await res.json();
  await payAtBinance(app, payment.providerReference.orderId);
  await waitFor('the event to be booked', async () => {
    const e = await (await page.request.get(`${appUrl}/api/v1/events/${eventId}`)).json();
    return e.state === 'confirmed' ? e : null;
  }, 30_000, 100);
}

// The dashboard's list, week and month views, the payments page, by pointer and by keyboard.
describe('dashboard views and payments page', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  it('draws the navigation before its data arrives, so nothing moves down when it does', async () => {
    const page = await b.newPage();
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn(page, b.app, 'no-shift@example.com');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route(`${b.app.url}/api/v1/me`, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${b.app.url}/app`);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor();
    const before = await page.locator('main#main').boundingBox();
    release();
    await page.locator('#events').waitFor();
    const after = await page.locator('main#main').boundingBox();
    assert.equal(after?.y, before?.y, 'the page below the header stays where it was');
    await page.close();
  });

  it('shows a booked event in the month and week views, navigates between them, and lists its payment', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'calendar-views@example.com');
    // 2 June 2031, 10:00 London (09:00 UTC): the same day wherever the browser is.
    const id = await createAndOpenEvent(page, b.app.url, 'Strategy session');
    await payWithBinance(page, b.app.url, b.app, id);

    // The keyboard reaches the view switch from the top of the dashboard.
    await page.goto(`${b.app.url}/app`);
    await page.locator('#events .event-list').waitFor();
    let focused = '';
    for (let i = 0; i < 25 && !focused; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('data-view') ?? '');
    }
    assert.equal(focused, 'list', 'Tab reaches the view switch');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-view')), 'month');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/app\?view=month$/);
    assert.equal(await page.getByRole('button', { name: 'Month' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByRole('button', { name: 'List' }).getAttribute('aria-pressed'), 'false');

    // A link into May 2031, then Next to June: the event is on its day, status in words.
    await page.goto(`${b.app.url}/app?view=month&date=2031-05-15`);
    await page.getByRole('heading', { level: 2, name: /May 2031/ }).waitFor();
    await page.getByRole('link', { name: 'Next month' }).click();
    await page.waitForURL(/view=month&date=2031-06-01/);
    await page.getByRole('heading', { level: 2, name: /June 2031/ }).waitFor();
    const table = page.getByRole('table', { name: 'Events in June 2031' });
    await table.waitFor();
    const june2 = table.locator('td[data-date="2031-06-02"]');
    assert.match((await june2.textContent()) ?? '', /Monday.*(2 June|June 2),? 2031/, 'the day named in full for screen readers');
    const chip = june2.getByRole('link', { name: /Strategy session.*On your Google Calendar/ });
    await chip.waitFor();
    assert.match((await chip.textContent()) ?? '', /Booked/, 'the status in words, beside its colour');
    assert.equal(await table.locator(`a[data-event="${id}"]`).count(), 1, 'on its one day only');
    await checkPage(page, 'dashboard-month', () => chip.waitFor());

    // To the week view: it keeps the date (1 June, a Sunday: the week before the event), then Next week.
    await page.getByRole('button', { name: 'Week' }).click();
    await page.waitForURL(/view=week&date=2031-06-01/);
    await page.locator('#calendar[data-view="week"]').waitFor();
    await page.getByRole('list', { name: /Events from/ }).waitFor();
    assert.equal(await page.locator(`a[data-event="${id}"]`).count(), 0, 'not in the week of 26 May');
    await page.getByRole('link', { name: 'Next week' }).click();
    await page.waitForURL(/view=week&date=2031-06-02/);
    const day = page.getByRole('listitem', { name: /(2 June|June 2),? 2031/ });
    const weekChip = day.getByRole('link', { name: /Strategy session/ });
    await weekChip.waitFor();
    await checkPage(page, 'dashboard-week', () => weekChip.waitFor());

    // Back returns to the previous week, Forward to this one; the chip opens the event.
    await page.goBack();
    await page.waitForURL(/date=2031-06-01/);
    await page.locator('#calendar[data-view="week"] h2', { hasText: /26/ }).waitFor();
    await page.goForward();
    await page.waitForURL(/date=2031-06-02/);
    await page.getByRole('link', { name: /Strategy session/ }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#state[data-state="confirmed"]').waitFor();

    // The status filter asks the server: a week filtered to unpaid events has none.
    await page.goto(`${b.app.url}/app?view=week&date=2031-06-02&state=pending_payment`);
    await page.getByText('No events in these dates.').waitFor();
    await page.getByRole('button', { name: 'List' }).click();
    await page.waitForURL(/\/app\?state=pending_payment$/);
    await page.getByText('No event in this list has this status.').waitFor();

    // My payments, from the navigation: the paid booking, in words, with a link to its event.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Payments' }).click();
    await page.waitForURL(`${b.app.url}/app/payments`);
    await page.getByRole('heading', { level: 1, name: 'Your payments' }).waitFor();
    const row = page.locator('.payment-list li').first();
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /1\.00 USD/);
    assert.match(text, /Binance Pay/);
    assert.match(text, /Paid/);
    assert.match(text, /USDT/);
    assert.doesNotMatch(text, /captured|[0-9a-f]{8}-[0-9a-f]{4}-/, 'no raw status or id');
    await checkPage(page, 'payments', () => row.waitFor());
    await page.selectOption('#payment-provider', 'paypal');
    await page.waitForURL(/provider=paypal/);
    await page.getByText('No payment matches these filters.').waitFor();
    await page.selectOption('#payment-provider', 'binance');
    await row.getByRole('link', { name: 'Strategy session' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
  });
});
