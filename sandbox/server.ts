import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BinanceEmulator } from './binance/emulator.ts';
import type { ProviderEmulator, SandboxContext, SandboxSettings } from './context.ts';
import { registerControlRoutes, SettingsPatch } from './control.ts';
import { FaultRegistry } from './faults.ts';
import { GoogleEmulator } from './google/emulator.ts';
import { MailOutbox } from './mail/outbox.ts';
import { registerMailRoutes } from './mail/routes.ts';
import { PaypalEmulator } from './paypal/emulator.ts';
import { encodeState } from './persistence/codec.ts';
import { StatePersister } from './persistence/persister.ts';
import { checkShape } from './persistence/replace.ts';
import { StateDir, type StateLog } from './persistence/state-dir.ts';
import { WebhookDispatcher, type DispatcherOptions } from './webhooks.ts';

export interface SandboxOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger?: Logger;
  /**
   * The data folder: all state and keys live there and survive restarts and crashes. Without it
   * the sandbox keeps everything in memory (tests).
   */
  dataDir?: string;
  /** Applied over the stored settings at start (e.g. webhook URLs from the environment). */
  settings?: Partial<SandboxSettings>;
  webhooks?: DispatcherOptions;
  now?: () => number;
  /** The outbox's SMTP server: loopback, on a free port unless given. */
  smtpHost?: string;
  smtpPort?: number;
  /** Seeds the draws of probabilistic faults (see FaultRegistry), so a chaos run can be replayed. */
  faultSeed?: number;
}

export interface Sandbox {
  url: string;
  ctx: SandboxContext;
  app: FastifyInstance;
  emulators: { google: GoogleEmulator; paypal: PaypalEmulator; binance: BinanceEmulator };
  /** Where to send mail: every message is kept in the outbox (/__sandbox/mail). */
  smtpUrl: string;
  outbox: MailOutbox;
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

  const faults = new FaultRegistry(opts.faultSeed);
  const ctx: SandboxContext = {
    baseUrl: '',
    faults,
    webhooks: new WebhookDispatcher(faults, opts.webhooks),
    settings: { ...DEFAULT_SETTINGS },
    now: opts.now ?? Date.now,
    afterReset: async () => {},
  };
  const emulators = {
    google: new GoogleEmulator(ctx),
    paypal: new PaypalEmulator(ctx),
    binance: new BinanceEmulator(ctx),
  };
  const byProvider: Record<string, ProviderEmulator> = emulators;
  let persister: StatePersister | null = null;
  const outbox = new MailOutbox({
    host: opts.smtpHost ?? '127.0.0.1',
    port: opts.smtpPort ?? 0,
    // A mail is on disk before the server says it took it.
    onChange: async () => persister?.flush(),
  });
  ctx.afterReset = async () => outbox.clear();

  const log: StateLog = opts.logger ?? {
    warn: (_obj, msg) => process.emitWarning(msg, 'SandboxStateWarning'),
    error: (obj, msg) => process.emitWarning(`${msg}: ${String((obj as { err?: unknown }).err ?? '')}`, 'SandboxStateWarning'),
  };
  const dir = opts.dataDir ? StateDir.open(opts.dataDir, log) : null;
  await initKeys(dir, emulators, log);
  const capture = () => ({
    format: STATE_FORMAT,
    settings: ctx.settings,
    faults: faults.dump(),
    webhooks: ctx.webhooks.dump(),
    mail: outbox.dump(),
    ...Object.fromEntries(Object.entries(emulators).map(([name, e]) => [name, e.dump()])),
  });
  const restoredFrom = dir?.read('state', (stored) => {
    try {
      restoreState(stored, ctx, emulators);
      // A state written before the outbox existed has none: it starts empty.
      const mail = (stored as { mail?: unknown }).mail;
      if (mail !== undefined) outbox.restore(mail);
    } catch (err) {
      resetState(ctx, emulators);
      outbox.clear();
      throw err;
    }
  });
  Object.assign(ctx.settings, opts.settings);
  persister = dir ? new StatePersister(dir, capture, log, restoredFrom === 'current') : null;
  if (persister) {
    const p = persister;
    ctx.webhooks.onChange(() => p.flushSoon());
    ctx.afterReset = async () => {
      outbox.clear();
      await p.reset();
    };
    // Whatever a request changed is on disk before its answer leaves: a crash cannot take back
    // what a client was told.
    app.addHook('onSend', async (_req, _reply, payload) => {
      await p.flush();
      return payload;
    });
    // Settings from the environment, a fresh state, or one restored from the last good copy are stored now.
    await persister.flush();
  }

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
          // No onSend for a hijacked reply: the consumed fault is stored here.
          persister?.flushSoon();
          req.raw.socket.destroy();
          return reply.hijack();
        case 'timeout':
          // Never answer; the client's own timeout is what is being tested.
          persister?.flushSoon();
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
  registerMailRoutes(app, outbox, () => ctx.baseUrl);

