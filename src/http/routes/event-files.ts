import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Events } from '../../app/events.ts';
import { eventIcs } from '../../app/mail/ics.ts';
import type { Payments } from '../../app/payments.ts';
import { contentDisposition, icsFileName, receiptFacts, receiptNumber, requireCalendarFile, requireReceipt } from '../../app/receipts.ts';
import type { Users } from '../../app/users.ts';
import { Problem } from '../problem.ts';
import { Receipt } from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';
import { money, providerReference } from './payments.ts';

export interface EventFileDeps {
  sessions: Sessions;
  events: Events;
  payments: Payments;
  users: Users;
  publicBaseUrl: string;
}

const IdParams = z.object({ id: z.string().uuid() });
const errors = { 400: Problem, 401: Problem, 404: Problem, 409: Problem };

/** What a person takes away from one of their events: its calendar file and its receipt. */
export function registerEventFileRoutes(app: App, deps: EventFileDeps) {
  const { sessions, events, payments } = deps;
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));

  app.get(
    '/api/v1/events/:id/calendar.ics',
    {
      preValidation: signedIn,
      schema: {
        tags: ['events'],
        summary: 'The event as an iCalendar file (.ics), to import into any calendar',
        description:
          'RFC 5545, with the event’s time zone as a VTIMEZONE and its recurrence lines; the UID is the one of the confirmation mail’s attachment, ' +
          'so importing both keeps one entry. Only for a booked event: STATUS:CONFIRMED once it is on Google Calendar, TENTATIVE while it is paid but ' +
          'being added, CANCELLED (SEQUENCE:1) once cancelled, so that a calendar that imported it drops it. An event waiting for payment, expired or ' +
          'failed was never booked and has no file (409 calendar_file_not_available). Another person’s event: 404.',
        params: IdParams,
        response: {
          200: { description: 'The calendar file, as an attachment named after the title.', content: { 'text/calendar': { schema: z.string() } } },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const e = await events.get(s.userId, req.params.id);
      const status = requireCalendarFile(e);
      const body = eventIcs({ event: e, url: `${deps.publicBaseUrl}/app/events/${e.id}`, status, product: 'Event' });
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', contentDisposition(icsFileName(e.title)))
        // The file reflects the event's state now: a cached copy could say CONFIRMED after a cancel.
        .header('cache-control', 'private, no-store')
        .send(body);
    },
  );

  app.get(
    '/api/v1/events/:id/receipt',
    {
      preValidation: signedIn,
      schema: {
        tags: ['payments'],
        summary: 'The receipt of the payment that took the money for one of your events',
        description:
          'Once a payment was captured (money taken: PayPal capture, Binance Pay PAID), also after a refund, which the receipt then shows. ' +
          'No payment took money (waiting for payment, expired, cancelled before payment, a PayPal hold released): 409 receipt_not_available. ' +
          'Another person’s event: 404.',
        params: IdParams,
        response: { 200: Receipt, ...errors },
      },
    },
    async (req): Promise<z.infer<typeof Receipt>> => {
      const s = await sessions.requireUser(req);
      const e = await events.get(s.userId, req.params.id);
      const ps = await payments.ofEvent(s.userId, e.id);
      const trails = new Map(await Promise.all(ps.map(async (p) => [p.id, await payments.transitions(p.id)] as const)));
      const { payment: p, paidAt, refund } = requireReceipt(receiptFacts(ps, trails), e);
      const user = await deps.users.get(s.userId);
      const charged = p.chargeMinor !== null && p.chargeCurrency ? money(p.chargeMinor, p.chargeCurrency) : money(p.priceMinor, p.priceCurrency);
      return {
        number: receiptNumber(p.id, paidAt),
        eventId: e.id,
        paymentId: p.id,
        status: refund?.status ?? 'paid',
        paidAt: paidAt.toISOString(),
        amount: money(p.priceMinor, p.priceCurrency),
        charged,
        rate: p.rate,
        provider: p.provider,
        intent: p.intent,
        providerReference: providerReference(p),
        billedTo: { email: user.email, name: user.name },
        event: { title: e.title, timeZone: e.timeZone, allDay: e.allDay, start: e.startLocal, end: e.endLocal, startUtc: e.startAt.toISOString(), recurrence: e.recurrence },
        refund: refund && {
          status: refund.status,
          amount: charged,
          requestedAt: refund.requestedAt.toISOString(),
          completedAt: refund.completedAt?.toISOString() ?? null,
        },
      };
    },
  );
}
