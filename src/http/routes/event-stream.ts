import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { EventChanges } from '../../app/event-changes.ts';
import type { Events } from '../../app/events.ts';
import type { Payments } from '../../app/payments.ts';
import { Problem } from '../problem.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';
import { SseWriter } from '../sse.ts';
import { timelineEntryDto } from '../timeline.ts';
import { eventDto } from './api.ts';
import { paymentDto } from './payments.ts';

export interface EventStreamDeps {
  sessions: Sessions;
  events: Events;
  payments: Payments;
  changes: EventChanges;
  heartbeatSeconds: number;
}

/** How long a client waits before reconnecting (the `retry:` hint). */
export const RECONNECT_MS = 3000;

const AUDIT_ID = /^\d{1,18}$/;
const auditId = z.string().regex(AUDIT_ID, 'must be the id of an audit entry (digits)');
const IdParams = z.object({ id: z.string().uuid() });
const StreamQuery = z.object({
  lastEventId: auditId.optional().describe('For clients that cannot set the Last-Event-ID header (a browser EventSource opened anew): resume after this audit entry.'),
});
// Loose: the other headers (the session cookie) stay as they are.
const StreamHeaders = z.looseObject({
  'last-event-id': auditId.optional().describe('Sent by EventSource when it reconnects: resume after this audit entry.'),
});

const PROTOCOL = `Server-Sent Events (text/event-stream) for one of your events: each change of the event and of its payments, as it is committed, whichever instance made it.

- Without Last-Event-ID (header, or the lastEventId query parameter): first an \`event: snapshot\` message whose data is \`{ event, payments }\` (the event with its \`timeline\`, as GET /api/v1/events/{id}, and its payments) and whose \`id\` is the last audit entry's id.
- With Last-Event-ID: every audit entry after it, then the live ones; no snapshot.
- Each audit entry: \`event: change\`, \`id: <audit entry id>\`, data \`{ entry, event, payments }\`: the TimelineEntry, then the event and its payments as they are when the message is sent.
- A comment line (\`: heartbeat\`) every SSE_HEARTBEAT_SECONDS (default 15) keeps proxies from closing an idle stream; \`retry: ${RECONNECT_MS}\` tells the client how long to wait before reconnecting.
- The stream stays open after the event is final (a refund can still follow); close it when done. It ends when the server shuts down: reconnect with Last-Event-ID.
- Another person's event answers 404 before any stream starts; too many open streams, 429 (too_many_streams, per person) or 503 (stream_capacity_reached).`;

/** GET /api/v1/events/{id}/stream: the event's live status. */
export function registerEventStreamRoute(app: App, deps: EventStreamDeps) {
  const { sessions, events, payments, changes } = deps;
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));

  // Open streams would hold the shutdown for ever: they end first, and their clients reconnect elsewhere.
  app.addHook('preClose', () => changes.stop());

  app.get(
    '/api/v1/events/:id/stream',
    {
      preValidation: signedIn,
      schema: {
        tags: ['events'],
        summary: 'Live status of one of your events (Server-Sent Events)',
        description: PROTOCOL,
        params: IdParams,
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: { description: 'An endless text/event-stream.', content: { 'text/event-stream': { schema: z.string() } } },
          400: Problem,
          401: Problem,
          404: Problem,
          429: Problem,
          503: Problem,
        },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const eventId = req.params.id;
      await events.get(s.userId, eventId);
      const lastEventId = req.headers['last-event-id'] ?? req.query.lastEventId;
      const resumeAfter = lastEventId === undefined ? null : BigInt(lastEventId);

      const sse = new SseWriter();
      // Entries past `floor` are sent once each. Ids grow in insertion order, but two transactions
      // may commit out of that order: an entry older than one already sent still goes out, without
      // an `id:` so that the client's Last-Event-ID stays the highest one it has.
      let floor = resumeAfter ?? 0n;
      let highest = floor;
      const sent = new Set<bigint>();
      let snapshotDue = resumeAfter === null;

      const step = async () => {
        if (snapshotDue) {
          snapshotDue = false;
          const [e, trail, ps] = await Promise.all([events.get(s.userId, eventId), events.timeline(eventId), payments.ofEvent(s.userId, eventId)]);
          floor = highest = trail.at(-1)?.id ?? 0n;
          sse.message('snapshot', { event: { ...eventDto(e), timeline: trail.map(timelineEntryDto) }, payments: await Promise.all(ps.map(paymentDto)) }, String(highest));
          return;
        }
        const fresh = (await events.timeline(eventId, floor)).filter((a) => !sent.has(a.id));
        if (!fresh.length) return;
        const [e, ps] = await Promise.all([events.get(s.userId, eventId), payments.ofEvent(s.userId, eventId)]);
        const now = { event: eventDto(e), payments: await Promise.all(ps.map(paymentDto)) };
        for (const a of fresh) {
          sent.add(a.id);
          const inOrder = a.id > highest;
          if (inOrder) highest = a.id;
          sse.message('change', { entry: timelineEntryDto(a), ...now }, inOrder ? String(a.id) : undefined);
        }
      };

      // One read at a time; wakes during a read make one more read, not one each.
      let running = false;
      let again = false;
      const pump = async () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            await step();
          } while (again && !sse.ended);
        } catch (err) {
          // The event is gone, or the database is: the client reconnects and finds out which.
          req.log.warn({ err, eventId }, 'live status stream ended by an error');
          sse.end();
        } finally {
          running = false;
        }
      };

      const watch = changes.watch(s.userId, eventId, { wake: () => void pump(), end: () => sse.end() });
      const heartbeat = setInterval(() => sse.comment('heartbeat'), deps.heartbeatSeconds * 1000);
      heartbeat.unref();
      const finish = () => {
        clearInterval(heartbeat);
        watch.close();
        sse.end();
      };
      sse.body.once('close', finish);
      reply.raw.once('close', finish);

      sse.retry(RECONNECT_MS);
      void pump();
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        // no-transform: a proxy must not compress (and so buffer) the stream.
        .header('cache-control', 'no-cache, no-transform')
        // nginx would otherwise buffer the response and deliver nothing until it ends.
        .header('x-accel-buffering', 'no')
        // The stream ends only with the client or a shutdown: its socket is not kept for reuse.
        .header('connection', 'close')
        .send(sse.body as never);
    },
  );
}
