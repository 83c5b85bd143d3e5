import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { createEvent, payForEvent, startPayment, waitForPayment } from '../support/payments.ts';
import { openFlow, type Flow } from './flow.ts';

/**
 * GET /api/v1/payments: the signed-in person's payments across their events, with what each one
 * is (amounts, crypto amount and rate, expiry, provider references, the event), filtered, sorted
 * and paged; never another person's.
 */
describe('payments list', () => {
  let f: Flow;
  let other: Browser;
  const made: { id: string; provider: 'paypal' | 'binance'; eventId: string; title: string }[] = [];
  let theirs: string;

  type Item = { id: string; provider: string; status: string; eventId: string; eventTitle: string; [k: string]: any };
  const list = async (query: string, browser = f.browser) => {
    const res = await browser.json(`${f.app.url}/api/v1/payments?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { payments: Item[]; nextCursor: string | null };
  };

  before(async () => {
    f = await openFlow();
    for (const [provider, title] of [['paypal', 'Open PayPal'], ['binance', 'Paid Binance'], ['paypal', 'Second PayPal']] as const) {
      const e = await createEvent(f.app, f.browser, { title });
      const p = provider === 'binance' ? await payForEvent(f.app, f.browser, e.id) : await startPayment(f.app, f.browser, e.id, provider);
      made.push({ id: p.id, provider, eventId: e.id, title });
    }
    await waitForPayment(f.app, f.browser, made[1]!.id, 'captured');
    ({ browser: other } = await signIn(f.app, { email: 'someone-else@example.com' }));
    const e = await createEvent(f.app, other, { title: 'Not yours' });
    theirs = (await startPayment(f.app, other, e.id, 'paypal')).id;
  });
  after(() => f?.app.close());

  it('lists every payment newest first, each with its amounts, expiry, references and event', async () => {
    const { payments, nextCursor } = await list('');
    assert.equal(nextCursor, null);
    assert.deepEqual(payments.map((p) => p.id), made.map((m) => m.id).reverse());
    const binance = payments.find((p) => p.id === made[1]!.id)!;
    assert.equal(binance.status, 'captured');
    assert.equal(binance.eventId, made[1]!.eventId);
    assert.equal(binance.eventTitle, 'Paid Binance');
    assert.deepEqual(binance.amount, { minor: 100, currency: 'USD', value: '1.00' });
    assert.equal(binance.charge.currency, 'USDT');
    assert.match(binance.charge.value, /^\d+\.\d+$/);
    assert.match(binance.rate, /^\d+(\.\d+)?$/);
    assert.ok(Date.parse(binance.expiresAt));
    assert.ok(binance.providerReference.orderId && binance.providerReference.merchantReference);
    const paypal = payments.find((p) => p.id === made[0]!.id)!;
    assert.equal(paypal.eventTitle, 'Open PayPal');
    assert.equal(paypal.rate, null, 'no rate without a crypto amount');
    assert.equal(paypal.charge.currency, 'USD');
    assert.ok(paypal.providerReference.orderId);
  });

  it('filters by status, provider and event, and sorts oldest first', async () => {
    assert.deepEqual((await list('provider=binance')).payments.map((p) => p.id), [made[1]!.id]);
    assert.deepEqual((await list('status=captured')).payments.map((p) => p.id), [made[1]!.id]);
    assert.deepEqual((await list('provider=paypal&status=created')).payments.map((p) => p.id), [made[2]!.id, made[0]!.id]);
    assert.deepEqual((await list(`eventId=${made[2]!.eventId}`)).payments.map((p) => p.id), [made[2]!.id]);
    assert.deepEqual((await list('provider=binance&status=created')).payments, []);
    assert.deepEqual((await list('sort=created_asc')).payments.map((p) => p.id), made.map((m) => m.id));
    for (const q of ['sort=amount', 'status=paid', 'provider=stripe', 'eventId=nope', 'limit=0']) {
      const res = await f.browser.request(`${f.app.url}/api/v1/payments?${q}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400, q);
    }
  });

  it('pages with a cursor bound to its filters and sort', async () => {
    for (const sort of ['created_asc', 'created_desc']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { payments: Item[]; nextCursor: string | null } = await list(`sort=${sort}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.payments.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor);
      const ids = made.map((m) => m.id);
      assert.deepEqual(seen, sort === 'created_asc' ? ids : ids.reverse(), sort);
    }
    const cursor = (await list('provider=paypal&limit=1')).nextCursor!;
    assert.ok(cursor);
    assert.equal((await list(`provider=paypal&limit=1&cursor=${encodeURIComponent(cursor)}`)).payments[0]!.id, made[0]!.id);
    for (const q of ['provider=binance', 'sort=created_asc&provider=paypal', '', 'provider=paypal&status=created']) {
      const res = await f.browser.request(`${f.app.url}/api/v1/payments?${q}&limit=1&cursor=${encodeURIComponent(cursor)}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400, q);
      assert.equal((await res.json()).errors[0].path, 'querystring/cursor', q);
    }
  });

  it('never shows another person’s payments, even asked for by their event', async () => {
    const mine = await list('limit=100');
    assert.ok(!mine.payments.some((p) => p.id === theirs));
    const theirEvent = (await list('', other)).payments[0]!;
    assert.equal(theirEvent.id, theirs);
    assert.deepEqual((await list(`eventId=${theirEvent.eventId}`)).payments, []);
    assert.deepEqual((await list(`eventId=${made[0]!.eventId}`, other)).payments, []);
    assert.equal((await list('limit=100', other)).payments.length, 1);
  });
});
