import { readFileSync } from 'node:fs';
import { esc } from './escape.ts';

/**
 * The web interface as Vite built it (scripts/build-web.mjs → dist/client): index.html is the shell
 * of every page; assets/ holds content-hashed files. The same path from src/web (tests, tsx) and
 * from dist/web (npm start): the repository's dist/client.
 */
export const CLIENT_DIR = new URL('../../dist/client/', import.meta.url);

/** What the server tells the page's script; price and minutes are the settings in force when the page was served. */
export interface ClientConfig {
  mode: 'sandbox' | 'live';
  sandboxUrl: string | null;
  price: { amount: string; currency: string };
  paymentMinutes: number;
}

export interface Client {
  /**
   * The shell, with the page's title and the server's facts for the script in a meta tag (no inline
   * script: the CSP forbids it). `signedIn` says whether the request carried a session, so that a
   * signed-out page does not ask the API who is signed in only to be answered 401.
   */
  shell(title: string, config: ClientConfig & { signedIn: boolean }): string;
}

function readShell(): string | null {
  try {
    return readFileSync(new URL('index.html', CLIENT_DIR), 'utf8');
  } catch {
    return null;
  }
}

let css: string | null | undefined;
/** The built stylesheet's URL, for the pages the server writes itself (sign-in outcomes); read once. */
export function clientStylesheet(): string | null {
  if (css === undefined) css = stylesheetOf(readShell());
  return css;
}
const stylesheetOf = (html: string | null) => (html ? (/<link rel="stylesheet"[^>]*href="([^"]+)"/.exec(html)?.[1] ?? null) : null);

/** The built icon's file name under assets/ (content-hashed), for /favicon.svg. */
export function clientIconFile(): string | null {
  const href = /<link rel="icon"[^>]*href="\/assets\/([^"]+)"/.exec(readShell() ?? '')?.[1];
  return href ?? null;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LeadsCalendar</title></head><body><main><h1>The web interface is not built</h1><p>Run <code>npm run build</code>, then reload.</p></main></body></html>`;

export function loadClient(): Client {
  const html = readShell();
  const meta = (config: ClientConfig & { signedIn: boolean }) => `<meta name="lc-config" content="${esc(JSON.stringify(config))}">`;
  return {
    shell: (title, config) => (html ? html.replace(/<title>[^<]*<\/title>/, () => `<title>${esc(title)} · LeadsCalendar</title>\n${meta(config)}`) : NOT_BUILT),
  };
}
