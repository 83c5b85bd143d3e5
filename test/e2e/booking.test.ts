import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, fillSchedule, submitEvent, withBrowserApp } from '../support/chromium.ts';


describe('the web interface in a real browser', { skip: chromiumSkip() }, () => {
  // Its tests follow one another as one person: the first signs in, the others stay signed in.
  const b = withBrowserApp({}, { shareSession: true });
  const newPage = () => b.newPage();

  const createAndOpen = (page: Page, title: string) => createAndOpenEvent(page, b.app.url, title);

  it('signs in with Google, books an event, pays with PayPal and sees it land on the calendar', async () => {
    const page = await newPage();
    await page.goto(b.app.url);
    // The landing page tells how to pay, now that paying works.
    const landing = (await page.locator('main').textContent()) ?? '';
    assert.match(landing, /with PayPal, or its equivalent in USDT with Binance Pay/);
    assert.doesNotMatch(landing, /coming/i);
    await page.getByRole('link', { name: 'Sign in with Google' }).click();

    // The sandbox's Google consent page.
    await page.waitForURL(b.toSandbox);
    await page.locator('input[type=email]').fill('browser@example.com');
    await page.getByRole('button', { name: /allow/i }).click();

    await page.waitForURL(`${b.app.url}/app`);
    await page.getByRole('link', { name: 'New event' }).first().click();

    await page.fill('#title', 'Dentist');
    await fillSchedule(page, '2031-05-06T14:00', '2031-05-06T14:45', 'Europe/Berlin');
    // The repeat presets follow the chosen date (6 May 2031 is a Tuesday), and the preview shows
    // the next occurrences in the event's zone, named with its offset.
    await page.selectOption('#repeat', { label: 'Every Tuesday' });
    const first = page.locator('#preview li[data-start]').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-start'), '2031-05-06T14:00:00+02:00');
    assert.match((await first.textContent()) ?? '', /Europe\/Berlin, GMT\+02:00/);
    await page.selectOption('#repeat', { label: 'Does not repeat' });
    await submitEvent(page, b.app.url);
    const eventUrl = page.url();
    assert.match((await page.locator('#price').textContent()) ?? '', /1\.00 USD/);
    assert.equal(await page.locator('#google-link').count(), 0);

    // The payer goes to PayPal's approval page (the sandbox's), approves, and PayPal sends the browser back.
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('heading', { name: 'Pay with PayPal' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/lc-paypal-approval.png` });
    // AUTHORIZE (the default intent): the buyer's button says Continue; the money is held, then captured.
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(eventUrl);
    await page.locator('#state[data-state="confirmed"]').waitFor();
    assert.match((await page.locator('#google-link').getAttribute('href')) ?? '', /^https?:\/\//);
    assert.match((await page.locator('#outcome').textContent()) ?? '', /Paid with PayPal and added to your Google Calendar/);
    assert.equal(await page.getByRole('button', { name: 'Pay with PayPal' }).count(), 0, 'a confirmed event offers no payment');
    assert.equal(await page.getByRole('button', { name: 'Cancel event' }).count(), 0);
    await page.screenshot({ path: `${SHOTS}/lc-event-confirmed.png` });
  });

  it('pays with Binance Pay: QR code, amount in USDT, countdown, checkout, and the event confirmed', async () => {
    const page = await newPage();
    // This computer's clock is ten minutes fast: the countdown still runs to the server's deadline.
    await page.clock.setSystemTime(Date.now() + 10 * 60_000);
    const id = await createAndOpen(page, 'Binance booking');
    const eventUrl = page.url();

    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    const qr = page.locator('#checkout figure svg');
    await qr.waitFor();
    assert.equal(await qr.getAttribute('role'), 'img');
    assert.ok((await qr.locator('path').count()) > 0, 'the QR code is drawn');
    assert.match((await page.locator('#charge').textContent()) ?? '', /^Amount: 1\.00 USDT at 1 USDT per USD$/);
    // The countdown runs to the order's expiresAt, as the API gives it.
    const countdown = (await page.locator('#countdown').textContent()) ?? '';
    assert.match(countdown, /^\d{2,}:\d{2}$/);
    const [open] = (await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json()).payments;
    const [mm, ss] = countdown.split(':').map(Number);
    const shownMs = (mm! * 60 + ss!) * 1000;
    assert.ok(Math.abs(Date.parse(open.expiresAt) - Date.now() - shownMs) < 5_000, `countdown ${countdown} for an order expiring at ${open.expiresAt}`);
    await page.screenshot({ path: `${SHOTS}/lc-binance-qr.png`, fullPage: true });

    // The payer opens the checkout and pays there; the checkout sends the browser back, or the payer comes back.
    await page.getByRole('link', { name: 'Open Binance Pay checkout' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('button', { name: /^Pay \d/ }).click();
    // Either the event page (through the return URL) or the checkout's own "paid" page.
    await page.locator('#state, p.status[data-status]').first().waitFor();
    if (page.url() !== eventUrl) await page.goto(eventUrl);

    await page.locator('#state[data-state="confirmed"]').waitFor();
    assert.match((await page.locator('#google-link').getAttribute('href')) ?? '', /^https?:\/\//);
    assert.match((await page.locator('#outcome').textContent()) ?? '', /Paid with Binance Pay and added to your Google Calendar/);
    assert.equal(await page.locator('#checkout svg').count(), 0, 'no QR code once paid');
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { provider: string; status: string }) => [p.provider, p.status]), [['binance', 'captured']]);
    await page.screenshot({ path: `${SHOTS}/lc-binance-confirmed.png` });
  });

  it('draws the QR code from drawing elements only, whatever the SVG text carries', async () => {
    const page = await newPage();
    const id = await createAndOpen(page, 'Hostile QR');
    // The answers are doctored on their way to the page: a script, an event handler, an external
    // image and embedded HTML inside the QR code's SVG.
    const doctor = (svg: string) =>
      svg
        .replace('<svg ', '<svg onload="window.__lcInjected = 1" ')
        .replace('</svg>', '<script>window.__lcInjected = 2</script><image href="http://127.0.0.1:9/x.png"/><foreignObject><p xmlns="http://www.w3.org/1999/xhtml" id="injected">html</p></foreignObject></svg>');
    await page.route(`${b.app.url}/api/v1/events/${id}/payments`, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const p of body.payments ?? [body]) if (p.nextAction?.qrSvg) p.nextAction.qrSvg = doctor(p.nextAction.qrSvg);
      await route.fulfill({ response: res, json: body });
    });
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    const qr = page.locator('#checkout figure svg');
    await qr.waitFor();
    assert.ok((await qr.locator('path').count()) > 0, 'the QR code is drawn');
    const html = await qr.evaluate((el) => el.outerHTML);
    assert.doesNotMatch(html, /script|onload|image|foreignObject|injected/i, html.slice(0, 300));
    assert.equal(await page.evaluate(() => (window as { __lcInjected?: number }).__lcInjected), undefined);
  });

  it('says so when PayPal declines the payment, and lets the payer try again', async () => {
    const page = await newPage();
    const id = await createAndOpen(page, 'Declined card');
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('radio', { name: /declined by the bank/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#outcome[data-payment="declined"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /the payment was declined; you can try again/i);
    assert.equal(await page.locator('#state').getAttribute('data-state'), 'pending_payment');
    assert.ok(await page.getByRole('button', { name: 'Pay with PayPal' }).isEnabled());
    await page.screenshot({ path: `${SHOTS}/lc-paypal-declined.png` });
  });

  it('says so when the payer cancels at PayPal', async () => {
    const page = await newPage();
    const id = await createAndOpen(page, 'Not now');
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('button', { name: /^Cancel and return/ }).click();

    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#outcome[data-payment="cancelled"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The payment was cancelled; you can pay again/);
    assert.equal(await page.locator('#state').getAttribute('data-state'), 'pending_payment');
    assert.ok(await page.getByRole('button', { name: 'Pay with Binance Pay' }).isEnabled());
  });

  it('reports a refused payment once, next to the buttons, and lets the payer try again', async () => {
    const page = await newPage();
    await createAndOpen(page, 'Refused once');
    const fault = await fetch(`${b.app.runtime.sandbox!.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 422, count: 1 }),
    });
    assert.equal(fault.status, 201);

    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    const alert = page.locator('#pay').getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /PayPal refused to create the order.*nothing was charged/);
    // The page redraws as the failed order's changes stream in; the failure is still said once, where the payer asked.
    await page.locator('#timeline li[data-subject="payment"][data-to="error"]').waitFor();
    assert.equal(await page.getByRole('alert').count(), 1);
    assert.equal(await page.locator('#outcome').textContent(), '');

    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('heading', { name: 'Pay with PayPal' }).waitFor();
  });

  it('says when the Binance Pay order expired, and starts a new one', async () => {
    const page = await newPage();
    const id = await createAndOpen(page, 'Slow payer');
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.getByRole('link', { name: 'Open Binance Pay checkout' }).click();
    await page.waitForURL(b.toSandbox);
    // Binance Pay closes the order unpaid; its checkout sends the payer back to us.
    await page.getByRole('button', { name: 'Let the order expire' }).click();
    await page.locator('#state, p.status[data-status]').first().waitFor();
    if (!page.url().startsWith(`${b.app.url}/app/events/${id}`)) await page.goto(`${b.app.url}/app/events/${id}`);

    await page.locator('#outcome[data-payment="expired"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The Binance Pay order expired before it was paid; you can start again/);
    assert.equal(await page.locator('#checkout svg').count(), 0);
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.locator('#checkout figure svg').waitFor();
    assert.equal(await page.locator('#outcome').textContent(), '', 'the new order replaces the old outcome');
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { status: string }) => p.status), ['expired', 'created']);
  });

  it('cancels an event waiting for payment, closing its open order', async () => {
    const page = await newPage();
    const id = await createAndOpen(page, 'Changed my mind');
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.locator('#checkout figure svg').waitFor();

    await page.getByRole('button', { name: 'Cancel event' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the event' }).click();
    await page.locator('#state[data-state="cancelled"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The event is cancelled/);
    assert.equal(await page.getByRole('button', { name: /^Pay with/ }).count(), 0);
    assert.equal(await page.locator('#checkout svg').count(), 0);
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { status: string }) => p.status), ['cancelled']);
    await page.screenshot({ path: `${SHOTS}/lc-event-cancelled.png` });
  });

  it('shows a refused time with the reason', async () => {
    const page = await newPage();
    await page.goto(`${b.app.url}/app/new`);
    await page.fill('#title', 'Impossible');
    await fillSchedule(page, '2031-03-09T02:30', '2031-03-09T03:30', 'America/New_York');
    await page.getByRole('button', { name: /^Continue to payment/ }).click();
    // Once, next to the start, in words, announced, and the start field says it is the one.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.count(), 1);
    assert.equal(await alert.getAttribute('id'), 'start-error');
    assert.match((await alert.textContent()) ?? '', /does not exist in America\/New_York/);
    assert.doesNotMatch((await alert.textContent()) ?? '', /body\/|nonexistent_local_time/);
    assert.equal(await page.locator('#start-date').getAttribute('aria-invalid'), 'true');
    assert.equal(page.url(), `${b.app.url}/app/new`);
  });
});
