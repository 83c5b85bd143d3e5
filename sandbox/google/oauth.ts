import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import type { SandboxContext } from '../context.ts';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { consentPage, CONSENT_PATH, errorPage } from './consent-page.ts';
import { oauthError, WWW_AUTHENTICATE_INVALID } from './errors.ts';
import type { IdTokenSigner } from './keys.ts';
import { canonicalScopes, hasEmailScope, hasProfileScope, KNOWN_SCOPES } from './scopes.ts';
import { randomToken, type AccessTokenRecord, type Grant, type GoogleState, type PendingAuthorization, type TestUser } from './state.ts';

/**
 * Google's OAuth 2.0 web-server flow with PKCE, collapsed onto the sandbox origin: the auth
 * request and consent screen, the token endpoint (authorization_code, refresh_token), revoke,
 * tokeninfo, OIDC userinfo and the id_token signing certificates.
 */

export const ISSUER = 'https://accounts.google.com';
const CODE_TTL_MS = 10 * 60_000;
const PENDING_TTL_MS = 60 * 60_000;
const ID_TOKEN_TTL_S = 3600;

type Form = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const op = (operation: string) => ({ config: { sandbox: { provider: 'google' as const, operation } } });

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface OAuthDeps {
  state: GoogleState;
  ctx: SandboxContext;
  signer: () => IdTokenSigner;
}

/** Resolves a Bearer access token to its live record, grant and user, or null. */
export function liveAccessToken(state: GoogleState, now: number, token: string | undefined) {
  if (!token) return null;
  const rec = state.accessTokens.get(token);
  if (!rec || rec.expiresAt <= now) return null;
  const grant = state.grants.get(rec.grantId);
  if (!grant || grant.revokedAt) return null;
  const user = state.userBySub(grant.userSub);
  if (!user) return null;
  return { rec, grant, user };
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (m) return m[1];
  const q = req.query as Form;
  return first(q.access_token) ?? first(q.oauth_token);
}

