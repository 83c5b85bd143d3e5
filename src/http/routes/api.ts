import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { EventRecord } from '../../app/event-list.ts';
import type { Admins } from '../../app/admin.ts';
import type { Events } from '../../app/events.ts';
import type { GoogleConnections } from '../../app/google-connections.ts';
import type { Users } from '../../app/users.ts';
import type { Webhooks } from '../../app/webhooks.ts';
import { validateTimeZone } from '../../domain/event-time.ts';
import { previewOccurrences } from '../../domain/recurrence.ts';
import { formatMinor } from '../../domain/money.ts';
import { Problem } from '../problem.ts';
import {
  Availability,
  AvailabilityBody,
  Calendar,
  CreatedEvent,
  CreateEventBody,
  Event,
  EventListItem,
  EventListQuery,
  EventWithHistory,
  Me,
  Preview,
  PreviewBody,
} from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';
import { timelineEntryDto } from '../timeline.ts';
import { webhookDeliveryDto } from './webhook-endpoints.ts';

export interface ApiDeps {
  sessions: Sessions;
  events: Events;
  google: GoogleConnections;
  users: Users;
  /** Who may use the admin area (/api/v1/admin). */
  admins: Pick<Admins, 'isAdmin'>;
  webhooks: Webhooks;
}

