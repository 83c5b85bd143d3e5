import { z } from 'zod';
import type { Readiness } from '../../app/readiness.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { App } from '../server.ts';

const Health = z.object({ status: z.literal('ok') });
const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'unreachable']),
    migrations: z.union([z.literal('ok'), z.array(z.string()).describe('migrations not yet applied')]),
  }),
});

/** Probes for orchestrators and Prometheus. Kept out of the public API document. */
export function registerOpsRoutes(app: App, deps: { readiness: Readiness; metrics: Metrics }) {
  app.get('/healthz', { schema: { hide: true, response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { hide: true, response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const { ready, database, pendingMigrations: pending } = await deps.readiness.check();
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      checks: { database, migrations: pending.length ? pending : 'ok' },
    });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
