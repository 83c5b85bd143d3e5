import type { components } from '../api.gen.ts';
import { CursorList } from '../pagination.ts';
import { seg, type Call, type PostOptions } from './base.ts';

type S = components['schemas'];

/** Where LeadsCalendar sends signed webhooks, and the log of what it sent. */
export class WebhookEndpoints {
  constructor(private readonly call: Call) {}
  /** Adds an endpoint; the answer holds its signing secret, shown this once. */
  create(params: S['CreateWebhookEndpoint'], opts: PostOptions = {}): Promise<S['WebhookEndpointWithSecret']> {
    return this.call('POST', '/api/v1/webhook-endpoints', { body: params, idempotencyKey: opts.idempotencyKey });
  }
  async list(): Promise<S['WebhookEndpoint'][]> {
    return (await this.call<S['WebhookEndpointList']>('GET', '/api/v1/webhook-endpoints')).endpoints;
  }
  get(id: string): Promise<S['WebhookEndpoint']> {
    return this.call('GET', `/api/v1/webhook-endpoints/${seg(id)}`);
  }
  update(id: string, params: S['UpdateWebhookEndpoint']): Promise<S['WebhookEndpoint']> {
    return this.call('PATCH', `/api/v1/webhook-endpoints/${seg(id)}`, { body: params });
  }
  async delete(id: string): Promise<void> {
    await this.call('DELETE', `/api/v1/webhook-endpoints/${seg(id)}`);
  }
  /** A new secret; the old one still verifies for the overlap the server allows (24 h by default). */
  rotateSecret(id: string, opts: PostOptions = {}): Promise<S['WebhookEndpointWithSecret']> {
    return this.call('POST', `/api/v1/webhook-endpoints/${seg(id)}/rotate-secret`, { idempotencyKey: opts.idempotencyKey });
  }
  /** Every delivery attempt to the endpoint, newest first. */
  deliveries(id: string, params: { limit?: number } = {}): CursorList<S['WebhookDelivery']> {
    return new CursorList(async (cursor) => {
      const page = await this.call<S['WebhookDeliveryList']>('GET', `/api/v1/webhook-endpoints/${seg(id)}/deliveries`, { query: { ...params, cursor } });
      return { items: page.deliveries, nextCursor: page.nextCursor };
    });
  }
  /** Sends a delivery's event again, now; answers with the new attempt. */
  redeliver(deliveryId: string, opts: PostOptions = {}): Promise<S['WebhookDelivery']> {
    return this.call('POST', `/api/v1/webhook-deliveries/${seg(deliveryId)}/redeliver`, { idempotencyKey: opts.idempotencyKey });
  }
}
