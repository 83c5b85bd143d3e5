import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';


// PayPal's other intent (the money taken at approval), the other provider after an expired order,
// and a confirmed event cancelled for a refund: journeys through the web interface alone.
describe('journeys with PAYPAL_INTENT=CAPTURE', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp({ env: { PAYPAL_INTENT: 'CAPTURE' } });
  const newPage = () => b.newPage();
  const toSandbox = b.toSandbox;

  it('pays with PayPal (capture at approval), then cancels the confirmed event and is refunded', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'capture@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Captured at once');
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(toSandbox);
    await page.getByRole('button', { name: 'Complete Purchase' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#state[data-state="confirmed"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /Paid with PayPal and added to your Google Calendar/);
    await page.getByRole('link', { name: 'Open in Google Calendar' }).waitFor();
    await checkPage(page, 'event-confirmed', () => page.locator('#google-link').waitFor());

    await page.getByRole('button', { name: 'Cancel and refund' }).click();
    assert.match((await page.locator('.confirm').textContent()) ?? '', /refund 1\.00 USD/);
    await page.getByRole('button', { name: 'Yes, cancel the event' }).click();
    await page.locator('#state[data-state="cancelled"]').waitFor({ timeout: 60_000 });
    await page.locator('#outcome[data-payment="refunded"]').waitFor({ timeout: 60_000 });
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The event is cancelled\. Your payment was refunded\./);
    assert.equal(await page.locator('#google-link').count(), 0);
    const history = (await page.locator('.timeline').textContent()) ?? '';
    assert.match(history, /PayPal payment: refunded/);
    assert.doesNotMatch(history, /refunded_|pending_payment|[0-9a-f]{8}-[0-9a-f]{4}-/);
    await checkPage(page, 'event-refunded', () => page.locator('.timeline').waitFor());
  });

  it('pays with PayPal after the Binance Pay order expired', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'switcher@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Other provider');
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.getByRole('link', { name: 'Open Binance Pay checkout' }).click();
    await page.waitForURL(toSandbox);
    await page.getByRole('button', { name: 'Let the order expire' }).click();
    await page.locator('#state, p.status[data-status]').first().waitFor();
    if (!page.url().startsWith(`${b.app.url}/app/events/${id}`)) await page.goto(`${b.app.url}/app/events/${id}`);
    await page.locator('#outcome[data-payment="expired"]').waitFor();

    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(toSandbox);
    await page.getByRole('button', { name: 'Complete Purchase' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#state[data-state="confirmed"]').waitFor();
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { provider: string; status: string }) => [p.provider, p.status]), [['binance', 'expired'], ['paypal', 'captured']]);
  });

  it('waits for a pending PayPal payment on a screen that says what it waits for, offering no second payment', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'echeck@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Paid by eCheck');
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(toSandbox);
    await page.getByRole('radio', { name: /eCheck/ }).check();
    await page.getByRole('button', { name: 'Complete Purchase' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    const waiting = page.locator('#waiting');
    await waiting.getByText('Waiting for PayPal to confirm your payment…').waitFor();
    assert.equal(await page.locator('#state').getAttribute('data-state'), 'pending_payment');
    assert.equal(await page.getByRole('button', { name: /^Pay with/ }).count(), 0, 'money on its way is not asked for twice');
    await checkPage(page, 'event-waiting', () => waiting.waitFor());
  });
});
