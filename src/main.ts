import { ConfigError, loadConfig, type Config } from './config/env.ts';
import { createLogger } from './observability/logger.ts';
import { startRuntime } from './runtime.ts';

/**
 * `npm start`. SIGTERM or SIGINT starts a graceful shutdown (no new requests, in-flight requests
 * and jobs finish, the database closes); a second signal, or SHUTDOWN_TIMEOUT_MS, forces the exit.
 */
let config: Config;
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
// Started by the launcher (an IPC channel): if the launcher dies without stopping us, nobody else
// will; stop as if told to, rather than linger holding the port and the data folder.
let launcherGone = false;
if (process.channel) process.once('disconnect', () => (launcherGone = true));
const runtime = await startRuntime(config, { log }).catch((err) => {
  log.fatal({ err }, 'LeadsCalendar failed to start');
  process.exit(1);
});

let stopping = false;
function shutdown(reason: Record<string, unknown>) {
  if (stopping) {
    log.warn(reason, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  log.info(reason, 'shutting down');
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
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => shutdown({ signal }));
if (process.channel) {
  if (launcherGone) shutdown({ reason: 'launcher gone' });
  else process.once('disconnect', () => stopping || shutdown({ reason: 'launcher gone' }));
}
