import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgres } from '../../src/db/postgres.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';
import { waitFor } from '../support/wait.ts';

const log = createLogger('silent');
type JobRow = { state: string; retry_count: number; delay_s: number };

for (const kind of await dbKinds()) {
  describe(`durable jobs on ${kind}`, () => {
    let t: TestDatabase;
    let queue: JobQueue;
    const ran: string[] = [];
    let failures = 0;

    before(async () => {
      t = await createTestDatabase(kind);
      // A long poll interval: anything that runs promptly was woken by the after-commit nudge.
      queue = new JobQueue(t.db, log, undefined, { pollIntervalSeconds: 30 });
      queue.define<{ tag: string }>({ name: 'probe', handler: async ({ tag }) => void ran.push(tag) });
      queue.define<{ tag: string }>({
        name: 'always-fails',
        retryLimit: 2,
        retryDelaySeconds: 1,
        handler: async () => {
          failures++;
          throw new Error('provider down');
        },
      });
      await queue.start();
    });
    after(async () => {
      await queue.stop(1000);
      await t.close();
    });

    it('runs a committed job at once, woken by the commit rather than the poll', async () => {
      await t.db.transaction((tx) => queue.send(tx, 'probe', { tag: 'committed' }));
      await waitFor('the committed job', () => ran.includes('committed'));
    });

    it('never runs a job whose transaction rolled back', async () => {
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await queue.send(tx, 'probe', { tag: 'rolled-back' });
          throw new Error('business rule failed after enqueueing');
        }),
        /business rule failed/,
      );
      const rows = await t.db.query(`select 1 from pgboss.job where name = 'probe' and data->>'tag' = 'rolled-back'`);
      assert.equal(rows.length, 0);
      // A later job on the same queue runs; the rolled-back one still never has.
      await t.db.transaction((tx) => queue.send(tx, 'probe', { tag: 'after' }));
      await waitFor('the later job', () => ran.includes('after'));
      assert.ok(!ran.includes('rolled-back'));
    });

    it('retries a failing job with exponential backoff, then fails it for good', async () => {
      const id = await t.db.transaction((tx) => queue.send(tx, 'always-fails', { tag: 'x' }));
      const row = () =>
        t.db
          .query<JobRow>(
            `select state, retry_count, extract(epoch from (start_after - coalesce(completed_on, now())))::float8 as delay_s
               from pgboss.job where id = $1`,
            [id],
          )
          .then((r) => r[0]!);
      const afterFailure = async (n: number) => {
        await waitFor(`failure ${n}`, () => failures >= n);
        return waitFor(`retry state ${n}`, async () => {
          const r = await row();
          // pg-boss counts a retry when it fetches the job again, so after failure n the count is n - 1.
          return (r.state === 'retry' && r.retry_count === n - 1) || r.state === 'failed' ? r : null;
        });
      };
      const first = await afterFailure(1);
      assert.equal(first.state, 'retry');
      // retryDelay 1 s, doubled with jitter: first wait in [1, 2] s, second in [2, 4] s.
      assert.ok(first.delay_s > 0.5 && first.delay_s <= 2.1, `first delay ${first.delay_s}`);
      // Time moves by back-dating the row, not by sleeping.
      await t.db.query(`update pgboss.job set start_after = now() where id = $1`, [id]);
      queue.nudge('always-fails');
      const second = await afterFailure(2);
      assert.equal(second.state, 'retry');
      assert.ok(second.delay_s > 1.5 && second.delay_s <= 4.1, `second delay ${second.delay_s}`);
      await t.db.query(`update pgboss.job set start_after = now() where id = $1`, [id]);
      queue.nudge('always-fails');
      await afterFailure(3);
      const last = await waitFor('final failure', async () => ((await row()).state === 'failed' ? row() : null));
      assert.equal(last.state, 'failed');
      assert.equal(failures, 3);
    });
  });
}

describe('two app instances on one PostgreSQL database', async () => {
  const kinds = await dbKinds();
  it('never run the same job twice', { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable' }, async () => {
    const t = await createTestDatabase('postgres');
    const second = await openPostgres({ url: t.url! });
    const seen: { instance: string; n: number }[] = [];
    const make = (db: typeof t.db, instance: string) => {
      const q = new JobQueue(db, log, undefined, { pollIntervalSeconds: 0.5 });
      q.define<{ n: number }>({
        name: 'work',
        concurrency: 3,
        handler: async ({ n }) => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push({ instance, n });
        },
      });
      return q;
    };
    const a = make(t.db, 'a');
    const b = make(second, 'b');
    try {
      await a.start();
      await b.start();
      const total = 60;
      await t.db.transaction(async (tx) => {
        for (let n = 0; n < total; n++) await a.send(tx, 'work', { n });
      });
      b.nudge('work');
      await waitFor('all jobs', () => seen.length >= total, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const ns = seen.map((s) => s.n).sort((x, y) => x - y);
      assert.deepEqual(ns, Array.from({ length: total }, (_, i) => i), 'each job ran exactly once');
      assert.ok(new Set(seen.map((s) => s.instance)).size >= 1);
    } finally {
      await a.stop(1000);
      await b.stop(1000);
      await second.close();
      await t.close();
    }
  });
});
