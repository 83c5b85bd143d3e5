import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.ts';
import * as repo from '../db/repos/credentials.ts';
import type { ApiKeyRecord, Grant, KeyMode, OAuthClientRecord, Scope } from '../db/repos/credentials.ts';
import { AppError } from '../errors.ts';

export type { ApiKeyRecord, Grant, KeyMode, OAuthClientRecord, Scope } from '../db/repos/credentials.ts';

/**
 * Credentials for servers: API keys, and OAuth 2.0 clients that trade their id and secret for a
 * short-lived access token (client credentials grant, RFC 6749 §4.4). Every secret is 256 random
 * bits, shown once and stored as its SHA-256 digest. The prefix says what a string is and for
 * which mode (`lc_test_…` a sandbox key, `lc_live_…` a live one), so a key pasted into the wrong
 * place is recognised, and secret scanners can find leaked ones.
 */

export const SCOPES = ['read', 'write'] as const satisfies readonly Scope[];
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

const digest = (secret: string) => createHash('sha256').update(secret).digest();
const secretPart = () => randomBytes(32).toString('base64url');

const API_KEY = /^lc_(test|live)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const ACCESS_TOKEN = /^lct_(test|live)_[A-Za-z0-9_-]{43}$/;

/** What a bearer string looks like, before any lookup: cheap to tell, and never a secret to log. */
export function bearerKind(token: string): 'api_key' | 'access_token' | null {
  return API_KEY.test(token) ? 'api_key' : ACCESS_TOKEN.test(token) ? 'access_token' : null;
}

/** An RFC 6749 §5.2 error of the token endpoint: its own JSON shape, not a problem document. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
    readonly status: 400 | 401 = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

export class Credentials {
  readonly mode: KeyMode;

  constructor(
    private readonly db: Database,
    appMode: 'sandbox' | 'live',
  ) {
    this.mode = appMode === 'live' ? 'live' : 'test';
  }

  // API keys.

  async createApiKey(userId: string, input: { name?: string | undefined; scope: Scope }): Promise<{ key: ApiKeyRecord; secret: string }> {
    const publicId = randomBytes(6).toString('hex');
    const secret = `lc_${this.mode}_${publicId}_${secretPart()}`;
    const key = await repo.insertApiKey(this.db, { userId, publicId, mode: this.mode, name: input.name ?? null, scope: input.scope, secretHash: digest(secret) });
    return { key, secret };
  }

  listApiKeys(userId: string): Promise<ApiKeyRecord[]> {
    return repo.listApiKeys(this.db, userId);
  }

  async revokeApiKey(userId: string, id: string): Promise<ApiKeyRecord> {
    const key = await repo.revokeApiKey(this.db, userId, id);
    if (!key) throw new AppError('not_found', `No API key ${id} of yours.`);
    return key;
  }

  // OAuth clients.

  async createOAuthClient(userId: string, input: { name?: string | undefined; scopes: Scope[] }): Promise<{ client: OAuthClientRecord; secret: string }> {
    const clientId = `lcc_${this.mode}_${randomBytes(8).toString('hex')}`;
    const secret = `lcs_${this.mode}_${secretPart()}`;
    const scopes = SCOPES.filter((s) => input.scopes.includes(s));
    const client = await repo.insertOAuthClient(this.db, { userId, clientId, mode: this.mode, name: input.name ?? null, scopes, secretHash: digest(secret) });
    return { client, secret };
  }

  listOAuthClients(userId: string): Promise<OAuthClientRecord[]> {
    return repo.listOAuthClients(this.db, userId);
  }

  async revokeOAuthClient(userId: string, id: string): Promise<OAuthClientRecord> {
    const client = await this.db.transaction((tx) => repo.revokeOAuthClient(tx, userId, id));
    if (!client) throw new AppError('not_found', `No OAuth client ${id} of yours.`);
    return client;
  }

  /**
   * The client credentials grant: a client that proves its secret gets a bearer token for at
   * most its own scopes, for {@link ACCESS_TOKEN_TTL_SECONDS}. Only its digest is kept.
   */
  async issueAccessToken(clientId: string, clientSecret: string, scope: string | undefined): Promise<{ accessToken: string; expiresIn: number; scopes: Scope[] }> {
    const client = await repo.findOAuthClient(this.db, clientId);
    // Compared in constant time; an unknown client costs the same digest, so timing tells nothing.
    const matches = timingSafeEqual(digest(clientSecret), client?.secretHash ?? digest(''));
    if (!client || !matches || client.mode !== this.mode) throw new OAuthError('invalid_client', 'Unknown client, or a wrong client secret.');
    let scopes: Scope[] = client.scopes;
    if (scope !== undefined) {
      const asked = scope.split(' ').filter(Boolean);
      const unknown = asked.filter((s) => !client.scopes.includes(s as Scope));
      if (asked.length === 0 || unknown.length) {
        throw new OAuthError('invalid_scope', `This client may ask for ${client.scopes.join(' ')}; not ${unknown.join(' ') || 'an empty scope'}.`);
      }
      scopes = SCOPES.filter((s) => asked.includes(s));
    }
    const accessToken = `lct_${this.mode}_${secretPart()}`;
    await repo.insertAccessToken(this.db, { tokenHash: digest(accessToken), clientId: client.id, userId: client.userId, scopes, ttlSeconds: ACCESS_TOKEN_TTL_SECONDS });
    await repo.touchCredential(this.db, { kind: 'oauth_client', id: client.id, lastUsedAt: client.lastUsedAt });
    return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scopes };
  }

  // Bearer authentication.

  /** The grant a bearer string carries: an API key or an access token; 401 for anything else. */
  async authenticate(token: string): Promise<Grant> {
    const kind = bearerKind(token);
    const mode = token.split('_')[1];
    if (kind && mode !== this.mode) {
      throw new AppError('unauthorized', `That is a ${mode} credential; this server runs in ${this.mode === 'live' ? 'live' : 'sandbox'} mode and takes only lc_${this.mode}_ keys and tokens.`);
    }
    const grant =
      kind === 'api_key' ? await repo.findApiKeyGrant(this.db, digest(token), this.mode) : kind === 'access_token' ? await repo.findAccessTokenGrant(this.db, digest(token)) : null;
    if (!grant) {
      throw new AppError(
        'unauthorized',
        kind === 'access_token'
          ? 'The access token is unknown or expired (they last 15 minutes): ask POST /oauth/token for a new one.'
          : kind === 'api_key'
            ? 'The API key is unknown or revoked.'
            : 'The bearer credential is not a LeadsCalendar API key or access token.',
      );
    }
    if (!grant.credential.lastUsedAt || Date.now() - grant.credential.lastUsedAt.getTime() > 60_000) await repo.touchCredential(this.db, grant.credential);
    return grant;
  }
}
