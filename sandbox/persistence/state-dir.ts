import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeState, encodeState } from './codec.ts';

/**
 * The sandbox's data folder: one JSON document per name (`state.json`, `keys.json`), private to
 * the user (folder 0700, files 0600).
 *
 * A write is atomic and durable before it resolves: the new text goes to a temporary file that is
 * fsynced, the current file is kept as `<name>.json.bak`, the temporary file is renamed into place
 * and the folder is fsynced. A crash at any point leaves either the new file or the previous one.
 *
 * Reading falls back to the last good copy: a file that does not parse (edited by hand, damaged
 * disk) is moved aside as `<name>.json.corrupt-<time>` with a warning, and the `.bak` copy is read
 * instead; when neither is usable the caller starts afresh.
 */
/** Where warnings go: the sandbox's pino logger, or process warnings when it has none. */
export interface StateLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class StateDir {
  private constructor(
    readonly dir: string,
    private readonly log: StateLog,
  ) {}

  static open(dir: string, log: StateLog): StateDir {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; the state holds tokens and private keys.
    chmodSync(dir, 0o700);
    lock(join(dir, 'lock'));
    for (const name of ['state', 'keys']) {
      for (const file of [`${name}.json`, `${name}.json.bak`]) {
        if (existsSync(join(dir, file))) chmodSync(join(dir, file), 0o600);
      }
    }
    return new StateDir(dir, log);
  }

  /** Lets another process use the folder. */
  release(): void {
    rmSync(join(this.dir, 'lock'), { force: true });
  }

  #path(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /**
   * Hands the stored value to `accept` (which throws on a value it cannot use) and says which copy
   * was taken: null when nothing is stored yet, or no copy parses and is accepted.
   */
  read(name: string, accept: (value: unknown) => void): 'current' | 'backup' | null {
    const current = this.#path(name);
    for (const file of [current, `${current}.bak`]) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        accept(decodeState(text));
        if (file !== current) this.log.warn({ file }, `sandbox state: using the last good copy ${file}`);
        return file === current ? 'current' : 'backup';
      } catch (err) {
        const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        renameSync(file, aside);
        this.log.warn(
          { file, movedTo: aside, reason: (err as Error).message },
          `sandbox state: ${file} is unreadable (${(err as Error).message}); moved aside to ${aside}`,
        );
      }
    }
    return null;
  }

  /** Atomically replaces the stored value; resolves once it is on disk. */
  async write(name: string, value: unknown): Promise<void> {
    await this.writeText(name, encodeState(value));
  }

  /** Removes the last good copy (after a reset, the state before it must not come back). */
  async dropBackup(name: string): Promise<void> {
    await rm(`${this.#path(name)}.bak`, { force: true });
  }

  async writeText(name: string, text: string): Promise<void> {
    const target = this.#path(name);
    const tmp = `${target}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(target, `${target}.bak`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await rename(tmp, target);
    // The renames are durable only once the folder's own entry list is.
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * One sandbox per folder: two would overwrite each other's state. The lock names its process; a
 * lock whose process is gone (killed) is taken over.
 */
function lock(path: string): void {
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new Error(`the sandbox data folder ${path.replace(/[/\\]lock$/, '')} is in use by process ${holder}`);
    }
    rmSync(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
