import { CursorList } from '../pagination.ts';
import type { Payment, PaymentWithHistory, QueryOf, StartPaymentParams } from '../types.ts';
import { seg, type Call, type PostOptions } from './base.ts';

export type PaymentListParams = Omit<QueryOf<'/api/v1/payments', 'get'>, 'cursor'>;

export class Payments {
  constructor(private readonly call: Call) {}

  /** Starts paying for an event: the order at PayPal or Binance Pay, and what the payer does next. */
  create(eventId: string, params: StartPaymentParams, opts: PostOptions = {}): Promise<Payment> {
    return this.call('POST', `/api/v1/events/${seg(eventId)}/payments`, { body: params, idempotencyKey: opts.idempotencyKey });
  }

  /** The payments of one event, oldest first. */
  async listForEvent(eventId: string): Promise<Payment[]> {
    return (await this.call<{ payments: Payment[] }>('GET', `/api/v1/events/${seg(eventId)}/payments`)).payments;
  }

  /** Your payments, newest first: await it for the first page, or `for await` every payment. */
  list(params: PaymentListParams = {}): CursorList<Payment> {
    return new CursorList(async (cursor) => {
      const page = await this.call<{ payments: Payment[]; nextCursor: string | null }>('GET', '/api/v1/payments', { query: { ...(params as Record<string, string>), cursor } });
      return { items: page.payments, nextCursor: page.nextCursor };
    });
  }

  get(id: string): Promise<PaymentWithHistory> {
    return this.call('GET', `/api/v1/payments/${seg(id)}`);
  }

  /** Cancels an open payment (created or approved, no money taken); the event keeps waiting for payment. */
  cancel(id: string, opts: PostOptions = {}): Promise<PaymentWithHistory> {
    return this.call('POST', `/api/v1/payments/${seg(id)}/cancel`, { idempotencyKey: opts.idempotencyKey });
  }

  /**
   * Takes the money of a held PayPal payment (intent AUTHORIZE) now. Refused (ConflictError,
   * `payment_capture_too_early`) until its event is on Google Calendar; it is captured by itself then.
   */
  capture(id: string, opts: PostOptions = {}): Promise<PaymentWithHistory> {
    return this.call('POST', `/api/v1/payments/${seg(id)}/capture`, { idempotencyKey: opts.idempotencyKey });
  }

  /** Releases the hold of a PayPal payment (intent AUTHORIZE): nothing is taken, and its event is cancelled. */
  void(id: string, opts: PostOptions = {}): Promise<PaymentWithHistory> {
    return this.call('POST', `/api/v1/payments/${seg(id)}/void`, { idempotencyKey: opts.idempotencyKey });
  }

  /** Refunds a payment in full; a confirmed event it paid for is cancelled. */
  refund(id: string, opts: PostOptions = {}): Promise<PaymentWithHistory> {
    return this.call('POST', `/api/v1/payments/${seg(id)}/refund`, { idempotencyKey: opts.idempotencyKey });
  }
}
