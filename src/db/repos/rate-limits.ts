import type { Queryable } from '../database.ts';

interface PendingHit {
  key: string;
  windowMs: number;
  resolve: (r: { count: number; ttlMs: number }) => void;
  reject: (err: unknown) => void;
}

/**
 * Rate-limit counters in the database, so that every instance counts the same requests: a fixed
 * window per key, opened by the first hit, counted atomically by one upsert.
 *
 * Hits that arrive while a count is being written are counted together by the next statement, one
 * row per key (a burst from one address costs one statement, not one each), and that statement's
 * commit does not wait for the disk: a count is worth less than a flush, and a crash may forget the
 * last few hits. Keys are written in sorted order, so two instances' statements lock rows in the
 * same order and cannot deadlock.
 */
export class DatabaseRateLimitCounter {
  #lastSweep = 0;
  #pending: PendingHit[] = [];
  #writing = false;

  constructor(
    private readonly db: Queryable,
    /** How often (at most) windows long closed are deleted, in passing. */
    private readonly sweepEveryMs = 60_000,
  ) {}

  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ key, windowMs: Math.round(windowMs), resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        await this.#count(batch);
      }
    } finally {
      this.#writing = false;
      if (this.#pending.length > 0) void this.#drain();
    }
  }

  async #count(batch: PendingHit[]): Promise<void> {
    const byKey = new Map<string, PendingHit[]>();
    for (const h of batch) byKey.set(h.key, [...(byKey.get(h.key) ?? []), h]);
    const keys = [...byKey.keys()].sort();
    let rows;
    try {
      if (Date.now() - this.#lastSweep > this.sweepEveryMs) {
        this.#lastSweep = Date.now();
        await this.db.query(`delete from rate_limits where window_ends_at < clock_timestamp() - interval '1 minute'`);
      }
      rows = await this.db.query<{ key: string; hits: number; ttl_ms: number | string }>(
        `insert into rate_limits as r (key, hits, window_ends_at)
           select k, n, clock_timestamp() + w * interval '1 millisecond'
             from unnest($1::text[], $2::int[], $3::bigint[]) with ordinality as h(k, n, w, o),
                  (select set_config('synchronous_commit', 'off', true)) as no_flush_wait
            order by o
         on conflict (key) do update set
           hits = case when r.window_ends_at <= clock_timestamp() then excluded.hits else r.hits + excluded.hits end,
           window_ends_at = case when r.window_ends_at <= clock_timestamp() then excluded.window_ends_at else r.window_ends_at end
         returning key, hits, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000)::integer as ttl_ms`,
        [keys, keys.map((k) => byKey.get(k)!.length), keys.map((k) => byKey.get(k)![0]!.windowMs)],
      );
    } catch (err) {
      for (const h of batch) h.reject(err);
      return;
    }
    for (const row of rows) {
      const hits = byKey.get(row.key)!;
      // This statement added hits.length to the row: the first of them is count - length + 1.
      hits.forEach((h, i) => h.resolve({ count: row.hits - hits.length + i + 1, ttlMs: Math.max(0, Number(row.ttl_ms)) }));
    }
  }
}
