import type { Config, ProviderEndpoints } from './config/env.ts';
import { resolveSecrets } from './config/secrets.ts';
import type { Database } from './db/database.ts';
import { loadMigrations, migrate } from './db/migrate.ts';
import { openDatabase } from './db/open.ts';
import { createServer, type App } from './http/server.ts';
import { registerOpsRoutes } from './http/routes/ops.ts';
import { JobQueue } from './jobs/queue.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { registerWebRoutes } from './web/routes.ts';
import { formatMinor } from './domain/money.ts';
import { Events } from './app/events.ts';
import { GoogleConnections } from './app/google-connections.ts';
import { TokenCipher } from './crypto/token-cipher.ts';
import { registerApiRoutes } from './http/routes/api.ts';
import { registerAuthRoutes } from './http/routes/auth.ts';
import { Sessions } from './http/sessions.ts';
import { Readiness } from './app/readiness.ts';
import { SessionService } from './app/sessions.ts';
import { SignIn } from './app/sign-in.ts';
import { Users } from './app/users.ts';
import { DatabaseRateLimitCounter } from './db/repos/rate-limits.ts';
import { GoogleOAuth } from './providers/google/oauth.ts';
import { Payments } from './app/payments.ts';
import { createPaypalProvider } from './providers/paypal/adapter.ts';
import { createBinanceProvider } from './providers/binance/adapter.ts';
import { registerPaymentRoutes } from './http/routes/payments.ts';
import { registerWebhookRoutes } from './http/routes/webhooks.ts';
import { Mails } from './app/mails.ts';
import { createSmtpMailer } from './providers/smtp/mailer.ts';
import { registerEventStreamRoute } from './http/routes/event-stream.ts';
import { registerEventFileRoutes } from './http/routes/event-files.ts';
import { EventChanges } from './app/event-changes.ts';
import { Admins } from './app/admin.ts';
import { InstanceSettingsStore } from './app/instance-settings.ts';
import { PRICE_CURRENCY } from './domain/instance-settings.ts';
import { registerAdminRoutes } from './http/routes/admin.ts';
import { Credentials } from './app/credentials.ts';
import { registerIdempotency } from './http/idempotency.ts';
import { IdempotencyKeys } from './app/idempotency.ts';
import { registerCredentialRoutes } from './http/routes/credentials.ts';
import { Webhooks } from './app/webhooks.ts';
import { createWebhookSender } from './providers/webhooks/sender.ts';
import { registerWebhookEndpointRoutes } from './http/routes/webhook-endpoints.ts';
import { eventDto } from './http/routes/api.ts';
import { paymentDto } from './http/routes/payments.ts';

export interface Runtime {
  /** Where the app listens, e.g. http://127.0.0.1:3000. */
  url: string;
  app: App;
  db: Database;
  jobs: JobQueue;
  events: Events;
  payments: Payments;
  /** The admin-editable settings (price, providers, PayPal intent, payment window, Binance rate). */
  settings: InstanceSettingsStore;
  mails: Mails;
  google: GoogleConnections;
  webhooks: Webhooks;
  log: Logger;
  endpoints: ProviderEndpoints;
  /** Graceful: stop taking requests, finish in-flight requests and jobs, close the database. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  /** A database already open (tests); otherwise opened from the configuration. */
  db?: Database;
  /** Schema for the job tables (tests run several queues in one database). */
  jobSchema?: string;
  /**
   * Redis for the rate-limit counts instead of the database (e.g. from REDIS_URL); the key prefix
   * lets several deployments share one Redis.
   */
  rateLimitRedis?: { url: string; keyPrefix?: string };
}

/**
 * Composes the whole product from its configuration: database and migrations, job queue, HTTP
 * server. The only place that knows every part. The providers (real, or the sandbox the launcher
 * started) are only base URLs and credentials here.
 */
