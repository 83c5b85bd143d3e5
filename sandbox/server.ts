import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BinanceEmulator } from './binance/emulator.ts';
import type { ProviderEmulator, SandboxContext, SandboxSettings } from './context.ts';
import { registerControlRoutes } from './control.ts';
import { FaultRegistry } from './faults.ts';
import { GoogleEmulator } from './google/emulator.ts';
import { PaypalEmulator } from './paypal/emulator.ts';
import { WebhookDispatcher, type DispatcherOptions } from './webhooks.ts';

export interface SandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger?: Logger;
  settings?: Partial<SandboxSettings>;
  webhooks?: DispatcherOptions;
  now?: () => number;
}

export interface Sandbox {
  url: string;
  ctx: SandboxContext;
  app: FastifyInstance;
  emulators: { google: GoogleEmulator; paypal: PaypalEmulator; binance: BinanceEmulator };
  close(): Promise<void>;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  paypalWebhookUrl: null,
  binanceWebhookUrl: null,
  binanceTimestampWindowMs: 5_000,
  googleAccessTokenTtlSeconds: 3599,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the provider emulators on one HTTP server; the providers' paths do not collide. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const app: FastifyInstance = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger as unknown as FastifyBaseLogger } : { logger: false }),
    // Held (timeout-fault) requests must not keep close() waiting.
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
    // Google event ids run to 1024 characters (plus an instance suffix) and travel in the path.
    routerOptions: { maxParamLength: 2048 },
  });
  await app.register(formbody);
  // Keep the raw bytes: Binance signs them, and each provider answers malformed JSON its own way.
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (req, body, done) => {
    const raw = body as string;
    req.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(raw));
    } catch (err) {
      req.jsonError = err as Error;
      done(null, undefined);
    }
  });

  const faults = new FaultRegistry();
  const ctx: SandboxContext = {
    baseUrl: '',
    faults,
    webhooks: new WebhookDispatcher(faults, opts.webhooks),
    settings: { ...DEFAULT_SETTINGS, ...opts.settings },
    now: opts.now ?? Date.now,
  };
  const emulators = {
    google: new GoogleEmulator(ctx),
    paypal: new PaypalEmulator(ctx),
    binance: new BinanceEmulator(ctx),
  };
  const byProvider: Record<string, ProviderEmulator> = emulators;

  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.config?.sandbox;
    if (!route) return;
    for (const f of faults.take(route.provider, route.operation, 'response')) {
      switch (f.fault) {
        case 'latency':
          await sleep(f.ms);
          break;
        case 'decline':
          req.sandboxDeclined = true;
          break;
        case 'reset':
          req.raw.socket.destroy();
          return reply.hijack();
        case 'timeout':
          // Never answer; the client's own timeout is what is being tested.
          reply.hijack();
          return new Promise<void>(() => {});
        case 'http_error': {
          const r = byProvider[route.provider]!.errorResponse(route.operation, f.status, f.reason);
          const headers = { ...r.headers };
          if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
          return reply.status(r.status).headers(headers).send(r.body);
        }
      }
    }
  });

  for (const e of Object.values(emulators)) await e.register(app);
  registerControlRoutes(app, ctx, byProvider);

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 4010 });
  const addr = app.server.address() as AddressInfo;
  const host = (opts.host ?? '127.0.0.1') === '0.0.0.0' ? '127.0.0.1' : (opts.host ?? '127.0.0.1');
  ctx.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  return {
    url: ctx.baseUrl,
    ctx,
    app,
    emulators,
    async close() {
      ctx.webhooks.close();
      await app.close();
    },
  };
}
