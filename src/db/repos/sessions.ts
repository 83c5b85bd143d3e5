import type { Database, Queryable } from '../database.ts';

/** Browser sessions as stored, keyed by the SHA-256 of the id the cookie carries. */

export interface SessionRecord {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  data: Record<string, unknown>;
  expiresAt: Date;
}

interface Row {
  id_hash: string;
  user_id: string | null;
  csrf_token: string;
  data: Record<string, unknown>;
  expires_at: Date;
}

export async function findLiveSession(q: Queryable, idHash: string): Promise<SessionRecord | null> {
  const [r] = await q.query<Row>(
    'select id_hash, user_id, csrf_token, data, expires_at from sessions where id_hash = $1 and expires_at > now()',
    [idHash],
  );
  return r ? { idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, data: r.data, expiresAt: r.expires_at } : null;
}

/**
 * Stores a new session, deleting the one it replaces in the same transaction, and sweeps
 * sessions expired for a day: no separate timer to run.
 */
export async function insertSession(db: Database, s: SessionRecord, replacingIdHash: string | null): Promise<void> {
  await db.transaction(async (tx) => {
    if (replacingIdHash) await tx.query('delete from sessions where id_hash = $1', [replacingIdHash]);
    await tx.query('insert into sessions (id_hash, user_id, csrf_token, data, expires_at) values ($1, $2, $3, $4, $5)', [
      s.idHash,
      s.userId,
      s.csrfToken,
      JSON.stringify(s.data),
      s.expiresAt,
    ]);
    await tx.query(`delete from sessions where expires_at < now() - interval '1 day'`);
  });
}

export async function updateSessionData(q: Queryable, idHash: string, data: Record<string, unknown>): Promise<void> {
  await q.query('update sessions set data = $2 where id_hash = $1', [idHash, JSON.stringify(data)]);
}

export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q.query('delete from sessions where id_hash = $1', [idHash]);
}
