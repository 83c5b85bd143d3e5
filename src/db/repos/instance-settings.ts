import type { Queryable } from '../database.ts';

/** The instance settings admins saved, their change history, and the payment outcomes per day. */

export async function savedSettings(q: Queryable): Promise<Record<string, unknown>> {
  const rows = await q.query<{ name: string; value: unknown }>('select name, value from instance_settings');
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/**
 * Serialises saves (two admins at once): each reads the values it replaces after the other's
 * commit, so the history's old → new pairs chain without gaps. Held until the transaction ends.
 */
export async function lockSettings(q: Queryable): Promise<void> {
  await q.query('lock table instance_settings in share row exclusive mode');
}

export async function saveSetting(q: Queryable, name: string, value: unknown, userId: string): Promise<void> {
  await q.query(
    `insert into instance_settings (name, value, updated_by) values ($1, $2::jsonb, $3)
     on conflict (name) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`,
    [name, JSON.stringify(value), userId],
  );
}

export async function recordChange(q: Queryable, c: { name: string; from: string; to: string; userId: string; email: string }): Promise<void> {
  await q.query('insert into instance_settings_changes (name, old_value, new_value, changed_by, changed_by_email) values ($1, $2, $3, $4, $5)', [
    c.name,
    c.from,
    c.to,
    c.userId,
    c.email,
  ]);
}

export interface SettingChangeRecord {
  name: string;
  from: string;
  to: string;
  by: string;
  at: Date;
}

export async function recentChanges(q: Queryable, limit: number): Promise<SettingChangeRecord[]> {
  return q.query<SettingChangeRecord>(
    `select name, old_value as "from", new_value as "to", changed_by_email as "by", at
       from instance_settings_changes order by id desc limit $1`,
    [limit],
  );
}

/** Payment transitions into `states` since `since`, counted per UTC day (YYYY-MM-DD) and state. */
export async function outcomesPerDay(q: Queryable, states: readonly string[], since: Date): Promise<{ day: string; state: string; count: number }[]> {
  return q.query<{ day: string; state: string; count: number }>(
    `select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, to_state as state, count(*)::int as count
       from audit_trail
      where payment_id is not null and at >= $1 and to_state = any($2::text[])
      group by 1, 2`,
    [since, states],
  );
}
