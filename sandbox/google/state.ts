import { createHash, randomBytes } from 'node:crypto';
import { checkShape } from '../persistence/replace.ts';
import type { EventResource } from './event-model.ts';

/**
 * Everything the emulated Google holds: test users and their calendars, OAuth grants and tokens,
 * events. Plain maps; the routes own the rules.
 */

export interface TestUser {
  /** Stable per email (a 21-digit number like Google's), never the email itself. */
  sub: string;
  email: string;
  name: string;
  timeZone: string;
  createdAt: string;
}

export type AccessRole = 'owner' | 'writer' | 'reader' | 'freeBusyReader';

export interface CalendarRecord {
  id: string;
  summary: string;
  description?: string;
  timeZone: string;
  colorId: string;
  backgroundColor: string;
  /** The owner's `sub`; null for the shared team calendar nobody here owns. */
  ownerSub: string | null;
  /** Access of users other than the owner. */
  acl: Map<string, AccessRole>;
}

export interface Grant {
  id: string;
  userSub: string;
  clientId: string;
  /** Every scope ever granted to this client by this user (canonical names). */
  scopes: Set<string>;
  offline: boolean;
  createdAt: string;
  revokedAt: string | null;
  revokedBy?: 'api' | 'control';
}

export interface RefreshTokenRecord {
  token: string;
  grantId: string;
  scopes: string[];
  createdAt: string;
}

export interface AccessTokenRecord {
  token: string;
  grantId: string;
  scopes: string[];
  expiresAt: number;
}

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  userSub: string;
  /** Scopes as granted on the consent page (request form: `email`, not its URL). */
  scopes: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  offline: boolean;
  /** Whether the person saw and accepted the consent screen this time (refresh_token only then). */
  consented: boolean;
  includeGrantedScopes: boolean;
  nonce: string | null;
  expiresAt: number;
  used: boolean;
}

/** An authorization request waiting on the consent page. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  offline: boolean;
  prompt: string[];
  loginHint: string | null;
  includeGrantedScopes: boolean;
  nonce: string | null;
  expiresAt: number;
}

export interface StoredEvent {
  calendarId: string;
  resource: EventResource;
  /** Original-start stamps of deleted instances of a recurring event. */
  cancelledInstances: Set<string>;
  updatedMs: number;
  /** Change counter, for sync tokens. */
  rev: number;
}

export interface SentNotification {
  at: string;
  calendarId: string;
  eventId: string;
  action: 'created' | 'updated' | 'cancelled';
  sendUpdates: 'all' | 'externalOnly' | 'none';
  /** Attendees Google would have emailed. */
  recipients: string[];
}

export const SHARED_CALENDAR_ID = 'c_7a1d0c3e9b5f4a2c8e6d@group.calendar.google.com';

export const DEFAULT_TEST_USERS: ReadonlyArray<{ email: string; name: string }> = [
  { email: 'ada.tester@example.com', name: 'Ada Tester' },
  { email: 'grace.tester@example.com', name: 'Grace Tester' },
];

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** Google-looking opaque strings: `ya29.…`, `1//0…`, `4/0A…`. */
export const randomToken = (prefix: string, bytes = 32) => prefix + randomBytes(bytes).toString('base64url');

export class GoogleState {
  users = new Map<string, TestUser>();
  calendars = new Map<string, CalendarRecord>();
  grants = new Map<string, Grant>();
  refreshTokens = new Map<string, RefreshTokenRecord>();
  accessTokens = new Map<string, AccessTokenRecord>();
  codes = new Map<string, AuthCode>();
  pending = new Map<string, PendingAuthorization>();
  /** calendarId → eventId → event. */
  events = new Map<string, Map<string, StoredEvent>>();
  notifications: SentNotification[] = [];
  /** Last id number handed out (grants); never reset, so ids stay unique. */
  seq = 0;
  /** Change counter of events (sync tokens, etags); never reset, so old sync tokens stay wrong. */
  rev = 0;

  constructor(private readonly now: () => number) {
    this.reset();
  }

