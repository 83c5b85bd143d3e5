import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import type { Page } from 'playwright-core';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, submitEvent, withBrowserApp } from '../support/chromium.ts';

/**
 * The event page's outcomes and what each lets a person do next: a confirmed event's calendar file
 * and receipt; a declined payment tried again with the other provider; an expired event booked
 * again from its details; an event Google refused, reconnected, then booked again.
 */
describe('event outcomes and their next steps', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp({ env: { JOB_POLL_INTERVAL_SECONDS: '0.5' } });

  /** Runs a delayed job of this event now (time moves by back-dating, not by sleeping). */
  const runDueNow = async (queue: string, eventId: string) => {
    await b.app.runtime.db.query(`update pgboss.job set start_after = now() where name = $1 and data->>'eventId' = $2 and state in ('created','retry')`, [queue, eventId]);
    b.app.runtime.jobs.nudge(queue);
  };

  const approveAtPaypal = async (page: Page, id: string) => {
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    // AUTHORIZE, the default intent: the money is held, then captured once on the calendar.
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
  };

  it('a confirmed event: downloads its .ics and shows a printable receipt', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'outcomes@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Outcome: confirmed');
    assert.equal(await page.locator('#download-ics').count(), 0, 'no file for an unpaid event');
    await approveAtPaypal(page, id);
    await page.locator('#state[data-state="confirmed"]').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download .ics' }).click()]);
    // Chromium takes the UTF-8 name (filename*): the title, with the colon no file system takes replaced.
    assert.equal(download.suggestedFilename(), 'Outcome confirmed.ics');
    const text = await readFile((await download.path())!, 'utf8');
    const ev = new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!;
    assert.equal(ev.getFirstPropertyValue('uid'), `${id}@leadscalendar`);
    assert.equal(ev.getFirstPropertyValue('status'), 'CONFIRMED');
    assert.equal(ev.getFirstPropertyValue('summary'), 'Outcome: confirmed');
    assert.equal(ev.getFirstProperty('dtstart')!.getParameter('tzid'), 'Europe/London');
    assert.equal(String(ev.getFirstPropertyValue('dtstart')), '2031-06-02T10:00:00');

    await page.getByRole('link', { name: 'Receipt' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}/receipt`);
    const number = page.locator('#receipt-number');
    await number.waitFor();
    assert.match((await number.textContent()) ?? '', /^LC-\d{8}-[0-9A-F]{12}$/);
    const receipt = (await page.locator('#receipt').textContent()) ?? '';
    assert.match(receipt, /Paid/);
    assert.match(receipt, /PayPal/);
    assert.match(receipt, /outcomes@example\.com/);
    assert.match(receipt, /Booking of “Outcome: confirmed”/);
    assert.equal(await page.locator('#receipt-total').textContent(), '1.00 USD');
    assert.equal(await page.locator('#receipt-charged').count(), 0, 'no crypto line for PayPal');
    await checkPage(page, 'receipt', () => number.waitFor());

    // Printed: the receipt alone, without the site's header, footer or buttons.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false);
    assert.equal(await page.locator('#print-receipt').isVisible(), false);
    assert.equal(await page.locator('#receipt').isVisible(), true);
    await page.emulateMedia({ media: 'screen' });
    // A reload lands on the same receipt (the server knows the address as a page).
    await page.reload();
    await number.waitFor();
  });

  it('a declined payment: tries again with the other provider', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'declined-retry@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Outcome: declined');
    await page.getByRole('button', { name: 'Pay with PayPal' }).click();
    await page.waitForURL(b.toSandbox);
    await page.getByRole('radio', { name: /declined by the bank/ }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${b.app.url}/app/events/${id}`);
    await page.locator('#outcome[data-payment="declined"]').waitFor();
    await page.getByRole('button', { name: 'Try again with PayPal' }).waitFor();
    await checkPage(page, 'event-declined', () => page.locator('#retry').waitFor());

    await page.getByRole('button', { name: 'Try Binance Pay instead' }).click();
    await page.locator('#checkout figure svg').waitFor();
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { provider: string; status: string }) => [p.provider, p.status]), [['paypal', 'declined'], ['binance', 'created']]);
    assert.equal(await page.locator('#retry').count(), 0, 'a new order replaces the retry controls');
  });

  it('an open Binance Pay order: cancelled from the page, and the event paid again', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'cancel-payment@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Outcome: payment cancelled');
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.locator('#checkout figure svg').waitFor();
    await page.getByRole('button', { name: 'Cancel this payment' }).click();
    await page.locator('#outcome[data-payment="cancelled"]').waitFor();
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The payment was cancelled; you can pay again/);
    assert.equal(await page.locator('#checkout svg').count(), 0, 'no QR code for a cancelled order');
    assert.equal(await page.locator('#state').getAttribute('data-state'), 'pending_payment');

    await page.getByRole('button', { name: 'Try again with Binance Pay' }).click();
    await page.locator('#checkout figure svg').waitFor();
    const payments = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    assert.deepEqual(payments.payments.map((p: { provider: string; status: string }) => [p.provider, p.status]), [['binance', 'cancelled'], ['binance', 'created']]);
  });

  it('an expired event: says no money was taken, and books it again from its details', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'expired@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Outcome: expired');
    // Its payment deadline passes now: the expiry job runs.
    await b.app.runtime.db.query(`update events set pending_until = now() - interval '1 second' where id = $1`, [id]);
    await runDueNow('event.expire', id);
    await page.locator('#state[data-state="expired"]').waitFor({ timeout: 30_000 });
    const outcome = (await page.locator('#outcome').textContent()) ?? '';
    assert.match(outcome, /not paid in time, so it was not booked\. No money was taken\./);
    assert.equal(await page.getByRole('button', { name: /^Pay with/ }).count(), 0, 'an expired event cannot be paid');
    assert.equal(await page.locator('#receipt-link').count(), 0);
    const ics = await page.request.get(`${b.app.url}/api/v1/events/${id}/calendar.ics`);
    assert.equal(ics.status(), 409, 'no calendar file for an event never booked');
    await checkPage(page, 'event-expired', () => page.locator('#book-again').waitFor());

    await page.getByRole('link', { name: 'Book again' }).click();
    await page.waitForURL(`${b.app.url}/app/new?from=${id}`);
    await page.locator('#booking-again').waitFor();
    assert.equal(await page.locator('#title').inputValue(), 'Outcome: expired');
    assert.equal(await page.locator('#timeZone').inputValue(), 'Europe/London');
    assert.equal(await page.locator('#start-date').inputValue(), '2031-06-02');
    assert.equal(await page.locator('#start-time').inputValue(), '10:00');
    assert.equal(await page.locator('#end-time').inputValue(), '11:00');
    await submitEvent(page, b.app.url);
    const again = page.url().split('/').pop()!;
    assert.notEqual(again, id, 'a new event');
    assert.ok(await page.getByRole('button', { name: 'Pay with Binance Pay' }).isEnabled(), 'which can be paid');
  });

  it('an event Google refused: the hold is released, Google reconnected, and the booking form filled in again', async () => {
    const page = await b.newPage();
    const email = 'refused@example.com';
    await signIn(page, b.app, email);
    const id = await createAndOpenEvent(page, b.app.url, 'Outcome: failed');
    // Google stops honouring the grant: the paid event waits for a reconnect, which never comes in time.
    const revoke = await fetch(`${b.app.runtime.sandbox!.url}/__sandbox/google/users/${email}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(revoke.status, 200);
    await approveAtPaypal(page, id);
    const waitingForReconnect = async () => (await b.app.runtime.db.query(`select 1 from pgboss.job where name = 'calendar.reconnect-deadline' and data->>'eventId' = $1`, [id])).length > 0;
    for (let i = 0; !(await waitingForReconnect()); i++) {
      assert.ok(i < 300, 'the insert found the grant revoked');
      await new Promise((r) => setTimeout(r, 100));
    }
    await runDueNow('calendar.reconnect-deadline', id);
    await page.locator('#state[data-state="failed"]').waitFor({ timeout: 30_000 });
    await page.locator('#outcome[data-payment="voided"]').waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#outcome').textContent()) ?? '', /The booking failed.*The PayPal hold was released: no money was taken\./);
    assert.equal(await page.locator('#receipt-link').count(), 0, 'a released hold took nothing: no receipt');

    // The page as it opens now, knowing the connection needs a new sign-in.
    await page.reload();
    const reconnect = page.locator('#next-step').getByRole('link', { name: 'Reconnect Google' });
    await reconnect.waitFor();
    await checkPage(page, 'event-failed', () => reconnect.waitFor());

    await reconnect.click();
    await page.waitForURL(b.toSandbox);
    const field = page.locator('input[type=email]');
    if (await field.isEditable()) await field.fill(email);
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL(`${b.app.url}/app/new?from=${id}`);
    await page.locator('#booking-again').waitFor();
    assert.equal(await page.locator('#title').inputValue(), 'Outcome: failed');
    assert.equal(await page.locator('#google-status').count(), 0, 'Google is connected again');
  });
});
