import { readFile } from 'node:fs/promises';
import type { App } from '../http/server.ts';
import type { Sessions } from '../http/sessions.ts';
import { esc, page } from '../http/html.ts';
import { PAYMENT_STATE_LABEL, STATE_LABEL } from './state-labels.ts';

const ASSETS = new URL('./assets/', import.meta.url);
// Data for the script, not code: a JSON block the browser never runs (CSP allows no inline script).
// `<` is escaped so that no string can close the block.
const jsonBlock = (id: string, data: unknown) => `<script type="application/json" id="${id}">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`;
const STATE_LABELS_BLOCK = jsonBlock('lc-state-labels', STATE_LABEL) + jsonBlock('lc-payment-state-labels', PAYMENT_STATE_LABEL);
const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };

export function registerWebRoutes(app: App, opts: { mode: 'sandbox' | 'live'; sandboxUrl: string | null; sessions: Sessions }) {
  // The signed-in interface: a shell whose script talks to the public API (/api/v1).
  const appShell = (title: string, view: string) =>
    page(title, `<div id="app" data-view="${esc(view)}"><p class="small">Loading…</p></div><noscript>LeadsCalendar needs JavaScript in the browser.</noscript>${STATE_LABELS_BLOCK}`, {
      scripts: ['/assets/app.js'],
    });
  app.get('/app', { schema: { hide: true } }, async (req, reply) => {
    const s = await opts.sessions.load(req);
    if (!s?.userId) return reply.redirect('/', 302);
    return reply.type('text/html; charset=utf-8').send(appShell('Your events', 'home'));
  });
  app.get<{ Params: { id: string } }>('/app/events/:id', { schema: { hide: true } }, async (req, reply) => {
    const s = await opts.sessions.load(req);
    if (!s?.userId) return reply.redirect('/', 302);
    return reply.type('text/html; charset=utf-8').send(appShell('Event', 'event'));
  });

  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const signedIn = Boolean((await opts.sessions.load(req))?.userId);
    const sandboxNote =
      opts.mode === 'sandbox' && opts.sandboxUrl
        ? `<p class="note">Sandbox mode: Google, PayPal and Binance Pay are emulated at <a href="${esc(opts.sandboxUrl)}/__sandbox">${esc(opts.sandboxUrl)}</a>. No real account or money is involved.</p>`
        : '';
    return reply.type('text/html; charset=utf-8').send(
      page(
        'Book events on your Google Calendar',
        `<h1>Book an event. It lands on your Google Calendar once paid.</h1>
<p>Sign in with Google and create an event: times in any time zone, repeats, attendees, and a check against your busy times. Each event has a small fee (1 USD by default), and LeadsCalendar adds it to your calendar only once it is paid.</p>
<p>Pay the fee with PayPal, or its equivalent in USDT with Binance Pay. An event left unpaid expires (after 30 minutes by default), and if a paid event cannot be added to your calendar, your money is returned.</p>
${sandboxNote}
<p>${signedIn ? '<a class="button" href="/app">Your events</a>' : '<a class="button" href="/auth/google/start">Sign in with Google</a>'}</p>
<p class="small"><a href="/api/docs">API reference</a> · <a href="/openapi.json">OpenAPI document</a></p>`,
      ),
    );
  });

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const file = req.params.file;
    const ext = file.split('.').pop() ?? '';
    if (!/^[a-z0-9-]+\.[a-z]+$/.test(file) || !TYPES[ext]) return reply.callNotFound();
    const body = await readFile(new URL(file, ASSETS)).catch(() => null);
    if (!body) return reply.callNotFound();
    return reply.type(TYPES[ext]).header('cache-control', 'public, max-age=300').send(body);
  });
}
