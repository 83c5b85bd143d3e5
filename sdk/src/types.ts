/**
 * The API's types, generated from its OpenAPI document (src/api.gen.ts, written by the build), and
 * the webhook events built on them.
 */
import type { components, paths } from './api.gen.ts';

type Schemas = components['schemas'];
export type { components, paths };
export type Me = Schemas['Me'];
export type Calendar = Schemas['Calendar'];
export type Event = Schemas['Event'];
export type EventWithHistory = Schemas['EventWithHistory'];
export type CreatedEvent = Schemas['CreatedEvent'];
export type CreateEventParams = Schemas['CreateEvent'];
export type AvailabilityParams = Schemas['AvailabilityRequest'];
export type Availability = Schemas['Availability'];
export type RecurrencePreviewParams = Schemas['RecurrencePreviewRequest'];
export type RecurrencePreview = Schemas['RecurrencePreview'];
export type Payment = Schemas['Payment'];
export type PaymentWithHistory = Schemas['PaymentWithHistory'];
export type StartPaymentParams = Schemas['StartPayment'];

/** The query parameters of an operation (GET lists). */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export const EVENT_WEBHOOK_TYPES = ['event.created', 'event.confirmed', 'event.failed', 'event.expired', 'event.cancelled'] as const;
export const PAYMENT_WEBHOOK_TYPES = ['payment.created', 'payment.completed', 'payment.failed', 'payment.expired', 'payment.cancelled', 'payment.refunded', 'payment.reversed'] as const;
export type EventWebhookType = (typeof EVENT_WEBHOOK_TYPES)[number];
export type PaymentWebhookType = (typeof PAYMENT_WEBHOOK_TYPES)[number];

interface WebhookEnvelope<T extends string, D> {
  /** Stable across redeliveries: deduplicate on it. */
  id: string;
  type: T;
  /** When the change happened (ISO 8601). */
  created: string;
  data: D;
}

/** A delivery's body; narrow on `type`. */
export type WebhookEvent = { [T in EventWebhookType]: WebhookEnvelope<T, Event> }[EventWebhookType] | { [T in PaymentWebhookType]: WebhookEnvelope<T, Payment> }[PaymentWebhookType];
