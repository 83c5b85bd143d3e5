import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest } from '../control.ts';
import { PaypalApiError } from './errors.ts';
import type { PaypalLedger } from './ledger.ts';
import type { Renderer } from './render.ts';
import { FUNDING_CHOICES, type PaypalState } from './state.ts';
import type { PaypalWebhooks } from './webhooks.ts';

/**
 * /__sandbox/paypal/…: drive the test buyer without HTML (approve with a funding source, cancel),
 * settle a pending capture, reverse a completed one (a chargeback), expire access tokens, list orders, read the webhook certificate.
 */

const Approve = z.object({ funding: z.enum(FUNDING_CHOICES).default('ok') }).strict();
const Resolve = z.object({ outcome: z.enum(['complete', 'deny']) }).strict();

export function registerPaypalControlRoutes(app: FastifyInstance, deps: { state: PaypalState; ledger: PaypalLedger; render: Renderer; hooks: PaypalWebhooks; certPem: () => string }) {
  const { state, ledger, render, hooks } = deps;
  const notFound = (what: string, id: string) => ({ error: 'not_found', message: `no ${what} ${id}` });

  app.get('/__sandbox/paypal/orders', async () => ({ orders: [...state.orders.values()].map((o) => render.order(o)) }));

  app.post<{ Params: { id: string } }>('/__sandbox/paypal/orders/:id/approve', async (req, reply) => {
    const parsed = Approve.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    if (!state.orders.has(req.params.id)) return reply.status(404).send(notFound('order', req.params.id));
    try {
      const { order, redirectUrl } = ledger.approve(req.params.id, parsed.data.funding);
      return { order: render.order(order), redirectUrl };
    } catch (err) {
      if (err instanceof PaypalApiError) return reply.status(409).send({ error: 'conflict', message: `order ${req.params.id} cannot be approved any more` });
      throw err;
    }
  });

  app.post<{ Params: { id: string } }>('/__sandbox/paypal/orders/:id/cancel', async (req, reply) => {
    if (!state.orders.has(req.params.id)) return reply.status(404).send(notFound('order', req.params.id));
    const { order, redirectUrl } = ledger.cancel(req.params.id);
    return { order: render.order(order), redirectUrl };
  });

  app.post<{ Params: { id: string } }>('/__sandbox/paypal/captures/:id/resolve', async (req, reply) => {
    const parsed = Resolve.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const c = state.captures.get(req.params.id);
    if (!c) return reply.status(404).send(notFound('capture', req.params.id));
    if (c.status !== 'PENDING') return reply.status(409).send({ error: 'conflict', message: `capture ${c.id} is ${c.status}, not PENDING` });
    return { capture: render.capture(ledger.resolvePendingCapture(c.id, parsed.data.outcome), true) };
  });

  app.post<{ Params: { id: string } }>('/__sandbox/paypal/captures/:id/reverse', async (req, reply) => {
    const c = state.captures.get(req.params.id);
    if (!c) return reply.status(404).send(notFound('capture', req.params.id));
    if (c.status !== 'COMPLETED' && c.status !== 'PARTIALLY_REFUNDED') {
      return reply.status(409).send({ error: 'conflict', message: `capture ${c.id} is ${c.status}; only a COMPLETED or PARTIALLY_REFUNDED capture can be reversed` });
    }
    const { capture, refund } = ledger.reverseCapture(c.id);
    return { capture: render.capture(capture, true), refund: render.refund(refund) };
  });

  app.post('/__sandbox/paypal/tokens/expire', async () => {
    const n = state.tokens.size;
    state.tokens.clear();
    return { expired: n };
  });

  app.get('/__sandbox/paypal/webhook-certificate', async () => ({ certUrl: hooks.certUrl(), pem: deps.certPem() }));
}
