import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHOTS } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';


// The shortest payment time the configuration allows (one minute), so that the countdown really
// reaches zero: the page counts down to the server's deadline, not to the browser's clock.
describe('the event page when the time to pay runs out', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp({ env: { PAYMENT_TTL_MINUTES: '1' } });

  it('counts down to zero, says the order expired, offers no payment the server would refuse, and shows the event expired', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'deadline@example.com');
    // No live status stream: the page polls, and the polls can be cut below (an open stream could not be).
    await page.route(`${b.app.url}/api/v1/events/*/stream*`, (route) => route.abort());
    await createAndOpenEvent(page, b.app.url, 'Too slow');

    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.locator('#checkout figure svg').waitFor();
    assert.match((await page.locator('#countdown').textContent()) ?? '', /^00:[0-5]\d$|^01:00$/);

    // From here the page hears nothing from the server (Binance Pay's own expiry, the event's expiry
    // job): the countdown alone must tell the payer, at zero, that the order is over.
    await page.route(`${b.app.url}/api/**`, (route) => route.abort());
    const expired = page.locator('#checkout [data-expired]');
    await expired.waitFor({ timeout: 90_000 });
    assert.match((await expired.textContent()) ?? '', /This Binance Pay order expired before it was paid/);
    assert.equal(await page.locator('#checkout svg').count(), 0, 'no QR code for an expired order');
    // The event's own deadline has passed with the order's: paying again would be refused.
    assert.equal(await page.getByRole('button', { name: /^Pay with|Start again/ }).count(), 0);
    assert.match((await page.locator('#too-late').textContent()) ?? '', /The time to pay for this event is over/);
    await page.screenshot({ path: `${SHOTS}/lc-binance-expired.png` });

    // The server expires the event at its deadline (a job), and the page follows once it hears again.
    await page.unroute(`${b.app.url}/api/**`);
    await page.locator('#state[data-state="expired"]').waitFor({ timeout: 60_000 });
    assert.match((await page.locator('#outcome').textContent()) ?? '', /not paid in time/);
    assert.equal(await page.getByRole('button', { name: 'Cancel event' }).count(), 0);
  });
});
