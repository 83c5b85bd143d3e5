import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../sandbox/server.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from '../support/db.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { pool, reservePorts, sandboxJson, sharedSecrets, startInstance, until, User, type Instance } from './two-instances-support.ts';

/**
 * Issue #9, "Two instances": two app instances on one PostgreSQL database and one sandbox take N
 * concurrent paid bookings. Each step lands on a random instance; every payer's browser comes back
 * to BOTH instances at once; PayPal notifications go to A and Binance's to B, each delivered twice.
 * Whatever the interleaving, each booking must end confirmed with one Google event, one capture, no
 * money returned, one inbox row per notification, and nothing stuck in review or error.
 */

const N = Number(process.env.LC_TWO_INSTANCE_BOOKINGS ?? 200);
/** Bookings driven at once: enough to interleave both instances, few enough for a 2-core machine. */
const CLIENT_CONCURRENCY = 20;
const USERS = 4;
const SETTLE_DEADLINE_MS = 180_000;

const reachable = await postgresReachable();
if (!reachable && process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is unreachable: the two-instance test must run');
if (!reachable) process.stderr.write('# PostgreSQL unreachable: skipping the two-instance test (it needs a shared server database)\n');

type Provider = 'paypal' | 'binance';
interface Booking {
  i: number;
  provider: Provider;
  user: User;
  eventId: string;
  paymentId: string;
  orderId: string;
}

describe('two instances on one PostgreSQL database', { skip: !reachable && 'PostgreSQL unreachable' }, () => {
  let db: TestDatabase;
  let sandbox: Sandbox;
  let a: Instance;
  let b: Instance;

  before(async () => {
    db = await createTestDatabase('postgres');
    const [portA, portB] = await reservePorts();
    sandbox = await withSandbox({
      host: '127.0.0.1',
      settings: { paypalWebhookUrl: `http://127.0.0.1:${portA}/webhooks/paypal`, binanceWebhookUrl: `http://127.0.0.1:${portB}/webhooks/binance` },
    });
    // Every notification of either provider arrives twice, for the whole run.
    for (const provider of ['paypal', 'binance']) await addFault(sandbox, { provider, fault: 'webhook_duplicate', copies: 1, count: null });
    const env = {
      DATABASE_URL: db.url!,
      JOB_POLL_INTERVAL_SECONDS: '1',
      ...sharedSecrets(),
    };
    // Binance orders carry the creating instance's notify URL; the portal setting names B. Either
    // way notifications reach an instance that did not necessarily take the booking.
    a = await startInstance('a', portA, sandbox, env);
    b = await startInstance('b', portB, sandbox, env);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await sandbox?.close();
    await db?.close();
  });

  it(`takes ${N} concurrent paid bookings, each confirmed exactly once`, { timeout: 600_000 }, async () => {
    const started = Date.now();
    const instances = [a, b] as const;
    const pick = () => instances[Math.floor(Math.random() * 2)]!;

    const users: User[] = [];
    for (let u = 0; u < USERS; u++) users.push(await User.signIn(instances[u % 2]!, sandbox, `two-inst-${u}@example.com`));

    const bookings = await pool([...Array(N).keys()], CLIENT_CONCURRENCY, async (i): Promise<Booking> => {
      const provider: Provider = i % 2 === 0 ? 'paypal' : 'binance';
      const user = users[i % USERS]!;
      const day = new Date(Date.UTC(2031, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const created = await user.request(pick(), '/api/v1/events', {
        method: 'POST',
        body: { title: `Two instances #${i}`, timeZone: 'Europe/London', start: `${day}T10:00`, end: `${day}T11:00` },
      });
      assert.equal(created.status, 201, `booking ${i}: ${JSON.stringify(created.body)}`);
      const eventId = created.body.event.id as string;
      const paid = await user.request(pick(), `/api/v1/events/${eventId}/payments`, { method: 'POST', body: { provider } });
      assert.equal(paid.status, 201, `booking ${i}: ${JSON.stringify(paid.body)}`);
      const paymentId = paid.body.id as string;
      const orderId = paid.body.providerReference.orderId as string;

      const payer =
        provider === 'paypal'
          ? await sandboxJson(sandbox, `/__sandbox/paypal/orders/${orderId}/approve`, { method: 'POST', body: { funding: 'ok' } })
          : await sandboxJson(sandbox, `/__sandbox/binance/orders/${orderId}/pay`, { method: 'POST', body: {} });
      assert.equal(payer.status, 200, `booking ${i}: ${JSON.stringify(payer.body)}`);

      // The browser's return, as the provider redirects it, reaching both instances at once (a retry, a second tab).
      const query = new URLSearchParams({ payment: paymentId });
      if (provider === 'paypal') {
        query.set('token', orderId);
        query.set('PayerID', 'TWOINSTPAYER');
      }
      const back = await Promise.all(instances.map((on) => user.request(on, `/payments/${provider}/return?${query}`)));
      for (const r of back) {
        assert.equal(r.status, 303, `booking ${i}: return answered ${r.status} ${typeof r.body === 'string' ? r.body.slice(0, 300) : JSON.stringify(r.body)}`);
        assert.equal(r.headers.get('location'), `/app/events/${eventId}`);
      }
      return { i, provider, user, eventId, paymentId, orderId };
    });
    const driven = Date.now();

    // Every event confirmed; read through either instance.
    const states = async () => {
      const rows = await db.db.query<{ state: string; n: bigint }>(`select state, count(*) as n from events group by state`);
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    };
    await until(
      `all ${N} events confirmed`,
      async () => {
        const s = await states();
        return s.confirmed === N ? s : null;
      },
      SETTLE_DEADLINE_MS,
      500,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}; events by state: ${JSON.stringify(await states())}`);
    });
    const settled = Date.now();
    for (const bk of bookings.filter((_, k) => k % 10 === 0)) {
      const e = await bk.user.request(pick(), `/api/v1/events/${bk.eventId}`);
      assert.equal(e.status, 200);
      assert.equal(e.body.state, 'confirmed', `booking ${bk.i} via the API`);
    }

    // Payments: one per event, captured; none in review or error.
    const payments = await db.db.query<{ state: string; n: bigint }>(`select state, count(*) as n from payments group by state`);
    assert.deepEqual(Object.fromEntries(payments.map((r) => [r.state, Number(r.n)])), { captured: N }, 'every payment captured, none in review, error or returned');

    // Google: exactly one event per booking, none deleted.
    const google = new Map<string, number>();
    for (const u of users) {
      const res = await sandboxJson(sandbox, `/__sandbox/google/users/${encodeURIComponent(u.email)}/events`);
      assert.equal(res.status, 200);
      for (const ev of res.body.calendars.flatMap((c: { events: any[] }) => c.events)) {
        assert.notEqual(ev.status, 'cancelled', `Google event ${ev.id} was deleted`);
        const id = ev.extendedProperties?.private?.lcEventId as string;
        google.set(id, (google.get(id) ?? 0) + 1);
      }
    }
    const googleEvents = [...google.values()].reduce((s, n) => s + n, 0);
    for (const bk of bookings) assert.equal(google.get(bk.eventId), 1, `booking ${bk.i}: Google events`);
    assert.equal(googleEvents, N);

    // PayPal: one authorization, captured once; nothing voided or refunded.
    const ppOrders = new Map<string, any>((await sandboxJson(sandbox, '/__sandbox/paypal/orders')).body.orders.map((o: any) => [o.id, o]));
    let captures = 0;
    for (const bk of bookings.filter((x) => x.provider === 'paypal')) {
      const pay = ppOrders.get(bk.orderId)?.purchase_units?.[0]?.payments ?? {};
      const auths = pay.authorizations ?? [];
      assert.equal(auths.length, 1, `booking ${bk.i}: PayPal authorizations`);
      assert.notEqual(auths[0].status, 'VOIDED', `booking ${bk.i}: hold voided`);
      assert.equal((pay.captures ?? []).length, 1, `booking ${bk.i}: PayPal captures`);
      assert.equal((pay.refunds ?? []).length, 0, `booking ${bk.i}: PayPal refunds`);
      captures += pay.captures.length;
    }
    // Binance: every order paid, no refund anywhere.
    const state = (await sandboxJson(sandbox, '/__sandbox/state')).body;
    const bnOrders = new Map<string, any>(state.binance.orders.map((o: any) => [o.prepayId, o]));
    for (const bk of bookings.filter((x) => x.provider === 'binance')) {
      assert.equal(bnOrders.get(bk.orderId)?.status, 'PAID', `booking ${bk.i}: Binance order`);
      captures += 1;
    }
    assert.deepEqual(state.binance.refunds, [], 'no Binance refund');

    // Notifications: each delivered twice; the inbox keeps one row per provider notification id.
    await sandboxJson(sandbox, '/__sandbox/webhooks/idle', { method: 'POST' });
    const deliveries: any[] = (await sandboxJson(sandbox, '/__sandbox/webhooks')).body.deliveries;
    const originals = deliveries.filter((d) => !d.duplicateOf);
    const duplicates = deliveries.filter((d) => d.duplicateOf);
    assert.equal(duplicates.length, originals.length, 'every notification was sent twice');
    const undelivered = deliveries.filter((d) => d.state !== 'delivered');
    assert.deepEqual(undelivered.map((d) => `${d.provider} ${d.eventType} ${d.state}`), [], 'every copy acknowledged');
    const inbox = await db.db.query<{ provider: string; rows: bigint; ids: bigint; unprocessed: bigint }>(
      `select provider, count(*) as rows, count(distinct provider_event_id) as ids, count(*) filter (where processed_at is null) as unprocessed
         from payment_notifications group by provider order by provider`,
    );
    for (const row of inbox) {
      assert.equal(row.rows, row.ids, `${row.provider}: one inbox row per notification id`);
      const sent = originals.filter((d) => d.provider === row.provider).length;
      assert.equal(Number(row.rows), sent, `${row.provider}: inbox rows = notifications sent`);
    }
    assert.deepEqual(
      inbox.map((r) => r.provider),
      ['binance', 'paypal'],
    );

    // Nothing stuck in the queue: no job failed for good.
    const failed = await db.db.query<{ name: string; n: bigint }>(`select name, count(*) as n from pgboss.job where state = 'failed' group by name`);
    assert.deepEqual(failed, [], 'no job failed for good');
    const errors = [...a.logs, ...b.logs].filter((l) => Number(l.level) >= 50 || l.level === 'error');
    assert.deepEqual(errors.map((l) => l.msg), [], 'no instance logged an error');
    // Every notification was genuine: none may be refused as forged (nor any payment flagged), even
    // the first ones of a burst, which arrive before either instance has fetched Binance's keys.
    const alarms = [...a.logs, ...b.logs].filter((l) => l.security === true);
    assert.deepEqual(alarms.map((l) => `${String(l.msg)}: ${String(l.provider ?? '')} ${String(l.reason ?? '')}`), [], 'no security alarm');

    const retried = [...a.logs, ...b.logs].filter((l) => l.msg === 'job failed, will retry');
    const warnings = new Map<string, number>();
    for (const l of [...a.logs, ...b.logs]) {
      const what = `${String(l.msg)}${l.provider ? ` (${String(l.provider)}${l.reason ? `: ${String(l.reason)}` : ''})` : ''}`;
      warnings.set(what, (warnings.get(what) ?? 0) + 1);
    }
    const table = [
      ['bookings', N],
      ['  paypal / binance', `${bookings.filter((x) => x.provider === 'paypal').length} / ${bookings.filter((x) => x.provider === 'binance').length}`],
      ['notifications sent (originals)', originals.length],
      ['duplicates delivered', duplicates.filter((d) => d.state === 'delivered').length],
      ['inbox rows', inbox.reduce((s, r) => s + Number(r.rows), 0)],
      ['captures (PayPal captures + Binance paid)', captures],
      ['Google events', googleEvents],
      ['job retries logged', retried.length],
      ['warnings logged', [...warnings].map(([m, n]) => `${n}× ${m}`).join('; ') || 'none'],
      ['driving the bookings (s)', ((driven - started) / 1000).toFixed(1)],
      ['until all confirmed (s)', ((settled - started) / 1000).toFixed(1)],
    ];
    process.stderr.write(`# two instances, ${N} bookings, client concurrency ${CLIENT_CONCURRENCY}\n${table.map(([k, v]) => `#   ${String(k).padEnd(42)} ${v}`).join('\n')}\n`);
  });
});
