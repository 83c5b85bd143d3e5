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
import { startSandbox, type Sandbox } from '../sandbox/server.ts';

export interface Runtime {
  /** Where the app listens, e.g. http://127.0.0.1:3000. */
  url: string;
  app: App;
  db: Database;
  jobs: JobQueue;
  log: Logger;
  sandbox: Sandbox | null;
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
 * Composes the whole product from its configuration: sandbox (in sandbox mode), database and
 * migrations, job queue, HTTP server. The only place that knows every part.
 */
export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.logLevel);
  const secrets = await resolveSecrets(config);
  const metrics = createMetrics();
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let sandbox: Sandbox | null = null;
    let endpoints = config.endpoints;
    if (config.sandbox) {
      sandbox = await startSandbox({
        host: config.sandbox.host,
        port: config.sandbox.port,
        logger: log.child({ component: 'sandbox' }),
        settings: {
          paypalWebhookUrl: `${config.publicBaseUrl}/webhooks/paypal`,
          binanceWebhookUrl: `${config.publicBaseUrl}/webhooks/binance`,
        },
      });
      cleanup.unshift(() => sandbox!.close());
      // With SANDBOX_PORT=0 the port is only known now; endpoints that pointed at the sandbox follow it.
      const configured = `http://${config.sandbox.host === '0.0.0.0' ? '127.0.0.1' : config.sandbox.host}:${config.sandbox.port}`;
      endpoints = Object.fromEntries(
        Object.entries(config.endpoints).map(([k, v]) => [k, v === configured ? sandbox!.url : v]),
      ) as unknown as ProviderEndpoints;
    }

    const db = opts.db ?? (await openDatabase(config.database));
    if (!opts.db) cleanup.unshift(() => db.close());
    const migrations = await loadMigrations();
    const { applied } = await migrate(db, migrations);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const jobs = new JobQueue(db, log.child({ component: 'jobs' }), metrics, {
      pollIntervalSeconds: config.jobPollIntervalSeconds,
      ...(opts.jobSchema ? { schema: opts.jobSchema } : {}),
    });

    const app = await createServer({
      log,
      metrics,
      trustProxy: config.trustProxy,
      publicBaseUrl: config.publicBaseUrl,
      cookieSecret: secrets.sessionSecret,
    });
    registerOpsRoutes(app, { db, migrations, metrics });
    registerWebRoutes(app, { mode: config.mode, sandboxUrl: sandbox?.url ?? null });

    await jobs.start();
    cleanup.unshift(() => jobs.stop(config.shutdownTimeoutMs));
    const url = await app.listen({ host: config.host, port: config.port });
    cleanup.unshift(() => app.close());
    const shown = url.replace('0.0.0.0', 'localhost');
    log.info({ url: shown, mode: config.mode, database: db.kind, sandbox: sandbox?.url ?? null }, `LeadsCalendar listening on ${shown}`);

    let closing: Promise<void> | null = null;
    return {
      url: url.replace('0.0.0.0', '127.0.0.1'),
      app,
      db,
      jobs,
      log,
      sandbox,
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