export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.logLevel);
  const secrets = await resolveSecrets(config);
  const metrics = createMetrics();
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const endpoints = config.endpoints;
    const db = opts.db ?? (await openDatabase(config.database));
    if (!opts.db) cleanup.unshift(() => db.close());
    const migrations = await loadMigrations();
    const { applied } = await migrate(db, migrations);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const jobs = new JobQueue(db, log.child({ component: 'jobs' }), metrics, {
      pollIntervalSeconds: config.jobPollIntervalSeconds,
      maintenanceIntervalSeconds: config.jobMaintenanceIntervalSeconds,
      ...(opts.jobSchema ? { schema: opts.jobSchema } : {}),
    });

    const oauth = new GoogleOAuth({
      clientId: config.google.clientId,
      clientSecret: config.google.clientSecret,
      redirectUri: `${config.publicBaseUrl}/auth/google/callback`,
      oauthOrigin: endpoints.googleOAuth,
    });
    const cipher = new TokenCipher(secrets.encryptionKey);
    const google = new GoogleConnections(db, oauth, cipher, { rootUrl: endpoints.googleApi }, log.child({ component: 'google' }));
    const mailer = createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from });
    cleanup.unshift(async () => mailer.close());
    const mails = new Mails(
      db,
      jobs,
      mailer,
      { publicBaseUrl: config.publicBaseUrl, reminderMinutes: config.mail.reminderMinutes, from: config.mail.from },
      log.child({ component: 'mail' }),
    );
    // The environment's values are the defaults; what an admin saved replaces them (read per use).
    const settings = new InstanceSettingsStore(db, {
      priceMinor: config.pricing.minor,
      providers: ['paypal', 'binance'],
      paypalIntent: config.payments.paypalIntent,
      paymentWindowMinutes: config.paymentTtlMinutes,
      binanceUsdtRate: config.payments.binanceUsdtRate,
    });
    const payments = new Payments(
      db,
      jobs,
      {
        paypal: createPaypalProvider({
          baseUrl: endpoints.paypalApi,
          clientId: config.paypal.clientId,
          clientSecret: config.paypal.clientSecret,
          webhookId: config.paypal.webhookId,
          intent: config.payments.paypalIntent,
          brandName: config.payments.paypalBrandName,
          trustedCertOrigins: paypalCertOrigins(endpoints.paypalApi),
        }),
        binance: createBinanceProvider({
          baseUrl: endpoints.binanceApi,
          apiKey: config.binance.apiKey,
          secretKey: config.binance.secretKey,
          usdtPerUsd: config.payments.binanceUsdtRate,
        }),
      },
      {
        publicBaseUrl: config.publicBaseUrl,
        settings,
        reconcileAfterSeconds: config.payments.reconcileAfterSeconds,
        reconcileIntervalSeconds: config.payments.reconcileIntervalSeconds,
      },
      log.child({ component: 'payments' }),
      mails,
      metrics,
    );
    const events = new Events(db, jobs, google, {
      publicBaseUrl: config.publicBaseUrl,
      settings,
      ...config.calendar,
    }, log.child({ component: 'events' }), payments, mails);
    // Outgoing webhooks: the body shows a record as the API does (http's presentation, given here).
    const webhooks = new Webhooks(
      db,
      jobs,
      createWebhookSender({ mode: config.mode, timeoutMs: config.webhooks.timeoutMs, userAgent: 'LeadsCalendar-Webhooks/1.0' }),
      cipher,
      mails,
      { event: eventDto, payment: paymentDto },
      { ...config.webhooks, sweepIntervalSeconds: Math.max(config.jobPollIntervalSeconds, 5) },
      log.child({ component: 'webhooks' }),
    );
    const changes = new EventChanges(db, { perUser: config.liveStatus.maxStreamsPerUser, total: config.liveStatus.maxStreams }, log.child({ component: 'live-status' }));
    await changes.start();
    cleanup.unshift(() => changes.stop());
    const credentials = new Credentials(db, config.mode);
    const sessions = new Sessions(new SessionService(db), config.publicBaseUrl, credentials);
    const signIn = new SignIn(oauth, google, config.publicBaseUrl, (tx, userId) => events.resumeForUser(tx, userId));
    let rateLimits;
    const redisOpts = opts.rateLimitRedis ?? (config.redisUrl ? { url: config.redisUrl } : undefined);
    if (redisOpts) {
      // Loaded only when configured: most instances keep their counts in the database.
      const { Redis } = await import('ioredis');
      const redis = new Redis(redisOpts.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        keyPrefix: redisOpts.keyPrefix ?? 'leadscalendar:',
      });
      // Without a listener ioredis prints its reconnect errors to stderr; they belong in the log.
      redis.on('error', (err: Error) => log.warn({ err }, 'Redis (rate limits) unavailable'));
      await redis.connect();
      cleanup.unshift(async () => void (await redis.quit()));
      rateLimits = { redis };
    } else {
      rateLimits = { counter: new DatabaseRateLimitCounter(db) };
    }

    const app = await createServer({
      log,
      metrics,
      trustProxy: config.trustProxy,
      publicBaseUrl: config.publicBaseUrl,
      cookieSecret: secrets.sessionSecret,
      rateLimits,
      apiRateLimit: { max: config.apiRateLimitPerMinute, timeWindowMs: 60_000 },
      mode: config.mode,
    });
    registerOpsRoutes(app, { readiness: new Readiness(db, migrations), metrics });
    registerWebRoutes(app, {
      mode: config.mode,
      config: async () => {
        const s = await settings.current();
        return {
          mode: config.mode,
          sandboxUrl: config.sandboxUrl,
          price: { amount: formatMinor(BigInt(s.priceMinor), PRICE_CURRENCY), currency: PRICE_CURRENCY },
          paymentMinutes: s.paymentWindowMinutes,
        };
      },
      sessions,
    });
    registerAuthRoutes(app, { sessions, signIn, pages: { sandbox: config.mode === 'sandbox' } });
    // Before the API routes: Idempotency-Key applies to each POST registered after it.
    registerIdempotency(app, { keys: new IdempotencyKeys(db), sessions });
    registerCredentialRoutes(app, { sessions, credentials });
    const users = new Users(db);
    const admins = new Admins(db, config.adminEmails);
    registerApiRoutes(app, { sessions, events, google, users, admins, webhooks });
    registerAdminRoutes(app, { sessions, users, admins, settings });
    registerPaymentRoutes(app, { sessions, payments, webhooks });
    registerWebhookEndpointRoutes(app, { sessions, webhooks });
    registerEventStreamRoute(app, { sessions, events, payments, changes, heartbeatSeconds: config.liveStatus.heartbeatSeconds });
    registerEventFileRoutes(app, { sessions, events, payments, users, publicBaseUrl: config.publicBaseUrl });
    registerWebhookRoutes(app, { payments });

    await jobs.start();
    cleanup.unshift(() => jobs.stop(config.shutdownTimeoutMs));
    // After the queue: dispatching sends jobs.
    await webhooks.start();
    cleanup.unshift(() => webhooks.stop());
    payments.startReconciler();
    cleanup.unshift(async () => payments.stopReconciler());
    const url = await app.listen({ host: config.host, port: config.port });
    cleanup.unshift(() => app.close());
    const shown = url.replace('0.0.0.0', 'localhost');
    log.info({ url: shown, mode: config.mode, database: db.kind, sandbox: config.sandboxUrl }, `LeadsCalendar listening on ${shown}`);

    let closing: Promise<void> | null = null;
    return {
      url: url.replace('0.0.0.0', '127.0.0.1'),
      app,
      db,
      jobs,
      events,
      payments,
      settings,
      mails,
      google,
      webhooks,
      log,
      endpoints,
      close() {
        closing ??= (async () => {
          for (const step of cleanup) await step();
          log.info('LeadsCalendar stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const step of cleanup) await step().catch(() => {});
    throw err;
  }
}

/**
 * Where PayPal webhook certificates may come from besides PayPal's own hosts: the PayPal API this
 * instance is configured to use, when that is not PayPal (the sandbox). Live PayPal adds nothing.
 */
function paypalCertOrigins(apiBase: string): string[] {
  const url = new URL(apiBase);
  return /(^|\.)paypal\.com$/.test(url.hostname) ? [] : [url.origin];
}
