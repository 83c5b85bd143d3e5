import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUES } from '../../src/app/events.ts';
import { Browser } from '../support/browser.ts';
import { dbKinds, type DbKind } from '../support/db.ts';
import { apiPost, sandboxJson, signIn } from '../support/google.ts';
import { addFault, clearFaults, expireNow, getPayment, openFlow, payerPays, returnToApp, waitFor, waitForEvent, waitForPayment, type Flow, type ProviderId } from '../payments/flow.ts';
import { getEvent } from '../support/payments.ts';
import { invariantViolations, liveGoogleEvents, pendingWork, TIMERS } from '../support/invariants.ts';

/**
 * DESIGN.md §1's five invariants, proved on a mixed batch of paid bookings (both providers) driven
 * over real HTTP while the sandbox misbehaves for the whole batch: every provider operation the app
 * calls answers 429 (Retry-After) or 5xx, some not at all, before it works, and one refund is made
 * but its answer lost; notifications come duplicated, reordered, delayed, dropped and forged;
 * payments are declined; one user's Google grant is revoked after the payment and before the
 * insert, then reconnected; refunds are asked through the API. Once the
 * jobs and the reconciler are done, the invariants are checked on the database and on what the
 * emulators themselves hold, not on the API's word.
 */

const kinds = await dbKinds();
const PROVIDERS: ProviderId[] = ['paypal', 'binance'];

type Plan = 'webhook' | 'return' | 'refund' | 'declined' | 'forged' | 'revoked' | 'refused';
interface Booking {
  plan: Plan;
  provider: ProviderId;
  eventId: string;
  /** The payment as the flow helpers take it. */
  id: string;
  providerReference: { orderId: string };
  paymentId: string;
  orderId: string;
  /** The payer's session (the revoked user has their own). */
  browser: Browser;
}

/** Longer than the payment adapters wait for an answer (10 s): the provider acts, the answer is lost. */
const ANSWER_LOST_MS = 11_000;

/** Response faults on every operation the app calls, each a few times and then healthy. */
function responseFaults(): [string, string, Record<string, unknown>[]][] {
  const e429 = { fault: 'http_error', status: 429, retryAfterSeconds: 1 };
  const e503 = { fault: 'http_error', status: 503 };
  const e500 = { fault: 'http_error', status: 500 };
  const hang = { fault: 'timeout' };
  return [
    ['google', 'oauth.token', [e429, e503]],
    ['google', 'calendar.calendarList.list', [e503]],
    ['google', 'calendar.freebusy.query', [e429, e500]],
    ['google', 'calendar.events.insert', [e429, e503, hang]],
    ['google', 'calendar.events.delete', [e503]],
    ['paypal', 'oauth.token', [e503]],
    ['paypal', 'orders.create', [e429, e500]],
    ['paypal', 'orders.get', [e429, e503, hang]],
    ['paypal', 'orders.authorize', [e429, e503]],
    ['paypal', 'authorizations.capture', [e429, e503, hang]],
    ['paypal', 'authorizations.void', [e503]],
    ['paypal', 'captures.refund', [e429, e503]],
    ['binance', 'order.create', [e429, e503]],
    ['binance', 'order.query', [e429, e503, hang]],
    ['binance', 'order.close', [e503]],
    ['binance', 'order.refund', [e429, e503]],
    ['binance', 'order.refund.query', [e503]],
    ['binance', 'certificates', [e503]],
  ];
}

async function switchFaultsOn(f: Flow, intent: 'AUTHORIZE' | 'CAPTURE', providers: ProviderId[]) {
  for (const [provider, operation, faults] of responseFaults()) {
    if (provider !== 'google' && !providers.includes(provider as ProviderId)) continue;
    // CAPTURE mode never captures an authorization nor voids one; AUTHORIZE captures the order only through it.
    if (intent === 'CAPTURE' && operation.startsWith('authorizations.')) continue;
    if (intent === 'CAPTURE' && operation === 'orders.authorize') {
      for (const x of faults) await addFault(f.app.runtime.sandbox, { provider, operation: 'orders.capture', ...x, count: 1 });
      continue;
    }
    for (const x of faults) await addFault(f.app.runtime.sandbox, { provider, operation, ...x, count: 1 });
  }
  for (const provider of providers) {
    await addFault(f.app.runtime.sandbox, { provider, operation: '*', fault: 'webhook_duplicate', copies: 3, count: null });
    await addFault(f.app.runtime.sandbox, { provider, operation: REFUNDED[provider], fault: 'webhook_forge', count: 1 });
  }
}

