import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Payments } from '../../app/payments.ts';
import type { ProviderId } from '../../ports/payments.ts';
import { Problem } from '../problem.ts';
import type { App } from '../server.ts';

/**
 * Where PayPal and Binance Pay post their notifications. The body stays raw bytes: signatures are
 * over the exact bytes, so nothing parses it before the adapter has verified it. A verified
 * notification is stored in the inbox (once) before the 2xx; processing is a job.
 */
/** PROVIDER_NOTIFICATION_RATE_LIMIT_PER_MINUTE's default: per sending address, each route. */
export const PROVIDER_NOTIFICATION_RATE_LIMIT = 600;

export function registerWebhookRoutes(app: App, deps: { payments: Payments; perMinute?: number }) {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
    const receive = (provider: ProviderId) => async (req: FastifyRequest, reply: FastifyReply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      await deps.payments.receiveNotification(provider, { body, headers: req.headers, receivedAt: new Date() });
      const ack = deps.payments.acknowledgement(provider);
      if (ack.contentType) reply.type(ack.contentType);
      return reply.status(ack.status).send(ack.body);
    };
    for (const provider of ['paypal', 'binance'] as const) {
      scope.post(
        `/webhooks/${provider}`,
        {
          config: { rateLimit: { max: deps.perMinute ?? PROVIDER_NOTIFICATION_RATE_LIMIT, timeWindow: '1 minute' } },
          schema: {
            tags: ['webhooks'],
            summary: `${provider === 'paypal' ? 'PayPal' : 'Binance Pay'} notifications (signed by the provider; verified before anything is stored)`,
            response: { 400: Problem, 413: Problem },
          },
        },
        receive(provider),
      );
    }
  });
}