export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const { state, ctx } = deps;
  const client = SANDBOX_CREDENTIALS.google;

  const sendOAuthError = (reply: FastifyReply, status: number, error: string, description?: string) => {
    const r = oauthError(status, error, description);
    return reply.status(r.status).header('cache-control', 'no-store').send(r.body);
  };
  const sendPage = (reply: FastifyReply, status: number, html: string) => reply.status(status).type('text/html; charset=utf-8').send(html);

  const redirectWith = (reply: FastifyReply, redirectUri: string, params: Record<string, string | null>) => {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
    return reply.redirect(url.toString(), 302);
  };

  // ---- authorization request ----

  app.get('/o/oauth2/v2/auth', op('oauth.authorize'), async (req, reply) => {
    const q = req.query as Form;
    const bad = (error: string, detail: string, status = 400) => sendPage(reply, status, errorPage(status, error, detail));
    const clientId = first(q.client_id);
    if (!clientId) return bad('invalid_request', 'Missing required parameter: client_id');
    if (clientId !== client.clientId) return bad('invalid_client', 'The OAuth client was not found.', 401);
    const redirectUri = first(q.redirect_uri);
    if (!redirectUri) return bad('invalid_request', 'Missing required parameter: redirect_uri');
    let redirect: URL;
    try {
      redirect = new URL(redirectUri);
    } catch {
      return bad('redirect_uri_mismatch', `Invalid parameter value for redirect_uri: Invalid URL: ${redirectUri}`);
    }
    if (!['http:', 'https:'].includes(redirect.protocol) || redirect.hash) {
      return bad('redirect_uri_mismatch', `Invalid parameter value for redirect_uri: ${redirectUri}`);
    }
    const responseType = first(q.response_type);
    if (!responseType) return bad('invalid_request', 'Required parameter is missing: response_type');
    if (responseType !== 'code') return bad('unsupported_response_type', `Invalid response_type: ${responseType}`);
    const scopes = [...new Set((first(q.scope) ?? '').split(/\s+/).filter(Boolean))];
    if (scopes.length === 0) return bad('invalid_request', 'Missing required parameter: scope');
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length) return bad('invalid_scope', `Some requested scopes were invalid. {invalid=[${unknown.join(', ')}]}`);
    const challenge = first(q.code_challenge) ?? null;
    const rawMethod = first(q.code_challenge_method);
    if (rawMethod && !challenge) return bad('invalid_request', 'Missing code_challenge.');
    const method = challenge ? (rawMethod ?? 'plain') : null;
    if (method !== null && method !== 'S256' && method !== 'plain') return bad('invalid_request', `Invalid code_challenge_method: ${method}`);
    if (challenge !== null && !/^[A-Za-z0-9._~-]{43,128}$/.test(challenge)) return bad('invalid_request', 'Invalid code_challenge.');
    const accessType = first(q.access_type) ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') return bad('invalid_request', `Invalid access_type: ${accessType}`);
    const prompt = (first(q.prompt) ?? '').split(/\s+/).filter(Boolean);
    if (prompt.some((p) => !['none', 'consent', 'select_account'].includes(p)) || (prompt.includes('none') && prompt.length > 1)) {
      return bad('invalid_request', `Invalid prompt: ${prompt.join(' ')}`);
    }
    const igs = first(q.include_granted_scopes);
    const pending: PendingAuthorization = {
      id: randomToken('req_', 18),
      clientId,
      redirectUri,
      scopes,
      state: first(q.state) ?? null,
      codeChallenge: challenge,
      codeChallengeMethod: method as PendingAuthorization['codeChallengeMethod'],
      offline: accessType === 'offline',
      prompt,
      loginHint: first(q.login_hint) ?? null,
      includeGrantedScopes: igs === 'true',
      nonce: first(q.nonce) ?? null,
      expiresAt: ctx.now() + PENDING_TTL_MS,
    };

    if (req.sandboxDeclined) {
      // A `decline` fault: the person refuses on the consent screen.
      return redirectWith(reply, redirectUri, { error: 'access_denied', state: pending.state });
    }

    if (prompt.includes('none')) {
      // No screen may be shown: only a user already signed in (login_hint) with a covering grant.
      const user = pending.loginHint ? state.userByEmail(pending.loginHint) : undefined;
      if (!user) return redirectWith(reply, redirectUri, { error: 'login_required', state: pending.state });
      const grant = state.activeGrant(user.sub, clientId);
      if (!grant || !canonicalScopes(scopes).every((s) => grant.scopes.has(s))) {
        return redirectWith(reply, redirectUri, { error: 'consent_required', state: pending.state });
      }
      return redirectWith(reply, redirectUri, issueCode(pending, user, scopes, false));
    }

    state.pending.set(pending.id, pending);
    return sendPage(reply, 200, consentView(pending));
  });

  const consentView = (p: PendingAuthorization, error?: string) =>
    consentPage({
      requestId: p.id,
      clientId: p.clientId,
      redirectHost: new URL(p.redirectUri).host,
      users: [...state.users.values()],
      loginHint: p.loginHint,
      scopes: p.scopes,
      ...(error ? { error } : {}),
    });

  const issueCode = (p: PendingAuthorization, user: TestUser, granted: string[], consented: boolean) => {
    const code = randomToken('4/0A', 40);
    state.codes.set(code, {
      code,
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      userSub: user.sub,
      scopes: granted,
      codeChallenge: p.codeChallenge,
      codeChallengeMethod: p.codeChallengeMethod,
      offline: p.offline,
      consented,
      includeGrantedScopes: p.includeGrantedScopes,
      nonce: p.nonce,
      expiresAt: ctx.now() + CODE_TTL_MS,
      used: false,
    });
    return {
      code,
      scope: [...new Set([...granted, ...canonicalScopes(granted)])].join(' '),
      state: p.state,
      authuser: '0',
      prompt: consented ? 'consent' : 'none',
    };
  };

  app.post(CONSENT_PATH, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const pending = state.pending.get(first(body.request) ?? '');
    if (!pending || pending.expiresAt <= ctx.now()) {
      return sendPage(reply, 400, errorPage(400, 'invalid_request', 'This sign-in request is unknown or has expired. Start again from the app.'));
    }
    if (first(body.decision) !== 'allow') {
      state.pending.delete(pending.id);
      return redirectWith(reply, pending.redirectUri, { error: 'access_denied', state: pending.state });
    }
    const typed = first(body.email)?.trim();
    let user: TestUser | undefined;
    if (typed) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(typed)) return sendPage(reply, 400, consentView(pending, `Not an email address: ${typed}`));
      user = state.ensureUser(typed, first(body.name));
    } else {
      user = state.userByEmail(first(body.account) ?? '');
      if (!user) return sendPage(reply, 400, consentView(pending, 'Choose an account or type an email.'));
    }
    state.pending.delete(pending.id);
    const granted = list(body.scope).filter((s) => pending.scopes.includes(s));
    if (granted.length === 0) return redirectWith(reply, pending.redirectUri, { error: 'access_denied', state: pending.state });
    const existing = state.activeGrant(user.sub, pending.clientId);
    const consented =
      pending.prompt.includes('consent') ||
      !existing ||
      (pending.offline && !existing.offline) ||
      !canonicalScopes(granted).every((s) => existing.scopes.has(s));
    return redirectWith(reply, pending.redirectUri, issueCode(pending, user, granted, consented));
  });

  // ---- token endpoint ----

  const issueAccessToken = (grant: Grant, scopes: string[]): AccessTokenRecord => {
    const rec: AccessTokenRecord = {
      token: randomToken('ya29.a0', 60),
      grantId: grant.id,
      scopes,
      expiresAt: ctx.now() + ctx.settings.googleAccessTokenTtlSeconds * 1000,
    };
    state.accessTokens.set(rec.token, rec);
    return rec;
  };

  const idToken = (user: TestUser, scopes: string[], accessToken: string, nonce: string | null) => {
    const iat = Math.floor(ctx.now() / 1000);
    const hash = createHash('sha256').update(accessToken).digest();
    const claims: Record<string, unknown> = {
      iss: ISSUER,
      azp: client.clientId,
      aud: client.clientId,
      sub: user.sub,
    };
    if (hasEmailScope(scopes)) Object.assign(claims, { email: user.email, email_verified: true });
    claims.at_hash = hash.subarray(0, 16).toString('base64url');
    if (nonce) claims.nonce = nonce;
    if (hasProfileScope(scopes)) {
      const [given, ...family] = user.name.split(' ');
      Object.assign(claims, { name: user.name, given_name: given, ...(family.length ? { family_name: family.join(' ') } : {}) });
    }
    Object.assign(claims, { iat, exp: iat + ID_TOKEN_TTL_S });
    return deps.signer().sign(claims);
  };

  app.post('/token', op('oauth.token'), async (req, reply) => {
    if (req.jsonError) return sendOAuthError(reply, 400, 'invalid_request', 'Invalid JSON payload received.');
    const body = (req.body ?? {}) as Form;
    let basicId: string | undefined;
    let basicSecret: string | undefined;
    const auth = req.headers.authorization;
    if (auth && /^Basic\s+/i.test(auth)) {
      const decoded = Buffer.from(auth.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      basicId = decodeURIComponent(i < 0 ? decoded : decoded.slice(0, i));
      basicSecret = i < 0 ? undefined : decodeURIComponent(decoded.slice(i + 1));
    }
    const clientId = first(body.client_id) ?? basicId;
    const secret = first(body.client_secret) ?? basicSecret;
    if (!clientId) return sendOAuthError(reply, 400, 'invalid_request', 'Could not determine client ID from request.');
    if (clientId !== client.clientId) return sendOAuthError(reply, 401, 'invalid_client', 'The OAuth client was not found.');
    if (!secret || !sameString(secret, client.clientSecret)) return sendOAuthError(reply, 401, 'invalid_client', 'Unauthorized');
    const grantType = first(body.grant_type);
    if (!grantType) return sendOAuthError(reply, 400, 'invalid_request', 'Required parameter is missing: grant_type');
    reply.header('cache-control', 'no-cache, no-store, max-age=0, must-revalidate').header('pragma', 'no-cache');

    if (req.sandboxDeclined) {
      // A `decline` fault: Google refuses the grant (a refresh token "expired", a code rejected).
      return sendOAuthError(reply, 400, 'invalid_grant', grantType === 'refresh_token' ? 'Token has been expired or revoked.' : 'Bad Request');
    }

    if (grantType === 'authorization_code') {
      const code = first(body.code);
      if (!code) return sendOAuthError(reply, 400, 'invalid_request', 'Missing required parameter: code');
      const rec = state.codes.get(code);
      if (!rec || rec.used || rec.expiresAt <= ctx.now() || rec.clientId !== clientId) {
        return sendOAuthError(reply, 400, 'invalid_grant', 'Bad Request');
      }
      const redirectUri = first(body.redirect_uri);
      if (!redirectUri) return sendOAuthError(reply, 400, 'invalid_request', 'Missing parameter: redirect_uri');
      if (redirectUri !== rec.redirectUri) return sendOAuthError(reply, 400, 'redirect_uri_mismatch', 'Bad Request');
      if (rec.codeChallenge) {
        const verifier = first(body.code_verifier);
        if (!verifier) return sendOAuthError(reply, 400, 'invalid_grant', 'Missing code verifier.');
        const derived = rec.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (!sameString(derived, rec.codeChallenge)) return sendOAuthError(reply, 400, 'invalid_grant', 'Invalid code verifier.');
      }
      rec.used = true;
      const user = state.userBySub(rec.userSub);
      if (!user) return sendOAuthError(reply, 400, 'invalid_grant', 'Bad Request');
      let grant = state.activeGrant(user.sub, clientId);
      if (!grant) {
        grant = { id: state.nextId('grant_'), userSub: user.sub, clientId, scopes: new Set(), offline: false, createdAt: new Date(ctx.now()).toISOString(), revokedAt: null };
        state.grants.set(grant.id, grant);
      }
      const codeScopes = canonicalScopes(rec.scopes);
      for (const s of codeScopes) grant.scopes.add(s);
      grant.offline ||= rec.offline;
      const scopes = rec.includeGrantedScopes ? [...grant.scopes] : codeScopes;
      const access = issueAccessToken(grant, scopes);
      const out: Record<string, unknown> = { access_token: access.token, expires_in: ctx.settings.googleAccessTokenTtlSeconds };
      if (rec.offline && rec.consented) {
        const refresh = randomToken('1//0g', 72);
        state.refreshTokens.set(refresh, { token: refresh, grantId: grant.id, scopes, createdAt: new Date(ctx.now()).toISOString() });
        out.refresh_token = refresh;
      }
      out.scope = scopes.join(' ');
      out.token_type = 'Bearer';
      if (scopes.includes('openid')) out.id_token = await idToken(user, scopes, access.token, rec.nonce);
      return out;
    }

    if (grantType === 'refresh_token') {
      const token = first(body.refresh_token);
      if (!token) return sendOAuthError(reply, 400, 'invalid_request', 'Missing required parameter: refresh_token');
      const rec = state.refreshTokens.get(token);
      const grant = rec && state.grants.get(rec.grantId);
      const user = grant && state.userBySub(grant.userSub);
      if (!rec || !grant || grant.revokedAt || !user) return sendOAuthError(reply, 400, 'invalid_grant', 'Token has been expired or revoked.');
      if (grant.clientId !== clientId) return sendOAuthError(reply, 400, 'unauthorized_client', 'Unauthorized');
      let scopes = rec.scopes;
      const narrowed = first(body.scope);
      if (narrowed) {
        const asked = canonicalScopes(narrowed.split(/\s+/).filter(Boolean));
        if (!asked.every((s) => rec.scopes.includes(s))) return sendOAuthError(reply, 400, 'invalid_scope', 'Some requested scopes were invalid.');
        scopes = asked;
      }
      const access = issueAccessToken(grant, scopes);
      const out: Record<string, unknown> = {
        access_token: access.token,
        expires_in: ctx.settings.googleAccessTokenTtlSeconds,
        scope: scopes.join(' '),
        token_type: 'Bearer',
      };
      if (scopes.includes('openid')) out.id_token = await idToken(user, scopes, access.token, null);
      return out;
    }

    return sendOAuthError(reply, 400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  });

  // ---- revoke ----

  app.post('/revoke', op('oauth.revoke'), async (req, reply) => {
    const token = first((req.query as Form).token) ?? first(((req.body ?? {}) as Form).token);
    if (!token) return sendOAuthError(reply, 400, 'invalid_request', 'Bad Request');
    const rec = state.accessTokens.get(token) ?? state.refreshTokens.get(token);
    const grant = rec && state.grants.get(rec.grantId);
    if (!grant || grant.revokedAt) return sendOAuthError(reply, 400, 'invalid_token', 'Token expired or revoked');
    state.revokeGrant(grant, 'api');
    return reply.status(200).send({});
  });

  // ---- tokeninfo and userinfo ----

  const tokenInfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = { ...((req.body ?? {}) as Form), ...(req.query as Form) };
    const invalid = () => sendOAuthError(reply, 400, 'invalid_token', 'Invalid Value');
    const idTok = first(q.id_token);
    if (idTok) {
      try {
        const { payload, protectedHeader } = await jwtVerify(idTok, deps.signer().publicKey(), { issuer: [ISSUER, 'accounts.google.com'] });
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(payload)) out[k] = String(v);
        return { ...out, alg: protectedHeader.alg, kid: protectedHeader.kid ?? '', typ: protectedHeader.typ ?? 'JWT' };
      } catch {
        return invalid();
      }
    }
    const live = liveAccessToken(state, ctx.now(), first(q.access_token) ?? bearer(req));
    if (!live) return invalid();
    const { rec, grant, user } = live;
    const out: Record<string, string> = {
      azp: grant.clientId,
      aud: grant.clientId,
      sub: user.sub,
      scope: rec.scopes.join(' '),
      exp: String(Math.floor(rec.expiresAt / 1000)),
      expires_in: String(Math.max(0, Math.floor((rec.expiresAt - ctx.now()) / 1000))),
    };
    if (hasEmailScope(rec.scopes)) Object.assign(out, { email: user.email, email_verified: 'true' });
    out.access_type = grant.offline ? 'offline' : 'online';
    return out;
  };
  app.get('/tokeninfo', op('oauth.userinfo'), tokenInfo);
  app.post('/tokeninfo', op('oauth.userinfo'), tokenInfo);

  const userInfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const live = liveAccessToken(state, ctx.now(), bearer(req));
    if (!live) {
      return reply.status(401).header('www-authenticate', WWW_AUTHENTICATE_INVALID).send({ error: 'invalid_request', error_description: 'Invalid Credentials' });
    }
    const { rec, user } = live;
    const email = hasEmailScope(rec.scopes);
    const profile = hasProfileScope(rec.scopes);
    if (!email && !profile && !rec.scopes.includes('openid')) {
      return reply.status(403).send({ error: 'insufficient_scope', error_description: 'Insufficient Permission' });
    }
    const out: Record<string, unknown> = { sub: user.sub };
    if (profile) {
      const [given, ...family] = user.name.split(' ');
      Object.assign(out, { name: user.name, given_name: given, ...(family.length ? { family_name: family.join(' ') } : {}) });
    }
    if (email) Object.assign(out, { email: user.email, email_verified: true });
    return out;
  };
  app.get('/v1/userinfo', op('oauth.userinfo'), userInfo);
  app.get('/oauth2/v3/userinfo', op('oauth.userinfo'), userInfo);

  // ---- certificates ----

  const CERT_CACHE = 'public, max-age=21600, must-revalidate, no-transform';
  app.get('/oauth2/v1/certs', op('oauth.certs'), async (_req, reply) => {
    const s = deps.signer();
    return reply.header('cache-control', CERT_CACHE).send({ [s.kid]: s.certPem });
  });
  app.get('/oauth2/v3/certs', op('oauth.certs'), async (_req, reply) => {
    return reply.header('cache-control', CERT_CACHE).send({ keys: [deps.signer().jwk] });
  });
}
