import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { chromiumSkip, launch } from '../support/chromium.ts';

describe('the web interface in a real browser', { skip: chromiumSkip() }, () => {
  let app: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;
  before(async () => {
    app = await startTestApp();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in with Google, books an event and sees it land on the calendar once paid', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(app.url);
    await page.getByRole('link', { name: 'Sign in with Google' }).click();

    // The sandbox's Google consent page.
    await page.waitForURL((u) => u.toString().startsWith(app.runtime.sandbox!.url));
    await page.locator('input[type=email]').fill('browser@example.com');
    await page.getByRole('button', { name: /allow/i }).click();

    await page.waitForURL(`${app.url}/app`);
    await page.locator('#google-status').getByText('Google Calendar connected').waitFor();

    await page.fill('#title', 'Dentist');
    await page.fill('#start', '2031-05-06T14:00');
    await page.fill('#end', '2031-05-06T14:45');
    await page.fill('#timeZone', 'Europe/Berlin');
    await page.selectOption('#repeat', 'RRULE:FREQ=WEEKLY');
    const first = page.locator('#preview li[data-start]').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-start'), '2031-05-06T14:00:00+02:00');
    assert.match((await first.textContent()) ?? '', /UTC\+02:00/);
    await page.selectOption('#repeat', '');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('link', { name: 'Open the event' }).click();
    await page.locator('#state[data-state="pending_payment"]').waitFor();

    const id = page.url().split('/').pop()!;
    // (the browser test pays through the payer pages: see test/e2e)
    await payForEvent(app, browser as never, id);
    // The page follows the event live.
    await page.locator('#state[data-state="confirmed"]').waitFor();
    assert.match((await page.locator('#google-link').getAttribute('href')) ?? '', /^https?:\/\//);
    await page.screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR ?? '/tmp'}/lc-event-confirmed.png` });
  });

  it('shows a refused time with the reason', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${app.url}/app`);
    await page.fill('#title', 'Impossible');
    await page.fill('#start', '2031-03-09T02:30');
    await page.fill('#end', '2031-03-09T03:30');
    await page.fill('#timeZone', 'America/New_York');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /does not exist in America\/New_York/);
  });
});
