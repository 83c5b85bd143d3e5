import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/server.ts';
import type { Sessions } from '../http/sessions.ts';
import { CLIENT_DIR, clientIconFile, loadClient, type ClientConfig } from '../http/client-build.ts';

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml', map: 'application/json' };
// Vite names files `name-<hash>.ext`: their content never changes under one name.
const HASHED = /^[A-Za-z0-9_-]+-[A-Za-z0-9_-]{8,}\.(js|css|svg|map)$/;
const YEAR = 'public, max-age=31536000, immutable';
// The build writes .br and .gz copies of each asset (scripts/build-web.mjs); preferred in this order.
const ENCODINGS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/** The best encoding the request accepts and the build made, or none (q=0 refuses one). */
function pickEncoding(accept: string | undefined): (typeof ENCODINGS)[number] | null {
  if (!accept) return null;
  const offered = new Map(
    accept.split(',').map((part) => {
      const [name, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return [name!.trim(), q === undefined ? 1 : Number(q)] as const;
    }),
  );
  return ENCODINGS.find(([name]) => (offered.get(name) ?? offered.get('*') ?? 0) > 0) ?? null;
}
// Paths whose unknown URLs are for programs: they keep the API's problem documents.
const API_PATHS = /^\/(api|auth|oauth|openapi\.json|healthz|readyz|metrics|webhooks)(\/|$)/;

export interface WebRouteOptions {
  sessions: Sessions;
  mode: ClientConfig['mode'];
  /** Read for each page served: the price and payment window follow the admin settings. */
  config: () => Promise<ClientConfig>;
}

/**
 * The web interface: one shell (Vite's index.html) for every page, whose script is a client of the
 * public API (/api/v1) and draws the page from the URL. The server only knows which URLs are pages
 * and which need a session.
 */
export function registerWebRoutes(app: App, opts: WebRouteOptions) {
  const { sessions } = opts;
  const client = loadClient();
  const html = async (reply: FastifyReply, title: string, signedIn: boolean, status = 200) =>
    reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(client.shell(title, { ...(await opts.config()), signedIn }));
  const hasSession = async (req: FastifyRequest) => Boolean((await sessions.load(req))?.userId);
  const page = (title: string) => async (req: FastifyRequest, reply: FastifyReply) => html(reply, title, await hasSession(req));
  const signedInPage = (title: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await hasSession(req))) return reply.redirect('/', 302);
    return html(reply, title, true);
  };

  app.get('/', { schema: { hide: true } }, page('Book events on your Google Calendar'));
  if (opts.mode === 'sandbox') app.get('/tour', { schema: { hide: true } }, page('A tour of the sandbox'));
  app.get('/app', { schema: { hide: true } }, signedInPage('Your events'));
  app.get('/app/new', { schema: { hide: true } }, signedInPage('New event'));
  app.get('/app/payments', { schema: { hide: true } }, signedInPage('Your payments'));
  app.get('/app/settings', { schema: { hide: true } }, signedInPage('Settings'));
  app.get('/app/developers', { schema: { hide: true } }, signedInPage('Developers'));
  app.get('/app/webhooks', { schema: { hide: true } }, signedInPage('Webhooks'));
  app.get<{ Params: { id: string } }>('/app/events/:id', { schema: { hide: true } }, signedInPage('Event'));
  app.get<{ Params: { id: string } }>('/app/events/:id/receipt', { schema: { hide: true } }, signedInPage('Receipt'));

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const m = HASHED.exec(req.params.file);
    if (!m) return reply.callNotFound();
    const file = new URL(`assets/${req.params.file}`, CLIENT_DIR);
    const enc = pickEncoding(req.headers['accept-encoding']);
    const packed = enc ? await readFile(new URL(`${file.href}${enc[1]}`)).catch(() => null) : null;
    const body = packed ?? (await readFile(file).catch(() => null));
    if (!body) return reply.callNotFound();
    reply.type(TYPES[m[1]!]!).header('cache-control', YEAR).header('vary', 'accept-encoding');
    if (packed) reply.header('content-encoding', enc![0]);
    return reply.send(body);
  });
  // The icon under its old, unhashed name, for the pages the server writes and for browsers that ask.
  app.get('/favicon.svg', { schema: { hide: true } }, async (_req, reply) => {
    const name = clientIconFile();
    const body = name ? await readFile(new URL(`assets/${name}`, CLIENT_DIR)).catch(() => null) : null;
    if (!body) return reply.callNotFound();
    return reply.type(TYPES.svg!).header('cache-control', 'public, max-age=86400').send(body);
  });

  // Any other URL a browser asks for as a page: the designed 404 (the shell draws it). Programs,
  // and every API path, get the problem document.
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (API_PATHS.test(path) || !String(req.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    return html(reply, 'Page not found', await hasSession(req), 404);
  });
}
