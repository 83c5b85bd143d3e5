import { z } from 'zod';
import type { SignIn, SignInOutcome } from '../../app/sign-in.ts';
import { esc, page } from '../html.ts';
import type { App } from '../server.ts';
import { safeEqual, type Sessions } from '../sessions.ts';

/**
 * Google sign-in pages. The flow itself is the SignIn use case; these routes bind its round trip
 * to the browser session and turn each outcome into a page that says what happened and what to do.
 */

export interface AuthDeps {
  sessions: Sessions;
  signIn: SignIn;
}

const StartQuery = z.object({
  // Checked by the use case: anything that would leave our origin falls back to the app's home.
  returnTo: z.string().max(2000).optional(),
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

/** Each anonymous start writes a session row: bounded per client, across every instance. */
export const SIGN_IN_START_RATE_LIMIT = { max: 30, timeWindow: '1 minute' } as const;

function tryAgain(label = 'Try again', consent = true) {
  return `<p><a class="button" href="/auth/google/start${consent ? '?consent=1' : ''}">${esc(label)}</a></p>`;
}

type Failure = Exclude<SignInOutcome, { kind: 'signed_in' | 'needs_consent' }>;

function failurePage(o: Failure): { status: number; title: string; body: string } {
  switch (o.kind) {
    case 'expired':
      return { status: 400, title: 'Sign-in expired', body: `<h1>This sign-in has expired</h1>
<p class="error">The sign-in was started too long ago, or in another browser, so LeadsCalendar cannot finish it safely.</p>${tryAgain('Sign in again', false)}` };
    case 'state_mismatch':
      return { status: 400, title: 'Sign-in refused', body: `<h1>Sign-in refused</h1>
<p class="error">The answer from Google does not belong to the sign-in this browser started (state mismatch). Nothing was changed.</p>${tryAgain('Sign in again', false)}` };
    case 'denied':
      return { status: 403, title: 'Access not granted', body: `<h1>You did not grant access</h1>
<p>LeadsCalendar needs your permission to add the events you book to your Google Calendar. Nothing was saved.</p>${tryAgain('Try again', false)}` };
    case 'provider_error':
      return { status: 403, title: 'Sign-in failed', body: `<h1>Google sign-in failed</h1><p class="error">Google answered <code>${esc(o.error)}</code>.</p>${tryAgain('Try again', false)}` };
    case 'missing_scopes': {
      const items = o.missing.map((m) => `<li><code>${esc(m.scope)}</code>: to ${esc(m.purpose)}</li>`).join('');
      return { status: 403, title: 'Permissions missing', body: `<h1>Some permissions were not granted</h1>
<p>LeadsCalendar cannot work without these, which were unticked on Google's consent screen:</p><ul class="missing-scopes">${items}</ul>
<p>Sign in again and keep every permission ticked.</p>${tryAgain('Grant the permissions')}` };
    }
    case 'no_code':
      return { status: 400, title: 'Sign-in failed', body: `<h1>Google sign-in failed</h1><p class="error">Google sent no authorization code.</p>${tryAgain()}` };
    case 'failed':
      return { status: o.error.kind === 'provider_unavailable' ? 503 : 400, title: 'Sign-in failed', body: `<h1>Google sign-in failed</h1>
<p class="error">${esc(o.error.message)}</p>${tryAgain()}` };
  }
}

export function registerAuthRoutes(app: App, deps: AuthDeps) {
  const { sessions, signIn } = deps;

  app.get(
    '/auth/google/start',
    { config: { rateLimit: SIGN_IN_START_RATE_LIMIT }, schema: { hide: true, querystring: StartQuery } },
    async (req, reply) => {
      const existing = await sessions.load(req);
      const session = existing ?? (await sessions.create(reply, null));
      const { url, pending } = await signIn.start({
        returnTo: req.query.returnTo,
        forceConsent: req.query.consent === '1',
        loginHint: req.query.loginHint,
      });
      session.data = { ...session.data, oauth: pending };
      await sessions.save(session);
      return reply.redirect(url, 302);
    },
  );

  app.get('/auth/google/callback', { schema: { hide: true, querystring: CallbackQuery } }, async (req, reply) => {
    const session = await sessions.load(req);
    const pending = session?.data.oauth;
    if (session && pending) {
      // The state is single-use: whatever happens next, this round trip is over.
      session.data = { ...session.data, oauth: undefined };
      await sessions.save(session);
    }
    const outcome = await signIn.finish(pending, req.query);
    switch (outcome.kind) {
      case 'signed_in':
        await sessions.create(reply, outcome.userId, {}, session);
        return reply.redirect(outcome.returnTo, 302);
      case 'needs_consent':
        return reply.redirect(`/auth/google/start?consent=1&returnTo=${encodeURIComponent(outcome.returnTo)}`, 302);
      default: {
        if (outcome.kind === 'failed') req.log.warn({ err: outcome.error }, 'Google sign-in failed');
        const { status, title, body } = failurePage(outcome);
        return reply.status(status).type('text/html; charset=utf-8').send(page(title, body));
      }
    }
  });

  app.post('/auth/logout', { schema: { hide: true } }, async (req, reply) => {
    const session = await sessions.load(req);
    const sent = (req.body as { _csrf?: string } | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined);
    if (session && sent && safeEqual(sent, session.csrfToken)) await sessions.destroy(reply, session);
    return reply.redirect('/', 303);
  });
}
