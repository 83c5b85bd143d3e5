import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import { CommitHooks, type Database, type Queryable, type Tx } from './database.ts';

const parsers = {
  [types.INT8]: (v: string) => BigInt(v),
};

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
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    parsers,
  });
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
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
