import type { Queryable } from '../database.ts';

/**
 * Rate-limit counters in the database, so that every instance counts the same requests: a fixed
 * window per key, opened by the first hit, counted atomically by one upsert.
 */
export class DatabaseRateLimitCounter {
  #lastSweep = 0;

  constructor(
    private readonly db: Queryable,
    /** How often (at most) windows long closed are deleted, in passing. */
    private readonly sweepEveryMs = 60_000,
  ) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }> {
    // Every request from one address updates the same row, so each waits for the row lock; with the
    // commit flushed to disk, that serialises them at one fsync each. A count is worth less than that:
    // this transaction's commit does not wait for the flush (a crash may forget the last few hits).
    const [row] = await this.db.query<{ hits: number; ttl_ms: number | string }>(
      `insert into rate_limits as r (key, hits, window_ends_at)
         select $1, 1, clock_timestamp() + $2::bigint * interval '1 millisecond'
           from (select set_config('synchronous_commit', 'off', true)) as no_flush_wait
       on conflict (key) do update set
         hits = case when r.window_ends_at <= clock_timestamp() then 1 else r.hits + 1 end,
         window_ends_at = case when r.window_ends_at <= clock_timestamp() then excluded.window_ends_at else r.window_ends_at end
       returning hits, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000)::integer as ttl_ms`,
      [key, Math.round(windowMs)],
    );
    if (Date.now() - this.#lastSweep > this.sweepEveryMs) {
      this.#lastSweep = Date.now();
      await this.db.query(`delete from rate_limits where window_ends_at < clock_timestamp() - interval '1 minute'`);
    }
    return { count: row!.hits, ttlMs: Math.max(0, Number(row!.ttl_ms)) };
  }
}
