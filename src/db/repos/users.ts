import type { Queryable } from '../database.ts';

/** Users, keyed by Google's `sub` (an email can change hands; a sub cannot). */

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
}

export async function upsertGoogleUser(
  q: Queryable,
  u: { sub: string; email: string; name: string | null; picture: string | null },
): Promise<string> {
  const [row] = await q.query<{ id: string }>(
    `insert into users (google_sub, email, name, picture_url) values ($1, $2, $3, $4)
     on conflict (google_sub) do update set email = excluded.email, name = excluded.name,
       picture_url = excluded.picture_url, updated_at = now()
     returning id`,
    [u.sub, u.email, u.name, u.picture],
  );
  return row!.id;
}

export async function findUser(q: Queryable, id: string): Promise<UserRecord | null> {
  const [row] = await q.query<UserRecord>('select id, email, name from users where id = $1', [id]);
  return row ?? null;
}

/** The Google account (`sub`) a user is, with the address to name it by. */
export async function findGoogleAccount(q: Queryable, id: string): Promise<{ sub: string; email: string } | null> {
  const [row] = await q.query<{ sub: string; email: string }>('select google_sub as sub, email from users where id = $1', [id]);
  return row ?? null;
}
