import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { AppError } from '../../errors.ts';
import { googleError } from './errors.ts';
import { normaliseScopes, REQUIRED_SCOPES } from './scopes.ts';

/**
 * Google sign-in and offline access through the official google-auth-library. In live mode the
 * library's own endpoints are used; otherwise every OAuth endpoint is on one origin (the sandbox),
 * at Google's paths.
 */

export interface GoogleOAuthConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** null: Google's own hosts. */
  oauthOrigin: string | null;
  /** Each call to Google's OAuth endpoints gives up after this long (default 15 s). */
  timeoutMs?: number;
}

export interface ClientLimits {
  /** Each call gives up after this long; default: the configuration's. */
  timeoutMs?: number;
  /** Aborts every call still running, e.g. at the end of a request's deadline. */
  signal?: AbortSignal;
}

export interface GoogleIdentity {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

export interface ExchangedGrant {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date;
  scopes: string[];
  identity: GoogleIdentity;
}

export class GoogleOAuth {
  constructor(readonly cfg: GoogleOAuthConfig) {}

  /**
   * A client whose every call — token exchange and refresh included, which the library would
   * otherwise retry three times without a deadline — makes one attempt within the limits.
   */
  client(limits: ClientLimits = {}): OAuth2Client {
    const o = this.cfg.oauthOrigin;
    return new OAuth2Client({
      transporterOptions: {
        timeout: limits.timeoutMs ?? this.cfg.timeoutMs ?? 15_000,
        retryConfig: { retry: 0 },
        ...(limits.signal ? { signal: limits.signal } : {}),
      },
      clientId: this.cfg.clientId,
      clientSecret: this.cfg.clientSecret,
      redirectUri: this.cfg.redirectUri,
      ...(o
        ? {
            endpoints: {
              oauth2AuthBaseUrl: `${o}/o/oauth2/v2/auth`,
              oauth2TokenUrl: `${o}/token`,
              oauth2RevokeUrl: `${o}/revoke`,
              oauth2FederatedSignonPemCertsUrl: `${o}/oauth2/v1/certs`,
              oauth2FederatedSignonJwkCertsUrl: `${o}/oauth2/v3/certs`,
              tokenInfoUrl: `${o}/tokeninfo`,
            },
          }
        : {}),
    });
  }

  /** The consent URL, with PKCE (S256) and a state the caller binds to the browser session. */
  async authorizationUrl(opts: { state: string; loginHint?: string; forceConsent: boolean }): Promise<{ url: string; verifier: string }> {
    const client = this.client();
    const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
    const url = client.generateAuthUrl({
      access_type: 'offline',
      scope: [...REQUIRED_SCOPES],
      state: opts.state,
      include_granted_scopes: true,
      code_challenge: codeChallenge!,
      code_challenge_method: CodeChallengeMethod.S256,
      // Google only hands out a refresh token on a consent screen; ask for one when we need it.
      ...(opts.forceConsent ? { prompt: 'consent' } : {}),
      ...(opts.loginHint ? { login_hint: opts.loginHint } : {}),
    });
    return { url, verifier: codeVerifier };
  }

  async exchange(code: string, verifier: string): Promise<ExchangedGrant> {
    const client = this.client();
    let tokens;
    try {
      ({ tokens } = await client.getToken({ code, codeVerifier: verifier }));
    } catch (err) {
      throw googleError(err, 'token exchange');
    }
    if (!tokens.access_token || !tokens.id_token) throw new AppError('provider_unavailable', 'Google answered the sign-in without the expected tokens.', { provider: 'google' });
    let payload;
    try {
      // Checks the RS256 signature against Google's certificates, the issuer, audience and expiry.
      const ticket = await client.verifyIdToken({ idToken: tokens.id_token, audience: this.cfg.clientId });
      payload = ticket.getPayload();
    } catch (err) {
      throw new AppError('unauthorized', `Google's identity token did not verify: ${(err as Error).message}`, { provider: 'google', cause: err });
    }
    if (!payload?.sub || !payload.email) throw new AppError('unauthorized', 'Google did not say who signed in (no sub or email).', { provider: 'google' });
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: new Date(tokens.expiry_date ?? Date.now() + 3500_000),
      scopes: normaliseScopes(tokens.scope),
      identity: {
        sub: payload.sub,
        email: payload.email,
        emailVerified: payload.email_verified === true,
        name: payload.name ?? null,
        picture: payload.picture ?? null,
      },
    };
  }

  /** Revokes the grant at Google. An already-dead token counts as revoked. */
  async revoke(token: string): Promise<void> {
    try {
      await this.client().revokeToken(token);
    } catch (err) {
      const e = googleError(err, 'revoke');
      if (e.httpStatus === 400) return;
      throw e;
    }
  }
}
