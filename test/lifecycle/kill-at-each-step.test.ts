import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUES } from '../../src/app/events.ts';
import { PAYMENT_QUEUES } from '../../src/app/payments.ts';
import type { Queryable } from '../../src/db/database.ts';
import { dbKinds } from '../support/db.ts';
import { waitFor } from '../support/wait.ts';
import {
  api,
  book,
  eventOf,
  inFlight,
  liveGoogleEvents,
  moneyAtProvider,
  payerPays,
  paymentOf,
  slow,
  startLifecycle,
  waitForEventState,
  waitForPaymentStatus,
  type Lifecycle,
  type ProviderId,
} from './support.ts';

/**
 * kill -9 at each step of a paid booking, then a restart: every booking still ends where it must
 * (confirmed, or cancelled after a refund), with one Google event (none after a refund), at most one
 * capture and one refund at the provider, and the payment in the matching state. A slow provider
 * answer (a sandbox latency fault) holds the app at the step when it dies.
 */

const kinds = await dbKinds();
const FETCH: Record<ProviderId, string> = { paypal: 'orders.get', binance: 'order.query' };
const REFUND: Record<ProviderId, string> = { paypal: 'captures.refund', binance: 'order.refund' };
const PROVIDERS: ProviderId[] = ['paypal', 'binance'];

type Booking = Awaited<ReturnType<typeof book>> & { provider: ProviderId };

/** The jobs of this booking that died with the process (still `active` in the queue). */
async function activeJobs(q: Queryable, b: Booking): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    `select name from pgboss.job where state = 'active' and (data->>'eventId' = $1 or data->>'paymentId' = $2
       or data->>'inboxId' in (select id::text from payment_notifications where payment_id::text = $2 or provider_ref = $3))`,
    [b.eventId, b.paymentId, b.orderId],
  );
  return rows.map((r) => r.name).sort();
}

async function expectConfirmed(lc: Lifecycle, b: Booking) {
  await waitForEventState(lc, b.eventId, 'confirmed');
  const p = await waitForPaymentStatus(lc, b.paymentId, 'captured');
  // Late duplicates (a re-run job, a reconciliation) would show up shortly after: look again.
  await sleep(1500);
  assert.equal((await eventOf(lc, b.eventId)).state, 'confirmed');
  assert.equal((await paymentOf(lc, b.paymentId)).status, 'captured');
  assert.ok(p.providerReference.captureId || b.provider === 'binance', 'a PayPal capture is recorded');
  assert.equal(liveGoogleEvents(lc, b.eventId).length, 1, 'exactly one Google event');
  assert.deepEqual(moneyAtProvider(lc, b.provider, b.orderId), { captures: 1, refunds: 0 });
  const all = (await api(lc, `/api/v1/events/${b.eventId}/payments`)).body.payments as { id: string; status: string }[];
  assert.deepEqual(all.map((x) => x.status), ['captured'], 'one payment, and it holds the money');
}

async function expectRefunded(lc: Lifecycle, b: Booking) {
  await waitForEventState(lc, b.eventId, 'cancelled');
  await waitForPaymentStatus(lc, b.paymentId, 'refunded');
  await waitFor('the Google event to be removed', () => liveGoogleEvents(lc, b.eventId).length === 0, 30_000, 100);
  await sleep(1500);
  assert.equal((await eventOf(lc, b.eventId)).state, 'cancelled');
  assert.equal((await paymentOf(lc, b.paymentId)).status, 'refunded');
  assert.equal(liveGoogleEvents(lc, b.eventId).length, 0, 'no Google event left');
  assert.deepEqual(moneyAtProvider(lc, b.provider, b.orderId), { captures: 1, refunds: 1 });
}

