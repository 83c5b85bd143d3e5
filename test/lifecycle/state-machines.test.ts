import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { trailOf } from '../../src/db/repos/audit-trail.ts';
import * as events from '../../src/db/repos/events.ts';
import * as payments from '../../src/db/repos/payments.ts';
import { upsertGoogleUser } from '../../src/db/repos/users.ts';
import { EVENT_STATES, EVENT_TRANSITIONS, canTransition } from '../../src/domain/event-state.ts';
import { PAYMENT_STATES, PAYMENT_TRANSITIONS, canTransitionPayment } from '../../src/domain/payment-state.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';

/**
 * The domain's transition tables are the only definition of the two state machines: the database's
 * state checks list the same states, its triggers refuse every transition the tables do not list,
 * and each change lands in the event's audit trail with its provider reference, announced on commit.
 */

async function seed(q: TestDatabase['db']) {
  const userId = await upsertGoogleUser(q, { sub: `sub-${randomUUID()}`, email: 'a@example.com', name: null, picture: null });
  const id = randomUUID();
  const now = Date.now();
  await events.insertEvent(
    q,
    {
      id,
      userId,
      title: 'audit',
      description: null,
      location: null,
      calendarId: 'primary',
      timeZone: 'UTC',
      allDay: false,
      startLocal: '2030-01-01T10:00',
      endLocal: '2030-01-01T11:00',
      startAt: new Date('2030-01-01T10:00:00Z'),
      endAt: new Date('2030-01-01T11:00:00Z'),
      recurrence: [],
      attendees: [],
      sendUpdates: 'none',
      priceCurrency: 'USD',
      priceMinor: 100n,
      googleEventId: googleEventId(id),
      pendingUntil: new Date(now + 30 * 60_000),
    },
    'created',
  );
  const paymentId = randomUUID();
  await payments.insertPayment(
    q,
    { id: paymentId, eventId: id, userId, provider: 'paypal', priceMinor: 100n, priceCurrency: 'USD', intent: 'AUTHORIZE', merchantRef: paymentId, expiresAt: new Date(now + 60_000) },
    'order asked for',
  );
  return { eventId: id, paymentId };
}

/** The state names a CHECK constraint on `table.state` allows. */
async function checkedStates(q: TestDatabase['db'], table: string): Promise<string[]> {
  const rows = await q.query<{ def: string }>(
    `select pg_get_constraintdef(c.oid) as def from pg_constraint c
     where c.conrelid = $1::regclass and c.contype = 'c' and pg_get_constraintdef(c.oid) like '%state%'`,
    [table],
  );
  assert.equal(rows.length, 1, `one state check on ${table}`);
  return [...rows[0]!.def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]!).sort();
}

