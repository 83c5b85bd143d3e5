import type { Queryable } from '../db/database.ts';
import { listUserEvents, type EventListPosition, type EventRecord } from '../db/repos/events.ts';
import { AppError } from '../errors.ts';

export type { EventRecord } from '../db/repos/events.ts';

/**
 * A user's events, newest first, a page at a time. The cursor is opaque to clients: a position in
 * a stable order (creation instant, then id), so pages neither skip nor repeat events, even when
 * new ones arrive between two requests.
 */

export const EVENT_PAGE = { defaultLimit: 50, maxLimit: 100 } as const;

export interface EventPageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface EventPage {
  events: EventRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(p: EventListPosition): string {
  return Buffer.from(JSON.stringify({ t: p.createdAtMicros.toString(), id: p.id })).toString('base64url');
}

export function decodeCursor(cursor: string): EventListPosition {
  const refuse = () =>
    new AppError('invalid_request', 'The cursor is not one this API gave out: pass the nextCursor of the previous page unchanged.', {
      code: 'validation_failed',
      details: { errors: [{ path: 'querystring/cursor', message: 'unknown cursor', code: 'invalid_format' }] },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const { t, id } = (parsed ?? {}) as { t?: unknown; id?: unknown };
  if (typeof t !== 'string' || !/^-?\d{1,19}$/.test(t) || typeof id !== 'string' || !UUID.test(id)) throw refuse();
  return { createdAtMicros: BigInt(t), id };
}

export async function listEventPage(q: Queryable, userId: string, req: EventPageRequest): Promise<EventPage> {
  const limit = Math.min(Math.max(req.limit ?? EVENT_PAGE.defaultLimit, 1), EVENT_PAGE.maxLimit);
  const after = req.cursor === undefined ? undefined : decodeCursor(req.cursor);
  const { events, next } = await listUserEvents(q, userId, { limit, after });
  return { events, nextCursor: next ? encodeCursor(next) : null };
}
