import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';

/**
 * Browser sessions, stored in the database (any instance serves any request) under the SHA-256 of
 * a random id, so a database leak gives no usable cookie. The cookie is HttpOnly, SameSite=Lax
 * (the OAuth return is a cross-site top-level GET that must carry it) and, behind https, Secure
 * with the __Host- prefix. Each session has a CSRF token that unsafe requests must echo.
 */

export interface Session {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  data: SessionData;
  expiresAt: Date;
}

export interface SessionData {
  /** The OAuth round trip in progress: bound to this browser session. */
  oauth?: { state: string; verifier: string; returnTo: string; startedAt: number };
}

const ANONYMOUS_TTL_MS = 60 * 60 * 1000;
const SIGNED_IN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  readonly cookieName: string;
  readonly #secure: boolean;

  constructor(
    private readonly db: Database,
    publicBaseUrl: string,
  ) {
    this.#secure = publicBaseUrl.startsWith('https://');
    this.cookieName = this.#secure ? '__Host-lc_session' : 'lc_session';
  }

  async load(req: FastifyRequest): Promise<Session | null> {
    const raw = req.cookies[this.cookieName];
    if (!raw) return null;
    // Signed with SESSION_SECRET: a forged or stale-secret cookie is refused before any lookup,
    // and rotating the secret signs everyone out.
    const unsigned = req.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return null;
    const id = unsigned.value;
    const rows = await this.db.query<{ id_hash: string; user_id: string | null; csrf_token: string; data: SessionData; expires_at: Date }>(
      'select id_hash, user_id, csrf_token, data, expires_at from sessions where id_hash = $1 and expires_at > now()',
      [hash(id)],
    );
    const r = rows[0];
    return r ? { idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, data: r.data, expiresAt: r.expires_at } : null;
  }

  /** A new session (new id): on first visit, and on sign-in, so a planted id never gains rights. */
  async create(reply: FastifyReply, userId: string | null, data: SessionData = {}, replacing?: Session | null): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + (userId ? SIGNED_IN_TTL_MS : ANONYMOUS_TTL_MS));
    await this.db.transaction(async (tx) => {
      if (replacing) await tx.query('delete from sessions where id_hash = $1', [replacing.idHash]);
      await tx.query('insert into sessions (id_hash, user_id, csrf_token, data, expires_at) values ($1, $2, $3, $4, $5)', [
        hash(id),
        userId,
        csrfToken,
        JSON.stringify(data),
        expiresAt,
      ]);
      // Expired sessions are swept as new ones are made; no separate timer to run.
      await tx.query(`delete from sessions where expires_at < now() - interval '1 day'`);
    });
    reply.setCookie(this.cookieName, id, {
      signed: true,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#secure,
      expires: expiresAt,
    });
    return { idHash: hash(id), userId, csrfToken, data, expiresAt };
  }

  async save(session: Session): Promise<void> {
    await this.db.query('update sessions set data = $2 where id_hash = $1', [session.idHash, JSON.stringify(session.data)]);
  }

  async destroy(reply: FastifyReply, session: Session | null): Promise<void> {
    if (session) await this.db.query('delete from sessions where id_hash = $1', [session.idHash]);
    reply.clearCookie(this.cookieName, { path: '/' });
  }

  /** For routes that need a signed-in user; unsafe methods must also carry the CSRF token. */
  async requireUser(req: FastifyRequest): Promise<Session & { userId: string }> {
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