for (const kind of await dbKinds()) {
  describe(`state machines in the database (${kind})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(async () => {
      await t?.close();
    });

    it('the state checks list exactly the domain states', async () => {
      assert.deepEqual(await checkedStates(t.db, 'events'), [...EVENT_STATES].sort());
      assert.deepEqual(await checkedStates(t.db, 'payments'), [...PAYMENT_STATES].sort());
    });

    it('holds the domain transition tables, and nothing else', async () => {
      const rows = await t.db.query<{ machine: string; from_state: string; to_state: string }>('select machine, from_state, to_state from state_transitions');
      const have = rows.map((r) => `${r.machine}:${r.from_state}>${r.to_state}`).sort();
      const want = [
        ...EVENT_TRANSITIONS.map(([f, to]) => `event:${f}>${to}`),
        ...PAYMENT_TRANSITIONS.map(([f, to]) => `payment:${f}>${to}`),
      ].sort();
      assert.deepEqual(have, want);
    });

    it('refuses an illegal event transition, whatever code attempts it', async () => {
      const { eventId } = await seed(t.db);
      assert.equal(canTransition('pending_payment', 'confirmed'), false);
      await assert.rejects(t.db.query(`update events set state = 'confirmed' where id = $1`, [eventId]), /illegal event transition from pending_payment to confirmed/);
      await assert.rejects(
        t.db.transaction((tx) => events.setState(tx, eventId, 'pending_payment', 'confirmed', 'skipping the payment')),
        /illegal event transition/,
      );
      assert.equal((await events.findEvent(t.db, eventId))!.state, 'pending_payment', 'unchanged');
      // A legal one passes, and a write that keeps the state is not a transition.
      await t.db.transaction((tx) => events.setState(tx, eventId, 'pending_payment', 'paid', 'paid'));
      await t.db.query(`update events set title = 'renamed' where id = $1`, [eventId]);
      await assert.rejects(t.db.query(`update events set state = 'pending_payment' where id = $1`, [eventId]), /illegal event transition from paid to pending_payment/);
    });

    it('refuses an illegal payment transition', async () => {
      const { paymentId } = await seed(t.db);
      assert.equal(canTransitionPayment('created', 'refunded'), false);
      await assert.rejects(t.db.query(`update payments set state = 'refunded' where id = $1`, [paymentId]), /illegal payment transition from created to refunded/);
      await t.db.query(`update payments set state = 'authorized' where id = $1`, [paymentId]);
      await assert.rejects(t.db.query(`update payments set state = 'created' where id = $1`, [paymentId]), /illegal payment transition from authorized to created/);
    });

    it('records every change of the event and its payments in one ordered trail, with the provider reference', async () => {
      const { eventId, paymentId } = await seed(t.db);
      await t.db.transaction(async (tx) => {
        await payments.updatePayment(tx, paymentId, { providerRef: 'ORDER-1' });
        await payments.setPaymentState(tx, paymentId, 'created', 'approved', 'the payer approved');
        await payments.setPaymentState(tx, paymentId, 'approved', 'authorized', 'held', { authorizationRef: 'AUTH-1' });
        await events.setState(tx, eventId, 'pending_payment', 'paid', 'payment verified');
      });
      await t.db.transaction((tx) => payments.setPaymentState(tx, paymentId, 'authorized', 'captured', 'captured', { captureRef: 'CAP-1' }));
      const trail = await trailOf(t.db, eventId);
      assert.deepEqual(
        trail.map((a) => [a.paymentId ? 'payment' : 'event', a.from, a.to, a.providerRef]),
        [
          ['event', null, 'pending_payment', null],
          ['payment', null, 'created', null],
          ['payment', 'created', 'approved', 'ORDER-1'],
          ['payment', 'approved', 'authorized', 'AUTH-1'],
          ['event', 'pending_payment', 'paid', null],
          ['payment', 'authorized', 'captured', 'CAP-1'],
        ],
      );
      assert.ok(trail.every((a, i) => i === 0 || a.id > trail[i - 1]!.id), 'ids increase');
      assert.deepEqual((await trailOf(t.db, eventId, trail[3]!.id)).map((a) => a.to), ['paid', 'captured'], 'resumes after an id');
      // A transition that is rolled back leaves no trace.
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await events.setState(tx, eventId, 'paid', 'confirmed', 'on the calendar');
          throw new Error('the insert answer was lost');
        }),
      );
      assert.equal((await trailOf(t.db, eventId)).length, trail.length);
    });

    it('keeps one capture, one void and one refund per payment: the first decision stands', async () => {
      const { paymentId } = await seed(t.db);
      assert.equal(await payments.recordMoneyMovement(t.db, paymentId, 'refund', `${paymentId}-refund`, 'asked by the payer'), true);
      assert.equal(await payments.recordMoneyMovement(t.db, paymentId, 'refund', `${paymentId}-refund-again`, 'asked twice'), false);
      assert.equal(await payments.moneyMovementKey(t.db, paymentId, 'refund'), `${paymentId}-refund`);
      await assert.rejects(
        t.db.query(`insert into money_movements (payment_id, operation, idempotency_key, reason) values ($1, 'refund', 'other', 'bypassing the repo')`, [paymentId]),
        (err: { code?: string }) => err.code === '23505',
      );
      assert.equal(await payments.recordMoneyMovement(t.db, paymentId, 'capture', `${paymentId}-capture-hold`, 'on the calendar'), true);
      assert.equal(await payments.moneyMovementKey(t.db, paymentId, 'void'), null);
    });

    if (kind === 'postgres') {
      it('announces each committed entry to other connections (LISTEN event_changes), never a rolled-back one', async () => {
        const listener = new pg.Client({ connectionString: t.url });
        await listener.connect();
        const heard: string[] = [];
        listener.on('notification', (n) => heard.push(n.payload ?? ''));
        await listener.query('listen event_changes');
        try {
          const { eventId } = await seed(t.db);
          await assert.rejects(
            t.db.transaction(async (tx) => {
              await events.setState(tx, eventId, 'pending_payment', 'cancelled', 'rolled back');
              throw new Error('rollback');
            }),
          );
          await t.db.transaction((tx) => events.setState(tx, eventId, 'pending_payment', 'paid', 'paid'));
          const ids = (await trailOf(t.db, eventId)).map((a) => `${eventId} ${a.id}`);
          const deadline = Date.now() + 5000;
          while (heard.length < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          assert.deepEqual(heard, ids);
        } finally {
          await listener.end();
        }
      });
    }
  });
}
