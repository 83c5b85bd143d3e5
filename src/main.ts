import { ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './observability/logger.ts';
import { startRuntime } from './runtime.ts';

/**
 * `npm start`. SIGTERM or SIGINT starts a graceful shutdown (no new requests, in-flight requests
 * and jobs finish, the database closes); a second signal, or SHUTDOWN_TIMEOUT_MS, forces the exit.
 */
let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger(config.logLevel);
const runtime = await startRuntime(config, { log }).catch((err) => {
  log.fatal({ err }, 'LeadsCalendar failed to start');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting now');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1000);
    force.unref();
    runtime.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
