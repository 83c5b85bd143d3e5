import { ConfigError, loadConfig, type Config } from './config/env.ts';
import { createLogger } from './observability/logger.ts';
import { startRuntime } from './runtime.ts';
import { createShutdown } from './shutdown.ts';
import { setFlagsFromString } from 'node:v8';

/**
 * `npm start`. SIGTERM or SIGINT starts a graceful shutdown (no new requests, in-flight requests
 * and jobs finish, the database closes); a second signal, or SHUTDOWN_TIMEOUT_MS, forces the exit.
 */
// The embedded database is 9 MB of WebAssembly. V8's optimising tier recompiles it in the
// background at every start: ~70 MB more resident memory and a second of CPU that the start
// competes with, for faster queries than a small server needs. Liftoff's code is enough.
// (Takes effect here because PGlite compiles its module only when the database is opened.)
setFlagsFromString('--liftoff-only');

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

const shutdown = createShutdown({ close: () => runtime.close(), timeoutMs: config.shutdownTimeoutMs, exit: (code) => process.exit(code), log });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => shutdown({ signal }));
if (process.channel) {
  if (launcherGone) shutdown({ reason: 'launcher gone' });
  // A launcher that asked us to stop may go first; that is not a second signal.
  else process.once('disconnect', () => shutdown.stopping || shutdown({ reason: 'launcher gone' }));
}
