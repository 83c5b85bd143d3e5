import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Credentials, Scope } from '../app/credentials.ts';
import type { Session, SessionData, SessionService } from '../app/sessions.ts';
import { AppError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope a bearer credential needs for this route. By default `read` for GET/HEAD/OPTIONS
     * and `write` for anything else; a POST that changes nothing (a check) can say `read`.
     */
    scope?: Scope;
  }
}

/** Who a request acts for: a signed-in browser session, or a server's bearer credential. */
export interface Principal {
  userId: string;
  via: 'session' | 'api_key' | 'oauth_client';
  scopes: readonly Scope[];
  /** The session's CSRF token; null for bearer credentials, which need none. */
  csrfToken: string | null;
}

export type { Session, SessionData } from '../app/sessions.ts';

/**
 * The session cookie: HttpOnly, SameSite=Lax (the OAuth return is a cross-site top-level GET that
 * must carry it) and, behind https, Secure with the __Host- prefix — on every Set-Cookie,
 * including the one that clears it, since browsers drop a __Host- cookie without Secure.
 */

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  readonly cookieName: string;
  readonly #secure: boolean;

  constructor(
    private readonly service: SessionService,
    publicBaseUrl: string,
    private readonly credentials: Credentials,
  ) {
    this.#secure = new URL(publicBaseUrl).protocol === 'https:';
    this.cookieName = this.#secure ? '__Host-lc_session' : 'lc_session';
  }

  /** What every Set-Cookie of the session carries; the __Host- prefix requires Secure, Path=/ and no Domain. */
  get #attributes() {
    return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: this.#secure };
  }

  async load(req: FastifyRequest): Promise<Session | null> {
    const raw = req.cookies[this.cookieName];
    if (!raw) return null;
    // Signed with SESSION_SECRET: a forged or stale-secret cookie is refused before any lookup,
    // and rotating the secret signs everyone out.
    const unsigned = req.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    return this.service.find(unsigned.value);
  }

  async create(reply: FastifyReply, userId: string | null, data: SessionData = {}, replacing?: Session | null): Promise<Session> {
    const { id, session } = await this.service.create(userId, data, replacing);
    reply.setCookie(this.cookieName, id, { ...this.#attributes, signed: true, expires: session.expiresAt });
    return session;
  }

  save(session: Session): Promise<void> {
    return this.service.save(session);
  }

  async destroy(reply: FastifyReply, session: Session | null): Promise<void> {
    if (session) await this.service.destroy(session);
    reply.clearCookie(this.cookieName, this.#attributes);
  }

  /**
   * For routes that need a signed-in user or a server's credential: `Authorization: Bearer` with an
   * API key or an OAuth access token, or else the session cookie, whose unsafe requests must also
   * carry the CSRF token (a bearer credential is never sent by a browser on its own, so it needs none).
   */
  requireUser(req: FastifyRequest): Promise<Principal> {
    // Checked before validation and again by the handler: one lookup per request.
    let checked = this.#checked.get(req);
    if (!checked) this.#checked.set(req, (checked = this.#requireUser(req)));
    return checked;
  }

  /** The principal of a request that has been through {@link requireUser} successfully, else null. */
  async authenticated(req: FastifyRequest): Promise<Principal | null> {
    const checked = this.#checked.get(req);
    return checked ? checked.catch(() => null) : null;
  }

  readonly #checked = new WeakMap<FastifyRequest, Promise<Principal>>();

  /**
   * Whose request this is (the bearer credential's owner, or else the session's user), or null;
   * without the scope and CSRF checks of {@link requireUser}, which the route still runs. For
   * deciding, before the body is read, whether a route exists for this person at all.
   */
  async whose(req: FastifyRequest): Promise<string | null> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const [scheme, token] = authorization.trim().split(/\s+/);
      if (scheme?.toLowerCase() !== 'bearer' || !token) return null;
      return (await this.credentials.authenticate(token).catch(() => null))?.userId ?? null;
    }
    return (await this.load(req))?.userId ?? null;
  }

  async #requireUser(req: FastifyRequest): Promise<Principal> {
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const [scheme, token, ...rest] = authorization.trim().split(/\s+/);
      if (scheme?.toLowerCase() !== 'bearer' || !token || rest.length)
        throw new AppError('unauthorized', 'Send the credential as "Authorization: Bearer <API key or access token>".');
      const grant = await this.credentials.authenticate(token);
      const needed = req.routeOptions.config.scope ?? (unsafe ? 'write' : 'read');
      if (!grant.scopes.includes(needed)) {
        throw new AppError('forbidden', `This credential has the ${grant.scopes.join(' ')} scope; ${req.method} ${req.routeOptions.url} needs ${needed}.`, {
          code: 'insufficient_scope',
        });
      }
      return { userId: grant.userId, via: grant.credential.kind, scopes: grant.scopes, csrfToken: null };
    }
    const s = await this.load(req);
    if (!s?.userId) throw new AppError('unauthorized', 'Sign in with Google first, or send an API key as "Authorization: Bearer <key>".');
    if (unsafe) {
      const sent = (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf;
      if (!sent || !safeEqual(sent, s.csrfToken))
        throw new AppError('forbidden', 'Missing or wrong CSRF token: send the X-CSRF-Token header from GET /api/v1/me.');
    }
    return { userId: s.userId, via: 'session', scopes: ['read', 'write'], csrfToken: s.csrfToken };
  }
}
