import type { TokenCipher } from '../crypto/token-cipher.ts';
import type { Database, Tx } from '../db/database.ts';
import * as repo from '../db/repos/google-connections.ts';
import type { ConnectionStatus } from '../domain/google-connection.ts';
import { findGoogleAccount, upsertGoogleUser } from '../db/repos/users.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { GoogleCalendar, type CalendarOptions } from '../providers/google/calendar.ts';
import type { ClientLimits, ExchangedGrant, GoogleOAuth } from '../providers/google/oauth.ts';
import { missingScopes } from '../providers/google/scopes.ts';
import type { CalendarPort } from '../ports/calendar.ts';

/**
 * A user's link to their Google account: who they are (keyed by Google's `sub`), the offline grant
 * (refresh token encrypted at rest, access token cached encrypted), and its health. A grant Google
 * no longer honours (`invalid_grant`) turns the link to `needs_reconnect`: nothing is deleted, work
 * waits, and a new sign-in resumes it. Any call to Google that finds the grant refused (a refresh
 * answered `invalid_grant`, a revoked token, a permission taken back) records it here at once, so
 * that /api/v1/me never calls a grant active that Google has just refused.
 */

/** The calendar port for one person, as GoogleConnections hands it out. */
export type ConnectedCalendar = CalendarPort;

export type { ConnectionStatus } from '../domain/google-connection.ts';

export interface ConnectionInfo {
  status: ConnectionStatus;
  scopes: string[];
  missingScopes: string[];
  needsReconnectSince: Date | null;
  lastError: string | null;
}

export interface SignInResult {
  userId: string;
  /** false: Google gave no refresh token and none is on file; ask again with prompt=consent. */
  hasOfflineAccess: boolean;
  /** The link was waiting for a reconnect and is active again. */
  reconnected: boolean;
}

