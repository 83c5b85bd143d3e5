/**
 * The one database port. Both drivers (PGlite embedded, a PostgreSQL server through `pg`) speak
 * the same SQL dialect and return the same value types: int8 as bigint, timestamptz as Date,
 * numeric as string, json/jsonb parsed.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * Runs a script of several statements without parameters (migrations, pg-boss plans) and
   * returns the rows of the last statement.
   */
  exec<R = Record<string, unknown>>(script: string): Promise<R[]>;
}

export interface Tx extends Queryable {
  /** Runs after COMMIT succeeds, never after a rollback; used to wake job workers at once. */
  afterCommit(fn: () => void): void;
}

/** What a subscriber to a notification channel is told. */
export interface ChannelListener {
  /** A NOTIFY on the channel, delivered once its transaction committed. */
  onPayload(payload: string): void;
  /**
   * Notifications may have been lost (the listening connection dropped and is back): whatever
   * the subscriber derives from them must be read again from the tables.
   */
  onResync?(): void;
  /** The listening connection dropped, or reconnecting failed (it keeps trying). */
  onError?(err: Error): void;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `channel` (PostgreSQL LISTEN): notifications committed by this process or, on a
   * server, by any other instance on the database. Resolves once listening; the returned function
   * unsubscribes. Closing the database ends every subscription.
   */
  listen(channel: string, listener: ChannelListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Collects after-commit callbacks for one transaction; shared by both drivers. */
export class CommitHooks {
  #hooks: (() => void)[] = [];
  add(fn: () => void) {
    this.#hooks.push(fn);
  }
  run() {
    for (const fn of this.#hooks.splice(0)) {
      try {
        fn();
      } catch {
        // A hook is a nudge, never part of the unit of work; polling covers a lost one.
      }
    }
  }
}

/** PostgreSQL error code for unique_violation, the same from both drivers. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | undefined;
  return e?.code === UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}