async function newBooking(lc: Lifecycle, provider: ProviderId, title: string): Promise<Booking> {
  await fetch(`${lc.sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
  return { ...(await book(lc, provider, title)), provider };
}

for (const kind of ['postgres', 'pglite'] as const) {
  const skip = !kinds.includes(kind) && 'PostgreSQL unreachable: this run is on PGlite only';
  describe(`kill -9 at each step of a paid booking, then restart (${kind})`, { skip }, () => {
    let lc: Lifecycle;
    before(async () => {
      lc = await startLifecycle(kind);
    });
    after(async () => {
      await lc?.close();
    });

    for (const provider of PROVIDERS) {
      it(`${provider}: killed while the stored notification is being processed`, async () => {
        const b = await newBooking(lc, provider, `notified ${provider}`);
        await slow(lc, provider, FETCH[provider]);
        await payerPays(lc, provider, b.orderId);
        // The app answered the webhook (so the notification is in its inbox), and is now asking the provider.
        await waitFor('the notification to be accepted', () =>
          lc.sandbox.ctx.webhooks.deliveries.some((d) => d.provider === provider && d.body.includes(b.orderId) && d.attempts.some((a) => a.status === 200)),
        30_000);
        await inFlight(lc, FETCH[provider]);
        const seen = await lc.crashAndRestart(async (q) => ({
          inbox: await q.query<{ processed_at: Date | null }>(`select processed_at from payment_notifications where payment_id::text = $1 or provider_ref = $2`, [b.paymentId, b.orderId]),
          event: (await q.query<{ state: string }>('select state from events where id = $1', [b.eventId]))[0]!.state,
        }));
        assert.ok(seen!.inbox.length >= 1, 'the notification was stored before the kill');
        assert.ok(seen!.inbox.some((n) => n.processed_at === null), 'and was not processed yet');
        assert.equal(seen!.event, 'pending_payment');
        await expectConfirmed(lc, b);
      });

      it(`${provider}: killed after the payment settled, before the calendar insert finished`, async () => {
        const b = await newBooking(lc, provider, `paid ${provider}`);
        await slow(lc, 'google', 'calendar.events.insert');
        await payerPays(lc, provider, b.orderId);
        await waitForEventState(lc, b.eventId, 'paid');
        const seen = await lc.crashAndRestart(async (q) => (await q.query<{ state: string }>('select state from events where id = $1', [b.eventId]))[0]!.state);
        assert.equal(seen, 'paid');
        await expectConfirmed(lc, b);
      });

      it(`${provider}: killed during the calendar insert`, async () => {
        const b = await newBooking(lc, provider, `inserting ${provider}`);
        await slow(lc, 'google', 'calendar.events.insert');
        await payerPays(lc, provider, b.orderId);
        await waitFor('the insert to reach Google', () => lc.sandbox.ctx.faults.fired.some((f) => f.operation === 'calendar.events.insert'), 30_000);
        const jobs = await lc.crashAndRestart((q) => activeJobs(q, b));
        assert.ok(jobs!.includes(QUEUES.insert), `the insert died with its worker (active: ${jobs})`);
        await expectConfirmed(lc, b);
      });

      it(`${provider}: killed during a refund`, async () => {
        const b = await newBooking(lc, provider, `refunding ${provider}`);
        await payerPays(lc, provider, b.orderId);
        await waitForEventState(lc, b.eventId, 'confirmed');
        await slow(lc, provider, REFUND[provider]);
        const asked = await api(lc, `/api/v1/payments/${b.paymentId}/refund`, { method: 'POST' });
        assert.equal(asked.status, 202, JSON.stringify(asked.body));
        await inFlight(lc, REFUND[provider]);
        const jobs = await lc.crashAndRestart((q) => activeJobs(q, b), { dropWebhooks: true });
        assert.ok(jobs!.includes(PAYMENT_QUEUES.refund), `the refund died with its worker (active: ${jobs})`);
        await expectRefunded(lc, b);
      });
    }

    // Only PayPal AUTHORIZE holds money between the insert and the capture (Binance is paid outright).
    it('paypal: killed after the calendar insert, before the capture', async () => {
      const b = await newBooking(lc, 'paypal', 'on calendar, not captured');
      await slow(lc, 'paypal', 'authorizations.capture');
      await payerPays(lc, 'paypal', b.orderId);
      await waitFor('the event to be on the calendar', async () => (await eventOf(lc, b.eventId)).google?.onCalendarAt, 30_000, 100);
      const seen = await lc.crashAndRestart(async (q) => (await q.query<{ state: string }>('select state from payments where id = $1', [b.paymentId]))[0]!.state);
      assert.equal(seen, 'authorized');
      assert.equal(liveGoogleEvents(lc, b.eventId).length, 1);
      await expectConfirmed(lc, b);
    });

    it('paypal: killed during the capture', async () => {
      const b = await newBooking(lc, 'paypal', 'capturing');
      await slow(lc, 'paypal', 'authorizations.capture');
      await payerPays(lc, 'paypal', b.orderId);
      await inFlight(lc, 'authorizations.capture');
      const jobs = await lc.crashAndRestart((q) => activeJobs(q, b), { dropWebhooks: true });
      assert.ok(jobs!.includes(PAYMENT_QUEUES.capture), `the capture died with its worker (active: ${jobs})`);
      await expectConfirmed(lc, b);
    });
  });
}
