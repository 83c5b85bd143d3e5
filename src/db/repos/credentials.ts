import type { Queryable } from '../database.ts';

/** API keys, OAuth clients and their access tokens as stored: secrets only as SHA-256 digests. */

export type Scope = 'read' | 'write';
export type KeyMode = 'test' | 'live';

export interface ApiKeyRecord {
  id: string;
  userId: string;
  publicId: string;
  mode: KeyMode;
  name: string | null;
  scope: Scope;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface OAuthClientRecord {
  id: string;
  userId: string;
  clientId: string;
  mode: KeyMode;
  name: string | null;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Whom a bearer credential acts for, and what it may do. */
export interface Grant {
  userId: string;
  scopes: Scope[];
  /** The row to touch as last used: an API key's or an OAuth client's id. */
  credential: { kind: 'api_key' | 'oauth_client'; id: string; lastUsedAt: Date | null };
}

interface KeyRow {
  id: string;
  user_id: string;
  public_id: string;
  mode: KeyMode;
  name: string | null;
  scope: Scope;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

interface ClientRow {
  id: string;
  user_id: string;
  client_id: string;
  mode: KeyMode;
  name: string | null;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_COLUMNS = 'id, user_id, public_id, mode, name, scope, created_at, last_used_at, revoked_at';
const CLIENT_COLUMNS = 'id, user_id, client_id, mode, name, scopes, created_at, last_used_at, revoked_at';

const key = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  userId: r.user_id,
  publicId: r.public_id,
  mode: r.mode,
  name: r.name,
  scope: r.scope,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const client = (r: ClientRow): OAuthClientRecord => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  mode: r.mode,
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export async function insertApiKey(
  q: Queryable,
  k: { userId: string; publicId: string; mode: KeyMode; name: string | null; scope: Scope; secretHash: Buffer },
): Promise<ApiKeyRecord> {
  const [r] = await q.query<KeyRow>(
    `insert into api_keys (user_id, public_id, mode, name, scope, secret_hash) values ($1, $2, $3, $4, $5, $6) returning ${KEY_COLUMNS}`,
    [k.userId, k.publicId, k.mode, k.name, k.scope, k.secretHash],
  );
  return key(r!);
}

/** Live keys first, newest first; revoked keys stay listed (who revoked what, and when). */
export async function listApiKeys(q: Queryable, userId: string): Promise<ApiKeyRecord[]> {
  const rows = await q.query<KeyRow>(
    `select ${KEY_COLUMNS} from api_keys where user_id = $1 order by revoked_at is not null, created_at desc, id desc limit 200`,
    [userId],
  );
  return rows.map(key);
}

/** Revokes the key if it is the user's; a second revocation keeps the first time. */
export async function revokeApiKey(q: Queryable, userId: string, id: string): Promise<ApiKeyRecord | null> {
  const [r] = await q.query<KeyRow>(
    `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and user_id = $2 returning ${KEY_COLUMNS}`,
    [id, userId],
  );
  return r ? key(r) : null;
}

export async function findApiKeyGrant(q: Queryable, secretHash: Buffer, mode: KeyMode): Promise<Grant | null> {
  const [r] = await q.query<{ id: string; user_id: string; scope: Scope; last_used_at: Date | null }>(
    'select id, user_id, scope, last_used_at from api_keys where secret_hash = $1 and mode = $2 and revoked_at is null',
    [secretHash, mode],
  );
  return r ? { userId: r.user_id, scopes: r.scope === 'write' ? ['read', 'write'] : ['read'], credential: { kind: 'api_key', id: r.id, lastUsedAt: r.last_used_at } } : null;
}

export async function insertOAuthClient(
  q: Queryable,
  c: { userId: string; clientId: string; mode: KeyMode; name: string | null; scopes: Scope[]; secretHash: Buffer },
): Promise<OAuthClientRecord> {
  const [r] = await q.query<ClientRow>(
    `insert into oauth_clients (user_id, client_id, mode, name, scopes, secret_hash) values ($1, $2, $3, $4, $5, $6) returning ${CLIENT_COLUMNS}`,
    [c.userId, c.clientId, c.mode, c.name, c.scopes, c.secretHash],
  );
  return client(r!);
}

export async function listOAuthClients(q: Queryable, userId: string): Promise<OAuthClientRecord[]> {
  const rows = await q.query<ClientRow>(
    `select ${CLIENT_COLUMNS} from oauth_clients where user_id = $1 order by revoked_at is not null, created_at desc, id desc limit 200`,
    [userId],
  );
  return rows.map(client);
}

/** Revokes the client and ends every access token it obtained, at once. */
export async function revokeOAuthClient(q: Queryable, userId: string, id: string): Promise<OAuthClientRecord | null> {
  const [r] = await q.query<ClientRow>(
    `update oauth_clients set revoked_at = coalesce(revoked_at, now()) where id = $1 and user_id = $2 returning ${CLIENT_COLUMNS}`,
    [id, userId],
  );
  if (r) await q.query('delete from oauth_access_tokens where client_id = $1', [id]);
  return r ? client(r) : null;
}

/** A live client by its public client_id, with its secret's digest for the caller to compare. */
export async function findOAuthClient(q: Queryable, clientId: string): Promise<(OAuthClientRecord & { secretHash: Buffer }) | null> {
  const [r] = await q.query<ClientRow & { secret_hash: Buffer | Uint8Array }>(
    `select ${CLIENT_COLUMNS}, secret_hash from oauth_clients where client_id = $1 and revoked_at is null`,
    [clientId],
  );
  return r ? { ...client(r), secretHash: Buffer.from(r.secret_hash) } : null;
}

export async function insertAccessToken(
  q: Queryable,
  t: { tokenHash: Buffer; clientId: string; userId: string; scopes: Scope[]; ttlSeconds: number },
): Promise<void> {
  await q.query(
    `insert into oauth_access_tokens (token_hash, client_id, user_id, scopes, expires_at)
       values ($1, $2, $3, $4, now() + $5::integer * interval '1 second')`,
    [t.tokenHash, t.clientId, t.userId, t.scopes, t.ttlSeconds],
  );
  // Expired tokens are useless; each issue sweeps a few, so the table stays the size of what is live.
  await q.query(`delete from oauth_access_tokens where token_hash in (select token_hash from oauth_access_tokens where expires_at < now() limit 100)`);
}

export async function findAccessTokenGrant(q: Queryable, tokenHash: Buffer): Promise<Grant | null> {
  const [r] = await q.query<{ client_id: string; user_id: string; scopes: Scope[]; last_used_at: Date | null }>(
    `select t.client_id, t.user_id, t.scopes, c.last_used_at
       from oauth_access_tokens t join oauth_clients c on c.id = t.client_id
      where t.token_hash = $1 and t.expires_at > now() and c.revoked_at is null`,
    [tokenHash],
  );
  return r ? { userId: r.user_id, scopes: r.scopes, credential: { kind: 'oauth_client', id: r.client_id, lastUsedAt: r.last_used_at } } : null;
}

/** Records use at most once a minute per credential: a read-mostly key costs no write per request. */
export async function touchCredential(q: Queryable, credential: Grant['credential']): Promise<void> {
  const table = credential.kind === 'api_key' ? 'api_keys' : 'oauth_clients';
  await q.query(
    `update ${table} set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [credential.id],
  );
}
