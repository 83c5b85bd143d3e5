import assert from 'node:assert/strict';
import type { TestApp } from './app.ts';
import type { Browser } from './browser.ts';
import { apiPost, sandboxJson } from './google.ts';
import { waitFor } from './wait.ts';

/** Creating, paying for and watching events through the public API and the emulators' payer actions. */

export async function createEvent(app: TestApp, browser: Browser, body: Record<string, unknown> = {}) {
  const res = await apiPost(app, browser, '/api/v1/events', {
    title: 'Consultation',
    timeZone: 'Europe/London',
    start: '2031-06-02T10:00',
    end: '2031-06-02T11:00',
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.event as { id: string; state: string; [k: string]: any };
}

export async function startPayment(app: TestApp, browser: Browser, eventId: string, provider: 'paypal' | 'binance') {
  const res = await apiPost(app, browser, `/api/v1/events/${eventId}/payments`, { provider });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; status: string; providerReference: { orderId: string; [k: string]: any }; nextAction: any; [k: string]: any };
}

export async function getEvent(app: TestApp, browser: Browser, id: string) {
  return (await browser.json(`${app.url}/api/v1/events/${id}`)).body;
}

export async function getPayment(app: TestApp, browser: Browser, id: string) {
  return (await browser.json(`${app.url}/api/v1/payments/${id}`)).body;
}

export async function waitForEvent(app: TestApp, browser: Browser, id: string, state: string, timeoutMs = 20_000) {
  return waitFor(
    `event ${id} to be ${state}`,
    async () => {
      const e = await getEvent(app, browser, id);
      return e.state === state ? e : null;
    },
    timeoutMs,
    50,
  );
}

export async function waitForPayment(app: TestApp, browser: Browser, id: string, status: string, timeoutMs = 20_000) {
  return waitFor(
    `payment ${id} to be ${status}`,
    async () => {
      const p = await getPayment(app, browser, id);
      return p.status === status ? p : null;
    },
    timeoutMs,
    50,
  );
}

/** The payer pays the Binance Pay order (the emulator's checkout page does the same). */
export async function payAtBinance(app: TestApp, prepayId: string) {
  const res = await sandboxJson(app, `/__sandbox/binance/orders/${prepayId}/pay`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Pays an event the simplest real way (Binance Pay, paid at once) and waits until the payment side has moved it on. */
export async function payForEvent(app: TestApp, browser: Browser, eventId: string) {
  const payment = await startPayment(app, browser, eventId, 'binance');
  await payAtBinance(app, payment.providerReference.orderId);
  await waitFor(`event ${eventId} to be paid`, async () => ((await getEvent(app, browser, eventId)).state !== 'pending_payment' ? true : null), 20_000, 50);
  return payment;
}

/** Events on the user's calendars as the sandbox holds them. */
export async function googleEvents(app: TestApp, email: string): Promise<any[]> {
  const res = await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent(email)}/events`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.calendars.flatMap((c: { events: unknown[] }) => c.events);
}
