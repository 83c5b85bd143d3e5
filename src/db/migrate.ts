import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EVENT_TRANSITIONS } from '../domain/event-state.ts';
import { PAYMENT_TRANSITIONS } from '../domain/payment-state.ts';
import type { Database, Tx } from './database.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

// Any constant works; it only has to be the same for every instance that migrates this database.
const MIGRATION_LOCK = 4_812_093_771;

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(dir + file, 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/**
 * Applies every migration not yet recorded, in one transaction under an advisory lock, so that
 * two instances starting together apply each migration once and a failure leaves nothing half-done.
 * An applied migration whose file changed stops the start: migrations are append-only.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<{ applied: string[] }> {
  const all = migrations ?? (await loadMigrations());
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = new Map(
      (await tx.query<{ version: string; checksum: string }>('select version, checksum from schema_migrations')).map((r) => [
        r.version,
        r.checksum,
      ]),
    );
    const applied: string[] = [];
    for (const m of all) {
      const known = done.get(m.version);
      if (known !== undefined) {
        if (known !== m.checksum)
          throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum]);
      applied.push(`${m.version}_${m.name}`);
    }
    await writeStateMachines(tx);
    return { applied };
  });
}

/**
 * The database's copy of the domain's transition tables, which its triggers enforce. Rewritten on
 * every start, so the domain stays the one definition. (A migration set without the table, as
 * some tests use, has nothing to write.)
 */
async function writeStateMachines(tx: Tx): Promise<void> {
  const [t] = await tx.query<{ exists: boolean }>(`select to_regclass('state_transitions') is not null as exists`);
  if (!t?.exists) return;
  const rows = [
    ...EVENT_TRANSITIONS.map(([from, to]) => ['event', from, to]),
    ...PAYMENT_TRANSITIONS.map(([from, to]) => ['payment', from, to]),
  ];
  await tx.query('delete from state_transitions');
  await tx.query(
    `insert into state_transitions (machine, from_state, to_state)
     select * from unnest($1::text[], $2::text[], $3::text[])`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  );
}

/** What /readyz asks: is every migration this code knows about applied? */
export async function pendingMigrations(db: Database, migrations: Migration[]): Promise<string[]> {
  const rows = await db
    .query<{ version: string }>('select version from schema_migrations')
    .catch(() => [] as { version: string }[]);
  const have = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !have.has(m.version)).map((m) => `${m.version}_${m.name}`);
}
