import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session, SessionData, SessionService } from '../app/sessions.ts';
import { AppError } from '../errors.ts';

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

  /** For routes that need a signed-in user; unsafe methods must also carry the CSRF token. */
  requireUser(req: FastifyRequest): Promise<Session & { userId: string }> {
    // Checked before validation and again by the handler: one lookup per request.
    let checked = this.#checked.get(req);
    if (!checked) this.#checked.set(req, (checked = this.#requireUser(req)));
    return checked;
  }

  readonly #checked = new WeakMap<FastifyRequest, Promise<Session & { userId: string }>>();

  async #requireUser(req: FastifyRequest): Promise<Session & { userId: string }> {
    const s = await this.load(req);
    if (!s?.userId) throw new AppError('unauthorized', 'Sign in with Google first.');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const sent = (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf;
      if (!sent || !safeEqual(sent, s.csrfToken))
        throw new AppError('forbidden', 'Missing or wrong CSRF token: send the X-CSRF-Token header from GET /api/v1/me.');
    }
    return s as Session & { userId: string };
  }
}
