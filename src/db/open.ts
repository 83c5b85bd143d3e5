import type { Config } from '../config/env.ts';
import type { Database } from './database.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export async function openDatabase(db: Config['database']): Promise<Database> {
  return db.kind === 'postgres' ? openPostgres({ url: db.url }) : openPglite({ dataDir: db.dataDir });
}
