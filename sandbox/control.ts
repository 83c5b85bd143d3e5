import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ProviderEmulator, SandboxContext } from './context.ts';
import type { FaultSpec, Provider } from './faults.ts';

/**
 * The control API under /__sandbox: switch faults on and off, read or reset the emulators' state,
 * inspect webhook deliveries, change settings. Documented in docs/sandbox.md; tests use the same
 * calls a person would.
 */

const provider = z.enum(['google', 'paypal', 'binance']);
const count = z.number().int().min(1).nullable().default(1).describe('how many times it fires; null = until cleared');

export const FaultRequest = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('latency'), ms: z.number().int().min(1).max(600_000) }),
  z.object({
    fault: z.literal('http_error'),
    status: z.number().int().min(400).max(599),
    retryAfterSeconds: z.number().int().min(0).optional(),
    reason: z.string().optional().describe("provider-specific reason, e.g. Google's quotaExceeded"),
  }),
  z.object({ fault: z.literal('timeout') }),
  z.object({ fault: z.literal('reset') }),
  z.object({ fault: z.literal('decline') }),
  z.object({ fault: z.literal('webhook_duplicate'), copies: z.number().int().min(1).max(10).optional() }),
  z.object({ fault: z.literal('webhook_delay'), ms: z.number().int().min(1).max(600_000) }),
  z.object({ fault: z.literal('webhook_reorder') }),
  z.object({ fault: z.literal('webhook_drop') }),
  z.object({ fault: z.literal('webhook_forge') }),
]);

const FaultBody = z.intersection(
  z.object({
    provider,
    operation: z.string().min(1).default('*'),
    count,
    probability: z.number().gt(0).max(1).optional().describe('the chance that a matching call fires it (e.g. 0.05); absent: every matching call'),
  }),
  FaultRequest,
);

export const SettingsPatch = z
  .object({
    paypalWebhookUrl: z.string().url().nullable(),
    binanceWebhookUrl: z.string().url().nullable(),
    binanceTimestampWindowMs: z.number().int().min(0),
    googleAccessTokenTtlSeconds: z.number().int().min(1),
  })
  .partial()
  .strict();

export function badRequest(reply: FastifyReply, error: z.ZodError) {
  return reply.status(400).send({ error: 'invalid_request', issues: z.treeifyError(error) });
}

export function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext, emulators: Record<string, ProviderEmulator>) {
  const state = () => ({
    baseUrl: ctx.baseUrl,
    settings: ctx.settings,
    faults: ctx.faults.list(),
    firedFaults: ctx.faults.fired,
    webhooks: ctx.webhooks.deliveries,
    ...Object.fromEntries(Object.entries(emulators).map(([k, e]) => [k, e.snapshot()])),
  });

  app.get('/__sandbox/state', async () => state());

  app.post('/__sandbox/reset', async () => {
    ctx.faults.clear();
    ctx.faults.fired.length = 0;
    ctx.webhooks.reset();
    for (const e of Object.values(emulators)) e.reset();
    await ctx.afterReset();
    return { ok: true };
  });

  app.get('/__sandbox/faults', async () => ({ faults: ctx.faults.list(), fired: ctx.faults.fired }));
  app.post('/__sandbox/faults', async (req, reply) => {
    const parsed = FaultBody.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { provider: p, operation, count: n, probability, ...spec } = parsed.data;
    return reply.status(201).send(ctx.faults.add(p as Provider, operation, spec as FaultSpec, n, probability));
  });
  app.delete('/__sandbox/faults', async () => {
    ctx.faults.clear();
    return { ok: true };
  });
  app.delete<{ Params: { id: string } }>('/__sandbox/faults/:id', async (req, reply) =>
    ctx.faults.remove(req.params.id) ? { ok: true } : reply.status(404).send({ error: 'not_found' }),
  );

  app.get('/__sandbox/webhooks', async () => ({ deliveries: ctx.webhooks.deliveries }));
  app.post('/__sandbox/webhooks/idle', async () => {
    await ctx.webhooks.idle();
    return { deliveries: ctx.webhooks.deliveries };
  });

  app.get('/__sandbox/settings', async () => ctx.settings);
  app.patch('/__sandbox/settings', async (req, reply) => {
    const parsed = SettingsPatch.safeParse(req.body ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    Object.assign(ctx.settings, parsed.data);
    return ctx.settings;
  });

  app.get('/__sandbox', async (_req, reply) => reply.type('text/html; charset=utf-8').send(statePage(state())));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function statePage(s: Record<string, unknown>): string {
  const sections = Object.entries(s)
    .map(([k, v]) => `<section><h2>${esc(k)}</h2><pre>${esc(JSON.stringify(v, null, 2))}</pre></section>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LeadsCalendar sandbox</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}pre{background:#f5f5f7;padding:1rem;overflow:auto;max-height:30rem}</style>
</head><body><h1>LeadsCalendar provider sandbox</h1>
<p>Emulated Google, PayPal and Binance Pay. Control API: <code>/__sandbox/faults</code>, <code>/__sandbox/state</code>, <code>/__sandbox/reset</code>, <code>/__sandbox/settings</code>, <code>/__sandbox/webhooks</code>. Mail sent by the app: <a href="/__sandbox/mail">/__sandbox/mail</a>. See the documentation's sandbox page.</p>
${sections}</body></html>`;
}
