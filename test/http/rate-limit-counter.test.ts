import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseRateLimitCounter } from '../../src/db/repos/rate-limits.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';

/** The database's rate-limit counter: atomic under concurrency, one fixed window per key. */
for (const kind of await dbKinds()) {
  describe(`database rate-limit counter on ${kind}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(() => t.close());

    it('counts concurrent hits on one key exactly once each', async () => {
      const counter = new DatabaseRateLimitCounter(t.db);
      const results = await Promise.all(Array.from({ length: 40 }, () => counter.hit('GET /x|1.2.3.4', 60_000)));
      assert.deepEqual(results.map((r) => r.count).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
      for (const r of results) assert.ok(r.ttlMs > 0 && r.ttlMs <= 60_000, String(r.ttlMs));
      assert.equal((await counter.hit('GET /x|5.6.7.8', 60_000)).count, 1, 'another client has its own count');
    });

    it('counts a burst over several keys in a few statements, each hit exactly once', async () => {
      let statements = 0;
      const counting = { ...t.db, query: (text: string, params?: readonly unknown[]) => (statements++, t.db.query(text, params)) } as typeof t.db;
      const counter = new DatabaseRateLimitCounter(counting, Number.POSITIVE_INFINITY);
      const keys = ['POST /a|1.1.1.1', 'POST /a|2.2.2.2', 'POST /b|1.1.1.1'];
      const results = await Promise.all(Array.from({ length: 90 }, (_, i) => counter.hit(keys[i % 3]!, 60_000).then((r) => ({ key: keys[i % 3]!, ...r }))));
      for (const key of keys) {
        const counts = results.filter((r) => r.key === key).map((r) => r.count).sort((a, b) => a - b);
        assert.deepEqual(counts, Array.from({ length: 30 }, (_, i) => i + 1), key);
      }
      // The first hit is written alone; the 89 that arrived meanwhile, together.
      assert.equal(statements, 2);
    });

    it('starts a new window once the old one has ended', async () => {
      const counter = new DatabaseRateLimitCounter(t.db);
      await counter.hit('GET /y|1.2.3.4', 60_000);
      assert.equal((await counter.hit('GET /y|1.2.3.4', 60_000)).count, 2);
      await t.db.query(`update rate_limits set window_ends_at = now() - interval '1 millisecond' where key = 'GET /y|1.2.3.4'`);
      const fresh = await counter.hit('GET /y|1.2.3.4', 60_000);
      assert.equal(fresh.count, 1);
      assert.ok(fresh.ttlMs > 59_000, String(fresh.ttlMs));
    });

    it('counts without waiting for the disk: its commit does not flush, and nothing else changes', async () => {
      // Within a caller's transaction the setting shows; on its own the hit is its own transaction.
      const seen = await t.db.transaction(async (tx) => {
        await new DatabaseRateLimitCounter(tx).hit('GET /w|1.2.3.4', 60_000);
        return (await tx.query<{ s: string }>(`select current_setting('synchronous_commit') as s`))[0]!.s;
      });
      assert.equal(seen, 'off');
      assert.equal((await t.db.query<{ s: string }>(`select current_setting('synchronous_commit') as s`))[0]!.s, 'on', 'the session keeps flushing');
    });

    it('deletes windows long closed as it goes', async () => {
      await t.db.query(`insert into rate_limits (key, hits, window_ends_at) values ('GET /old|1.2.3.4', 9, now() - interval '2 minutes')`);
      await new DatabaseRateLimitCounter(t.db).hit('GET /z|1.2.3.4', 60_000);
      assert.deepEqual(await t.db.query(`select key from rate_limits where key = 'GET /old|1.2.3.4'`), []);
    });
  });
}
