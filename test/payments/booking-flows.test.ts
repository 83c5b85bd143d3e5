import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { sandboxJson } from '../support/google.ts';
import { createEvent, startPayment } from '../support/payments.ts';
import {
  addFault,
  book,
  calendarCopies,
  clearFaults,
  expireNow,
  getPayment,
  inboxRows,
  openFlow,
  payerPays,
  refundAtBinanceOutside,
  returnToApp,
  waitFor,
  waitForEvent,
  waitForPayment,
  type Flow,
  type ProviderId,
} from './flow.ts';

/**
 * The money path end to end, for each provider, against the emulators over real HTTP: the API
 * starts the payment, the payer acts on the emulator, notifications and the browser's return
 * settle it, and the event lands on Google Calendar exactly once — or its money goes back.
 */

for (const provider of ['paypal', 'binance'] as const satisfies readonly ProviderId[]) {
  describe(`payments with ${provider}`, () => {
    let f: Flow;
    before(async () => {
      f = await openFlow();
    });
    after(() => f?.app.close());
    afterEach(() => clearFaults(f));

    it('a paid booking is confirmed, with exactly one Google event and one capture', async () => {
      const { event, payment } = await book(f, provider, 'Success');
      assert.equal(payment.status, 'created');
      assert.equal(payment.amount.value, '1.00');
      if (provider === 'paypal') {
        assert.equal(payment.nextAction.type, 'redirect');
        assert.equal(payment.intent, 'AUTHORIZE');
      } else {
        assert.equal(payment.nextAction.type, 'scan');
        assert.match(payment.nextAction.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
        assert.equal(payment.charge.currency, 'USDT');
        assert.equal(payment.charge.value, '1.00000000');
        assert.equal(payment.rate, '1');
      }
      await payerPays(f, provider, payment);
      const confirmed = await waitForEvent(f.app, f.browser, event.id, 'confirmed');
      assert.ok(confirmed.google.htmlLink);
      const p = await getPayment(f.app, f.browser, payment.id);
      assert.equal(p.status, 'captured');
      assert.equal(p.nextAction, null);
      assert.equal((await calendarCopies(f, event.id)).length, 1);
      if (provider === 'paypal') {
        const order = (await sandboxJson(f.app, '/__sandbox/paypal/orders')).body.orders.find((o: any) => o.id === payment.providerReference.orderId);
        const captures = order.purchase_units[0].payments.captures ?? [];
        assert.equal(captures.length, 1, 'one capture, after the calendar insert');
        assert.equal(p.providerReference.captureId, captures[0].id);
      }
    });

    it('a declined payment leaves the event waiting, and another attempt can pay it', async () => {
      const { event, payment } = await book(f, provider, 'Declined');
      if (provider === 'paypal') await payerPays(f, provider, payment, { funding: 'declined' });
      else {
        const res = await sandboxJson(f.app, `/__sandbox/binance/orders/${payment.providerReference.orderId}/fail`, { method: 'POST', body: '{}' });
        assert.equal(res.status, 200);
        // Binance notifies only paid and closed orders: the payer's way back tells the app to look.
        await returnToApp(f, provider, payment, false);
      }
      const declined = await waitForPayment(f.app, f.browser, payment.id, 'declined');
      assert.ok(declined.reason);
      assert.equal((await waitForEvent(f.app, f.browser, event.id, 'pending_payment')).state, 'pending_payment');
      const again = await (await import('../support/payments.ts')).startPayment(f.app, f.browser, event.id, provider);
      await payerPays(f, provider, again);
      await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    });

    it('giving up at the provider cancels the payment; starting another supersedes an open one', async () => {
      const { event, payment } = await book(f, provider, 'Cancelled at provider');
      const location = await returnToApp(f, provider, payment, true);
      assert.equal(location, `/app/events/${event.id}`, 'back to our own page, whatever the query said');
      await waitForPayment(f.app, f.browser, payment.id, 'cancelled');
      const second = await (await import('../support/payments.ts')).startPayment(f.app, f.browser, event.id, provider);
      const third = await (await import('../support/payments.ts')).startPayment(f.app, f.browser, event.id, provider);
      const superseded = await getPayment(f.app, f.browser, second.id);
      assert.equal(superseded.status, 'cancelled');
      assert.match(superseded.reason, /superseded/);
      assert.equal(third.status, 'created');
    });

    it('an unpaid event expires and its order is closed', async () => {
      const { event, payment } = await book(f, provider, 'Expires');
      await expireNow(f, event.id);
      const p = await waitForPayment(f.app, f.browser, payment.id, 'expired');
      assert.equal(p.nextAction, null);
      if (provider === 'binance') {
        await waitFor('the Binance order closed', async () => {
          const o = await sandboxJson(f.app, `/__sandbox/binance/orders/${payment.providerReference.orderId}`);
          return ['CANCELED', 'EXPIRED'].includes(o.body.order?.status ?? o.body.status) ? true : null;
        });
      }
      const refused = await (await import('../support/google.ts')).apiPost(f.app, f.browser, `/api/v1/events/${event.id}/payments`, { provider });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, 'event_not_payable');
    });

    it('duplicated, reordered and forged notifications change nothing they should not', async () => {
      await addFault(f.app.runtime.sandbox, { provider, operation: '*', fault: 'webhook_duplicate', copies: 2, count: null });
      await addFault(f.app.runtime.sandbox, { provider, operation: '*', fault: 'webhook_reorder', count: 1 });
      const forgedBefore = (await sandboxJson(f.app, '/__sandbox/webhooks')).body.deliveries.length;
      const { event, payment } = await book(f, provider, 'Noisy notifications');
      await payerPays(f, provider, payment, { returnToApp: false });
      await waitForEvent(f.app, f.browser, event.id, 'confirmed');
      await sandboxJson(f.app, '/__sandbox/webhooks/idle', { method: 'POST', body: '{}' });
      const rows = await inboxRows(f, provider);
      assert.equal(new Set(rows.map((r) => r.provider_event_id)).size, rows.length, 'one inbox row per provider notification');
      assert.equal((await calendarCopies(f, event.id)).length, 1);
      // A forged notification is refused with 400 and stores nothing.
      await clearFaults(f);
      await addFault(f.app.runtime.sandbox, { provider, operation: '*', fault: 'webhook_forge', count: null });
      const before = (await inboxRows(f, provider)).length;
      const other = await book(f, provider, 'Forged');
      await payerPays(f, provider, other.payment, { returnToApp: false });
      const deliveries = await waitFor('a forged delivery', async () => {
        const all = (await sandboxJson(f.app, '/__sandbox/webhooks')).body.deliveries.slice(forgedBefore);
        const forged = all.filter((d: any) => d.forged && d.attempts.some((a: any) => a.status !== null));
        return forged.length ? forged : null;
      });
      const answered = deliveries.flatMap((d: any) => d.attempts.filter((a: any) => a.status !== null));
      assert.ok(answered.every((a: any) => a.status === 400), JSON.stringify(answered));
      assert.equal((await inboxRows(f, provider)).length, before, 'nothing stored');
      assert.ok(f.app.logs.some((l) => l.security === true && /signature invalid/.test(String(l.msg))), 'a security log line');
      const metrics = await (await fetch(`${f.app.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`leadscalendar_provider_notifications_rejected_total\\{provider="${provider}"\\} [1-9]`));
      const still = await getPayment(f.app, f.browser, other.payment.id);
      assert.notEqual(still.status, 'captured', 'a forged notification confirmed nothing');
      assert.notEqual(still.status, 'authorized');
    });

    it('429 and 5xx answers from the provider are retried until the booking is confirmed', async () => {
      const ops = provider === 'paypal' ? ['orders.get', 'orders.authorize', 'authorizations.capture'] : ['order.query'];
      for (const operation of ops) {
        await addFault(f.app.runtime.sandbox, { provider, operation, fault: 'http_error', status: 429, retryAfterSeconds: 1, count: 1 });
        await addFault(f.app.runtime.sandbox, { provider, operation, fault: 'http_error', status: 503, count: 1 });
      }
      const { event, payment } = await book(f, provider, 'Flaky provider');
      await payerPays(f, provider, payment);
      await waitForEvent(f.app, f.browser, event.id, 'confirmed', 60_000);
      const fired = (await sandboxJson(f.app, '/__sandbox/faults')).body.fired.filter((x: any) => x.fault === 'http_error' || x.rule?.fault === 'http_error');
      assert.ok(fired.length >= ops.length * 2, `faults fired: ${JSON.stringify(fired).slice(0, 300)}`);
      assert.equal((await calendarCopies(f, event.id)).length, 1);
    });

    it('an amount the provider reports differently flags the payment for review and never confirms', async () => {
      const { event, payment } = await book(f, provider, 'Mismatch');
      // Our record says 2.00 was asked for; the provider holds 1.00: the answers disagree.
      await f.app.runtime.db.query(`update payments set charge_minor = charge_minor * 2 where id = $1`, [payment.id]);
      await payerPays(f, provider, payment);
      const p = await waitForPayment(f.app, f.browser, payment.id, 'review');
      assert.match(p.reason, /amount/);
      const e = await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id);
      assert.equal(e.state, 'pending_payment');
      assert.equal((await calendarCopies(f, event.id)).length, 0);
    });

    it('cancelling a confirmed event refunds it and cancels it on Google Calendar, attendees told per sendUpdates', async () => {
      const event = await createEvent(f.app, f.browser, { title: 'Cancelled after', sendUpdates: 'externalOnly', attendees: [{ email: 'guest@elsewhere.example' }] });
      const payment = await startPayment(f.app, f.browser, event.id, provider);
      await payerPays(f, provider, payment);
      await waitForEvent(f.app, f.browser, event.id, 'confirmed');
      const api = await import('../support/google.ts');
      const first = await api.apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {});
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await api.apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {});
      assert.ok(again.status === 202 || again.status === 200, `asking again is harmless (${again.status})`);
      await waitForPayment(f.app, f.browser, payment.id, 'refunded');
      const cancelled = await waitForEvent(f.app, f.browser, event.id, 'cancelled');
      assert.match(cancelled.timeline.map((t: any) => t.reason).join('\n'), /cancelled by its owner/);
      await waitFor('the Google event cancelled', async () => ((await calendarCopies(f, event.id))[0]?.status === 'cancelled' ? true : null));
      const moves = await f.app.db.db.query<{ operation: string }>('select operation from money_movements where payment_id = $1 order by operation', [payment.id]);
      assert.deepEqual(moves.map((m) => m.operation), provider === 'paypal' ? ['capture', 'refund'] : ['refund'], 'one row per movement, asked twice or not');
      const notes = (await sandboxJson(f.app, '/__sandbox/google/notifications')).body.notifications as { eventId: string; action: string; sendUpdates: string }[];
      const googleId = cancelled.google.eventId;
      assert.deepEqual(notes.filter((n) => n.eventId === googleId && n.action === 'cancelled').map((n) => n.sendUpdates), ['externalOnly']);
      const third = await api.apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {});
      assert.equal(third.status, 200, 'a cancelled event is returned as it is');
    });

    it('a refund through the API returns the money and cancels the confirmed event', async () => {
      const { event, payment } = await book(f, provider, 'Refunded');
      await payerPays(f, provider, payment);
      await waitForEvent(f.app, f.browser, event.id, 'confirmed');
      const api = await import('../support/google.ts');
      const first = await api.apiPost(f.app, f.browser, `/api/v1/payments/${payment.id}/refund`, {});
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await api.apiPost(f.app, f.browser, `/api/v1/payments/${payment.id}/refund`, {});
      assert.equal(again.status, 202, 'idempotent');
      await waitForPayment(f.app, f.browser, payment.id, 'refunded');
      // The refund's id arrives with the refund call's answer (the provider's notification may settle it first).
      await waitFor('the refund id', async () => (await getPayment(f.app, f.browser, payment.id)).providerReference.refundId);
      const cancelled = await waitForEvent(f.app, f.browser, event.id, 'cancelled');
      assert.match(cancelled.timeline.filter((t: any) => t.subject === 'event').at(-1).reason, /refunded/);
      await waitFor('the Google event removed', async () => ((await calendarCopies(f, event.id))[0]?.status === 'cancelled' ? true : null));
      if (provider === 'binance') {
        const refunds = (await sandboxJson(f.app, `/__sandbox/binance/orders/${payment.providerReference.orderId}`)).body;
        assert.equal(JSON.stringify(refunds).match(/refundRequestId/g)?.length ?? 1, 1, 'one refund');
      }
    });

    it('money taken back after confirmation (a reversal or a refund outside LeadsCalendar) cancels the event', async () => {
      const { event, payment } = await book(f, provider, 'Reversed');
      await payerPays(f, provider, payment);
      await waitForEvent(f.app, f.browser, event.id, 'confirmed');
      const p = await getPayment(f.app, f.browser, payment.id);
      if (provider === 'paypal') {
        const res = await sandboxJson(f.app, `/__sandbox/paypal/captures/${p.providerReference.captureId}/reverse`, { method: 'POST', body: '{}' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        await waitForPayment(f.app, f.browser, payment.id, 'reversed');
      } else {
        await refundAtBinanceOutside(f, payment.providerReference.orderId, p.charge.value);
        await waitForPayment(f.app, f.browser, payment.id, 'refunded');
      }
      await waitForEvent(f.app, f.browser, event.id, 'cancelled');
      await waitFor('the Google event removed', async () => ((await calendarCopies(f, event.id))[0]?.status === 'cancelled' ? true : null));
    });

    it('a calendar insert failing for good returns the money (PayPal authorize: void; Binance: refund)', async () => {
      await addFault(f.app.runtime.sandbox, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: null });
      const { event, payment } = await book(f, provider, 'Calendar refuses');
      await payerPays(f, provider, payment);
      const failed = await waitForEvent(f.app, f.browser, event.id, 'failed');
      assert.ok(failed.failureReason);
      await waitForPayment(f.app, f.browser, payment.id, provider === 'paypal' ? 'voided' : 'refunded');
      assert.equal((await calendarCopies(f, event.id)).filter((e: any) => e.status !== 'cancelled').length, 0);
    });
  });
}

describe('payments with PayPal in CAPTURE mode', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow({ PAYPAL_INTENT: 'CAPTURE' });
  });
  after(() => f?.app.close());
  afterEach(() => clearFaults(f));

  it('captures at approval and confirms', async () => {
    const { event, payment } = await book(f, 'paypal', 'Capture mode');
    assert.equal(payment.intent, 'CAPTURE');
    await payerPays(f, 'paypal', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    assert.equal((await getPayment(f.app, f.browser, payment.id)).status, 'captured');
  });

  it('refunds when the calendar insert fails for good', async () => {
    await addFault(f.app.runtime.sandbox, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: null });
    const { event, payment } = await book(f, 'paypal', 'Capture then refund');
    await payerPays(f, 'paypal', payment);
    await waitForEvent(f.app, f.browser, event.id, 'failed');
    const p = await waitForPayment(f.app, f.browser, payment.id, 'refunded');
    assert.ok(p.providerReference.refundId);
  });

  it('a PENDING capture waits for its completion before the event is paid', async () => {
    const { event, payment } = await book(f, 'paypal', 'Pending capture');
    await payerPays(f, 'paypal', payment, { funding: 'pending' });
    const pending = await waitForPayment(f.app, f.browser, payment.id, 'pending');
    assert.equal((await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id)).state, 'pending_payment');
    const order = (await sandboxJson(f.app, '/__sandbox/paypal/orders')).body.orders.find((o: any) => o.id === pending.providerReference.orderId);
    const captureId = order.purchase_units[0].payments.captures[0].id;
    assert.equal((await sandboxJson(f.app, `/__sandbox/paypal/captures/${captureId}/resolve`, { method: 'POST', body: JSON.stringify({ outcome: 'complete' }) })).status, 200);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
  });
});

describe('PayPal in CAPTURE mode: money that settles after the deadline', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow({ PAYPAL_INTENT: 'CAPTURE', PAYMENT_RECONCILE_AFTER_SECONDS: '1', PAYMENT_RECONCILE_INTERVAL_SECONDS: '0.5' });
  });
  after(() => f?.app.close());

  it('a capture pending at the deadline that completes afterwards is refunded automatically', async () => {
    const { event, payment } = await book(f, 'paypal', 'Settles too late');
    await payerPays(f, 'paypal', payment, { funding: 'pending' });
    const pending = await waitForPayment(f.app, f.browser, payment.id, 'pending');
    await expireNow(f, event.id);
    await waitForPayment(f.app, f.browser, payment.id, 'expired');
    const order = (await sandboxJson(f.app, '/__sandbox/paypal/orders')).body.orders.find((o: any) => o.id === pending.providerReference.orderId);
    const captureId = order.purchase_units[0].payments.captures[0].id;
    assert.equal((await sandboxJson(f.app, `/__sandbox/paypal/captures/${captureId}/resolve`, { method: 'POST', body: JSON.stringify({ outcome: 'complete' }) })).status, 200);
    const refunded = await waitForPayment(f.app, f.browser, payment.id, 'refunded', 30_000);
    assert.match(refunded.transitions.map((t: any) => t.reason).join('\n'), /after the payment was expired/);
    assert.equal((await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id)).state, 'expired');
    assert.equal((await calendarCopies(f, event.id)).length, 0);
  });
});

describe('lost notifications and late money', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow({ PAYMENT_RECONCILE_AFTER_SECONDS: '1', PAYMENT_RECONCILE_INTERVAL_SECONDS: '0.5' });
  });
  after(() => f?.app.close());
  afterEach(() => clearFaults(f));

  for (const provider of ['paypal', 'binance'] as const) {
    it(`${provider}: a dropped notification is healed by reconciliation`, async () => {
      await addFault(f.app.runtime.sandbox, { provider, operation: '*', fault: 'webhook_drop', count: null });
      const { event, payment } = await book(f, provider, 'Dropped notification');
      await payerPays(f, provider, payment, { returnToApp: false });
      await waitForEvent(f.app, f.browser, event.id, 'confirmed', 30_000);
      assert.equal((await inboxRows(f, provider)).filter((r) => r.provider_type !== '').length >= 0, true);
      const dropped = (await sandboxJson(f.app, '/__sandbox/webhooks')).body.deliveries.filter((d: any) => d.provider === provider && d.state === 'dropped');
      assert.ok(dropped.length > 0, 'the notification really was dropped');
    });
  }

  it('paypal: a hold whose capture job was lost is captured by reconciliation', async () => {
    // The capture keeps failing for now, and then its job disappears (a database restored from a backup, an operator's mistake).
    await addFault(f.app.runtime.sandbox, { provider: 'paypal', operation: 'authorizations.capture', fault: 'http_error', status: 503, count: null });
    const { event, payment } = await book(f, 'paypal', 'Capture job lost');
    await payerPays(f, 'paypal', payment);
    await waitFor('the event on the calendar, its hold not captured', async () => {
      const e = await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id);
      return e.state === 'paid' && e.google.onCalendarAt ? e : null;
    });
    await f.app.runtime.db.query(`delete from pgboss.job where name = 'payment.capture' and data->>'paymentId' = $1`, [payment.id]);
    await clearFaults(f);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed', 30_000);
    assert.equal((await getPayment(f.app, f.browser, payment.id)).status, 'captured');
  });

  it('binance: a payment made after the event expired is refunded automatically', async () => {
    // The close at Binance fails for now, so the payer can still pay the order after the deadline.
    await addFault(f.app.runtime.sandbox, { provider: 'binance', operation: 'order.close', fault: 'http_error', status: 503, count: null });
    const { event, payment } = await book(f, 'binance', 'Paid too late');
    await expireNow(f, event.id);
    await waitForPayment(f.app, f.browser, payment.id, 'expired');
    await payerPays(f, 'binance', payment, { returnToApp: false });
    const p = await waitForPayment(f.app, f.browser, payment.id, 'refunded', 30_000);
    assert.match(p.transitions.map((t: any) => t.reason).join('\n'), /after the payment was expired|payment deadline/);
    assert.equal((await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id)).state, 'expired');
    assert.equal((await calendarCopies(f, event.id)).length, 0);
  });

  it('paypal: an approval after the event expired takes no money', async () => {
    const { event, payment } = await book(f, 'paypal', 'Approved too late');
    await expireNow(f, event.id);
    await payerPays(f, 'paypal', payment);
    const p = await waitForPayment(f.app, f.browser, payment.id, 'expired');
    const order = (await sandboxJson(f.app, '/__sandbox/paypal/orders')).body.orders.find((o: any) => o.id === p.providerReference.orderId);
    assert.equal(order.purchase_units[0].payments, undefined, 'never authorized nor captured');
  });
});

describe('payments with PayPal in AUTHORIZE mode, when PayPal leaves the capture pending', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow();
  });
  after(() => f?.app.close());

  it('the event waits on the calendar, says why, and is confirmed once PayPal completes the capture', async () => {
    const { event, payment } = await book(f, 'paypal', 'eCheck');
    await payerPays(f, 'paypal', payment, { funding: 'pending' });
    const held = await waitFor('the capture to be pending at PayPal', async () => {
      const p = await getPayment(f.app, f.browser, payment.id);
      return p.status === 'authorized' && p.reason ? p : null;
    });
    assert.match(held.reason, /PayPal is completing the payment/);
    const e = await (await import('../support/payments.ts')).getEvent(f.app, f.browser, event.id);
    assert.equal(e.state, 'paid');
    assert.ok(e.google.onCalendarAt, 'already on the calendar');
    const order = (await sandboxJson(f.app, '/__sandbox/paypal/orders')).body.orders.find((o: any) => o.id === payment.providerReference.orderId);
    const captureId = order.purchase_units[0].payments.captures[0].id;
    assert.equal((await sandboxJson(f.app, `/__sandbox/paypal/captures/${captureId}/resolve`, { method: 'POST', body: JSON.stringify({ outcome: 'complete' }) })).status, 200);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    assert.equal((await getPayment(f.app, f.browser, payment.id)).reason, null);
  });

  it('a capture denied after review undoes the booking: the event fails and leaves the calendar, no money taken', async () => {
    const { event, payment } = await book(f, 'paypal', 'Denied after review');
    await payerPays(f, 'paypal', payment, { funding: 'denied' });
    const failed = await waitForEvent(f.app, f.browser, event.id, 'failed');
    assert.match(failed.failureReason, /PayPal refused to complete the payment.*no money was taken/);
    assert.equal((await getPayment(f.app, f.browser, payment.id)).status, 'declined');
    await waitFor('the Google event removed', async () => ((await calendarCopies(f, event.id))[0]?.status === 'cancelled' ? true : null));
  });
});
