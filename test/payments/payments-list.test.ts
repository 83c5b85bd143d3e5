import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Queryable } from '../../src/db/database.ts';
import { insertEvent } from '../../src/db/repos/events.ts';
import { insertPayment, setPaymentState, updatePayment } from '../../src/db/repos/payments.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';

/**
 * GET /api/v1/payments: the signed-in person's payments across their events, with what each one
 * is (amounts, crypto amount and rate, expiry, provider references, the event), filtered, sorted
 * and paged; never another person's. The payments are written as the payment flows write them
 * (the flows themselves are tested in booking-flows.test.ts).
 */

async function userId(db: Queryable, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }>('select id from users where email = $1', [email]);
  return row!.id;
}

/** An event and one payment for it; Binance's is paid (captured), with its USDT amount and rate. */
async function paidOrOpen(db: Queryable, owner: string, title: string, provider: 'paypal' | 'binance') {
  const eventId = randomUUID();
  await insertEvent(db, {
    id: eventId, userId: owner, title, description: null, location: null, calendarId: 'primary', timeZone: 'UTC', allDay: false,
    startLocal: '2031-06-02T10:00', endLocal: '2031-06-02T11:00', startAt: new Date('2031-06-02T10:00Z'), endAt: new Date('2031-06-02T11:00Z'),
    recurrence: [], attendees: [], sendUpdates: 'none', priceCurrency: 'USD', priceMinor: 100n, googleEventId: googleEventId(eventId),
    pendingUntil: new Date(Date.now() + 3600_000),
  }, 'test');
  const id = randomUUID();
  await insertPayment(db, { id, eventId, userId: owner, provider, priceMinor: 100n, priceCurrency: 'USD', intent: provider === 'paypal' ? 'AUTHORIZE' : null, merchantRef: `m-${id}`, expiresAt: new Date(Date.now() + 900_000) }, 'test');
  if (provider === 'binance') {
    await updatePayment(db, id, { providerRef: `prepay-${id.slice(0, 8)}`, chargeMinor: 99_850_000n, chargeCurrency: 'USDT', rate: '0.9985' });
    await setPaymentState(db, id, 'created', 'captured', 'test', { captureRef: `tx-${id.slice(0, 8)}` });
  } else {
    await updatePayment(db, id, { providerRef: `ORDER-${id.slice(0, 8)}`, chargeMinor: 100n, chargeCurrency: 'USD' });
  }
  return { id, provider, eventId, title };
}

describe('payments list', () => {
  let app: TestApp;
  let browser: Browser;
  let other: Browser;
  const made: { id: string; provider: 'paypal' | 'binance'; eventId: string; title: string }[] = [];
  let theirs: string;

  type Item = { id: string; provider: string; status: string; eventId: string; eventTitle: string; [k: string]: any };
  const list = async (query: string, who = browser) => {
    const res = await who.json(`${app.url}/api/v1/payments?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { payments: Item[]; nextCursor: string | null };
  };

  before(async () => {
    app = await startTestApp({ kind: 'pglite' });
    ({ browser } = await signIn(app, { email: 'payments-list@example.com' }));
    ({ browser: other } = await signIn(app, { email: 'someone-else@example.com' }));
    const db = app.db.db;
    const mine = await userId(db, 'payments-list@example.com');
    for (const [provider, title] of [['paypal', 'Open PayPal'], ['binance', 'Paid Binance'], ['paypal', 'Second PayPal']] as const) {
      made.push(await paidOrOpen(db, mine, title, provider));
    }
    theirs = (await paidOrOpen(db, await userId(db, 'someone-else@example.com'), 'Not yours', 'paypal')).id;
  });
  after(() => app?.close());

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
    assert.deepEqual(binance.charge, { minor: 99_850_000, currency: 'USDT', value: '0.99850000' });
    assert.equal(binance.rate, '0.9985');
    assert.equal(binance.providerReference.captureId, `tx-${binance.id.slice(0, 8)}`);
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
      const res = await browser.request(`${app.url}/api/v1/payments?${q}`, { headers: { accept: 'application/json' } });
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
      const res = await browser.request(`${app.url}/api/v1/payments?${q}&limit=1&cursor=${encodeURIComponent(cursor)}`, { headers: { accept: 'application/json' } });
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
