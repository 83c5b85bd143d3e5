import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { PaymentRecord, Payments } from '../../app/payments.ts';
import type { Webhooks } from '../../app/webhooks.ts';
import { formatMinor } from '../../domain/money.ts';
import { isOpen } from '../../domain/payment-state.ts';
import type { ProviderId } from '../../ports/payments.ts';
import { Problem } from '../problem.ts';
import { Payment, PaymentListItem, PaymentListQuery, PaymentTimelineEntry, PaymentWithHistory, StartPaymentBody } from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';
import { timelineEntryDto } from '../timeline.ts';
import { webhookDeliveryDto } from './webhook-endpoints.ts';

export interface PaymentRouteDeps {
  sessions: Sessions;
  payments: Payments;
  webhooks: Webhooks;
}

export const money = (minor: bigint, currency: string) => ({ minor: Number(minor), currency, value: formatMinor(minor, currency) });

/** The QR code is drawn here, from the provider's content: the page loads no image from elsewhere. */
async function qrSvg(content: string): Promise<string> {
  // Loaded on the first QR code, not at every start (restart time is measured).
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(content, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}

/** The provider's references of a payment, as the API names them (payments, receipts). */
export function providerReference(p: PaymentRecord) {
  return { orderId: p.providerRef, merchantReference: p.merchantRef, authorizationId: p.authorizationRef, captureId: p.captureRef, refundId: p.refundRef };
}

export async function paymentDto(p: PaymentRecord): Promise<z.infer<typeof Payment>> {
  const action = p.nextAction && isOpen(p.state) && p.state !== 'pending' && p.expiresAt.getTime() > Date.now() ? p.nextAction : null;
  return {
    id: p.id,
    eventId: p.eventId,
    provider: p.provider,
    status: p.state,
    amount: money(p.priceMinor, p.priceCurrency),
    charge: p.chargeMinor !== null && p.chargeCurrency ? money(p.chargeMinor, p.chargeCurrency) : null,
    rate: p.rate,
    intent: p.intent,
    expiresAt: p.expiresAt.toISOString(),
    providerReference: providerReference(p),
    nextAction: !action ? null : action.type === 'redirect' ? action : { ...action, qrSvg: await qrSvg(action.qrContent) },
    reason: p.reason,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem, 503: Problem };
const IdParams = z.object({ id: z.string().uuid() });
const PaymentList = z
  .object({ payments: z.array(PaymentListItem), nextCursor: z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.') })
  .meta({ id: 'PaymentList' });

/** Paying for events: /api/v1 routes for the signed-in person, and the pages providers send the payer back to. */
export function registerPaymentRoutes(app: App, deps: PaymentRouteDeps) {
  const { sessions, payments } = deps;
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));

  app.post(
    '/api/v1/events/:id/payments',
    {
      preValidation: signedIn,
      schema: {
        tags: ['payments'],
        summary: 'Pay for an event waiting for payment: creates the order at PayPal or Binance Pay and says what the payer does next',
        params: IdParams,
        body: StartPaymentBody,
        response: { 201: Payment, ...errors },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const p = await payments.start(s.userId, req.params.id, req.body.provider);
      return reply.status(201).send(await paymentDto(p));
    },
  );

  app.get(
    '/api/v1/events/:id/payments',
    { preValidation: signedIn, schema: { tags: ['payments'], summary: 'The payments of one of your events, oldest first', params: IdParams, response: { 200: z.object({ payments: z.array(Payment) }), ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      return { payments: await Promise.all((await payments.ofEvent(s.userId, req.params.id)).map(paymentDto)) };
    },
  );

  app.get(
    '/api/v1/payments',
    {
      preValidation: signedIn,
      schema: {
        tags: ['payments'],
        summary: 'Your payments across your events, newest first, a page at a time',
        description:
          'Filters: `status`, `provider`, `eventId`; `sort` by creation, newest (`created_desc`, the default) or oldest first (`created_asc`). ' +
          'Each payment names its event (`eventId`, `eventTitle`). A `cursor` is only accepted with the filters and sort it was given out for.',
        querystring: PaymentListQuery,
        response: { 200: PaymentList, ...errors },
      },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      const page = await payments.list(s.userId, req.query);
      return {
        payments: await Promise.all(page.payments.map(async (p) => ({ ...(await paymentDto(p)), eventTitle: p.eventTitle }))),
        nextCursor: page.nextCursor,
      };
    },
  );

  /** A payment as GET answers it, and as every operation on it answers: with its history and the webhook deliveries about it. */
  const withHistory = async (p: PaymentRecord): Promise<z.infer<typeof PaymentWithHistory>> => {
    const transitions = (await payments.transitions(p.id)).map((t) => timelineEntryDto(t) as z.infer<typeof PaymentTimelineEntry>);
    const webhookDeliveries = (await deps.webhooks.deliveriesAbout({ paymentId: p.id })).map(webhookDeliveryDto);
    return { ...(await paymentDto(p)), transitions, webhookDeliveries };
  };

  app.get(
    '/api/v1/payments/:id',
    { preValidation: signedIn, schema: { tags: ['payments'], summary: 'One of your payments, with its history and the webhook deliveries about it', params: IdParams, response: { 200: PaymentWithHistory, ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      return withHistory(await payments.get(s.userId, req.params.id));
    },
  );

  /** The operations on one payment: POST /api/v1/payments/:id/<name>, answered with the payment. */
  const operation = (name: string, status: 200 | 202, summary: string, description: string, run: (userId: string, id: string) => Promise<PaymentRecord>) =>
    app.post(
      `/api/v1/payments/:id/${name}`,
      { preValidation: signedIn, schema: { tags: ['payments'], summary, description, params: IdParams, response: { [status]: PaymentWithHistory, ...errors } } },
      async (req: FastifyRequest<{ Params: z.infer<typeof IdParams> }>, reply: FastifyReply) => {
        const s = await sessions.requireUser(req);
        return reply.status(status).send(await withHistory(await run(s.userId, req.params.id)));
      },
    );

  operation(
    'cancel',
    200,
    'Cancel an open payment (created or approved, no money taken); the event keeps waiting for payment',
    'The order is closed at the provider where it can be (Binance Pay closes it; a PayPal order cannot be cancelled through its API, so money PayPal takes ' +
      'for it later is returned at once). The event stays `pending_payment`, so it can be paid again. Sends `payment.cancelled`. Repeating the request ' +
      'answers the cancelled payment. A payment that took or holds money, or that the provider is completing (`pending`), answers 409 `payment_not_cancellable`.',
    (u, id) => payments.cancel(u, id),
  );
  operation(
    'capture',
    200,
    'Take the money of a held PayPal payment (intent AUTHORIZE) now, once its event is on Google Calendar',
    'With intent AUTHORIZE the money is held at approval, the event is put on Google Calendar, and the hold is then captured by itself; this runs that ' +
      'capture now. Before the event is on the calendar the answer is 409 `payment_capture_too_early` (the event never lands on the calendar without ' +
      'its money, and money is never taken for an event that is not there). The capture and the background one share one PayPal-Request-Id: the money ' +
      'is taken once. The answer is the payment `captured` (the event `confirmed`), or still `authorized` with a `reason` while PayPal completes the ' +
      'capture, or `declined` (or `voiding`, its hold being released) if PayPal refused it: the event then fails and leaves the calendar. ' +
      'Repeating it answers the captured payment. ' +
      'A payment that holds no money (Binance Pay, PayPal intent CAPTURE, or any other status) answers 409 `payment_not_capturable`.',
    (u, id) => payments.capture(u, id),
  );
  operation(
    'void',
    202,
    'Release the hold of a PayPal payment (intent AUTHORIZE): no money is taken, and the event it paid for is cancelled',
    'Answers 202 with the payment `voiding`; it becomes `voided` once PayPal has released the hold (if PayPal had captured it meanwhile, the money is ' +
      'refunded instead). The event is cancelled at once and taken off Google Calendar if it was there. Sends `event.cancelled`, then `payment.cancelled`. ' +
      'Repeating the request answers the same void. Any payment that holds no money answers 409 `payment_not_voidable`.',
    (u, id) => payments.void(u, id),
  );
  operation(
    'refund',
    202,
    'Refund a payment in full; a confirmed event it paid for is cancelled and taken off Google Calendar',
    'Answers 202 with the payment `refunding`; it becomes `refunded` once the provider has returned the money. Repeating the request returns the same refund.',
    (u, id) => payments.refund(u, id),
  );

  // The payer's browser comes back from the provider. The query only says which payment; what
  // happened is read from the provider. Always back to our own event page (never a URL from the query).
  const BackQuery = z.object({ payment: z.string().uuid().optional(), token: z.string().max(64).optional(), PayerID: z.string().max(64).optional() });
  const back = (provider: ProviderId, cancelled: boolean) => async (req: FastifyRequest<{ Querystring: z.infer<typeof BackQuery> }>, reply: FastifyReply) => {
    const session = await sessions.load(req).catch(() => null);
    const eventId = await payments.returned(provider, { paymentId: req.query.payment, ref: req.query.token }, cancelled, session?.userId ?? null);
    return reply.redirect(eventId ? `/app/events/${eventId}` : '/app', 303);
  };
  for (const provider of ['paypal', 'binance'] as const) {
    for (const [path, cancelled] of [['return', false], ['cancel', true]] as const) {
      app.get(`/payments/${provider}/${path}`, { schema: { hide: true, querystring: BackQuery } }, back(provider, cancelled));
    }
  }
}
