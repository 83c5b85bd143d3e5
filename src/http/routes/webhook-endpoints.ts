import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WEBHOOK_ENDPOINT_PAGE, type DeliveryRecord, type EndpointRecord, type Webhooks } from '../../app/webhooks.ts';
import { Problem } from '../problem.ts';
import {
  CreateWebhookEndpointBody,
  UpdateWebhookEndpointBody,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
} from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';

export interface WebhookEndpointRouteDeps {
  sessions: Sessions;
  webhooks: Webhooks;
}

export function webhookEndpointDto(e: EndpointRecord): z.infer<typeof WebhookEndpoint> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    types: e.types,
    enabled: e.disabledAt === null,
    disabledAt: e.disabledAt?.toISOString() ?? null,
    disabledReason: e.disabledReason,
    previousSecretExpiresAt: e.previousSecretExpiresAt && e.previousSecretExpiresAt.getTime() > Date.now() ? e.previousSecretExpiresAt.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function webhookDeliveryDto(d: DeliveryRecord): z.infer<typeof WebhookDelivery> {
  return {
    id: d.id,
    endpointId: d.endpointId,
    webhookEventId: d.webhookEventId,
    type: d.type,
    attempt: d.attempt,
    manual: d.manual,
    succeeded: d.succeeded,
    statusCode: d.statusCode,
    durationMs: d.durationMs,
    responseExcerpt: d.responseExcerpt,
    error: d.error,
    at: d.at.toISOString(),
  };
}

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem };
const IdParams = z.object({ id: z.string().uuid() });
const DeliveryListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(WEBHOOK_ENDPOINT_PAGE.maxLimit).default(WEBHOOK_ENDPOINT_PAGE.defaultLimit).describe(`Attempts per page, at most ${WEBHOOK_ENDPOINT_PAGE.maxLimit}.`),
  cursor: z.string().min(1).max(512).optional().describe('The nextCursor of the previous page; omit for the first page.'),
});

/** Webhook endpoints and their delivery log: /api/v1, the owner's only (another person's id answers 404). */
export function registerWebhookEndpointRoutes(app: App, deps: WebhookEndpointRouteDeps) {
  const { sessions, webhooks } = deps;
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));
  const tags = ['webhooks'];

  app.post(
    '/api/v1/webhook-endpoints',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Add a webhook endpoint; the answer carries its signing secret, shown this once',
        body: CreateWebhookEndpointBody,
        response: { 201: WebhookEndpointWithSecret, ...errors },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      const { endpoint, secret } = await webhooks.create(s.userId, req.body);
      return reply.status(201).send({ ...webhookEndpointDto(endpoint), secret });
    },
  );

  app.get(
    '/api/v1/webhook-endpoints',
    { preValidation: signedIn, schema: { tags, summary: 'Your webhook endpoints, oldest first', response: { 200: WebhookEndpointList, ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      return { endpoints: (await webhooks.list(s.userId)).map(webhookEndpointDto) };
    },
  );

  app.get(
    '/api/v1/webhook-endpoints/:id',
    { preValidation: signedIn, schema: { tags, summary: 'One of your webhook endpoints', params: IdParams, response: { 200: WebhookEndpoint, ...errors } } },
    async (req) => {
      const s = await sessions.requireUser(req);
      return webhookEndpointDto(await webhooks.get(s.userId, req.params.id));
    },
  );

  app.patch(
    '/api/v1/webhook-endpoints/:id',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Change a webhook endpoint’s URL, description or types, or disable and enable it',
        params: IdParams,
        body: UpdateWebhookEndpointBody,
        response: { 200: WebhookEndpoint, ...errors },
      },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      return webhookEndpointDto(await webhooks.update(s.userId, req.params.id, req.body));
    },
  );

  app.delete(
    '/api/v1/webhook-endpoints/:id',
    { preValidation: signedIn, schema: { tags, summary: 'Delete a webhook endpoint and its delivery log', params: IdParams, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      await webhooks.remove(s.userId, req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/webhook-endpoints/:id/rotate-secret',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Replace the signing secret; the previous one keeps signing too for an overlap (24 h by default)',
        description: 'The answer carries the new secret, shown this once. Until `previousSecretExpiresAt`, each delivery carries two v1 signatures: one per secret.',
        params: IdParams,
        response: { 200: WebhookEndpointWithSecret, ...errors },
      },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      const { endpoint, secret } = await webhooks.rotateSecret(s.userId, req.params.id);
      return { ...webhookEndpointDto(endpoint), secret };
    },
  );

  app.get(
    '/api/v1/webhook-endpoints/:id/deliveries',
    {
      preValidation: signedIn,
      schema: { tags, summary: 'The delivery log of a webhook endpoint: every attempt, newest first, a page at a time', params: IdParams, querystring: DeliveryListQuery, response: { 200: WebhookDeliveryList, ...errors } },
    },
    async (req) => {
      const s = await sessions.requireUser(req);
      const page = await webhooks.deliveries(s.userId, req.params.id, req.query);
      return { deliveries: page.deliveries.map(webhookDeliveryDto), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/webhook-deliveries/:id/redeliver',
    {
      preValidation: signedIn,
      schema: {
        tags,
        summary: 'Send a delivery’s webhook event to its endpoint again, now, once',
        description: 'The same body (same event `id`), signed afresh. Works on a disabled endpoint too, to check a fixed receiver before enabling it. Answers with the new attempt.',
        params: IdParams,
        response: { 201: WebhookDelivery, ...errors },
      },
    },
    async (req, reply) => {
      const s = await sessions.requireUser(req);
      return reply.status(201).send(webhookDeliveryDto(await webhooks.redeliver(s.userId, req.params.id)));
    },
  );
}
