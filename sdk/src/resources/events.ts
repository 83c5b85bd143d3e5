import type { components } from '../api.gen.ts';
import { CursorList } from '../pagination.ts';
import { readEvents, type StreamMessage } from '../sse.ts';
import type { CreatedEvent, CreateEventParams, Event, EventWithHistory, QueryOf } from '../types.ts';
import { seg, type Call, type PostOptions } from './base.ts';

export type EventListParams = Omit<QueryOf<'/api/v1/events', 'get'>, 'cursor'>;

export type Receipt = components['schemas']['Receipt'];

/** Opens a Server-Sent Events stream of a path (the Transport's `stream`). */
export type OpenStream = (path: string, headers: Record<string, string>, signal?: AbortSignal) => Promise<ReadableStream<Uint8Array>>;

export class Events {
  constructor(
    private readonly call: Call,
    private readonly openStream: OpenStream,
  ) {}

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

  /** The event as an iCalendar file (text/calendar), once it is paid. */
  calendarFile(id: string): Promise<string> {
    return this.call('GET', `/api/v1/events/${seg(id)}/calendar.ics`);
  }

  /** The receipt of the payment that paid the event. */
  receipt(id: string): Promise<Receipt> {
    return this.call('GET', `/api/v1/events/${seg(id)}/receipt`);
  }

  /**
   * The event's live status: a `snapshot` first (or, with `lastEventId`, only what came after it),
   * then a `change` for each new audit entry. Stop with `signal` or by leaving the loop.
   */
  async *stream(id: string, opts: { lastEventId?: string; signal?: AbortSignal } = {}): AsyncGenerator<StreamMessage> {
    const body = await this.openStream(`/api/v1/events/${seg(id)}/stream`, opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}, opts.signal);
    try {
      yield* readEvents(body);
    } finally {
      await body.cancel().catch(() => undefined);
    }
  }
}
