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

  /** Refunds a payment in full; a confirmed event it paid for is cancelled. */
  refund(id: string, opts: PostOptions = {}): Promise<Payment> {
    return this.call('POST', `/api/v1/payments/${seg(id)}/refund`, { idempotencyKey: opts.idempotencyKey });
  }
}
