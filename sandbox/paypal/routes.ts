import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { PaypalApiError, errorBody, newDebugId } from './errors.ts';
import type { PaypalLedger } from './ledger.ts';
import { OAuthError, authenticate, registerOAuthRoutes } from './oauth.ts';
import type { Renderer } from './render.ts';
import type { IdempotentResult, PaypalState } from './state.ts';
import { parseCreateOrder } from './validation.ts';
import type { PaypalWebhooks } from './webhooks.ts';
import type { WebhookSigner } from './signing.ts';

/**
 * The REST surface of api-m.sandbox.paypal.com that LeadsCalendar uses, at the same paths:
 * OAuth, Orders v2, Payments v2, webhook certificates and the postback signature check.
 * Runs inside its own Fastify scope so PayPal's error shape and `PayPal-Debug-Id` stay PayPal's.
 */

export interface PaypalRouteDeps {
  ctx: SandboxContext;
  state: PaypalState;
  render: Renderer;
  ledger: PaypalLedger;
  hooks: PaypalWebhooks;
  signer: () => WebhookSigner;
}

const op = (operation: string) => ({ config: { sandbox: { provider: 'paypal' as const, operation } } });

type IdParams = { Params: { id: string } };

/** `Prefer: return=representation` asks for the whole resource; minimal is PayPal's default. */
function wantsRepresentation(req: FastifyRequest): boolean {
  return /return\s*=\s*representation/i.test(String(req.headers.prefer ?? ''));
}

function requestId(req: FastifyRequest): string | undefined {
  const v = req.headers['paypal-request-id'];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length > 0 ? s : undefined;
}

