import type { FastifyInstance } from 'fastify';
import type { ProviderEmulator, ProviderErrorResponse, SandboxContext } from '../context.ts';
import { registerCalendarRoutes } from './calendar-routes.ts';
import { CalendarService } from './calendar-service.ts';
import { registerGoogleControlRoutes, userView } from './control.ts';
import { calendarFaultError, oauthFaultError } from './errors.ts';
import { IdTokenSigner, type IdTokenKeyData } from './keys.ts';
import { checkShape } from '../persistence/replace.ts';
import { registerOAuthRoutes } from './oauth.ts';
import { GoogleState } from './state.ts';

/**
 * The emulated Google: OAuth 2.0 sign-in (consent page, token, revoke, tokeninfo, userinfo,
 * id_token certificates) and the Calendar v3 methods LeadsCalendar uses, at Google's own paths on
 * the sandbox origin. See oauth.ts, calendar-service.ts and control.ts.
 */

/** Operation names for fault matching (`POST /__sandbox/faults {provider:'google', operation}`). */
export const GOOGLE_OPERATIONS = [
  'oauth.authorize',
  'oauth.token',
  'oauth.revoke',
  'oauth.userinfo',
  'oauth.certs',
  'calendar.calendarList.list',
  'calendar.events.insert',
  'calendar.events.get',
  'calendar.events.patch',
  'calendar.events.delete',
  'calendar.events.list',
  'calendar.freebusy.query',
] as const;

export type GoogleOperation = (typeof GOOGLE_OPERATIONS)[number];

const truncate = (token: string) => `${token.slice(0, 12)}…`;

export class GoogleEmulator implements ProviderEmulator {
  readonly provider = 'google' as const;
  readonly state: GoogleState;
  readonly calendar: CalendarService;
  #signer: IdTokenSigner | null = null;

  constructor(private readonly ctx: SandboxContext) {
    this.state = new GoogleState(() => ctx.now());
    this.calendar = new CalendarService(this.state, () => ctx.baseUrl, () => ctx.now());
  }

  /** Restores the id_token key from the data folder, or makes one; returns what to store. */
  async initKeys(saved: unknown): Promise<IdTokenKeyData> {
    this.#signer = saved ? await IdTokenSigner.fromData(checkShape('keys.google', saved, { privateKeyPem: 'string', certPem: 'string' })) : await IdTokenSigner.create();
    return this.#signer.toData();
  }

  async register(app: FastifyInstance): Promise<void> {
    const signer = () => {
      if (!this.#signer) throw new Error('Google emulator used before register()');
      return this.#signer;
    };
    registerOAuthRoutes(app, { state: this.state, ctx: this.ctx, signer });
    registerCalendarRoutes(app, { state: this.state, ctx: this.ctx, service: this.calendar });
    registerGoogleControlRoutes(app, this.state, this.ctx);
  }

  errorResponse(operation: string, status: number, reason?: string): ProviderErrorResponse {
    if (operation === 'oauth.authorize') {
      const r = oauthFaultError(status, reason);
      const { error } = r.body as { error: string };
      return {
        status,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${status} (${error})</title></head><body><p><b>${status}.</b> That’s an error.</p><p>${error}</p></body></html>`,
      };
    }
    if (operation.startsWith('oauth.') && operation !== 'oauth.certs') return oauthFaultError(status, reason);
    return calendarFaultError(status, reason).toResponse();
  }

  snapshot(): unknown {
    const s = this.state;
    const now = this.ctx.now();
    const email = (sub: string) => s.userBySub(sub)?.email ?? sub;
    return {
      users: [...s.users.values()].map((u) => userView(s, u)),
      grants: [...s.grants.values()].map((g) => ({
        id: g.id,
        user: email(g.userSub),
        clientId: g.clientId,
        scopes: [...g.scopes],
        offline: g.offline,
        createdAt: g.createdAt,
        revokedAt: g.revokedAt,
        ...(g.revokedBy ? { revokedBy: g.revokedBy } : {}),
        refreshTokens: [...s.refreshTokens.values()].filter((r) => r.grantId === g.id).map((r) => ({ token: truncate(r.token), createdAt: r.createdAt })),
        accessTokens: [...s.accessTokens.values()]
          .filter((a) => a.grantId === g.id)
          .map((a) => ({ token: truncate(a.token), expiresAt: new Date(a.expiresAt).toISOString(), expired: a.expiresAt <= now })),
      })),
      calendars: [...s.calendars.values()].map((c) => ({
        id: c.id,
        summary: c.summary,
        timeZone: c.timeZone,
        owner: c.ownerSub ? email(c.ownerSub) : null,
        acl: Object.fromEntries([...c.acl].map(([sub, role]) => [email(sub), role])),
      })),
      events: Object.fromEntries(
        [...s.events].filter(([, m]) => m.size > 0).map(([calendarId, m]) => [calendarId, [...m.values()].map((e) => e.resource)]),
      ),
      notifications: s.notifications,
    };
  }

  dump(): unknown {
    return this.state.dump();
  }

  restore(data: unknown): void {
    this.state.restore(data);
  }

  reset(): void {
    this.state.reset();
  }
}
