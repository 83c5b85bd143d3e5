import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { fork } from 'node:child_process';
import { chmodSync, closeSync, fsyncSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitHooks, type ChannelListener, type Database, type Queryable, type Tx } from './database.ts';

const parsers = {
  [types.INT8]: (v: string) => BigInt(v),
};

/**
 * PGlite's own start parameters, changed for durability and memory (docs/operations.md says what
 * this promises):
 * - without `-F`, fsync is on, and with `wal_sync_method=open_datasync` PostgreSQL opens its WAL
 *   with O_DSYNC, which PGlite's file system maps to a real O_SYNC open: a commit returns only
 *   once its WAL record is on disk. (PGlite's default, `-F`, is fsync off.)
 * - shared_buffers 16 MB instead of 128 MB: the buffer pool lives in the WebAssembly heap, which
 *   never shrinks; a small server's working set fits, and the OS page cache sits behind it anyway.
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams.filter((p) => p !== '-F'),
  '-c', 'wal_sync_method=open_datasync',
  '-c', 'shared_buffers=16MB',
];

function wrap(q: PGlite | Transaction): Queryable {
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const res = await q.query<R>(text, params as unknown[] | undefined);
      return res.rows;
    },
    async exec<R>(script: string) {
      const results = await q.exec(script);
      return (results.at(-1)?.rows ?? []) as R[];
    },
  };
}

export interface PgliteOptions {
  /** A folder on disk; omit for an in-memory database. */
  dataDir?: string;
  /** A data-folder tarball to start from (see PGlite dumpDataDir), used by tests to skip initdb. */
  loadDataDir?: Blob | File;
}

export async function openPglite(opts: PgliteOptions = {}): Promise<Database & { pglite: PGlite }> {
  if (opts.dataDir && !opts.loadDataDir) await prepareDataDir(resolve(opts.dataDir));
  const pglite = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    startParams: PGLITE_START_PARAMS,
    parsers,
  });
  if (opts.dataDir) {
    syncThroughToDisk(pglite);
    // Folders made before this code (files 0666), and the relation cache files PostgreSQL
    // rewrites at every start (0644 whatever the umask), become private.
    privatize(resolve(opts.dataDir), false);
  }
  const self = wrap(pglite);
  return {
    kind: 'pglite',
    pglite,
    ...self,
    async transaction<T>(fn: (tx: Tx) => Promise<T>) {
      const hooks = new CommitHooks();
      const result = await pglite.transaction(async (t) => fn({ ...wrap(t), afterCommit: (f) => hooks.add(f) }));
      hooks.run();
      return result;
    },
    // One process holds the embedded database, so every notification is this process's own and
    // none can be lost: no resync is ever needed.
    async listen(channel: string, listener: ChannelListener) {
      const unlisten = await pglite.listen(channel, (payload) => listener.onPayload(payload));
      return async () => {
        if (!pglite.closed) await unlisten();
      };
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}

const EMSCRIPTEN_EIO = 29;
const INITDB_SCRIPT = fileURLToPath(new URL(`./pglite-initdb${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const TEMP_MARK = '.init-';

/**
 * Makes `dir` a complete, private PGlite data folder, or fails leaving it absent.
 *
 * A new database is created beside the target (same file system) by a child process, flushed to
 * disk, and renamed into place only when complete: killing the server during its first start
 * leaves at most an abandoned temporary folder, never a target PGlite cannot open.
 */
async function prepareDataDir(dir: string): Promise<void> {
  // PGlite creates every file through its emulated file system with mode 0666 and offers no hook:
  // the process umask is the one lever. Nothing this process writes is meant for other users.
  process.umask(process.umask() | 0o077);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  await removeAbandoned(parent, basename(dir));
  if (await isEmptyOrMissing(dir)) {
    const temp = join(parent, `.${basename(dir)}${TEMP_MARK}${process.pid}-${Date.now()}`);
    try {
      await runInitdb(temp);
      privatize(temp, true);
      try {
        await rmdir(dir).catch((err) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
        await rename(temp, dir);
      } catch (err) {
        // Another instance sharing this folder finished first: use its database.
        if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
      fsyncPath(parent);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** Temporary folders left by a start that died: their owner's pid is in the name. */
async function removeAbandoned(parent: string, name: string): Promise<void> {
  const prefix = `.${name}${TEMP_MARK}`;
  for (const entry of await readdir(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    await rm(join(parent, entry), { recursive: true, force: true }).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runInitdb(dir: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const stderr: Buffer[] = [];
    const child = fork(INITDB_SCRIPT, [dir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolveRun();
      else reject(new Error(`creating the embedded database failed (${signal ?? `exit code ${code}`}): ${Buffer.concat(stderr).toString('utf8').trim().slice(-2000)}`));
    });
  });
}

/**
 * 0700 folders, 0600 files; with `flush`, every file and folder also reaches the disk.
 * Synchronous on purpose: it runs at start, before anything is served, over ~1,000 entries, and
 * one promise per lstat made it several times slower.
 */
function privatize(path: string, flush: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  const want = st.isDirectory() ? 0o700 : 0o600;
  if ((st.mode & 0o777) !== want) chmodSync(path, want);
  if (st.isDirectory()) for (const entry of readdirSync(path)) privatize(join(path, entry), flush);
  if (flush) fsyncPath(path);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * PGlite's Node file system writes through to the OS but implements fsync() as a no-op, so
 * PostgreSQL's checkpoints (data files, pg_control, directories) would never reach the disk.
 * Give the file system's stream operations a real fsync; the operations object is shared by
 * every file of the mount, so one file's is enough.
 */
function syncThroughToDisk(pglite: PGlite): void {
  const FS = pglite.Module.FS as unknown as { lookupPath(p: string): { node: { stream_ops: Record<string, unknown> } } };
  const ops = FS.lookupPath('/pglite/data/PG_VERSION').node.stream_ops as {
    fsync?: (stream: { nfd?: number }) => number;
  };
  ops.fsync = (stream) => {
    if (stream.nfd === undefined) return 0;
    try {
      fsyncSync(stream.nfd);
      return 0;
    } catch {
      return EMSCRIPTEN_EIO; // PostgreSQL treats a failed fsync as fatal, as it must
    }
  };
}
