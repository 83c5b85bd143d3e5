import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import type { Caller, CalendarService, Query } from './calendar-service.ts';
import { apiErrors, GoogleApiError } from './errors.ts';
import { bearer, liveAccessToken } from './oauth.ts';
import type { GoogleState } from './state.ts';

/** Calendar v3 routes at Google's paths (`/calendar/v3/...`), Bearer-authenticated. */

const NO_CONTENT = Symbol('no content');
type Params = { calendarId: string; eventId: string };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function sendGoogleError(reply: FastifyReply, err: GoogleApiError) {
  const r = err.toResponse();
  return reply.status(r.status).headers(r.headers ?? {}).send(r.body);
}

export function registerCalendarRoutes(app: FastifyInstance, deps: { state: GoogleState; ctx: SandboxContext; service: CalendarService }): void {
  const { state, ctx, service } = deps;

  const route =
    (fn: (caller: Caller, req: FastifyRequest<{ Params: Params }>) => unknown) =>
    async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
      try {
        const token = bearer(req);
        if (!token) throw apiErrors.missingCredentials();
        const live = liveAccessToken(state, ctx.now(), token);
        if (!live) throw apiErrors.authError();
        if (req.jsonError) throw apiErrors.parseError();
        // A `decline` fault: Google refuses this call for this user.
        if (req.sandboxDeclined) throw new GoogleApiError(403, 'forbidden');
        const out = fn({ user: live.user, scopes: live.rec.scopes }, req);
        if (out === NO_CONTENT) return reply.status(204).send();
        return reply.status(200).send(out);
      } catch (err) {
        if (err instanceof GoogleApiError) return sendGoogleError(reply, err);
        throw err;
      }
    };
  const op = (operation: string) => ({ config: { sandbox: { provider: 'google' as const, operation } } });
  const q = (req: FastifyRequest) => req.query as Query;

  app.get(
    '/calendar/v3/users/me/calendarList',
    op('calendar.calendarList.list'),
    route((c, req) => service.calendarList(c, q(req))),
  );
  app.post(
    '/calendar/v3/calendars/:calendarId/events',
    op('calendar.events.insert'),
    route((c, req) => service.insert(c, req.params.calendarId, q(req), req.body)),
  );
  app.get(
    '/calendar/v3/calendars/:calendarId/events',
    op('calendar.events.list'),
    route((c, req) => service.list(c, req.params.calendarId, q(req))),
  );
  app.get(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    op('calendar.events.get'),
    route((c, req) => service.get(c, req.params.calendarId, req.params.eventId)),
  );
  app.patch(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    op('calendar.events.patch'),
    route((c, req) => service.patch(c, req.params.calendarId, req.params.eventId, q(req), req.body)),
  );
  app.delete(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    op('calendar.events.delete'),
    route((c, req) => {
      service.delete(c, req.params.calendarId, req.params.eventId, q(req));
      return NO_CONTENT;
    }),
  );
  app.post(
    '/calendar/v3/freeBusy',
    op('calendar.freebusy.query'),
    route((c, req) => service.freeBusy(c, req.body)),
  );

  // Where an event's htmlLink points: a read-only view for a person using the sandbox.
  app.get('/calendar/event', async (req, reply) => {
    const eid = (req.query as Query).eid;
    const decoded = typeof eid === 'string' ? Buffer.from(eid, 'base64url').toString('utf8') : '';
    const [eventId = '', calendarId = ''] = decoded.split(' ');
    const ev = state.events.get(calendarId)?.get(eventId.split('_')[0] ?? '')?.resource;
    if (!ev) return reply.status(404).type('text/html; charset=utf-8').send('<!doctype html><title>Not found</title><p>Could not find the requested event.</p>');
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(ev.summary ?? '(No title)')}</title>` +
          `<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:50rem}pre{background:#f5f5f7;padding:1rem;overflow:auto}</style></head>` +
          `<body><h1>${esc(ev.summary ?? '(No title)')}</h1><p>Calendar <code>${esc(calendarId)}</code> (emulated Google Calendar)</p>` +
          `<pre>${esc(JSON.stringify(ev, null, 2))}</pre></body></html>`,
      );
  });
}
