import type { Database } from '../db/database.ts';
import { findUser, type UserRecord } from '../db/repos/users.ts';
import { AppError } from '../errors.ts';

export type { UserRecord } from '../db/repos/users.ts';

/** The people who signed in. */
export class Users {
  constructor(private readonly db: Database) {}

  /** The signed-in user; a session whose user was deleted reads as signed out. */
  async get(id: string): Promise<UserRecord> {
    const user = await findUser(this.db, id);
    if (!user) throw new AppError('unauthorized', 'Sign in with Google first.');
    return user;
  }
}
