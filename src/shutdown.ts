import type { Logger } from './observability/logger.ts';

export interface ShutdownOptions {
  /** The graceful part: stop taking requests, finish in-flight work, close the database. */
  close(): Promise<void>;
  /** SHUTDOWN_TIMEOUT_MS: past it, counted from the first signal, the process exits anyway. */
  timeoutMs: number;
  exit(code: number): void;
  log: Logger;
}

/**
 * The process's stop policy, apart from process globals so that it can be tested on a fake clock:
 * the first call starts a graceful close; a second call, or `timeoutMs` passing, exits with 1 at
 * once. Exactly `timeoutMs`, as operations.md promises, with no grace added on top: the
 * orchestrator's hard kill is planned from that number.
 */
export function createShutdown(opts: ShutdownOptions): { (reason: Record<string, unknown>): void; readonly stopping: boolean } {
  let stopping = false;
  const shutdown = (reason: Record<string, unknown>) => {
    if (stopping) {
      opts.log.warn(reason, 'second signal: exiting now');
      opts.exit(1);
      return;
    }
    stopping = true;
    opts.log.info(reason, 'shutting down');
    const force = setTimeout(() => {
      opts.log.error({ timeoutMs: opts.timeoutMs }, 'shutdown timed out: exiting now');
      opts.exit(1);
    }, opts.timeoutMs);
    force.unref();
    opts.close().then(
      () => {
        clearTimeout(force);
        opts.exit(0);
      },
      (err) => {
        clearTimeout(force);
        opts.log.error({ err }, 'shutdown failed');
        opts.exit(1);
      },
    );
  };
  return Object.defineProperty(shutdown, 'stopping', { get: () => stopping }) as typeof shutdown & { readonly stopping: boolean };
}
