import type { Queryable } from '../database.ts';

/** Whether the database answers a query at all. */
export async function ping(q: Queryable): Promise<boolean> {
  return q.query('select 1').then(
    () => true,
    () => false,
  );
}
