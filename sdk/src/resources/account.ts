import type { Availability, AvailabilityParams, Calendar, Me, RecurrencePreview, RecurrencePreviewParams } from '../types.ts';
import type { Call, PostOptions } from './base.ts';

export class Account {
  constructor(private readonly call: Call) {}
  /** Who the credentials belong to, and the state of their Google connection. */
  me(): Promise<Me> {
    return this.call('GET', '/api/v1/me');
  }
  /** Revokes LeadsCalendar's access at Google and forgets the tokens. */
  async disconnectGoogle(opts: PostOptions = {}): Promise<void> {
    await this.call('POST', '/api/v1/google/disconnect', { idempotencyKey: opts.idempotencyKey });
  }
}

export class Calendars {
  constructor(private readonly call: Call) {}
  /** Your writable Google calendars, primary first. */
  async list(): Promise<Calendar[]> {
    return (await this.call<{ calendars: Calendar[] }>('GET', '/api/v1/calendars')).calendars;
  }
  /** Busy periods overlapping a time (a warning, never a refusal by default). */
  availability(params: AvailabilityParams, opts: PostOptions = {}): Promise<Availability> {
    return this.call('POST', '/api/v1/availability', { body: params, idempotencyKey: opts.idempotencyKey });
  }
}

export class Recurrence {
  constructor(private readonly call: Call) {}
  /** The next occurrences of a recurrence rule in its time zone. */
  preview(params: RecurrencePreviewParams, opts: PostOptions = {}): Promise<RecurrencePreview> {
    return this.call('POST', '/api/v1/recurrence/preview', { body: params, idempotencyKey: opts.idempotencyKey });
  }
}