  reset(): void {
    this.users.clear();
    this.calendars.clear();
    this.grants.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
    this.pending.clear();
    this.events.clear();
    this.notifications = [];
    this.calendars.set(SHARED_CALENDAR_ID, {
      id: SHARED_CALENDAR_ID,
      summary: 'Team availability (shared)',
      description: 'A calendar shared with every test user, read-only.',
      timeZone: 'UTC',
      colorId: '7',
      backgroundColor: '#42d692',
      ownerSub: null,
      acl: new Map(),
    });
    for (const u of DEFAULT_TEST_USERS) this.ensureUser(u.email, u.name);
  }

  /** Everything above, as stored in the data folder. */
  dump() {
    const { users, calendars, grants, refreshTokens, accessTokens, codes, pending, events, notifications, seq, rev } = this;
    return { users, calendars, grants, refreshTokens, accessTokens, codes, pending, events, notifications, seq, rev };
  }

  restore(data: unknown): void {
    const maps = ['users', 'calendars', 'grants', 'refreshTokens', 'accessTokens', 'codes', 'pending', 'events'] as const;
    const d = checkShape('google', data, {
      ...Object.fromEntries(maps.map((k) => [k, 'map' as const])),
      notifications: 'array',
      seq: 'number',
      rev: 'number',
    }) as ReturnType<GoogleState['dump']>;
    Object.assign(this, d);
  }

  nextId(prefix: string): string {
    return `${prefix}${++this.seq}`;
  }

  userByEmail(email: string): TestUser | undefined {
    return this.users.get(email.trim().toLowerCase());
  }

  userBySub(sub: string): TestUser | undefined {
    for (const u of this.users.values()) if (u.sub === sub) return u;
    return undefined;
  }

  /** Finds or creates a test user with a primary and a secondary calendar, and the shared one. */
  ensureUser(rawEmail: string, name?: string, timeZone = 'UTC'): TestUser {
    const email = rawEmail.trim().toLowerCase();
    const existing = this.users.get(email);
    if (existing) return existing;
    const local = email.split('@')[0] ?? email;
    const user: TestUser = {
      sub: '1' + (BigInt('0x' + hash(`sub:${email}`).slice(0, 16)) % 10n ** 20n).toString().padStart(20, '0'),
      email,
      name: name?.trim() || local.replace(/[._-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()),
      timeZone,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.users.set(email, user);
    this.calendars.set(email, {
      id: email,
      summary: email,
      timeZone,
      colorId: '14',
      backgroundColor: '#9fe1e7',
      ownerSub: user.sub,
      acl: new Map(),
    });
    const secondaryId = `c_${hash(`secondary:${email}`).slice(0, 40)}@group.calendar.google.com`;
    this.calendars.set(secondaryId, {
      id: secondaryId,
      summary: `${user.name} — side calendar`,
      timeZone,
      colorId: '3',
      backgroundColor: '#f83a22',
      ownerSub: user.sub,
      acl: new Map(),
    });
    this.calendars.get(SHARED_CALENDAR_ID)!.acl.set(user.sub, 'reader');
    return user;
  }

  accessRole(calendar: CalendarRecord, sub: string): AccessRole | null {
    if (calendar.ownerSub === sub) return 'owner';
    return calendar.acl.get(sub) ?? null;
  }

  calendarEvents(calendarId: string): Map<string, StoredEvent> {
    let m = this.events.get(calendarId);
    if (!m) {
      m = new Map();
      this.events.set(calendarId, m);
    }
    return m;
  }

  /** Kills a grant and every token issued under it. */
  revokeGrant(grant: Grant, by: 'api' | 'control'): void {
    if (grant.revokedAt) return;
    grant.revokedAt = new Date(this.now()).toISOString();
    grant.revokedBy = by;
    for (const [t, r] of this.refreshTokens) if (r.grantId === grant.id) this.refreshTokens.delete(t);
    for (const [t, r] of this.accessTokens) if (r.grantId === grant.id) this.accessTokens.delete(t);
  }

  activeGrant(userSub: string, clientId: string): Grant | undefined {
    for (const g of this.grants.values()) if (g.userSub === userSub && g.clientId === clientId && !g.revokedAt) return g;
    return undefined;
  }
}
