import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startRuntime, type Runtime } from '../../src/runtime.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from './db.ts';

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
  runtime: Runtime;
  url: string;
  /** Every JSON log line the app wrote. */
  logs: Record<string, unknown>[];
  db: TestDatabase;
  close(): Promise<void>;
}

/** Sandbox-mode configuration for an app on loopback at `port`, its sandbox on a free port. */
export function localConfig(port: number, dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    SANDBOX_PORT: '0',
    DATA_DIR: dataDir,
    ...env,
  });
}

/** The whole product, in sandbox mode, on free ports, with its own test database and data folder. */
export async function startTestApp(opts: { kind?: DbKind; env?: Record<string, string> } = {}): Promise<TestApp> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-test-'));
  const config = localConfig(port, dataDir, {
    LOG_LEVEL: 'info',
    JOB_POLL_INTERVAL_SECONDS: '1',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...opts.env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      cb();
    },
  });
  const db = await createTestDatabase(opts.kind ?? 'pglite');
  const runtime = await startRuntime(config, { log: createLogger('info', sink), db: db.db });
  return {
    runtime,
    url: runtime.url,
    logs,
    db,
    async close() {
      await runtime.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
