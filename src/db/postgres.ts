import pg from 'pg';
import { CommitHooks, type ChannelListener, type Database, type Queryable, type Tx } from './database.ts';
import { PgListener } from './pg-listener.ts';

const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === pg.types.builtins.INT8) return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function wrap(q: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const res = await q.query({ text, values: params as unknown[] | undefined, types: typeParsers });
      return res.rows as R[];
    },
    async exec<R>(script: string) {
      // Without parameters, pg uses the simple protocol, which accepts several statements and
      // answers an array of results when there was more than one.
      const res = (await q.query(script)) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(res) ? (res.at(-1)?.rows ?? []) : res.rows) as R[];
    },
  };
}

export interface PostgresOptions {
  url: string;
  max?: number;
  applicationName?: string;
}

export async function openPostgres(opts: PostgresOptions): Promise<Database & { pool: pg.Pool }> {
  const applicationName = opts.applicationName ?? 'leadscalendar';
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener the process dies.
  pool.on('error', () => {});
  const self = wrap(pool);
  await self.query('select 1');
  let closed = false;
  let listener: PgListener | null = null;
  return {
    kind: 'postgres',
    pool,
    ...self,
    async transaction<T>(fn: (tx: Tx) => Promise<T>) {
      const client = await pool.connect();
      const hooks = new CommitHooks();
      let result: T;
      try {
        await client.query('BEGIN');
        result = await fn({ ...wrap(client), afterCommit: (f) => hooks.add(f) });
        await client.query('COMMIT');
      } catch (err) {
        // A client whose ROLLBACK fails has lost its connection: it is discarded, not pooled again.
        const broken = await client.query('ROLLBACK').then(
          () => undefined,
          (e: Error) => e,
        );
        client.release(broken);
        throw err;
      }
      client.release();
      hooks.run();
      return result;
    },
    listen(channel: string, l: ChannelListener) {
      if (closed) return Promise.reject(new Error('the database is closed'));
      listener ??= new PgListener(
        { connectionString: opts.url, application_name: `${applicationName}:listen`, connectionTimeoutMillis: 10_000 },
      );
      return listener.listen(channel, l);
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener?.close();
      await pool.end();
    },
  };
}
