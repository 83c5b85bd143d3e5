import PgBoss from 'pg-boss';
// Its statement texts, to recognise the two it runs without awaiting (see workerDb).
import bossPlans from 'pg-boss/src/plans.js';
import type { Database, Queryable, Tx } from '../db/database.ts';
import { isAppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Durable jobs, kept in the same database as the state they act on (pg-boss: FOR UPDATE SKIP
 * LOCKED, safe with several instances). A job is sent inside the caller's transaction, so a
 * rolled-back change leaves no job, and a committed one wakes this instance's worker at once;
 * polling only covers the jobs another instance committed.
 *
 * A singleton key means "at most one job per key waiting, retrying or running", enforced by a
 * unique index on the queue's table (pg-boss 10's policies each cover only some of those states;
 * its later `exclusive` policy is this index). A failed attempt is rescheduled on the same job row,
 * so every retry — a quota cool-down included — spends the one budget of `retryLimit`.
 */

export interface JobContext {
  jobId: string;
  /** 1 for the first run. */
  attempt: number;
  /** No retry follows if this attempt throws: the handler may prefer to record a failure itself. */
  lastAttempt: boolean;
  log: Logger;
}

export interface QueueDefinition<T extends object> {
  name: string;
  handler: (data: T, ctx: JobContext) => Promise<void>;
  /** Retries after the first failure (default 5); the attempt after the last retry is the job's last. */
  retryLimit?: number;
  /**
   * Seconds before the first retry; doubled with jitter on each further retry (default 2), and never
   * sooner than the `retryAfterMs` of the error thrown (a provider's Retry-After or cool-down).
   */
  retryDelaySeconds?: number;
  /** A job still running after this long is failed and retried (default 300). */
  expireInSeconds?: number;
  /** Workers of this queue on this instance (default 4). */
  concurrency?: number;
  /**
   * Jobs each worker fetches at once and runs together (default 1). A batch costs one fetch and
   * one completion statement instead of one each per job: for many short jobs (the inbox's).
   */
  batchSize?: number;
}

export interface SendOptions {
  /** Run no earlier than this. */
  startAfter?: Date;
  /**
   * At most one job of this queue per key that is waiting, retrying or running, e.g. the event id:
   * a send while one exists stores nothing and returns null.
   */
  singletonKey?: string;
}

// Any constant works; it only has to be the same for every instance on this database.
const SINGLETON_INDEX_LOCK = 4_812_093_772 % 2 ** 31;

/**
 * Exponential backoff with jitter: in [base·2^n, base·2^(n+1)] seconds after the n-th retry
 * (pg-boss's own formula), and never sooner than the provider asked.
 */
export function retryDelayMs(baseSeconds: number, retriesSoFar: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const step = baseSeconds * 1000 * 2 ** Math.min(16, retriesSoFar);
  return Math.max(Math.round(step + step * random()), retryAfterMs ?? 0);
}

function bossDb(q: Queryable): PgBoss.Db {
  return {
    async executeSql(text, values) {
      return { rows: values && values.length > 0 ? await q.query(text, values) : await q.exec(text) };
    },
  };
}

/**
 * The database pg-boss itself works through. pg-boss marks a finished job completed (or failed)
 * without awaiting the statement (manager.js, onFetch): if the database is unreachable at that
 * moment, the rejection is unhandled and the process dies. Those two statements are answered "no
 * row changed" instead, with a warning: the job stays active, and maintenance retries it once it
 * expires, exactly as after a crash (every handler is safe to run again).
 */
