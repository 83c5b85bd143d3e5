import { encodeState } from './codec.ts';
import type { StateDir, StateLog } from './state-dir.ts';

/**
 * Keeps `state.json` equal to the emulators' state. `flush()` resolves once everything changed
 * before the call is on disk; the server awaits it before a reply leaves, so nothing a client was
 * told is lost to a crash. Flushes coalesce: while one write runs, every later caller shares the
 * single write that follows it, which reads the state only when it starts.
 */
export class StatePersister {
  #last: string;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  /** `stored`: whether state.json already holds the current state (else the first flush writes it). */
  constructor(
    private readonly dir: StateDir,
    private readonly capture: () => unknown,
    private readonly log: StateLog,
    stored: boolean,
  ) {
    this.#last = stored ? encodeState(capture()) : '';
  }

  flush(): Promise<void> {
    if (this.#next) return this.#next;
    if (this.#running) {
      this.#next = this.#running.then(
        () => this.#start(),
        () => this.#start(),
      );
      return this.#next;
    }
    return this.#start();
  }

  /** After a reset: the fresh state is written and the copy of the old one removed. */
  async reset(): Promise<void> {
    await this.flush();
    await this.dir.dropBackup('state');
  }

  /** For changes no request waits on (webhook attempts): written soon, failures logged. */
  flushSoon(): void {
    this.flush().catch((err: unknown) => this.log.error({ err }, 'sandbox state could not be written'));
  }

  #start(): Promise<void> {
    this.#next = null;
    const text = encodeState(this.capture());
    if (text === this.#last) {
      this.#running = null;
      return Promise.resolve();
    }
    const run = this.dir.writeText('state', text).then(() => {
      this.#last = text;
    });
    this.#running = run;
    run.then(
      () => {
        if (this.#running === run) this.#running = null;
      },
      () => {
        if (this.#running === run) this.#running = null;
      },
    );
    return run;
  }
}