  try {
    await outbox.listen();
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 4010 });
  } catch (err) {
    await outbox.close();
    dir?.release();
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const host = (opts.host ?? '127.0.0.1') === '0.0.0.0' ? '127.0.0.1' : (opts.host ?? '127.0.0.1');
  ctx.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  // Webhooks still waiting when the sandbox last stopped (or crashed) go out now, on schedule.
  ctx.webhooks.resume();
  return {
    url: ctx.baseUrl,
    ctx,
    app,
    emulators,
    smtpUrl: outbox.url,
    outbox,
    async close() {
      ctx.webhooks.close();
      await outbox.close();
      await app.close();
      await persister?.flush();
      dir?.release();
    },
  };
}

/** Version of state.json's layout; a file of another version is refused (and moved aside). */
const STATE_FORMAT = 1;

type Emulators = Record<string, ProviderEmulator>;

/**
 * The signing keys: restored from keys.json so that tokens and webhook signatures made before a
 * restart still verify after it, or made afresh (first start, or a key that cannot be read).
 */
async function initKeys(dir: StateDir | null, emulators: Emulators, log: StateLog): Promise<void> {
  let saved: Record<string, unknown> = {};
  dir?.read('keys', (v) => {
    saved = checkShape('keys', v, {});
  });
  const keys: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(emulators)) {
    try {
      keys[name] = await e.initKeys(saved[name]);
    } catch (err) {
      log.warn({ provider: name, reason: (err as Error).message }, `sandbox keys: the stored ${name} key is unusable (${(err as Error).message}); a new one is made`);
      keys[name] = await e.initKeys(undefined);
    }
  }
  if (dir && encodeState(keys) !== encodeState(saved)) await dir.write('keys', keys);
}

function restoreState(stored: unknown, ctx: SandboxContext, emulators: Emulators): void {
  const d = checkShape('state', stored, { format: 'number', settings: 'object', faults: 'object', webhooks: 'array', ...Object.fromEntries(Object.keys(emulators).map((k) => [k, 'object' as const])) });
  if (d.format !== STATE_FORMAT) throw new TypeError(`state format ${d.format} is not ${STATE_FORMAT}`);
  const settings = SettingsPatch.safeParse(d.settings);
  if (!settings.success) throw new TypeError(`state settings: ${settings.error.message}`);
  Object.assign(ctx.settings, settings.data);
  ctx.faults.restore(d.faults);
  ctx.webhooks.restore(d.webhooks);
  for (const [name, e] of Object.entries(emulators)) e.restore((d as Record<string, unknown>)[name]);
}

/** After a stored state failed half-way through restoring: nothing of it stays. */
function resetState(ctx: SandboxContext, emulators: Emulators): void {
  Object.assign(ctx.settings, DEFAULT_SETTINGS);
  ctx.faults.clear();
  ctx.faults.fired.length = 0;
  ctx.webhooks.reset();
  for (const e of Object.values(emulators)) e.reset();
}
