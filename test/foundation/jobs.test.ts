import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
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
      // One worker fetching five at a time: three jobs sent together can only overlap as one batch.
      let started = 0;
      let allStarted!: () => void;
      const together = new Promise<void>((r) => (allStarted = r));
      queue.define<{ tag: string }>({
        name: 'batched',
        concurrency: 1,
        batchSize: 5,
        retryLimit: 1,
        retryDelaySeconds: 1,
        handler: async ({ tag }) => {
          if (++started === 3) allStarted();
          await together;
          ran.push(tag);
          if (tag.startsWith('batch-fails')) throw new Error('provider down');
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

    it('drains a backlog without waiting for the poll: a worker that ran a job fetches again at once', async () => {
      // Twelve jobs, four workers, one wake-up at commit: the poll (30 s) must not be what runs the rest.
      const tags = Array.from({ length: 12 }, (_, i) => `backlog-${i}`);
      await t.db.transaction(async (tx) => {
        for (const tag of tags) await queue.send(tx, 'probe', { tag });
      });
      await waitFor('every job of the backlog', () => tags.every((tag) => ran.includes(tag)), 15_000);
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

    it('runs a fetched batch side by side and settles each job alone: done, retried, then failed for good', async () => {
      const ids = await t.db.transaction(async (tx) => Promise.all(['batch-ok-1', 'batch-fails', 'batch-ok-2'].map((tag) => queue.send(tx, 'batched', { tag }))));
      const states = () => t.db.query<{ id: string; state: string }>(`select id, state from pgboss.job where id = any($1::uuid[])`, [ids]);
      const stateOf = async (i: number) => (await states()).find((r) => r.id === ids[i])!.state;
      await waitFor('the batch settled', async () => (await stateOf(0)) === 'completed' && (await stateOf(1)) === 'retry' && (await stateOf(2)) === 'completed');
      await t.db.query(`update pgboss.job set start_after = now() where id = $1`, [ids[1]]);
      queue.nudge('batched');
      await waitFor('the last attempt failed for good', async () => (await stateOf(1)) === 'failed');
      assert.equal(ran.filter((tag) => tag === 'batch-fails').length, 2);
      assert.equal(ran.filter((tag) => tag === 'batch-ok-1').length, 1);
    });

    it('stores and runs a singleton job once, sent from two instances in two transactions, waiting or running', async () => {
      // A second instance on the same database: its own queue object, and on PostgreSQL its own pool.
      const second = kind === 'postgres' ? await openPostgres({ url: t.url! }) : t.db;
      const runs: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const define = (q: JobQueue) =>
        q.define<{ from: string }>({
          name: 'once',
          handler: async ({ from }) => {
            runs.push(from);
            await gate;
          },
        });
      const a = new JobQueue(t.db, log, undefined, { pollIntervalSeconds: 30, schema: 'pgboss_once' });
      const b = new JobQueue(second, log, undefined, { pollIntervalSeconds: 30, schema: 'pgboss_once' });
      define(a);
      define(b);
      await a.start();
      await b.start();
      const stored = () => t.db.query<{ id: string; state: string }>(`select id, state from pgboss_once.job where name = 'once' and singleton_key = 'event-1'`);
      try {
        // Waiting: a start in the future keeps it in `created`.
        const id = await t.db.transaction((tx) => a.send(tx, 'once', { from: 'a' }, { singletonKey: 'event-1', startAfter: new Date(Date.now() + 3_600_000) }));
        assert.ok(id);
        assert.equal(await second.transaction((tx) => b.send(tx, 'once', { from: 'b' }, { singletonKey: 'event-1' })), null, 'refused while waiting');
        // Running.
        await t.db.query(`update pgboss_once.job set start_after = now() where id = $1`, [id]);
        a.nudge('once');
        b.nudge('once');
        await waitFor('the job to run', () => runs.length === 1);
        assert.equal(await second.transaction((tx) => b.send(tx, 'once', { from: 'b' }, { singletonKey: 'event-1' })), null, 'refused while running');
        release();
        await waitFor('the job to complete', async () => (await stored()).every((r) => r.state === 'completed'));
        assert.deepEqual(await stored(), [{ id, state: 'completed' }], 'stored once');
        assert.deepEqual(runs, ['a'], 'its handler ran once');
        // Done, the key is free again: a later need is a new job.
        assert.ok(await second.transaction((tx) => b.send(tx, 'once', { from: 'b' }, { singletonKey: 'event-1', startAfter: new Date(Date.now() + 3_600_000) })));
      } finally {
        release();
        // Cleanup errors must not hide the assertion that failed.
        await a.stop(1000).catch(() => {});
        await b.stop(1000).catch(() => {});
        if (second !== t.db) await second.close().catch(() => {});
      }
    });
  });
}

describe('two app instances on one PostgreSQL database', async () => {
  const kinds = await dbKinds();
  it('never run the same job twice', { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable' }, async () => {
    const t = await createTestDatabase('postgres');
    const second = await openPostgres({ url: t.url! });
    const seen: { instance: string; n: number }[] = [];
    let running = 0;
    // Each handler holds its job until both instances have one running at once: then the jobs were
    // shared between the instances, which is what this test is about. A single instance working alone
    // never opens the gate, and the test times out.
    let bothRunning!: () => void;
    const gate = new Promise<void>((r) => (bothRunning = r));
    const active = new Map<string, number>();
    const make = (db: typeof t.db, instance: string) => {
      const q = new JobQueue(db, log, undefined, { pollIntervalSeconds: 0.5 });
      q.define<{ n: number }>({
        name: 'work',
        concurrency: 3,
        handler: async ({ n }) => {
          running++;
          active.set(instance, (active.get(instance) ?? 0) + 1);
          if ((active.get('a') ?? 0) > 0 && (active.get('b') ?? 0) > 0) bothRunning();
          try {
            await gate;
            seen.push({ instance, n });
          } finally {
            active.set(instance, active.get(instance)! - 1);
            running--;
          }
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
      // Done means every job is completed in the database and no handler is still running: a job
      // fetched twice would show up in `seen` by then.
      await waitFor(
        'all jobs completed',
        async () =>
          running === 0 &&
          Number((await t.db.query<{ n: string }>(`select count(*) as n from pgboss.job where name = 'work' and state = 'completed'`))[0]!.n) === total,
        30_000,
      );
      const ns = seen.map((s) => s.n).sort((x, y) => x - y);
      assert.deepEqual(ns, Array.from({ length: total }, (_, i) => i), 'each job ran exactly once');
      assert.deepEqual(new Set(seen.map((s) => s.instance)), new Set(['a', 'b']), 'both instances ran jobs');
    } finally {
      await a.stop(1000);
      await b.stop(1000);
      await second.close();
      await t.close();
    }
  });
});

describe('a job finished while the database is unreachable', () => {
  it('does not kill the process: the job stays active and runs again once it expires', async () => {
    const t = await createTestDatabase('pglite');
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const warnings: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line.trim()) warnings.push(JSON.parse(line).msg);
        cb();
      },
    });
    // The database as a lost connection would make it: pg-boss's "completed" statement fails.
    let down = false;
    const flaky: Database = {
      ...t.db,
      query: (text: string, params?: readonly unknown[]) =>
        down && /state = 'completed'/.test(text) ? Promise.reject(new Error('Connection terminated unexpectedly')) : t.db.query(text, params),
    } as Database;
    const queue = new JobQueue(flaky, createLogger('warn', sink), undefined, { pollIntervalSeconds: 1, maintenanceIntervalSeconds: 1 });
    const runs: number[] = [];
    queue.define<{ n: number }>({
      name: 'interrupted',
      expireInSeconds: 1,
      handler: async ({ n }) => {
        runs.push(n);
        // The first run finishes just as the connection goes.
        if (runs.length === 1) down = true;
      },
    });
    try {
      await queue.start();
      const id = await t.db.transaction((tx) => queue.send(tx, 'interrupted', { n: 1 }));
      await waitFor('the warning', () => warnings.some((m) => m.includes('could not mark a job completed')));
      down = false;
      await waitFor('the job to run again and complete', async () => {
        const [row] = await t.db.query<{ state: string }>(`select state from pgboss.job where id = $1`, [id]);
        return row?.state === 'completed';
      }, 30_000);
      assert.ok(runs.length >= 2, `ran ${runs.length} times`);
      assert.deepEqual(unhandled, [], 'no unhandled rejection');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await queue.stop(1000).catch(() => {});
      await t.close();
    }
  });
});
