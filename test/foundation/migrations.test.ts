import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isUniqueViolation } from '../../src/db/database.ts';
import { loadMigrations, migrate, pendingMigrations } from '../../src/db/migrate.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';

for (const kind of await dbKinds()) {
  describe(`migrations on ${kind}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind, { migrated: false });
    });
    after(() => t.close());

    it('applies every migration once, then nothing', async () => {
      const all = await loadMigrations();
      assert.deepEqual(await pendingMigrations(t.db, all), all.map((m) => `${m.version}_${m.name}`));
      const first = await migrate(t.db);
      assert.equal(first.applied.length, all.length);
      const second = await migrate(t.db);
      assert.deepEqual(second.applied, []);
      assert.deepEqual(await pendingMigrations(t.db, all), []);
    });

    it('refuses to start when an applied migration was edited', async () => {
      const all = await loadMigrations();
      const edited = all.map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
      await assert.rejects(migrate(t.db, edited), /was changed after it was applied/);
    });

    it('rolls back a failing migration completely', async () => {
      const all = await loadMigrations();
      const bad = { version: '9999', name: 'broken', sql: 'create table half_done (id int); select nope;', checksum: 'x' };
      await assert.rejects(migrate(t.db, [...all, bad]));
      const rows = await t.db.query(`select to_regclass('half_done') as t`);
      assert.equal(rows[0]!.t, null);
    });

    it('keeps at most one successful payment per event, in the database', async () => {
      const [user] = await t.db.query<{ id: string }>(`insert into users (google_sub, email) values ('sub-1', 'a@example.com') returning id`);
      const [event] = await t.db.query<{ id: string }>(
        `insert into events (user_id, state, title, time_zone, all_day, start_local, end_local, start_at, end_at,
           price_currency, price_minor, google_event_id, pending_until)
         values ($1, 'pending_payment', 't', 'UTC', false, '2030-01-01T10:00', '2030-01-01T11:00',
           '2030-01-01T10:00Z', '2030-01-01T11:00Z', 'USD', 100, 'abcde', now())
         returning id`,
        [user!.id],
      );
      const pay = (state: string, provider: string) => {
        const id = randomUUID();
        return t.db.query(
          `insert into payments (id, event_id, user_id, provider, state, price_minor, price_currency, merchant_ref, expires_at)
           values ($1::uuid, $2, $3, $4, $5, 100, 'USD', $1::text, now())`,
          [id, event!.id, user!.id, provider, state],
        );
      };
      await pay('declined', 'paypal');
      await pay('captured', 'paypal');
      await pay('expired', 'binance');
      // A payment being returned no longer holds the event's money; a second holder is refused.
      await pay('refunding', 'binance');
      await assert.rejects(pay('authorized', 'binance'), (err) => isUniqueViolation(err, 'payments_one_success_per_event'));
      await assert.rejects(pay('captured', 'binance'), (err) => isUniqueViolation(err, 'payments_one_success_per_event'));
      await assert.rejects(pay('paid', 'binance'), /payments_state_check|check constraint/, 'paid is not a payment state: captured is');
      const rows = await t.db.query<{ price_minor: bigint }>('select price_minor from payments where event_id = $1', [event!.id]);
      assert.equal(typeof rows[0]!.price_minor, 'bigint', 'int8 comes back as bigint from both drivers');
    });
  });
}

describe('migrations from two instances at once (postgres)', async () => {
  const kinds = await dbKinds();
  it('apply each migration exactly once', { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable' }, async () => {
    const t = await createTestDatabase('postgres', { migrated: false });
    try {
      const { openPostgres } = await import('../../src/db/postgres.ts');
      const other = await openPostgres({ url: t.url! });
      const [a, b] = await Promise.all([migrate(t.db), migrate(other)]);
      await other.close();
      const all = await loadMigrations();
      assert.equal(a.applied.length + b.applied.length, all.length);
      const rows = await t.db.query<{ n: number }>('select count(*)::int as n from schema_migrations');
      assert.equal(rows[0]!.n, all.length);
    } finally {
      await t.close();
    }
  });
});
