/**
 * Pages the server writes itself (the sign-in outcomes, the error page for browsers), dressed as
 * the web interface dresses its own (web/src/app.tsx): its built stylesheet, the same header with
 * the sandbox badge in sandbox mode, a skip link and the footer. No script and no inline style:
 * the CSP allows scripts from our origin only.
 */
import type { FastifyRequest } from 'fastify';
import { clientStylesheet } from './client-build.ts';
import { esc } from './escape.ts';

export { esc };

export interface PageOptions {
  /** Sandbox mode: every page carries the badge that links to the tour. */
  sandbox: boolean;
}

/** The words of the layout; the same as web/src/strings.ts says them (a test compares the badge). */
const LAYOUT = {
  brand: 'LeadsCalendar',
  skip: 'Skip to content',
  sandboxBadge: 'Sandbox — no real money or accounts',
  apiRef: 'API reference',
  openapi: 'OpenAPI document',
};

export function page(title: string, body: string, opts: PageOptions): string {
  const css = clientStylesheet();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(title)} · ${LAYOUT.brand}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${css ? `<link rel="stylesheet" href="${esc(css)}">` : ''}
</head>
<body>
<a class="skip" href="#main">${LAYOUT.skip}</a>
<header class="top"><div class="top-inner">
<a class="brand" href="/"><img src="/favicon.svg" alt="" width="24" height="24">${LAYOUT.brand}</a>
${opts.sandbox ? `<a class="sandbox-badge" href="/tour" id="sandbox-badge">${LAYOUT.sandboxBadge}</a>` : ''}
</div></header>
<main id="main">
${body}
</main>
<footer class="foot"><a href="/api/docs">${LAYOUT.apiRef}</a> · <a href="/api/v1/openapi.json">${LAYOUT.openapi}</a></footer>
</body>
</html>`;
}

// Paths only programs call: their errors stay problem documents whatever the Accept header says.
// (/auth is not among them: its routes are the browser's round trip through Google.)
const PROGRAM_PATHS = /^\/(api|openapi\.json|healthz|readyz|metrics|webhooks)(\/|$)/;

/** A browser navigating to one of our pages, which should get HTML rather than a problem document. */
export function wantsPage(req: FastifyRequest): boolean {
  return String(req.headers.accept ?? '').includes('text/html') && !PROGRAM_PATHS.test(req.url.split('?')[0]!);
}

/** The failed URL as a link back to itself; anything a browser could read as another host is home instead. */
function retryPath(url: string): string {
  const base = 'http://retry.invalid';
  let u: URL;
  try {
    u = new URL(url, base);
  } catch {
    return '/';
  }
  return u.origin === base && !/^\/[/\\]/.test(u.pathname) ? `${u.pathname}${u.search}` : '/';
}

/** The page a browser gets when one of our pages failed on our side (a 5xx). */
export function serverErrorPage(status: number, requestId: string, path: string, opts: PageOptions): string {
  const unavailable = status === 503;
  const title = unavailable ? 'LeadsCalendar cannot answer right now' : 'Something went wrong on our side';
  return page(
    title,
    `<section class="card center" id="server-error" data-status="${status}">
<p class="big-code" aria-hidden="true">${status}</p>
<h1>${title}</h1>
<p>${unavailable ? 'A service this page needs is not answering at the moment.' : 'This page could not be shown because of a fault in LeadsCalendar, not because of anything you did.'} Nothing you saved is lost.</p>
<p>Try again in a minute. If it keeps happening, tell us this request id, so we can find what went wrong:</p>
<p><code id="request-id">${esc(requestId)}</code></p>
<p class="actions"><a class="button" href="${esc(retryPath(path))}">Try again</a><a class="button secondary" href="/">Go to the home page</a></p>
</section>`,
    opts,
  );
}
