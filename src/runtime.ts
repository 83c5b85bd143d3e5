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
import { Events } from './app/events.ts';
import { GoogleConnections } from './app/google-connections.ts';
import { TokenCipher } from './crypto/token-cipher.ts';
import { registerApiRoutes } from './http/routes/api.ts';
import { registerAuthRoutes } from './http/routes/auth.ts';
import { Sessions } from './http/sessions.ts';
import { GoogleOAuth } from './providers/google/oauth.ts';

export interface Runtime {
  /** Where the app listens, e.g. http://127.0.0.1:3000. */
  url: string;
  app: App;
  db: Database;
  jobs: JobQueue;
  events: Events;
  google: GoogleConnections;
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
    const google = new GoogleConnections(db, oauth, new TokenCipher(secrets.encryptionKey), { rootUrl: endpoints.googleApi }, log.child({ component: 'google' }));
    const events = new Events(db, jobs, google, {
      publicBaseUrl: config.publicBaseUrl,
      pricing: config.pricing,
      paymentTtlMinutes: config.paymentTtlMinutes,
      ...config.calendar,
    }, log.child({ component: 'events' }));
    const sessions = new Sessions(db, config.publicBaseUrl);

    const app = await createServer({
      log,
      metrics,
      trustProxy: config.trustProxy,
      publicBaseUrl: config.publicBaseUrl,
      cookieSecret: secrets.sessionSecret,
    });
    registerOpsRoutes(app, { db, migrations, metrics });
    registerWebRoutes(app, { mode: config.mode, sandboxUrl: config.sandboxUrl, sessions });
    registerAuthRoutes(app, { sessions, oauth, connections: google, onReconnected: (tx, userId) => events.resumeForUser(tx, userId) });
    registerApiRoutes(app, { sessions, events, google, db });

    await jobs.start();
    cleanup.unshift(() => jobs.stop(config.shutdownTimeoutMs));
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
      google,
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
