import assert from 'node:assert/strict';
import { signRequest } from '../../src/providers/binance/signature.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import type { DbKind } from '../support/db.ts';
import { sandboxJson, signIn } from '../support/google.ts';
import { addFault } from '../support/sandbox.ts';
import { createEvent, getPayment, googleEvents, payAtBinance, startPayment, waitForEvent, waitForPayment } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';

/**
 * One booking driven the way a payer drives it, for either provider: start the payment through the
 * API, act on the emulator's payer side, and (optionally) come back through the browser return URL.
 */

export type ProviderId = 'paypal' | 'binance';

export interface Flow {
  app: TestApp;
  browser: Browser;
  email: string;
}

export async function openFlow(env: Record<string, string> = {}, email = `payer-${Math.random().toString(36).slice(2, 8)}@example.com`, kind: DbKind = 'pglite'): Promise<Flow> {
  const app = await startTestApp({ kind, env: { JOB_POLL_INTERVAL_SECONDS: '0.5', ...env } });
  const { browser } = await signIn(app, { email });
  return { app, browser, email };
}

export async function clearFaults(f: Flow) {
  await fetch(`${f.app.runtime.sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
}

/** The payer pays: PayPal approval (then the browser returns unless `returnToApp` is false), or Binance's checkout. */
export async function payerPays(f: Flow, provider: ProviderId, payment: { id: string; providerReference: { orderId: string } }, opts: { returnToApp?: boolean; funding?: 'ok' | 'declined' | 'pending' | 'denied' } = {}) {
  const orderId = payment.providerReference.orderId;
  if (provider === 'binance') {
    await payAtBinance(f.app, orderId);
  } else {
    const res = await sandboxJson(f.app, `/__sandbox/paypal/orders/${orderId}/approve`, { method: 'POST', body: JSON.stringify({ funding: opts.funding ?? 'ok' }) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  if (opts.returnToApp !== false) await returnToApp(f, provider, payment, false);
}

/** The browser comes back through the provider's redirect, as PayPal sends it (token and PayerID appended). */
export async function returnToApp(f: Flow, provider: ProviderId, payment: { id: string; providerReference: { orderId: string } }, cancelled: boolean) {
  const url = new URL(`${f.app.url}/payments/${provider}/${cancelled ? 'cancel' : 'return'}`);
  url.searchParams.set('payment', payment.id);
  if (provider === 'paypal') {
    url.searchParams.set('token', payment.providerReference.orderId);
    if (!cancelled) url.searchParams.set('PayerID', 'SANDBOXPAYER1');
  }
  const res = await f.browser.request(url.toString());
  assert.equal(res.status, 303);
  return res.headers.get('location');
}

export async function book(f: Flow, provider: ProviderId, title = 'Paid booking') {
  const event = await createEvent(f.app, f.browser, { title });
  const payment = await startPayment(f.app, f.browser, event.id, provider);
  return { event, payment };
}

/** Google events of ours for this event id (the sandbox keeps deleted ones as cancelled). */
export async function calendarCopies(f: Flow, eventId: string) {
  const all = await googleEvents(f.app, f.email);
  return all.filter((e: any) => e.extendedProperties?.private?.lcEventId === eventId);
}

export async function inboxRows(f: Flow, provider: ProviderId): Promise<{ provider_event_id: string; provider_type: string }[]> {
  return f.app.runtime.db.query(`select provider_event_id, provider_type from payment_notifications where provider = $1`, [provider]);
}

/** Runs a delayed job now (time moves by back-dating, not by sleeping). */
export async function runDueNow(f: Flow, queue: string, eventId: string) {
  await f.app.runtime.db.query(`update pgboss.job set start_after = now() where name = $1 and data->>'eventId' = $2 and state in ('created','retry')`, [queue, eventId]);
  f.app.runtime.jobs.nudge(queue);
}

/** The event's deadline passes now: the expiry job runs. */
export async function expireNow(f: Flow, eventId: string) {
  await f.app.runtime.db.query(`update events set pending_until = now() - interval '1 second' where id = $1`, [eventId]);
  await runDueNow(f, 'event.expire', eventId);
  return waitForEvent(f.app, f.browser, eventId, 'expired');
}

/** Refunds a Binance Pay order the way the merchant would from Binance's portal: straight at the API, outside LeadsCalendar. */
export async function refundAtBinanceOutside(f: Flow, prepayId: string, amount: string) {
  const body = JSON.stringify({ refundRequestId: `outside${Date.now()}`, prepayId, refundAmount: amount, refundReason: 'merchant portal' });
  const signed = signRequest({ secretKey: SANDBOX_CREDENTIALS.binance.secretKey, body });
  const res = await fetch(`${f.app.runtime.sandbox.url}/binancepay/openapi/order/refund`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed.headers, 'BinancePay-Certificate-SN': SANDBOX_CREDENTIALS.binance.apiKey },
    body,
  });
  const json = (await res.json()) as { status: string };
  assert.equal(json.status, 'SUCCESS', JSON.stringify(json));
}

export { addFault, getPayment, startPayment, waitFor, waitForEvent, waitForPayment };
