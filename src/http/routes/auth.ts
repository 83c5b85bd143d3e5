import { z } from 'zod';
import type { SignIn, SignInOutcome } from '../../app/sign-in.ts';
import { esc, page, type PageOptions } from '../html.ts';
import type { App } from '../server.ts';
import { safeEqual, type Sessions } from '../sessions.ts';

/**
 * Google sign-in pages. The flow itself is the SignIn use case; these routes bind its round trip
 * to the browser session and turn each outcome into a page that says what happened and what to do.
 */

export interface AuthDeps {
  sessions: Sessions;
  signIn: SignIn;
  /** How the pages these routes write look: the sandbox badge in sandbox mode. */
  pages: PageOptions;
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

/** Where a new round trip starts: back to where this one was going, with the account to offer first. */
function startUrl(opts: { consent?: boolean; returnTo?: string | undefined; loginHint?: string | undefined } = {}): string {
  const q = new URLSearchParams();
  if (opts.consent) q.set('consent', '1');
  if (opts.returnTo) q.set('returnTo', opts.returnTo);
  if (opts.loginHint) q.set('loginHint', opts.loginHint);
  const query = q.toString();
  return `/auth/google/start${query ? `?${query}` : ''}`;
}

const link = (href: string, label: string, secondary = false) => `<a class="button${secondary ? ' secondary' : ''}" href="${esc(href)}">${esc(label)}</a>`;
const actions = (...links: string[]) => `<p class="actions">${links.join('')}</p>`;
const HOME = link('/', 'Go to the home page', true);

type Failure = Exclude<SignInOutcome, { kind: 'signed_in' | 'needs_consent' }>;

/** Each failure page's heading; docs/troubleshooting.md has a section for each (test/docs/site.test.ts). */
export const SIGN_IN_FAILURE_TITLES: Record<Failure['kind'], string> = {
  expired: 'This sign-in has expired',
  state_mismatch: 'Sign-in refused',
  denied: 'You did not grant access',
  provider_error: 'Google sign-in failed',
  missing_scopes: 'Some permissions were not granted',
  no_code: 'Google sign-in failed',
  failed: 'Google sign-in failed',
  other_account: 'That is another Google account',
};

interface FailureContext {
  /** Where the failed round trip was going, if this browser started one. */
  returnTo?: string | undefined;
  /** The session's CSRF token, for the sign-out form. */
  csrfToken?: string | undefined;
}

/** Each way a sign-in can fail, as a page: what happened in plain words, what it changed, what to do next. */
function failurePage(o: Failure, ctx: FailureContext): { status: number; title: string; body: string } {
  const again = (label = 'Sign in again', consent = false) => link(startUrl({ consent, returnTo: ctx.returnTo }), label);
  const card = (heading: string, content: string) => `<section class="card" id="sign-in-outcome" data-outcome="${o.kind}">
<h1>${esc(heading)}</h1>
${content}
</section>`;
  const title = SIGN_IN_FAILURE_TITLES[o.kind];
  const result = (status: number, content: string) => ({ status, title, body: card(title, content) });
  switch (o.kind) {
    case 'expired':
      return result(400, `<p>LeadsCalendar could not finish signing you in: the sign-in was started more than 15 minutes ago, or in another browser. Nothing was changed.</p>
${actions(again(), HOME)}`);
    case 'state_mismatch':
      return result(400, `<p>Google's answer does not belong to the sign-in this browser started. That happens when a sign-in runs in two tabs at once, or when the link came from somewhere else. To keep your account safe, nothing was changed.</p>
${actions(again(), HOME)}`);
    case 'denied':
      return result(403, `<p>Access was refused on Google's page, so you are not signed in and nothing was saved.</p>
<p>LeadsCalendar needs it to add the events you book to your Google Calendar.</p>
${actions(again('Try again'), HOME)}`);
    case 'provider_error':
      return result(403, `<p>Google ended the sign-in with the message <code>${esc(o.error)}</code>. Nothing was saved.</p>
${actions(again('Try again'), HOME)}`);
    case 'missing_scopes': {
      const items = o.missing.map((m) => `<li>${esc(m.purpose.charAt(0).toUpperCase() + m.purpose.slice(1))} <span class="muted">(<code>${esc(m.scope)}</code>)</span></li>`).join('');
      return result(403, `<p>These boxes were unticked on Google's page, and LeadsCalendar cannot work without them:</p>
<ul class="missing-scopes">${items}</ul>
<p>Nothing was saved. Sign in again and leave every box ticked.</p>
${actions(again('Sign in again with every permission', true), HOME)}`);
    }
    case 'no_code':
      return result(400, `<p>Google sent you back without the code that completes a sign-in. Nothing was saved.</p>
${actions(again('Try again', true), HOME)}`);
    case 'failed':
      if (o.error.kind === 'provider_unavailable') {
        return result(503, `<p>LeadsCalendar could not reach Google to finish signing you in. Nothing was saved. Try again in a minute.</p>
${actions(again('Try again'), HOME)}`);
      }
      return result(400, `<p>Google's answer could not be checked, so LeadsCalendar did not sign you in. Nothing was saved.</p>
<p class="muted">Details: ${esc(o.error.message)}</p>
${actions(again('Try again', true), HOME)}`);
    case 'other_account': {
      const expected = esc(o.expectedEmail);
      const got = esc(o.googleEmail);
      const signOut = ctx.csrfToken
        ? `<form method="post" action="/auth/logout" class="actions"><input type="hidden" name="_csrf" value="${esc(ctx.csrfToken)}"><button type="submit" class="secondary">Sign out</button></form>`
        : '';
      return result(409, `<p>You signed in to Google as <strong id="google-email">${got}</strong>, but this LeadsCalendar account is <strong id="account-email">${expected}</strong>.</p>
<p>Your Google connection is as it was, and nothing from ${got} was kept. On Google's page, choose ${expected}.</p>
${actions(link(startUrl({ consent: true, returnTo: o.returnTo, loginHint: o.expectedEmail }), `Reconnect with ${o.expectedEmail}`), link(o.returnTo, 'Back to LeadsCalendar', true))}
<h2>Meant to use ${got}?</h2>
<p>Sign out first, then sign in with that account: it has its own events and payments.</p>
${signOut}`);
    }
  }
}

export function registerAuthRoutes(app: App, deps: AuthDeps) {
  const { sessions, signIn, pages } = deps;

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
        // A signed-in person's round trip (a reconnect) must come back as the same account.
        signedInUserId: session.userId,
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
        if (outcome.kind === 'other_account') req.log.info({ userId: session?.userId }, 'reconnect refused: Google answered with another account');
        const { status, title, body } = failurePage(outcome, { returnTo: pending?.returnTo, csrfToken: session?.csrfToken });
        return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(title, body, pages));
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