/** The notification a payer's action makes the provider send at once, and the one a refund ends with. */
const PAID: Record<ProviderId, string> = { paypal: 'CHECKOUT.ORDER.APPROVED', binance: 'PAY_SUCCESS' };
const REFUNDED: Record<ProviderId, string> = { paypal: 'PAYMENT.CAPTURE.REFUNDED', binance: 'REFUND_SUCCESS' };
/** Each paid booking's first notification misbehaves its own way (on top of the duplicates). */
const NOTIFICATION_FAULT: Partial<Record<Plan, Record<string, unknown>>> = {
  webhook: { fault: 'webhook_drop' },
  return: { fault: 'webhook_forge' },
  refund: { fault: 'webhook_reorder' },
  revoked: { fault: 'webhook_delay', ms: 1500 },
};

/** A POST a client repeats while the app says a provider is unavailable for now (nothing was created). */
async function postUntilAccepted(f: Flow, browser: Browser, path: string, body: unknown, expected: number) {
  for (let i = 0; ; i++) {
    const res = await apiPost(f.app, browser, path, body);
    if (res.status === expected || i >= 8 || ![429, 502, 503, 504].includes(res.status)) {
      assert.equal(res.status, expected, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    }
    await sleep(Number(res.headers.get('retry-after') ?? 0) * 1000 + 200);
  }
}

let day = 0;
async function book(f: Flow, browser: Browser, provider: ProviderId, plan: Plan): Promise<Booking> {
  const d = String(1 + (day++ % 28)).padStart(2, '0');
  const created = await postUntilAccepted(f, browser, '/api/v1/events', { title: `${plan} ${provider}`, timeZone: 'UTC', start: `2032-03-${d}T09:00`, end: `2032-03-${d}T10:00` }, 201);
  const eventId: string = created.event.id;
  const payment = await postUntilAccepted(f, browser, `/api/v1/events/${eventId}/payments`, { provider }, 201);
  return { plan, provider, eventId, id: payment.id, providerReference: { orderId: payment.providerReference.orderId }, paymentId: payment.id, orderId: payment.providerReference.orderId, browser };
}

/** Work the queue would run later (retry backoff, Retry-After) runs now: time moves by back-dating, not sleeping. */
async function dueNow(f: Flow) {
  const rows = await f.app.runtime.db.query<{ name: string }>(
    `update pgboss.job set start_after = now() where state in ('created', 'retry') and start_after > now() and name <> all($1::text[]) returning name`,
    [TIMERS],
  );
  for (const name of new Set(rows.map((r) => r.name))) f.app.runtime.jobs.nudge(name);
}

/** A PayPal or Binance notification about a paid order, altered to claim the unpaid `target` paid; its signature no longer matches. */
function forgeFrom(genuine: { body: string; headers: Record<string, string> }, paid: Booking, target: Booking) {
  let body = genuine.body;
  for (const [from, to] of [
    [paid.orderId, target.orderId],
    [paid.paymentId, target.paymentId],
    [paid.paymentId.replaceAll('-', ''), target.paymentId.replaceAll('-', '')],
  ] as const) body = body.replaceAll(from, to);
  if (paid.provider === 'paypal') body = body.replace(/"id":"WH-[^"]+"/, `"id":"WH-FORGED-${randomUUID()}"`);
  return { body, headers: genuine.headers };
}

async function batch(kind: DbKind, intent: 'AUTHORIZE' | 'CAPTURE') {
  const f = await openFlow(
    { PAYPAL_INTENT: intent, PAYMENT_RECONCILE_AFTER_SECONDS: '1', PAYMENT_RECONCILE_INTERVAL_SECONDS: '0.5', JOB_MAINTENANCE_INTERVAL_SECONDS: '1' },
    `faults-${intent.toLowerCase()}@example.com`,
    kind,
  );
  // Retries and back-offs run when due, not after their delay: time moves by back-dating, not sleeping.
  let hurrying = false;
  const ticker = setInterval(() => {
    if (hurrying) return;
    hurrying = true;
    void dueNow(f).catch(() => {}).finally(() => (hurrying = false));
  }, 300);
  try {
    const sandbox = f.app.runtime.sandbox;
    const revokedEmail = `revoked-${intent.toLowerCase()}@example.com`;
    const { browser: revokedBrowser } = await signIn(f.app, { email: revokedEmail });
    const { browser: intruder } = await signIn(f.app, { email: `intruder-${intent.toLowerCase()}@example.com` });
    const providers = intent === 'AUTHORIZE' ? PROVIDERS : (['paypal'] as ProviderId[]);
    await switchFaultsOn(f, intent, providers);
    // The payer's access token is stale: the next Google call refreshes it, through the token faults.
    assert.equal((await sandboxJson(f.app, '/__sandbox/google/tokens/expire', { method: 'POST', body: JSON.stringify({ email: f.email }) })).status, 200);

    const bookings: Booking[] = [];
    for (const provider of providers) {
      for (const plan of ['webhook', 'return', 'refund', 'declined', 'forged'] as const) bookings.push(await book(f, f.browser, provider, plan));
      bookings.push(await book(f, revokedBrowser, provider, 'revoked'));
    }
    const of = (plan: Plan) => bookings.filter((b) => b.plan === plan);

    // Google revoked mid-flow: after the bookings were made, before the money arrives and the insert runs.
    const revoked = await sandboxJson(f.app, `/__sandbox/google/users/${encodeURIComponent(revokedEmail)}/revoke`, { method: 'POST', body: '{}' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

    for (const b of bookings) {
      if (b.plan === 'forged') continue;
      const misbehaves = NOTIFICATION_FAULT[b.plan];
      if (misbehaves) await addFault(sandbox, { provider: b.provider, operation: PAID[b.provider], ...misbehaves, count: 1 });
      if (b.plan === 'declined' && b.provider === 'binance') {
        await addFault(sandbox, { provider: 'binance', operation: 'checkout.pay', fault: 'decline', count: 1 });
        // Binance notifies no failed payment: the payer's way back tells the app to look.
        await payerPays({ ...f, browser: b.browser }, b.provider, b, { returnToApp: true });
        continue;
      }
      if (b.plan === 'declined') {
        await payerPays({ ...f, browser: b.browser }, b.provider, b, { funding: 'declined' });
        continue;
      }
      await payerPays({ ...f, browser: b.browser }, b.provider, b, { returnToApp: b.plan === 'return' });
    }

    // The revoked user's bookings wait, paid, saying why; reconnecting resumes them.
    const me = await waitFor('the revoked grant to show', async () => {
      const m = (await revokedBrowser.json(`${f.app.url}/api/v1/me`)).body;
      return m.google.status === 'needs_reconnect' ? m : null;
    }, 60_000, 100);
    assert.ok(me.google.needsReconnectSince);
    for (const b of of('revoked')) {
      await waitForEvent(f.app, b.browser, b.eventId, 'paid', 60_000);
      assert.equal(liveGoogleEvents(f.app.runtime, b.eventId).length, 0, 'not on the calendar while the grant is revoked');
    }
    // Reconnect once the token faults are spent (a person retries a failed sign-in; the test need not).
    await waitFor('the Google token faults to be spent', async () =>
      ((await sandboxJson(f.app, '/__sandbox/faults')).body.faults as any[]).every((r) => !(r.provider === 'google' && r.operation === 'oauth.token')), 60_000, 100);
    await signIn(f.app, { email: revokedEmail, start: '/auth/google/start?consent=1' }, revokedBrowser);

    // Refunds asked through the API once the booking is confirmed (twice: the second is the same refund).
    for (const b of of('refund')) {
      await waitForEvent(f.app, b.browser, b.eventId, 'confirmed', 90_000);
      await postUntilAccepted(f, b.browser, `/api/v1/payments/${b.paymentId}/refund`, {}, 202);
      await postUntilAccepted(f, b.browser, `/api/v1/payments/${b.paymentId}/refund`, {}, 202);
    }

    // Forged: a genuine notification about a paid order, altered to say the unpaid one was paid.
    const forgedAnswers: number[] = [];
    for (const target of of('forged')) {
      const { genuine, paid } = await waitFor('a genuine notification to alter', () => {
        for (const d of sandbox.ctx.webhooks.deliveries) {
          const paid = bookings.find((b) => b.provider === target.provider && b.plan !== 'forged' && d.body.includes(b.orderId));
          if (paid && d.provider === target.provider && !d.forged && d.attempts.some((a) => a.status === 200)) return { genuine: d, paid };
        }
        return null;
      }, 60_000, 100);
      const attempt = genuine.attempts.find((a) => a.status === 200)!;
      const forged = forgeFrom({ body: genuine.body, headers: attempt.headers! }, paid, target);
      const res = await fetch(`${f.app.url}/webhooks/${target.provider}`, { method: 'POST', headers: forged.headers, body: forged.body });
      forgedAnswers.push(res.status);
      await res.text();
    }
    assert.deepEqual(forgedAnswers, of('forged').map(() => 400), 'a forged notification is refused');

    // Invariant 5, while payments are open: the other signed-in user can neither see nor act on them.
    await assertIsolated(f, intruder, bookings);

    // A calendar that refuses the insert for good: the money goes back (AUTHORIZE: void; otherwise refund).
    for (const provider of providers) {
      const b = await book(f, f.browser, provider, 'refused');
      bookings.push(b);
      await waitFor('earlier inserts to be done', async () => ((await f.app.runtime.db.query(`select 1 from pgboss.job where name = $1 and state in ('created','retry','active')`, [QUEUES.insert])).length === 0 ? true : null), 90_000, 200);
      await addFault(sandbox, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: 1 });
      const refund = provider === 'binance' ? 'order.refund' : intent === 'CAPTURE' ? 'captures.refund' : null;
      if (refund) {
        // The refund is made but its answer comes after our client gave up: the retry must not refund twice.
        await waitFor(`the ${refund} faults to be spent`, async () =>
          ((await sandboxJson(f.app, '/__sandbox/faults')).body.faults as any[]).every((r) => r.operation !== refund), 60_000, 100);
        await addFault(sandbox, { provider, operation: refund, fault: 'latency', ms: ANSWER_LOST_MS, count: 1 });
      }
      await payerPays(f, provider, b, { returnToApp: false });
      await waitForEvent(f.app, f.browser, b.eventId, 'failed', 90_000);
    }

    // Let the jobs and the reconciler finish the rest.
    for (const b of bookings) {
      const want = { webhook: 'confirmed', return: 'confirmed', revoked: 'confirmed', refund: 'cancelled', refused: 'failed', declined: 'pending_payment', forged: 'pending_payment' }[b.plan];
      await waitForEvent(f.app, b.browser, b.eventId, want, 120_000);
    }
    for (const b of of('declined')) await waitForPayment(f.app, b.browser, b.paymentId, 'declined', 60_000);
    // Forged-only: nothing moved the unpaid payment, and the inbox holds nothing about it.
    for (const b of of('forged')) {
      assert.equal((await getPayment(f.app, b.browser, b.paymentId)).status, 'created', 'a forged notification moved nothing');
      const rows = await f.app.runtime.db.query(`select 1 from payment_notifications where provider_ref = $1 or payment_id = $2`, [b.orderId, b.paymentId]);
      assert.equal(rows.length, 0, 'no inbox row from a forged delivery');
    }
    // Unpaid bookings reach their deadline; the payment closes with them.
    for (const b of [...of('declined'), ...of('forged')]) await expireNow({ ...f, browser: b.browser }, b.eventId);
    const refundTarget: Record<ProviderId, string> = { paypal: intent === 'AUTHORIZE' ? 'voided' : 'refunded', binance: 'refunded' };
    for (const b of of('refund')) await waitForPayment(f.app, b.browser, b.paymentId, 'refunded', 90_000);
    for (const b of of('refused')) await waitForPayment(f.app, b.browser, b.paymentId, refundTarget[b.provider], 90_000);
    for (const b of of('forged')) await waitForPayment(f.app, b.browser, b.paymentId, 'expired', 60_000);
    await waitFor('every job done', async () => ((await pendingWork(f.app.runtime.db)).length === 0 ? true : null), 120_000, 200).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify(await pendingWork(f.app.runtime.db))}`);
    });

    await assertAllFaultsFired(f, providers);
    await assertInvariants(f, bookings);
    await assertIsolated(f, intruder, bookings);
  } finally {
    clearInterval(ticker);
    await clearFaults(f).catch(() => {});
    await f.app.close();
  }
}

async function assertAllFaultsFired(f: Flow, providers: ProviderId[]) {
  const { faults, fired } = (await sandboxJson(f.app, '/__sandbox/faults')).body as { faults: any[]; fired: any[] };
  const left = faults.filter((r) => r.remaining !== null && r.remaining > 0);
  assert.deepEqual(left.map((r) => `${r.provider} ${r.operation} ${r.fault} ${r.status ?? ''}`), [], 'every counted fault reached the app');
  for (const provider of providers) {
    const kinds = new Set(fired.filter((x) => x.provider === provider).map((x) => x.fault));
    for (const k of ['webhook_duplicate', 'webhook_reorder', 'webhook_delay', 'webhook_drop', 'webhook_forge']) assert.ok(kinds.has(k), `${provider}: ${k} fired`);
  }
}

async function assertInvariants(f: Flow, bookings: Booking[]) {
  const db = f.app.runtime.db;
  assert.deepEqual(await invariantViolations({ db, sandbox: f.app.runtime.sandbox }), [], 'DESIGN.md §1 invariants');
  const events = await db.query<{ id: string; state: string }>(`select id, state from events`);
  assert.ok(events.length >= bookings.length);
  // The faults this batch is about really happened.
  const deliveries = f.app.runtime.sandbox.ctx.webhooks.deliveries;
  assert.ok(deliveries.some((d) => d.duplicateOf), 'duplicates were sent');
  assert.ok(deliveries.some((d) => d.forged && d.attempts.some((a) => a.status !== null)), 'forged deliveries reached the app');
  assert.ok(deliveries.some((d) => d.state === 'dropped'), 'some notifications were dropped');
  for (const b of bookings) {
    const want = { webhook: 'confirmed', return: 'confirmed', revoked: 'confirmed', refund: 'cancelled', refused: 'failed', declined: 'expired', forged: 'expired' }[b.plan];
    assert.equal(events.find((e) => e.id === b.eventId)!.state, want, `${b.plan} ${b.provider}`);
  }
}

/** 5. Another signed-in user gets 404 for every read and every action on these bookings, and changes nothing. */
async function assertIsolated(f: Flow, intruder: Browser, bookings: Booking[]) {
  const before = await Promise.all(bookings.map(async (b) => [(await getEvent(f.app, b.browser, b.eventId)).state, (await getPayment(f.app, b.browser, b.paymentId)).status]));
  for (const b of bookings) {
    for (const path of [`/api/v1/events/${b.eventId}`, `/api/v1/payments/${b.paymentId}`, `/api/v1/events/${b.eventId}/payments`]) {
      assert.equal((await intruder.json(`${f.app.url}${path}`)).status, 404, `GET ${path}`);
    }
    for (const [path, body] of [
      [`/api/v1/events/${b.eventId}/payments`, { provider: b.provider }],
      [`/api/v1/events/${b.eventId}/cancel`, {}],
      [`/api/v1/payments/${b.paymentId}/refund`, {}],
    ] as const) {
      assert.equal((await apiPost(f.app, intruder, path, body)).status, 404, `POST ${path}`);
    }
    // Giving up on someone else's payment at the provider's cancel page closes nothing.
    await returnToApp({ ...f, browser: intruder }, b.provider, b, true);
  }
  const lists = [(await intruder.json(`${f.app.url}/api/v1/events`)).body.events, (await intruder.json(`${f.app.url}/api/v1/payments`)).body.payments];
  assert.deepEqual(lists.map((l: unknown[]) => l.length), [0, 0], 'nothing of the other user listed');
  const afterwards = await Promise.all(bookings.map(async (b) => [(await getEvent(f.app, b.browser, b.eventId)).state, (await getPayment(f.app, b.browser, b.paymentId)).status]));
  const moved = bookings.filter((_, i) => afterwards[i]![1] === 'cancelled' && before[i]![1] !== 'cancelled');
  assert.deepEqual(moved.map((b) => `${b.plan} ${b.provider}`), [], "the other user's cancel page closed nothing");
}

for (const kind of ['pglite', 'postgres'] as const) {
  const skip = !kinds.includes(kind) && 'PostgreSQL unreachable (TEST_DATABASE_URL or 127.0.0.1:5432): this run is on PGlite only';
  describe(`DESIGN.md §1 invariants under sandbox faults (${kind})`, { skip }, () => {
    it('PayPal AUTHORIZE and Binance: a mixed batch under faults keeps all five invariants', { timeout: 240_000 }, () => batch(kind, 'AUTHORIZE'));
    it('PayPal CAPTURE: the same under faults', { timeout: 180_000 }, () => batch(kind, 'CAPTURE'));
  });
}
