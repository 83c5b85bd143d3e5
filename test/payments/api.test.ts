import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPost, signIn } from '../support/google.ts';
import { createEvent, getPayment, startPayment } from '../support/payments.ts';
import { book, openFlow, payerPays, waitForEvent, type Flow } from './flow.ts';

/** The payments API as an integrator reads it: history with filters and cursors, ownership, refusals. */
describe('payments API', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow();
  });
  after(() => f?.app.close());

  it('lists the payer’s payments newest first, filtered by status and provider, a page at a time', async () => {
    const ids: string[] = [];
    for (const provider of ['paypal', 'binance', 'paypal'] as const) {
      const e = await createEvent(f.app, f.browser, { title: `History ${provider}` });
      ids.push((await startPayment(f.app, f.browser, e.id, provider)).id);
    }
    const all = (await f.browser.json(`${f.app.url}/api/v1/payments?limit=100`)).body;
    const mine = all.payments.map((p: { id: string }) => p.id).filter((id: string) => ids.includes(id));
    assert.deepEqual(mine, [...ids].reverse(), 'newest first');

    const paypal = (await f.browser.json(`${f.app.url}/api/v1/payments?provider=paypal&status=created&limit=100`)).body.payments;
    assert.ok(paypal.every((p: { provider: string; status: string }) => p.provider === 'paypal' && p.status === 'created'));
    assert.ok(ids.filter((_, i) => i !== 1).every((id) => paypal.some((p: { id: string }) => p.id === id)));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { payments: { id: string }[]; nextCursor: string | null } = (
        await f.browser.json(`${f.app.url}/api/v1/payments?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).body;
      assert.ok(page.payments.length <= 1);
      seen.push(...page.payments.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all.payments.map((p: { id: string }) => p.id), 'pages neither skip nor repeat');
  });

  it('an event’s payments, and one payment with its history', async () => {
    const { event, payment } = await book(f, 'binance', 'With history');
    const list = (await f.browser.json(`${f.app.url}/api/v1/events/${event.id}/payments`)).body.payments;
    assert.deepEqual(list.map((p: { id: string }) => p.id), [payment.id]);
    const one = await getPayment(f.app, f.browser, payment.id);
    assert.equal(one.transitions[0].to, 'created');
    assert.equal(one.providerReference.merchantReference, payment.id.replaceAll('-', ''));
  });

  it('another person’s payment and event read as absent', async () => {
    const { event, payment } = await book(f, 'paypal', 'Private');
    const { browser: other } = await signIn(f.app, { email: 'someone-else@example.com' });
    assert.equal((await other.json(`${f.app.url}/api/v1/payments/${payment.id}`)).status, 404);
    assert.equal((await other.json(`${f.app.url}/api/v1/events/${event.id}/payments`)).status, 404);
    assert.equal((await apiPost(f.app, other, `/api/v1/events/${event.id}/payments`, { provider: 'paypal' })).status, 404);
    assert.equal((await apiPost(f.app, other, `/api/v1/payments/${payment.id}/refund`, {})).status, 404);
    const theirs = (await other.json(`${f.app.url}/api/v1/payments`)).body.payments;
    assert.equal(theirs.length, 0);
  });

  it('refuses an unknown provider, and paying an event that is no longer waiting', async () => {
    const e = await createEvent(f.app, f.browser, { title: 'Refusals' });
    const bad = await apiPost(f.app, f.browser, `/api/v1/events/${e.id}/payments`, { provider: 'stripe' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_failed');
    const { event, payment } = await book(f, 'binance', 'Paid once');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    const again = await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/payments`, { provider: 'paypal' });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'event_not_payable');
  });

  it('cancelling an event waiting for payment closes its open order', async () => {
    const { event, payment } = await book(f, 'binance', 'Cancelled with an open order');
    assert.equal((await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {})).status, 200);
    const p = await getPayment(f.app, f.browser, payment.id);
    assert.equal(p.status, 'cancelled');
    assert.equal(p.nextAction, null);
  });
});
