import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { startRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.ts';
import { startSandbox } from '../../sandbox/server.ts';
import { freePort, localConfig } from '../support/app.ts';
import { openLogFile } from '../support/log-files.ts';

/**
 * One more app instance, as a load balancer would have beside others: its own port, sandbox and
 * data folder, on the database and runtime options it is given (a DATABASE_URL shared with
 * another instance, a Redis).
 */
export async function startInstance(env: Record<string, string>, opts: Omit<RuntimeOptions, 'log'> = {}): Promise<{ runtime: Runtime; url: string; close(): Promise<void> }> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-test-'));
  // Kept out of the test's output, but on disk for the log scan.
  const file = openLogFile('instance');
  const quiet = new Writable({
    write: (chunk, _enc, cb) => {
      file.write(String(chunk));
      cb();
    },
  });
  const sandbox = await startSandbox({ host: '127.0.0.1', port: 0 });
  const runtime = await startRuntime(localConfig(port, dataDir, sandbox, { LOG_LEVEL: 'warn', JOB_POLL_INTERVAL_SECONDS: '1', SHUTDOWN_TIMEOUT_MS: '5000', ...env }), {
    ...opts,
    log: createLogger('warn', quiet),
  }).catch(async (err) => {
    await sandbox.close();
    throw err;
  });
  return {
    runtime,
    url: runtime.url,
    async close() {
      await runtime.close();
      await sandbox.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
