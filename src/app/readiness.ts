import type { Database } from '../db/database.ts';
import { pendingMigrations, type Migration } from '../db/migrate.ts';
import { ping } from '../db/repos/health.ts';

export interface ReadinessReport {
  ready: boolean;
  database: 'ok' | 'unreachable';
  /** Migrations not yet applied; 'unknown' when the database cannot be asked. */
  pendingMigrations: string[];
}

/** Whether this instance can serve: the database answers and its schema is current. */
export class Readiness {
  constructor(
    private readonly db: Database,
    private readonly migrations: Migration[],
  ) {}

  async check(): Promise<ReadinessReport> {
    const database = (await ping(this.db)) ? ('ok' as const) : ('unreachable' as const);
    const pending = database === 'ok' ? await pendingMigrations(this.db, this.migrations) : ['unknown'];
    return { ready: database === 'ok' && pending.length === 0, database, pendingMigrations: pending };
  }
}
