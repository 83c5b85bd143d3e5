import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/server.ts';
import type { Sessions } from '../http/sessions.ts';
import { CLIENT_DIR, loadClient, type ClientConfig } from '../http/client-build.ts';

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml', map: 'application/json' };
// Vite names files `name-<hash>.ext`: their content never changes under one name.
const HASHED = /^[A-Za-z0-9_-]+-[A-Za-z0-9_-]{8,}\.(js|css|svg|map)$/;
const YEAR = 'public, max-age=31536000, immutable';
// Paths whose unknown URLs are for programs: they keep the API's problem documents.
const API_PATHS = /^\/(api|auth|openapi\.json|healthz|readyz|metrics|webhooks)(\/|$)/;

export interface WebRouteOptions extends ClientConfig {
  sessions: Sessions;
}

/**
 * The web interface: one shell (Vite's index.html) for every page, whose script is a client of the
 * public API (/api/v1) and draws the page from the URL. The server only knows which URLs are pages
 * and which need a session.
 */
export function registerWebRoutes(app: App, opts: WebRouteOptions) {
  const { sessions, ...config } = opts;
  const client = loadClient(config);
  const html = (reply: FastifyReply, title: string, status = 200) =>
    reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(client.shell(title));
  const signedInPage = (title: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await sessions.load(req);
    if (!s?.userId) return reply.redirect('/', 302);
    return html(reply, title);
  };

  app.get('/', { schema: { hide: true } }, async (_req, reply) => html(reply, 'Book events on your Google Calendar'));
  if (config.mode === 'sandbox') app.get('/tour', { schema: { hide: true } }, async (_req, reply) => html(reply, 'A tour of the sandbox'));
  app.get('/app', { schema: { hide: true } }, signedInPage('Your events'));
  app.get('/app/new', { schema: { hide: true } }, signedInPage('New event'));
  app.get('/app/payments', { schema: { hide: true } }, signedInPage('Your payments'));
  app.get('/app/settings', { schema: { hide: true } }, signedInPage('Settings'));
  app.get<{ Params: { id: string } }>('/app/events/:id', { schema: { hide: true } }, signedInPage('Event'));

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const m = HASHED.exec(req.params.file);
    if (!m) return reply.callNotFound();
    const body = await readFile(new URL(`assets/${req.params.file}`, CLIENT_DIR)).catch(() => null);
    if (!body) return reply.callNotFound();
    return reply.type(TYPES[m[1]!]!).header('cache-control', YEAR).send(body);
  });
  app.get('/favicon.svg', { schema: { hide: true } }, async (_req, reply) => {
    const body = await readFile(new URL('favicon.svg', CLIENT_DIR)).catch(() => null);
    if (!body) return reply.callNotFound();
    return reply.type(TYPES.svg!).header('cache-control', 'public, max-age=86400').send(body);
  });

  // Any other URL a browser asks for as a page: the designed 404 (the shell draws it). Programs,
  // and every API path, get the problem document.
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (API_PATHS.test(path) || !String(req.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    return html(reply, 'Page not found', 404);
  });
}
