import type { ConnectionStatus } from '../../domain/google-connection.ts';
import type { Queryable } from '../database.ts';

/** Each user's link to Google as stored: tokens only in their encrypted form (AES-256-GCM). */

export interface ConnectionRow {
  refresh_token_enc: Uint8Array | null;
  access_token_enc: Uint8Array | null;
  access_token_expires_at: Date | null;
  scopes: string[];
  status: ConnectionStatus;
  needs_reconnect_since: Date | null;
  last_error: string | null;
}

export async function findConnection(q: Queryable, userId: string, opts: { forUpdate?: boolean } = {}): Promise<ConnectionRow | null> {
  const [r] = await q.query<ConnectionRow>(`select * from google_connections where user_id = $1${opts.forUpdate ? ' for update' : ''}`, [userId]);
  return r ?? null;
}

/** The grant of a sign-in replaces whatever was on file; the last error goes with it. */
export async function upsertConnection(
  q: Queryable,
  userId: string,
  c: {
    refreshTokenEnc: Uint8Array | null;
    accessTokenEnc: Uint8Array;
    accessTokenExpiresAt: Date;
    scopes: string[];
    status: ConnectionStatus;
    needsReconnectSince: Date | null;
  },
): Promise<void> {
  await q.query(
    `insert into google_connections (user_id, refresh_token_enc, access_token_enc, access_token_expires_at, scopes, status,
       needs_reconnect_since, last_error, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, null, now())
     on conflict (user_id) do update set refresh_token_enc = excluded.refresh_token_enc,
       access_token_enc = excluded.access_token_enc, access_token_expires_at = excluded.access_token_expires_at,
       scopes = excluded.scopes, status = excluded.status, needs_reconnect_since = excluded.needs_reconnect_since,
       last_error = null, updated_at = now()`,
    [userId, c.refreshTokenEnc, c.accessTokenEnc, c.accessTokenExpiresAt, c.scopes, c.status, c.needsReconnectSince],
  );
}

export async function storeAccessToken(q: Queryable, userId: string, accessTokenEnc: Uint8Array, expiresAt: Date): Promise<void> {
  await q.query('update google_connections set access_token_enc = $2, access_token_expires_at = $3, updated_at = now() where user_id = $1', [
    userId,
    accessTokenEnc,
    expiresAt,
  ]);
}

/** An active link turns to needs_reconnect, keeping the first instant it did; the access token goes. */
export async function markNeedsReconnect(q: Queryable, userId: string, reason: string): Promise<void> {
  await q.query(
    `update google_connections set status = 'needs_reconnect', needs_reconnect_since = coalesce(needs_reconnect_since, now()),
       last_error = $2, access_token_enc = null, access_token_expires_at = null, updated_at = now()
     where user_id = $1 and status = 'active'`,
    [userId, reason],
  );
}

export async function markRevoked(q: Queryable, userId: string): Promise<void> {
  await q.query(
    `update google_connections set refresh_token_enc = null, access_token_enc = null, access_token_expires_at = null,
       status = 'revoked', scopes = '{}', updated_at = now() where user_id = $1`,
    [userId],
  );
}
