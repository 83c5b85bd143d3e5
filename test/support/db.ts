import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

/**
 * Test databases. Every test gets its own: PGlite in memory (cloned from a per-process template so
 * initdb runs once), or a fresh database on the PostgreSQL server at TEST_DATABASE_URL
 * (default: the local server's `test` database, trust auth). Under CI=true the server is required.
 */

export type DbKind = 'pglite' | 'postgres';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return reachable;
}

/** The kinds to run database tests on; throws under CI=true when the server is unreachable. */
export async function dbKinds(): Promise<DbKind[]> {
  if (await postgresReachable()) return ['pglite', 'postgres'];
  if (process.env.CI === 'true') throw new Error(`CI=true but PostgreSQL is unreachable at ${ADMIN_URL}`);
  process.stderr.write(`# PostgreSQL unreachable at ${ADMIN_URL}: database tests run on PGlite only\n`);
  return ['pglite'];
}

let template: Promise<Blob> | undefined;

export interface TestDatabase {
  db: Database;
  /** A connection string to the same database (postgres only), for a second instance. */
  url?: string;
  close(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind, opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = opts.migrated ?? true;
  if (kind === 'pglite') {
    if (!migrated) {
      const db = await openPglite();
      return { db, close: () => db.close() };
    }
    template ??= (async () => {
      const t = await openPglite();
      await migrate(t);
      const blob = await t.pglite.dumpDataDir('none');
      await t.close();
      return blob;
    })();
    const db = await openPglite({ loadDataDir: await template });
    return { db, close: () => db.close() };
  }
  const name = `lc_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  // Two test processes creating databases at once can both copy template1: PostgreSQL then refuses
  // one with 55006 (template1 is being accessed by other users). Waiting a moment is enough.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`create database ${name}`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt === 10) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), max: 10 });
  if (migrated) await migrate(db);
  return {
    db,
    url: url.toString(),
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
