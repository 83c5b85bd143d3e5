import type { Queryable } from '../db/database.ts';
import * as repo from '../db/repos/idempotency.ts';

export type { Reservation, StoredResponse } from '../db/repos/idempotency.ts';

/**
 * The Idempotency-Key store as the HTTP layer uses it: reserve a key for a request, keep its
 * answer, give it up, and sweep expired keys. Rows in PostgreSQL, so every instance sees them.
 */
export class IdempotencyKeys {
  constructor(private readonly db: Queryable) {}
  reserve(r: Parameters<typeof repo.reserve>[1]): Promise<repo.Reservation> {
    return repo.reserve(this.db, r);
  }
  complete(ownerId: string, key: string, response: repo.StoredResponse): Promise<void> {
    return repo.complete(this.db, ownerId, key, response);
  }
  release(ownerId: string, key: string): Promise<void> {
    return repo.release(this.db, ownerId, key);
  }
  sweep(): Promise<number> {
    return repo.deleteExpired(this.db);
  }
}
