import { CursorList } from '../pagination.ts';
import type { CreatedEvent, CreateEventParams, Event, EventWithHistory, QueryOf } from '../types.ts';
import { seg, type Call, type PostOptions } from './base.ts';

export type EventListParams = Omit<QueryOf<'/api/v1/events', 'get'>, 'cursor'>;

export class Events {
  constructor(private readonly call: Call) {}

  /** Creates an event waiting for payment; it goes to Google Calendar once paid. */
  create(params: CreateEventParams, opts: PostOptions = {}): Promise<CreatedEvent> {
    return this.call('POST', '/api/v1/events', { body: params, idempotencyKey: opts.idempotencyKey });
  }

  /** Your events, newest first: await it for the first page, or `for await` every event. */
  list(params: EventListParams = {}): CursorList<Event> {
    return new CursorList(async (cursor) => {
      const page = await this.call<{ events: Event[]; nextCursor: string | null }>('GET', '/api/v1/events', { query: { ...(params as Record<string, string>), cursor } });
      return { items: page.events, nextCursor: page.nextCursor };
    });
  }

  /** One event with its audit trail. */
  get(id: string): Promise<EventWithHistory> {
    return this.call('GET', `/api/v1/events/${seg(id)}`);
  }

  /** Cancels an event: at once while unpaid; a confirmed one is refunded, then cancelled. */
  cancel(id: string, opts: PostOptions = {}): Promise<Event> {
    return this.call('POST', `/api/v1/events/${seg(id)}/cancel`, { idempotencyKey: opts.idempotencyKey });
  }
}