export class GoogleConnections {
  constructor(
    private readonly db: Database,
    private readonly oauth: GoogleOAuth,
    private readonly cipher: TokenCipher,
    private readonly calendarOptions: CalendarOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Records a successful sign-in. `onReactivated` runs in the same transaction when a link that
   * needed reconnecting is active again, so resumed work commits with it.
   */
  async completeSignIn(grant: ExchangedGrant, onReactivated?: (tx: Tx, userId: string) => Promise<void>): Promise<SignInResult> {
    return this.db.transaction(async (tx) => {
      const userId = await upsertGoogleUser(tx, grant.identity);
      const prev = await repo.findConnection(tx, userId, { forUpdate: true });
      const refreshEnc = grant.refreshToken ? this.cipher.encrypt(grant.refreshToken, userId) : (prev?.status === 'revoked' ? null : (prev?.refresh_token_enc ?? null));
      const hasOfflineAccess = refreshEnc !== null;
      const status: ConnectionStatus = hasOfflineAccess ? 'active' : 'needs_reconnect';
      await repo.upsertConnection(tx, userId, {
        refreshTokenEnc: refreshEnc,
        accessTokenEnc: this.cipher.encrypt(grant.accessToken, userId),
        accessTokenExpiresAt: grant.expiresAt,
        scopes: grant.scopes,
        status,
        needsReconnectSince: status === 'active' ? null : (prev?.needs_reconnect_since ?? new Date()),
      });
      const reconnected = prev?.status === 'needs_reconnect' && status === 'active';
      if (reconnected && onReactivated) await onReactivated(tx, userId);
      return { userId, hasOfflineAccess, reconnected };
    });
  }

  /**
   * When `sub` is another Google account than the one `userId` signed up with: that user's address
   * (to name the account a reconnect must use). Null when it is the same account, or the user is gone.
   */
  async otherAccountThan(userId: string, sub: string): Promise<{ expectedEmail: string } | null> {
    const account = await findGoogleAccount(this.db, userId);
    return account && account.sub !== sub ? { expectedEmail: account.email } : null;
  }

  async info(userId: string): Promise<ConnectionInfo | null> {
    const r = await repo.findConnection(this.db, userId);
    if (!r) return null;
    return {
      status: r.status,
      scopes: r.scopes,
      missingScopes: missingScopes(r.scopes),
      needsReconnectSince: r.needs_reconnect_since,
      lastError: r.last_error,
    };
  }

  /** An OAuth client holding the user's tokens; refreshed tokens are written back encrypted. */
  async clientFor(userId: string, limits: ClientLimits = {}) {
    const r = await repo.findConnection(this.db, userId);
    if (!r || r.status !== 'active' || !r.refresh_token_enc) {
      throw new AppError('unauthorized', 'Google access needs reconnecting: sign in with Google again.', {
        provider: 'google',
        providerCode: 'needs_reconnect',
      });
    }
    const client = this.oauth.client({ timeoutMs: limits.timeoutMs ?? this.calendarOptions.timeoutMs, ...(limits.signal ? { signal: limits.signal } : {}) });
    client.setCredentials({
      refresh_token: this.cipher.decrypt(r.refresh_token_enc, userId),
      ...(r.access_token_enc && r.access_token_expires_at
        ? { access_token: this.cipher.decrypt(r.access_token_enc, userId), expiry_date: r.access_token_expires_at.getTime() }
        : {}),
    });
    client.on('tokens', (tokens) => {
      if (!tokens.access_token) return;
      repo
        .storeAccessToken(this.db, userId, this.cipher.encrypt(tokens.access_token, userId), new Date(tokens.expiry_date ?? Date.now() + 3500_000))
        .catch((err) => this.log.warn({ err, userId }, 'could not store a refreshed Google access token'));
    });
    return client;
  }

  /**
   * The person's calendar, each call one attempt within `limits` (a request passes its deadline; a
   * job, nothing: the configured per-call timeout applies).
   */
  async calendarFor(userId: string, limits: ClientLimits = {}): Promise<ConnectedCalendar> {
    const port = new GoogleCalendar(await this.clientFor(userId, limits), {
      ...this.calendarOptions,
      ...(limits.timeoutMs ? { timeoutMs: limits.timeoutMs } : {}),
      ...(limits.signal ? { signal: limits.signal } : {}),
    });
    const recorded = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await call(...args);
        } catch (err) {
          if (isAppError(err, 'unauthorized')) await this.markNeedsReconnect(userId, err.message).catch((e) => this.log.warn({ err: e, userId }, 'could not record a refused Google grant'));
          throw err;
        }
      };
    return {
      listCalendars: recorded(() => port.listCalendars()),
      listWritableCalendars: recorded(() => port.listWritableCalendars()),
      freeBusy: recorded((calendarId: string, from: Date, to: Date) => port.freeBusy(calendarId, from, to)),
      insertEvent: recorded((calendarId: string, eventId: string, event: Parameters<CalendarPort['insertEvent']>[2]) => port.insertEvent(calendarId, eventId, event)),
      removeEvent: recorded((calendarId: string, providerEventId: string, sendUpdates: Parameters<CalendarPort['removeEvent']>[2]) =>
        port.removeEvent(calendarId, providerEventId, sendUpdates),
      ),
    };
  }

  /** Google refused the grant: keep everything, wait for the user to reconnect. */
  async markNeedsReconnect(userId: string, reason: string): Promise<void> {
    await repo.markNeedsReconnect(this.db, userId, reason);
    this.log.info({ userId, reason }, 'Google connection needs reconnecting');
  }

  /** Revokes the grant at Google, then forgets the tokens. */
  async disconnect(userId: string): Promise<void> {
    const r = await repo.findConnection(this.db, userId);
    if (!r) return;
    if (r.refresh_token_enc) await this.oauth.revoke(this.cipher.decrypt(r.refresh_token_enc, userId));
    await repo.markRevoked(this.db, userId);
  }
}
