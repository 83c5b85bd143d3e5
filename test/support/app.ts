import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from './db.ts';
import { openLogFile, recordDataDirSecrets, recordEnvSecrets } from './log-files.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestApp {
  /** The app, and the sandbox that test support started beside it in this process. */
  runtime: Runtime & { sandbox: Sandbox };
  url: string;
  /** Every JSON log line the app wrote. */
  logs: Record<string, unknown>[];
  db: TestDatabase;
  close(): Promise<void>;
}

/** A mail server address for configurations that never start an app: nothing listens there. */
export const UNUSED_SMTP_URL = 'smtp://127.0.0.1:2525';

/**
 * What the launcher passes the app in sandbox mode: the sandbox's address, credentials and mail
 * server. Given only a URL (configuration tests), the mail server is {@link UNUSED_SMTP_URL}.
 */
export function sandboxEnv(sandbox: string | Pick<Sandbox, 'url' | 'smtpUrl'>): Record<string, string> {
  const c = SANDBOX_CREDENTIALS;
  const { url: sandboxUrl, smtpUrl } = typeof sandbox === 'string' ? { url: sandbox, smtpUrl: UNUSED_SMTP_URL } : sandbox;
  return {
    SANDBOX_URL: sandboxUrl,
    SMTP_URL: smtpUrl,
    GOOGLE_CLIENT_ID: c.google.clientId,
    GOOGLE_CLIENT_SECRET: c.google.clientSecret,
    PAYPAL_CLIENT_ID: c.paypal.clientId,
    PAYPAL_CLIENT_SECRET: c.paypal.clientSecret,
    PAYPAL_WEBHOOK_ID: c.paypal.webhookId,
    BINANCE_API_KEY: c.binance.apiKey,
    BINANCE_SECRET_KEY: c.binance.secretKey,
  };
}

/** Sandbox-mode configuration for an app on loopback at `port`, its providers and mail server in `sandbox`. */
export function localConfig(port: number, dataDir: string, sandbox: string | Pick<Sandbox, 'url' | 'smtpUrl'>, env: Record<string, string> = {}) {
  recordEnvSecrets(env);
  return loadConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    ...sandboxEnv(sandbox),
    ...env,
  });
}

/** The whole product, in sandbox mode, on free ports, with its own test database and data folder. */
export async function startTestApp(opts: { kind?: DbKind; env?: Record<string, string>; onRoute?: RuntimeOptions['onRoute'] } = {}): Promise<TestApp> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-test-'));
  const logs: Record<string, unknown>[] = [];
  // The app's and the sandbox's lines, also on disk for the log scan after the suite.
  const file = openLogFile('app');
  const sink = new Writable({
    write(chunk, _enc, cb) {
      file.write(String(chunk));
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      cb();
    },
  });
  const log = createLogger('info', sink);
  const publicBaseUrl = opts.env?.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    logger: log.child({ component: 'sandbox' }),
    settings: { paypalWebhookUrl: `${publicBaseUrl}/webhooks/paypal`, binanceWebhookUrl: `${publicBaseUrl}/webhooks/binance` },
  });
  const config = localConfig(port, dataDir, sandbox, {
    LOG_LEVEL: 'info',
    JOB_POLL_INTERVAL_SECONDS: '1',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...opts.env,
  });
  const db = await createTestDatabase(opts.kind ?? 'pglite');
  const runtime = await startRuntime(config, { log, db: db.db, ...(opts.onRoute ? { onRoute: opts.onRoute } : {}) }).catch(async (err) => {
    await sandbox.close();
    await db.close();
    throw err;
  });
  recordDataDirSecrets(dataDir);
  return {
    runtime: Object.assign(runtime, { sandbox }),
    url: runtime.url,
    logs,
    db,
    async close() {
      await runtime.close();
      await sandbox.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
