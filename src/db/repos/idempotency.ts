import type { Queryable } from '../database.ts';

/**
 * Idempotency-Key rows: one per (owner, key). A request reserves its key by inserting the row; the
 * reservation is taken over only once it has expired (its answer kept long enough) or its holder
 * is presumed dead (`locked_until` passed), in the same statement, so two instances never both run it.
 */

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Reservation =
  | { outcome: 'reserved' }
  | { outcome: 'replay'; requestHash: string; response: StoredResponse }
  | { outcome: 'in_use'; requestHash: string };

export async function reserve(
  q: Queryable,
  r: { ownerId: string; key: string; requestHash: string; lockMs: number; keepMs: number },
): Promise<Reservation> {
  const [mine] = await q.query(
    `insert into idempotency_keys as k (owner_id, key, request_hash, locked_until, expires_at)
       values ($1, $2, $3, clock_timestamp() + $4::bigint * interval '1 millisecond', clock_timestamp() + $5::bigint * interval '1 millisecond')
     on conflict (owner_id, key) do update set
       request_hash = excluded.request_hash, locked_until = excluded.locked_until, expires_at = excluded.expires_at,
       response_status = null, response_headers = null, response_body = null, created_at = clock_timestamp()
       where k.expires_at <= clock_timestamp()
          or (k.response_status is null and k.locked_until <= clock_timestamp() and k.request_hash = excluded.request_hash)
     returning 1 as reserved`,
    [r.ownerId, r.key, r.requestHash, r.lockMs, r.keepMs],
  );
  if (mine) return { outcome: 'reserved' };
  const [row] = await q.query<{ request_hash: string; response_status: number | null; response_headers: Record<string, string> | null; response_body: string | null }>(
    'select request_hash, response_status, response_headers, response_body from idempotency_keys where owner_id = $1 and key = $2',
    [r.ownerId, r.key],
  );
  // Deleted between the two statements (an owner deleted, or a sweep): the next try reserves it.
  if (!row) return reserve(q, r);
  if (row.response_status === null) return { outcome: 'in_use', requestHash: row.request_hash };
  return { outcome: 'replay', requestHash: row.request_hash, response: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body ?? '' } };
}

export async function complete(q: Queryable, ownerId: string, key: string, response: StoredResponse): Promise<void> {
  await q.query(
    `update idempotency_keys set response_status = $3, response_headers = $4, response_body = $5, locked_until = null
      where owner_id = $1 and key = $2 and response_status is null`,
    [ownerId, key, response.status, JSON.stringify(response.headers), response.body],
  );
}

/** Gives a reservation up (the answer could not be kept): the key can be used again at once. */
export async function release(q: Queryable, ownerId: string, key: string): Promise<void> {
  await q.query('delete from idempotency_keys where owner_id = $1 and key = $2 and response_status is null', [ownerId, key]);
}

/** Deletes up to `limit` expired rows; the number deleted. */
export async function deleteExpired(q: Queryable, limit = 1000): Promise<number> {
  const rows = await q.query(
    `delete from idempotency_keys where ctid in (select ctid from idempotency_keys where expires_at < clock_timestamp() limit $1) returning 1`,
    [limit],
  );
  return rows.length;
}
