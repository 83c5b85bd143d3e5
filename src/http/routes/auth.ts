import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { GoogleConnections } from '../../app/google-connections.ts';
import type { Tx } from '../../db/database.ts';
import { isAppError } from '../../errors.ts';
import type { GoogleOAuth } from '../../providers/google/oauth.ts';
import { missingScopes, normaliseScopes, SCOPE_PURPOSE } from '../../providers/google/scopes.ts';
import { esc, page } from '../../web/layout.ts';
import type { App } from '../server.ts';
import { safeEqual, type Sessions } from '../sessions.ts';

/**
 * Google sign-in: the OAuth 2.0 web-server flow with PKCE (S256) and a `state` bound to the
 * browser session. Every way it can end — denied consent, unticked permissions, an expired or
 * foreign state, a refused code — ends on a page that says what happened and what to do.
 */

export interface AuthDeps {
  sessions: Sessions;
  oauth: GoogleOAuth;
  connections: GoogleConnections;
  /** Runs when a connection that needed reconnecting is active again (resume waiting inserts). */
  onReconnected: (tx: Tx, userId: string) => Promise<void>;
}

const OAUTH_ROUND_TRIP_MS = 15 * 60 * 1000;

const StartQuery = z.object({
  returnTo: z.string().regex(/^\/[A-Za-z0-9/_?=&.-]*$/, 'must be a local path').optional(),
  consent: z.enum(['1']).optional(),
  loginHint: z.string().email().optional(),
});

const CallbackQuery = z
  .object({
    code: z.string().min(1).optional(),
    state: z.string().min(1).optional(),
    scope: z.string().optional(),
    error: z.string().optional(),
  })
  .passthrough();

function tryAgain(label = 'Try again', consent = true) {
  return `<p><a class="button" href="/auth/google/start${consent ? '?consent=1' : ''}">${esc(label)}</a></p>`;
}

export function registerAuthRoutes(app: App, deps: AuthDeps) {
  const { sessions, oauth, connections } = deps;

  app.get('/auth/google/start', { schema: { hide: true, querystring: StartQuery } }, async (req, reply) => {
    const existing = await sessions.load(req);
    const session = existing ?? (await sessions.create(reply, null));
    const state = randomBytes(32).toString('base64url');
    const { url, verifier } = await oauth.authorizationUrl({
      state,
      forceConsent: req.query.consent === '1',
      ...(req.query.loginHint ? { loginHint: req.query.loginHint } : {}),
    });
    session.data = { ...session.data, oauth: { state, verifier, returnTo: req.query.returnTo ?? '/app', startedAt: Date.now() } };
    await sessions.save(session);
    return reply.redirect(url, 302);
  });

  app.get('/auth/google/callback', { schema: { hide: true, querystring: CallbackQuery } }, async (req, reply) => {
    const html = (status: number, title: string, body: string) => reply.status(status).type('text/html; charset=utf-8').send(page(title, body));
    const session = await sessions.load(req);
    const pending = session?.data.oauth;
    if (!session || !pending || Date.now() - pending.startedAt > OAUTH_ROUND_TRIP_MS) {
      return html(400, 'Sign-in expired', `<h1>This sign-in has expired</h1>
<p class="error">The sign-in was started too long ago, or in another browser, so LeadsCalendar cannot finish it safely.</p>${tryAgain('Sign in again', false)}`);
    }
    // The state is single-use: whatever happens next, this round trip is over.
    session.data = { ...session.data, oauth: undefined };
    await sessions.save(session);
    if (!req.query.state || !safeEqual(req.query.state, pending.state)) {
      return html(400, 'Sign-in refused', `<h1>Sign-in refused</h1>
<p class="error">The answer from Google does not belong to the sign-in this browser started (state mismatch). Nothing was changed.</p>${tryAgain('Sign in again', false)}`);
    }
    if (req.query.error) {
      const denied = req.query.error === 'access_denied';
      return html(403, denied ? 'Access not granted' : 'Sign-in failed', denied
        ? `<h1>You did not grant access</h1>
<p>LeadsCalendar needs your permission to add the events you book to your Google Calendar. Nothing was saved.</p>${tryAgain('Try again', false)}`
        : `<h1>Google sign-in failed</h1><p class="error">Google answered <code>${esc(req.query.error)}</code>.</p>${tryAgain('Try again', false)}`);
    }
    const missing = missingScopes(normaliseScopes(req.query.scope));
    if (missing.length) {
      const items = missing.map((s) => `<li><code>${esc(s)}</code>: to ${esc(SCOPE_PURPOSE[s] ?? 'work')}</li>`).join('');
      return html(403, 'Permissions missing', `<h1>Some permissions were not granted</h1>
<p>LeadsCalendar cannot work without these, which were unticked on Google's consent screen:</p><ul class="missing-scopes">${items}</ul>
<p>Sign in again and keep every permission ticked.</p>${tryAgain('Grant the permissions')}`);
    }
    if (!req.query.code) return html(400, 'Sign-in failed', `<h1>Google sign-in failed</h1><p class="error">Google sent no authorization code.</p>${tryAgain()}`);

    let result;
    try {
      const grant = await oauth.exchange(req.query.code, pending.verifier);
      result = await connections.completeSignIn(grant, deps.onReconnected);
    } catch (err) {
      if (!isAppError(err)) throw err;
      req.log.warn({ err }, 'Google sign-in failed');
      return html(err.kind === 'provider_unavailable' ? 503 : 400, 'Sign-in failed', `<h1>Google sign-in failed</h1>
<p class="error">${esc(err.message)}</p>${tryAgain()}`);
    }
    if (!result.hasOfflineAccess) {
      // Google only issues a refresh token on a consent screen; go round once more with one.
      return reply.redirect(`/auth/google/start?consent=1&returnTo=${encodeURIComponent(pending.returnTo)}`, 302);
    }
    await sessions.create(reply, result.userId, {}, session);
    return reply.redirect(pending.returnTo, 302);
  });

  app.post('/auth/logout', { schema: { hide: true } }, async (req, reply) => {
    const session = await sessions.load(req);
    const sent = (req.body as { _csrf?: string } | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined);
    if (session && sent && safeEqual(sent, session.csrfToken)) await sessions.destroy(reply, session);
    return reply.redirect('/', 303);
  });
}
