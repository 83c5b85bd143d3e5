import { recordSecret, recordSessionCookie } from './log-files.ts';

/** The app's session cookie (`__Host-` behind https): `<session id>.<signature>`, URL-encoded. */
const SESSION_COOKIE = /^(?:__Host-)?lc_session$/;

/**
 * A cookie-keeping HTTP client that behaves like a browser for redirects and form posts, enough
 * to drive the OAuth round trip between the app and the sandbox without a real browser.
 */
export class Browser {
  readonly #jar = new Map<string, Map<string, string>>();
  lastUrl = '';

  cookie(origin: string, name: string): string | undefined {
    return this.#jar.get(new URL(origin).host)?.get(name);
  }

  /** The Cookie header this browser sends to `url`, if any. */
  cookieHeader(url: string): string | undefined {
    const jar = this.#jar.get(new URL(url).host);
    return jar?.size ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  #store(url: URL, res: Response) {
    const jar = this.#jar.get(url.host) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
      // A session id has no shape of its own: the log scan looks for the ones the tests were given.
      if (!expired && SESSION_COOKIE.test(name)) recordSessionCookie(value);
    }
    this.#jar.set(url.host, jar);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.#jar.get(u.host);
    const headers = new Headers(init.headers);
    recordSecret('CSRF token', headers.get('x-csrf-token') ?? undefined);
    if (jar?.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    this.#store(u, res);
    this.lastUrl = u.toString();
    return res;
  }

  /** GET (or the given request) and follow redirects, as a browser does; returns the final answer. */
  async go(url: string, init: RequestInit = {}, maxRedirects = 10): Promise<Response> {
    let res = await this.request(url, init);
    let current = url;
    for (let i = 0; i < maxRedirects && [301, 302, 303, 307, 308].includes(res.status); i++) {
      current = new URL(res.headers.get('location')!, current).toString();
      res = await this.request(current);
    }
    return res;
  }

  /** Posts a form (application/x-www-form-urlencoded) and follows the redirects. */
  submit(url: string, body: URLSearchParams): Promise<Response> {
    return this.go(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  async json<T = any>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.request(url, { ...init, headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
}