export function eventDto(e: EventRecord): z.infer<typeof Event> {
  return {
    id: e.id,
    state: e.state,
    title: e.title,
    description: e.description,
    location: e.location,
    calendarId: e.calendarId,
    timeZone: e.timeZone,
    allDay: e.allDay,
    start: e.startLocal,
    end: e.endLocal,
    startUtc: e.startAt.toISOString(),
    endUtc: e.endAt.toISOString(),
    recurrence: e.recurrence,
    attendees: e.attendees,
    sendUpdates: e.sendUpdates,
    price: { currency: e.priceCurrency, amount: formatMinor(e.priceMinor, e.priceCurrency) },
    google: { eventId: e.googleEventId, htmlLink: e.googleHtmlLink, onCalendarAt: e.onCalendarAt?.toISOString() ?? null },
    pendingUntil: e.pendingUntil.toISOString(),
    failureReason: e.failureReason,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem };
const IdParams = z.object({ id: z.string().uuid() });
const EventList = z
  .object({
    events: z.array(EventListItem),
    nextCursor: z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.'),
  })
  .meta({ id: 'EventList' });

/** The public REST API, /api/v1. */
export function registerApiRoutes(app: App, deps: ApiDeps) {
  const { sessions, events, google } = deps;
  // Who is asking comes before what they sent: without a session every route answers 401 (and
  // without the CSRF token 403), whatever the body, rather than a validation error.
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));

  app.get(
    '/api/v1/me',
    { preValidation: signedIn, schema: { tags: ['account'], summary: 'Who is signed in, and the state of their Google connection', response: { 200: Me, 401: Problem } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      const user = await deps.users.get(s.userId);
      const info = await google.info(s.userId);
      return {
        user,
        google: {
          status: info?.status ?? ('none' as const),
          missingScopes: info?.missingScopes ?? [],
          needsReconnectSince: info?.needsReconnectSince?.toISOString() ?? null,
          reconnectUrl: `/auth/google/start?consent=1`,
        },
        csrfToken: s.csrfToken,
        isAdmin: deps.admins.isAdmin(user.email),
      };
    },
  );

  app.get(
    '/api/v1/calendars',
    { preValidation: signedIn, schema: { tags: ['calendar'], summary: 'Your own Google calendars, primary first', response: { 200: z.object({ calendars: z.array(Calendar) }), ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      const cal = await google.calendarFor(s.userId);
      const calendars = await cal.listWritableCalendars();
      return { calendars: calendars.map(({ id, summary, primary, timeZone }) => ({ id, summary, primary, timeZone })) };
    },
  );

  app.post(
    '/api/v1/google/disconnect',
    { preValidation: signedIn, schema: { tags: ['account'], summary: 'Revoke LeadsCalendar’s access at Google and forget the tokens', response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      await google.disconnect(s.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/availability',
    {
      preValidation: signedIn,
      // A question, not a change: a read-only API key may ask it.
      config: { scope: 'read' },
      schema: {
        tags: ['events'],
        summary: 'Check an event’s time against your calendar’s busy periods (warns, never blocks by default)',
        body: AvailabilityBody,
        response: { 200: Availability, ...errors },
      },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      return events.checkAvailability(s.userId, req.body);
    },
  );

  app.post(
    '/api/v1/events',
    {
      preValidation: signedIn,
      schema: {
        tags: ['events'],
        summary: 'Create an event; it waits for payment, then goes to your Google Calendar',
        body: CreateEventBody,
        response: { 201: CreatedEvent, ...errors },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const { event, availability } = await events.create(s.userId, req.body);
      return reply.status(201).send({ event: eventDto(event), availability });
    },
  );

  app.get(
    '/api/v1/events',
    {
      preValidation: signedIn,
      schema: {
        tags: ['events'],
        summary: 'Your events, newest first, a page at a time; by state and by the time range they happen in',
        description:
          'Filters: `state` (comma-separated states) and `from`/`to` (instants). With both `from` and `to`, a single event is listed when it overlaps [from, to) ' +
          'and a recurring one when its series starts before `to`; each carries `occurrences`, its times within the range (none for a series that has ended before it). ' +
          'Pages keep the filters: a `cursor` is only accepted with the filters it was given out for.',
        querystring: EventListQuery,
        response: { 200: EventList, ...errors },
      },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      const { state, ...query } = req.query;
      const page = await events.list(s.userId, { ...query, states: state });
      return {
        events: page.events.map((e) => ({
          ...eventDto(e),
          ...(e.occurrences ? { occurrences: e.occurrences.map((o) => ({ start: o.start.toISOString(), end: o.end.toISOString() })) } : {}),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/api/v1/events/:id',
    { preValidation: signedIn, schema: { tags: ['events'], summary: 'One of your events, with its audit trail and the webhook deliveries about it', params: IdParams, response: { 200: EventWithHistory, ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      const e = await events.get(s.userId, req.params.id);
      const timeline = (await events.timeline(e.id)).map(timelineEntryDto);
      const webhookDeliveries = (await deps.webhooks.deliveriesAbout({ eventId: e.id })).map(webhookDeliveryDto);
      return { ...eventDto(e), timeline, webhookDeliveries };
    },
  );

  app.post(
    '/api/v1/events/:id/cancel',
    {
      preValidation: signedIn,
      schema: {
        tags: ['events'],
        summary: 'Cancel an event',
        description:
          'An event waiting for payment is cancelled at once (200) and its open orders are closed. A confirmed event is refunded (202): ' +
          'once the provider has made the refund, the event becomes `cancelled` and is removed from Google Calendar, attendees ' +
          'notified per its `sendUpdates`. Asking again is harmless. An event being paid or added to the calendar cannot be cancelled yet (409).',
        params: IdParams,
        response: { 200: Event, 202: Event, ...errors },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const { event, outcome } = await events.cancel(s.userId, req.params.id);
      return reply.code(outcome === 'refunding' ? 202 : 200).send(eventDto(event));
    },
  );

  app.post(
    '/api/v1/recurrence/preview',
    {
      config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
      schema: {
        tags: ['events'],
        summary: 'The next occurrences of a recurring event in its time zone (no sign-in needed; rate-limited)',
        security: [],
        body: PreviewBody,
        response: { 200: Preview, 400: Problem, 429: Problem },
      },
    },
    async (req) => {
      const occurrences = previewOccurrences(req.body);
      // The zone the occurrences are in, as it is stored: `us/eastern` is America/New_York.
      return { timeZone: validateTimeZone(req.body.timeZone), occurrences };
    },
  );
}
