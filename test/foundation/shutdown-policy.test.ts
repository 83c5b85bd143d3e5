import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it, mock } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { createShutdown } from '../../src/shutdown.ts';

/** The stop policy of src/main.ts, on a fake clock: operations.md's promise to the minute. */

const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function policy(close: () => Promise<void>, timeoutMs = 15_000) {
  const exits: number[] = [];
  const shutdown = createShutdown({ close, timeoutMs, exit: (code) => void exits.push(code), log: quiet });
  return { shutdown, exits };
}

describe('shutdown policy', () => {
  it('forces the exit exactly SHUTDOWN_TIMEOUT_MS after the first signal, not later', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { shutdown, exits } = policy(() => new Promise(() => {}), 15_000);
      shutdown({ signal: 'SIGTERM' });
      assert.equal(shutdown.stopping, true);
      mock.timers.tick(14_999);
      assert.deepEqual(exits, [], 'not before the timeout');
      mock.timers.tick(1);
      assert.deepEqual(exits, [1], 'forced, with code 1, at the timeout');
    } finally {
      mock.timers.reset();
    }
  });

  it('exits 0 once the graceful close finishes, and the timer no longer fires', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let done!: () => void;
      const { shutdown, exits } = policy(() => new Promise<void>((r) => (done = r)), 1_000);
      shutdown({ signal: 'SIGTERM' });
      done();
      await new Promise((r) => setImmediate(r));
      mock.timers.tick(5_000);
      assert.deepEqual(exits, [0]);
    } finally {
      mock.timers.reset();
    }
  });

  it('exits 1 at once on a second signal, and when the close fails', async () => {
    const first = policy(() => new Promise(() => {}));
    first.shutdown({ signal: 'SIGTERM' });
    first.shutdown({ signal: 'SIGINT' });
    assert.deepEqual(first.exits, [1]);

    const failing = policy(() => Promise.reject(new Error('database gone')));
    failing.shutdown({ signal: 'SIGTERM' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(failing.exits, [1]);
  });
});