function workerDb(q: Queryable, schema: string, log: Logger): PgBoss.Db {
  const unawaited = new Map<string, string>([
    [bossPlans.completeJobs(schema), 'completed'],
    [bossPlans.failJobsById(schema), 'failed'],
  ]);
  const db = bossDb(q);
  return {
    async executeSql(text, values) {
      const marking = unawaited.get(text);
      if (!marking) return db.executeSql(text, values);
      try {
        return await db.executeSql(text, values);
      } catch (err) {
        log.warn({ err, jobs: values?.[1] }, `could not mark a job ${marking}; it runs again once it expires`);
        return { rows: [{ count: '0' }] };
      }
    },
  };
}

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #defs = new Map<string, QueueDefinition<object>>();
  readonly #workers = new Map<string, string[]>();
  #started = false;
  #stopping = false;
  private readonly db: Database;

  constructor(
    db: Database,
    private readonly log: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly opts: { pollIntervalSeconds: number; maintenanceIntervalSeconds?: number; schema?: string },
  ) {
    this.db = db;
    const schema = opts.schema ?? 'pgboss';
    this.#boss = new PgBoss({
      db: workerDb(db, schema, log),
      schema,
      // Finished jobs are kept a week for inspection, then archived and dropped by pg-boss.
      archiveCompletedAfterSeconds: 7 * 24 * 3600,
      monitorStateIntervalSeconds: 60,
      // Maintenance is what finds a job whose worker died (kill -9) and sends it back for a retry.
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
    });
    this.#boss.on('error', (err) => this.log.error({ err }, 'job queue error'));
  }

  define<T extends object>(def: QueueDefinition<T>): void {
    if (this.#started) throw new Error(`queue ${def.name} defined after start`);
    this.#defs.set(def.name, def as unknown as QueueDefinition<object>);
  }

  async start(): Promise<void> {
    await this.#boss.start();
    for (const def of this.#defs.values()) {
      const options = {
        retryLimit: def.retryLimit ?? 5,
        // pg-boss's own backoff only applies to a job whose worker died (found expired by maintenance).
        retryDelay: def.retryDelaySeconds ?? 2,
        retryBackoff: true,
        expireInSeconds: def.expireInSeconds ?? 300,
      };
      const existing = await this.#boss.getQueue(def.name);
      if (existing) await this.#boss.updateQueue(def.name, { name: def.name, ...options });
      else await this.#boss.createQueue(def.name, { name: def.name, ...options });
      await this.#enforceSingletonKeys(def.name);
      const ids: string[] = [];
      for (let i = 0; i < (def.concurrency ?? 4); i++) {
        let id = '';
        id = await this.#boss.work<object>(
          def.name,
          { pollingIntervalSeconds: this.opts.pollIntervalSeconds, batchSize: def.batchSize ?? 1, includeMetadata: true },
          // A worker that found a job fetches again at once: pg-boss would otherwise wait a whole
          // poll interval before its next fetch, however many jobs are queued (one job per worker
          // per interval under a backlog). An empty fetch still waits for the poll or a nudge.
          (jobs) => this.#run(def, jobs).finally(() => this.#boss.notifyWorker(id)),
        );
        ids.push(id);
      }
      this.#workers.set(def.name, ids);
    }
    this.#started = true;
  }

  get #schema(): string {
    return this.opts.schema ?? 'pgboss';
  }

  /**
   * The unique index behind `singletonKey`, on the queue's own partition of the job table. Jobs a
   * previous version stored twice are cancelled first (the oldest stays), or the index could not be
   * built. Under an advisory lock, so instances starting together build it once.
   */
  async #enforceSingletonKeys(queue: string): Promise<void> {
    const schema = this.#schema;
    await this.db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [SINGLETON_INDEX_LOCK, `${schema}.${queue}`]);
      const [q] = await tx.query<{ partition_name: string }>(`select partition_name from ${schema}.queue where name = $1`, [queue]);
      if (!q) throw new Error(`queue ${queue} has no table`);
      await tx.query(
        `update ${schema}.job j set state = 'cancelled', completed_on = now()
          where j.name = $1 and j.singleton_key is not null and j.state <= 'active'
            and exists (select 1 from ${schema}.job o where o.name = j.name and o.singleton_key = j.singleton_key
                          and o.state <= 'active' and (o.created_on, o.id) < (j.created_on, j.id))`,
        [queue],
      );
      await tx.exec(
        `create unique index if not exists "${q.partition_name}_lck" on ${schema}."${q.partition_name}" (singleton_key)
           where state <= 'active' and singleton_key is not null`,
      );
    });
  }

  /**
   * Runs a fetched batch, its jobs side by side. Each job's failure is settled on its own row (a
   * retry rescheduled, a last attempt failed), so pg-boss's completion of the batch, which only
   * touches rows still active, completes exactly the jobs that succeeded.
   */
  async #run(def: QueueDefinition<object>, jobs: PgBoss.JobWithMetadata<object>[]): Promise<void> {
    await Promise.all(jobs.map((job) => this.#runOne(def, job)));
  }

  async #runOne(def: QueueDefinition<object>, job: PgBoss.JobWithMetadata<object>): Promise<void> {
    const attempt = job.retryCount + 1;
    const lastAttempt = job.retryCount >= job.retryLimit;
    const log = this.log.child({ job: { id: job.id, queue: def.name, attempt } });
    const end = this.metrics?.jobDuration.startTimer({ queue: def.name });
    try {
      await def.handler(job.data, { jobId: job.id, attempt, lastAttempt, log });
      this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: 'completed' });
    } catch (err) {
      this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: lastAttempt ? 'failed' : 'retried' });
      const output = { message: err instanceof Error ? err.message : String(err) };
      if (lastAttempt) {
        log.warn({ err, final: true }, 'job failed for good');
        // If this cannot be written, the job stays active and expires: maintenance then fails it.
        await this.#boss.fail(def.name, job.id, output).catch((failErr: unknown) => log.warn({ err: failErr }, 'could not mark a job failed'));
        return;
      }
      const delayMs = retryDelayMs(def.retryDelaySeconds ?? 2, job.retryCount, isAppError(err) ? err.retryAfterMs : undefined);
      log.warn({ err, final: false, retryInMs: delayMs }, 'job failed, will retry');
      // Unless the row could be rescheduled, pg-boss retries it with its own backoff.
      if (!(await this.#retryLater(def.name, job.id, delayMs, err))) {
        await this.#boss.fail(def.name, job.id, output).catch((failErr: unknown) => log.warn({ err: failErr }, 'could not mark a job for retry'));
      }
    } finally {
      end?.();
    }
  }

  /**
   * Puts a running job back as `retry`, to run again after `delayMs`. pg-boss then finds it no
   * longer active and leaves it alone; its next fetch counts the retry (retry_count), so the delay
   * is ours but the budget stays pg-boss's, one per job.
   */
  async #retryLater(queue: string, id: string, delayMs: number, err: unknown): Promise<boolean> {
    try {
      const rows = await this.db.query(
        `update ${this.#schema}.job set state = 'retry', start_after = now() + $3 * interval '1 millisecond', output = $4::jsonb
          where name = $1 and id = $2 and state = 'active' returning 1`,
        [queue, id, delayMs, JSON.stringify({ message: err instanceof Error ? err.message : String(err) })],
      );
      return rows.length === 1;
    } catch (updateErr) {
      this.log.warn({ err: updateErr, jobId: id }, 'could not reschedule a failed job');
      return false;
    }
  }

  /** Enqueues within the caller's transaction; the worker is woken only if it commits. */
  async send<T extends object>(tx: Tx, name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    if (!this.#defs.has(name)) throw new Error(`unknown queue ${name}`);
    const id = await this.#boss.send(name, data, {
      db: bossDb(tx),
      ...(options.startAfter ? { startAfter: options.startAfter } : {}),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    });
    if (!options.startAfter || options.startAfter.getTime() <= Date.now()) tx.afterCommit(() => this.nudge(name));
    return id;
  }

  /**
   * Enqueues several jobs of one queue in one statement, within the caller's transaction (the
   * inbox's group commit). Same jobs as `send` for each; start times are not supported here.
   */
  async sendMany<T extends object>(tx: Tx, name: string, jobs: readonly { data: T; singletonKey?: string }[]): Promise<void> {
    if (!this.#defs.has(name)) throw new Error(`unknown queue ${name}`);
    if (jobs.length === 0) return;
    await this.#boss.insert(
      jobs.map((j) => ({ name, data: j.data, ...(j.singletonKey ? { singletonKey: j.singletonKey } : {}) })),
      { db: bossDb(tx) },
    );
    tx.afterCommit(() => this.nudge(name));
  }

  /**
   * SQL, for a query of the caller's, that is true while a job of `queue` whose data's `field` is
   * the text of `value` (an SQL expression of that query) waits, retries or runs.
   */
  pendingJobSql(queue: string, field: string, value: string): string {
    if (!this.#defs.has(queue)) throw new Error(`unknown queue ${queue}`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`not a job data field: ${field}`);
    return `exists (select 1 from ${this.#schema}.job j where j.name = '${queue.replace(/'/g, "''")}' and j.state <= 'active' and j.data->>'${field}' = ${value})`;
  }

  /** Wakes one idle worker of the queue now instead of at its next poll. */
  nudge(name: string): void {
    if (this.#stopping) return;
    for (const id of this.#workers.get(name) ?? []) this.#boss.notifyWorker(id);
  }

  /** Stops fetching, waits for running jobs up to the timeout, then releases the queue. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.#started || this.#stopping) return;
    this.#stopping = true;
    await this.#boss.stop({ graceful: true, wait: true, close: false, timeout: timeoutMs });
  }

  get boss(): PgBoss {
    return this.#boss;
  }
}
