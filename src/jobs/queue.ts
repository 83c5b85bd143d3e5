import PgBoss from 'pg-boss';
import type { Database, Queryable, Tx } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Durable jobs, kept in the same database as the state they act on (pg-boss: FOR UPDATE SKIP
 * LOCKED, safe with several instances). A job is sent inside the caller's transaction, so a
 * rolled-back change leaves no job, and a committed one wakes this instance's worker at once;
 * polling only covers the jobs another instance committed.
 */

export interface QueueDefinition<T extends object> {
  name: string;
  handler: (data: T, ctx: { jobId: string; attempt: number; log: Logger }) => Promise<void>;
  /** Retries after the first failure (default 5). */
  retryLimit?: number;
  /** Seconds before the first retry; doubled with jitter on each further retry (default 2). */
  retryDelaySeconds?: number;
  /** A job still running after this long is failed and retried (default 300). */
  expireInSeconds?: number;
  /** Jobs of this queue run at once on this instance (default 4). */
  concurrency?: number;
}

export interface SendOptions {
  /** Run no earlier than this. */
  startAfter?: Date;
  /** At most one queued job per key (pg-boss singleton key), e.g. the event id. */
  singletonKey?: string;
}

function bossDb(q: Queryable): PgBoss.Db {
  return {
    async executeSql(text, values) {
      return { rows: values && values.length > 0 ? await q.query(text, values) : await q.exec(text) };
    },
  };
}

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #defs = new Map<string, QueueDefinition<object>>();
  readonly #workers = new Map<string, string[]>();
  #started = false;
  #stopping = false;

  constructor(
    db: Database,
    private readonly log: Logger,
    private readonly metrics: Metrics | undefined,
    private readonly opts: { pollIntervalSeconds: number; maintenanceIntervalSeconds?: number; schema?: string },
  ) {
    this.#boss = new PgBoss({
      db: bossDb(db),
      schema: opts.schema ?? 'pgboss',
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
        retryDelay: def.retryDelaySeconds ?? 2,
        retryBackoff: true,
        expireInSeconds: def.expireInSeconds ?? 300,
      };
      const existing = await this.#boss.getQueue(def.name);
      if (existing) await this.#boss.updateQueue(def.name, { name: def.name, ...options });
      else await this.#boss.createQueue(def.name, { name: def.name, ...options });
      const ids: string[] = [];
      for (let i = 0; i < (def.concurrency ?? 4); i++) {
        ids.push(
          await this.#boss.work<object>(
            def.name,
            { pollingIntervalSeconds: this.opts.pollIntervalSeconds, batchSize: 1, includeMetadata: true },
            (jobs) => this.#run(def, jobs),
          ),
        );
      }
      this.#workers.set(def.name, ids);
    }
    this.#started = true;
  }

  async #run(def: QueueDefinition<object>, jobs: PgBoss.JobWithMetadata<object>[]): Promise<void> {
    for (const job of jobs) {
      const log = this.log.child({ job: { id: job.id, queue: def.name, attempt: job.retryCount + 1 } });
      const end = this.metrics?.jobDuration.startTimer({ queue: def.name });
      try {
        await def.handler(job.data, { jobId: job.id, attempt: job.retryCount + 1, log });
        this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: 'completed' });
      } catch (err) {
        const final = job.retryCount >= job.retryLimit;
        this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: final ? 'failed' : 'retried' });
        log.warn({ err, final }, final ? 'job failed for good' : 'job failed, will retry');
        throw err;
      } finally {
        end?.();
      }
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