export async function paypalRoutes(app: FastifyInstance, deps: PaypalRouteDeps): Promise<void> {
  const { ctx, state, render, ledger, hooks } = deps;

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('paypal-debug-id', newDebugId());
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const operation = req.routeOptions.config?.sandbox?.operation ?? 'orders.get';
    const debugId = String(reply.getHeader('paypal-debug-id') ?? newDebugId());
    if (err instanceof OAuthError) return reply.status(err.status).send({ error: err.error, error_description: err.description });
    if (err instanceof PaypalApiError) {
      return reply.status(err.status).headers(err.headers).send(errorBody(operation, err.status, debugId, err.details));
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status === 415) return reply.status(415).send(errorBody(operation, 415, debugId));
    if (status >= 400 && status < 500) return reply.status(400).send(errorBody(operation, 400, debugId, [{ issue: 'MALFORMED_REQUEST_JSON' }]));
    req.log.error({ err }, 'paypal emulator failure');
    return reply.status(500).send(errorBody(operation, 500, debugId));
  });

  registerOAuthRoutes(app, ctx, state);
  const auth = (req: FastifyRequest) => authenticate(req, ctx, state);

  /** PayPal-Request-Id: a replay returns the first result's latest state with 200. */
  const idempotent = (operation: string, scope: string, req: FastifyRequest) => {
    const rid = requestId(req);
    const key = rid ? `${operation}|${scope}|${rid}` : undefined;
    return {
      replay: (): IdempotentResult | undefined => (key ? state.idempotency.get(key) : undefined),
      remember: (r: IdempotentResult) => {
        if (key) state.idempotency.set(key, r);
      },
    };
  };

  const malformed = (req: FastifyRequest, issue: 'MALFORMED_REQUEST_JSON' | 'INVALID_PARAMETER_SYNTAX') => {
    if (req.jsonError) throw new PaypalApiError(400, [{ issue, location: 'body' }]);
  };

  // ── Orders v2 ────────────────────────────────────────────────────────────────────────────────
  app.post('/v2/checkout/orders', op('orders.create'), async (req, reply) => {
    auth(req);
    const idem = idempotent('orders.create', '', req);
    const shape = (id: string) => {
      const o = ledger.order(id);
      return wantsRepresentation(req) ? render.order(o) : render.orderMinimal(o);
    };
    const hit = idem.replay();
    if (hit) return reply.status(200).send(shape(hit.id));
    const order = ledger.createOrder(parseCreateOrder(req.body, req.jsonError));
    idem.remember({ kind: 'order', id: order.id });
    return reply.status(201).send(shape(order.id));
  });

  app.get<IdParams>('/v2/checkout/orders/:id', op('orders.get'), async (req) => {
    auth(req);
    return render.order(ledger.order(req.params.id));
  });

  const orderPayment = (operation: 'orders.capture' | 'orders.authorize') => async (req: FastifyRequest<IdParams>, reply: FastifyReply) => {
    auth(req);
    const order = ledger.order(req.params.id);
    const shape = () => (wantsRepresentation(req) ? render.order(order) : render.orderAfterPayment(order));
    const idem = idempotent(operation, order.id, req);
    if (idem.replay()) return reply.status(200).send(shape());
    malformed(req, 'MALFORMED_REQUEST_JSON');
    if (operation === 'orders.capture') ledger.captureOrder(order.id, req.sandboxDeclined === true);
    else ledger.authorizeOrder(order.id, req.sandboxDeclined === true);
    idem.remember({ kind: 'order', id: order.id });
    return reply.status(201).send(shape());
  };
  app.post<IdParams>('/v2/checkout/orders/:id/capture', op('orders.capture'), orderPayment('orders.capture'));
  app.post<IdParams>('/v2/checkout/orders/:id/authorize', op('orders.authorize'), orderPayment('orders.authorize'));

  // ── Payments v2 ──────────────────────────────────────────────────────────────────────────────
  app.get<IdParams>('/v2/payments/authorizations/:id', op('authorizations.get'), async (req) => {
    auth(req);
    return render.authorization(ledger.authorization(req.params.id), true);
  });

  app.post<IdParams>('/v2/payments/authorizations/:id/capture', op('authorizations.capture'), async (req, reply) => {
    auth(req);
    const a = ledger.authorization(req.params.id);
    const shape = (id: string) => {
      const c = ledger.capture(id);
      return wantsRepresentation(req) ? render.capture(c, true) : render.minimal(c.id, c.status, render.captureLinks(c));
    };
    const idem = idempotent('authorizations.capture', a.id, req);
    const hit = idem.replay();
    if (hit) return reply.status(200).send(shape(hit.id));
    malformed(req, 'INVALID_PARAMETER_SYNTAX');
    const c = ledger.captureAuthorization(a.id, req.body, req.sandboxDeclined === true);
    idem.remember({ kind: 'capture', id: c.id });
    return reply.status(201).send(shape(c.id));
  });

  // Void takes no PayPal-Request-Id: a second void is answered PREVIOUSLY_VOIDED.
  app.post<IdParams>('/v2/payments/authorizations/:id/void', op('authorizations.void'), async (req, reply) => {
    auth(req);
    const a = ledger.voidAuthorization(ledger.authorization(req.params.id).id);
    if (wantsRepresentation(req)) return reply.status(200).send(render.authorization(a, true));
    return reply.status(204).send();
  });

  app.get<IdParams>('/v2/payments/captures/:id', op('captures.get'), async (req) => {
    auth(req);
    return render.capture(ledger.capture(req.params.id), true);
  });

  app.post<IdParams>('/v2/payments/captures/:id/refund', op('captures.refund'), async (req, reply) => {
    auth(req);
    const c = ledger.capture(req.params.id);
    const shape = (id: string) => {
      const r = ledger.refund(id);
      const full = render.refund(r);
      return wantsRepresentation(req) ? full : render.minimal(r.id, r.status, full.links as never);
    };
    const idem = idempotent('captures.refund', c.id, req);
    const hit = idem.replay();
    if (hit) return reply.status(200).send(shape(hit.id));
    malformed(req, 'INVALID_PARAMETER_SYNTAX');
    const r = ledger.refundCapture(c.id, req.body, req.sandboxDeclined === true);
    idem.remember({ kind: 'refund', id: r.id });
    return reply.status(201).send(shape(r.id));
  });

  app.get<IdParams>('/v2/payments/refunds/:id', op('refunds.get'), async (req) => {
    auth(req);
    return render.refund(ledger.refund(req.params.id));
  });

  // ── Webhook certificates and verification ───────────────────────────────────────────────────
  app.get<{ Params: { certId: string } }>('/v1/notifications/certs/:certId', async (req, reply) => {
    const signer = deps.signer();
    if (req.params.certId !== signer.certId) throw new PaypalApiError(404, [{ issue: 'INVALID_RESOURCE_ID', field: 'cert_id', value: req.params.certId, location: 'path' }]);
    return reply.type('application/x-pem-file').send(signer.certPem);
  });

  app.get<IdParams>('/v1/notifications/webhooks-events/:id', async (req, reply) => {
    auth(req);
    const body = hooks.bodies.get(req.params.id);
    if (!body) throw new PaypalApiError(404, [{ issue: 'INVALID_RESOURCE_ID', field: 'event_id', value: req.params.id, location: 'path' }]);
    return reply.type('application/json').send(body);
  });

  app.post('/v1/notifications/verify-webhook-signature', op('webhooks.verify'), async (req) => {
    auth(req);
    malformed(req, 'MALFORMED_REQUEST_JSON');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const required = ['auth_algo', 'cert_url', 'transmission_id', 'transmission_sig', 'transmission_time', 'webhook_id', 'webhook_event'];
    const missing = required.filter((k) => body[k] === undefined || body[k] === null || body[k] === '');
    if (missing.length) throw new PaypalApiError(400, missing.map((k) => ({ issue: 'MISSING_REQUIRED_PARAMETER', field: `/${k}`, location: 'body' as const })));
    const strings = required.slice(0, 6).filter((k) => typeof body[k] !== 'string');
    if (strings.length || typeof body.webhook_event !== 'object') {
      throw new PaypalApiError(400, [...strings, ...(typeof body.webhook_event !== 'object' ? ['webhook_event'] : [])].map((k) => ({ issue: 'INVALID_PARAMETER_SYNTAX', field: `/${k}`, location: 'body' as const })));
    }
    return { verification_status: hooks.verify(body as Parameters<PaypalWebhooks['verify']>[0]) };
  });
}
