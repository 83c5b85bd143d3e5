import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Tx } from '../db/database.ts';
import { AppError, isAppError } from '../errors.ts';
import type { GoogleOAuth } from '../providers/google/oauth.ts';
import { missingScopes, normaliseScopes, SCOPE_PURPOSE } from '../providers/google/scopes.ts';
import type { GoogleConnections } from './google-connections.ts';
import type { PendingSignIn } from './sessions.ts';

/**
 * Google sign-in as a use case: the OAuth 2.0 web-server flow with PKCE (S256) and a `state` the
 * caller binds to the browser session. `start` builds the consent URL; `finish` checks Google's
 * answer, exchanges the code, checks the granted scopes, stores the grant and finds or creates the
 * user. Every way it can end is a named outcome, so the HTTP layer only chooses the words.
 */

/** Where a sign-in lands when it was given no usable place to return to. */
export const DEFAULT_RETURN_PATH = '/app';

const OAUTH_ROUND_TRIP_MS = 15 * 60 * 1000;

/**
 * `raw` as a path on our own origin (path, query and fragment), or null when it would leave it.
 * Resolved the way a browser resolves a Location header (WHATWG URL: `\` counts as `/`, tabs and
 * newlines vanish), so `//host`, `/\host`, `/\t/host`, `https://host` or `javascript:` cannot slip
 * through; the normalised form is what we redirect to, never the raw text.
 */
export function sameOriginPath(raw: string, publicBaseUrl: string): string | null {
  const base = new URL(publicBaseUrl);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return null;
  }
  if (url.origin !== base.origin) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}

export interface StartInput {
  returnTo?: string | undefined;
  /** Show Google's consent screen again (it alone hands out a refresh token). */
  forceConsent?: boolean;
  loginHint?: string | undefined;
  /** Who is signed in in this browser, if anyone: their sign-in (a reconnect) must keep them. */
  signedInUserId?: string | null | undefined;
}

export type SignInOutcome =
  | { kind: 'signed_in'; userId: string; returnTo: string }
  /** Google gave no refresh token and none is on file: go round once more with the consent screen. */
  | { kind: 'needs_consent'; returnTo: string }
  /**
   * A signed-in person came back from Google as another Google account: refused, their session
   * and connection untouched, the other account's tokens dropped.
   */
  | { kind: 'other_account'; expectedEmail: string; googleEmail: string; returnTo: string }
  | { kind: 'expired' }
  | { kind: 'state_mismatch' }
  | { kind: 'denied' }
  | { kind: 'provider_error'; error: string }
  | { kind: 'missing_scopes'; missing: { scope: string; purpose: string }[] }
  | { kind: 'no_code' }
  | { kind: 'failed'; error: AppError };

export interface CallbackInput {
  code?: string | undefined;
  state?: string | undefined;
  scope?: string | undefined;
  error?: string | undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SignIn {
  constructor(
    private readonly oauth: GoogleOAuth,
    private readonly connections: GoogleConnections,
    private readonly publicBaseUrl: string,
    /** Runs in the sign-in's transaction when a link that needed reconnecting is active again. */
    private readonly onReconnected: (tx: Tx, userId: string) => Promise<void>,
  ) {}

  /** The consent URL, and the round trip to keep in the browser session until Google answers. */
  async start(input: StartInput): Promise<{ url: string; pending: PendingSignIn }> {
    const state = randomBytes(32).toString('base64url');
    const { url, verifier } = await this.oauth.authorizationUrl({
      state,
      forceConsent: input.forceConsent ?? false,
      ...(input.loginHint ? { loginHint: input.loginHint } : {}),
    });
    const returnTo = (input.returnTo !== undefined && sameOriginPath(input.returnTo, this.publicBaseUrl)) || DEFAULT_RETURN_PATH;
    return { url, pending: { state, verifier, returnTo, startedAt: Date.now(), userId: input.signedInUserId ?? null } };
  }

  /**
   * Google's answer. `pending` is the round trip this browser started (the caller has already
   * removed it from the session: a state is single-use whatever happens next).
   */
  async finish(pending: PendingSignIn | undefined, answer: CallbackInput): Promise<SignInOutcome> {
    if (!pending || Date.now() - pending.startedAt > OAUTH_ROUND_TRIP_MS) return { kind: 'expired' };
    if (!answer.state || !safeEqual(answer.state, pending.state)) return { kind: 'state_mismatch' };
    if (answer.error) return answer.error === 'access_denied' ? { kind: 'denied' } : { kind: 'provider_error', error: answer.error };
    const missing = missingScopes(normaliseScopes(answer.scope));
    if (missing.length) return { kind: 'missing_scopes', missing: missing.map((scope) => ({ scope, purpose: SCOPE_PURPOSE[scope] ?? 'work' })) };
    if (!answer.code) return { kind: 'no_code' };
    // Checked again here: a round trip stored before the check existed must not leave the origin either.
    const returnTo = sameOriginPath(pending.returnTo, this.publicBaseUrl) ?? DEFAULT_RETURN_PATH;
    try {
      const grant = await this.oauth.exchange(answer.code, pending.verifier);
      if (pending.userId) {
        // Checked before anything is stored. The other account's tokens are dropped, not revoked:
        // revoking would also cut that account's own link, should it be a LeadsCalendar user too.
        const other = await this.connections.otherAccountThan(pending.userId, grant.identity.sub);
        if (other) return { kind: 'other_account', expectedEmail: other.expectedEmail, googleEmail: grant.identity.email, returnTo };
      }
      const result = await this.connections.completeSignIn(grant, this.onReconnected);
      if (!result.hasOfflineAccess) return { kind: 'needs_consent', returnTo };
      return { kind: 'signed_in', userId: result.userId, returnTo };
    } catch (err) {
      if (!isAppError(err)) throw err;
      return { kind: 'failed', error: err };
    }
  }
}
