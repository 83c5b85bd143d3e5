import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import * as repo from '../db/repos/sessions.ts';

/**
 * Browser sessions, stored in the database (any instance serves any request) under the SHA-256 of
 * a random id, so a database leak gives no usable cookie. Each session has a CSRF token that
 * unsafe requests must echo. The cookie that carries the id is the HTTP layer's business.
 */

export interface Session {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  data: SessionData;
  expiresAt: Date;
}

/** The OAuth round trip in progress, bound to one browser session. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  /** A same-origin path, checked when the sign-in started. */
  returnTo: string;
  startedAt: number;
  /**
   * The user who was signed in when the round trip started (a reconnect): Google's answer must be
   * that same account, or it is refused and nothing of it is kept.
   */
  userId?: string | null | undefined;
}

export interface SessionData {
  oauth?: PendingSignIn | undefined;
}

const ANONYMOUS_TTL_MS = 60 * 60 * 1000;
const SIGNED_IN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionService {
  constructor(private readonly db: Database) {}

  /** The live session a cookie's id names, or null. */
  async find(id: string): Promise<Session | null> {
    return (await repo.findLiveSession(this.db, hash(id))) as Session | null;
  }

  /**
   * A new session with a new id: on first visit, and on sign-in, so a planted id never gains
   * rights. Returns the id for the cookie; only its hash is stored.
   */
  async create(userId: string | null, data: SessionData = {}, replacing?: Session | null): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      idHash: hash(id),
      userId,
      csrfToken: randomBytes(24).toString('base64url'),
      data,
      expiresAt: new Date(Date.now() + (userId ? SIGNED_IN_TTL_MS : ANONYMOUS_TTL_MS)),
    };
    await repo.insertSession(this.db, { ...session, data: { ...data } }, replacing?.idHash ?? null);
    return { id, session };
  }

  async save(session: Session): Promise<void> {
    await repo.updateSessionData(this.db, session.idHash, { ...session.data });
  }

  async destroy(session: Session): Promise<void> {
    await repo.deleteSession(this.db, session.idHash);
  }
}
