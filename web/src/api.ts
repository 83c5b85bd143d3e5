// The interface's only way to the server: the public API (/api/v1), typed from its OpenAPI document.
import type { components } from './api.gen.ts';

type S = components['schemas'];
export type Me = S['Me'];
export type Event = S['Event'];
export type EventWithHistory = S['EventWithHistory'];
export type TimelineEntry = S['TimelineEntry'];
export type Payment = S['Payment'];
export type Calendar = S['Calendar'];
export type CreateEvent = S['CreateEvent'];
export type CreatedEvent = S['CreatedEvent'];
export type Availability = S['Availability'];
export type AvailabilityRequest = S['AvailabilityRequest'];
export type PreviewRequest = S['RecurrencePreviewRequest'];
export type Preview = S['RecurrencePreview'];
export type EventList = S['EventList'];
export type EventListItem = S['EventListItem'];
export type PaymentListItem = S['PaymentListItem'];
export type PaymentList = S['PaymentList'];
export type ApiKey = S['ApiKey'];
export type CreatedApiKey = S['CreatedApiKey'];
export type CreateApiKey = S['CreateApiKey'];
export type OAuthClient = S['OAuthClient'];
export type CreatedOAuthClient = S['CreatedOAuthClient'];
export type CreateOAuthClient = S['CreateOAuthClient'];
export type Problem = S['Problem'];
export type WebhookEndpoint = S['WebhookEndpoint'];
export type WebhookEndpointWithSecret = S['WebhookEndpointWithSecret'];
export type WebhookDelivery = S['WebhookDelivery'];
export type WebhookDeliveryList = S['WebhookDeliveryList'];
export type WebhookType = S['WebhookType'];
export type CreateWebhookEndpoint = S['CreateWebhookEndpoint'];
export type UpdateWebhookEndpoint = S['UpdateWebhookEndpoint'];
export type Receipt = S['Receipt'];
export type EventState = Event['state'];
export type PaymentStatus = Payment['status'];
export type Provider = Payment['provider'];
export type InstanceSettings = S['InstanceSettings'];
export type AdminSettings = S['AdminSettings'];
export type PaymentsPerDay = S['PaymentsPerDay'];

/** An API answer that is not 2xx; `problem` is its problem document when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? `HTTP ${status}`);
  }
}

let csrfToken: string | null = null;
// The server's clock minus this one's, from each answer's Date header: countdowns to the server's
// deadlines must not depend on how this computer's clock is set.
let clockOffset = 0;
export const serverNow = () => Date.now() + clockOffset;

async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(csrfToken && method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  // The header has whole seconds: half a second is added back, and a difference below the
  // header's precision is taken as none.
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isFinite(date)) {
    const skew = date + 500 - Date.now();
    clockOffset = Math.abs(skew) > 1500 ? skew : 0;
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data && typeof data === 'object' && 'code' in data ? (data as Problem) : null);
  return data as T;
}

const enc = encodeURIComponent;
/** `?a=1&b=2` from the entries that have a value; '' when none has. */
function search(query: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => !!e[1]));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export const api = {
  async me(): Promise<Me | null> {
    try {
      const me = await call<Me>('GET', '/api/v1/me');
      csrfToken = me.csrfToken;
      return me;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  calendars: () => call<{ calendars: Calendar[] }>('GET', '/api/v1/calendars'),
  /** A page of events; `query` holds the filters (state, from, to, limit) and the cursor. */
  events: (query: Record<string, string | undefined> = {}) => call<EventList>('GET', `/api/v1/events${search(query)}`),
  /** A page of the person's payments across their events (status, provider, eventId, sort, limit, cursor). */
  allPayments: (query: Record<string, string | undefined> = {}) => call<PaymentList>('GET', `/api/v1/payments${search(query)}`),
  event: (id: string) => call<EventWithHistory>('GET', `/api/v1/events/${enc(id)}`),
  payments: (id: string) => call<PaymentList>('GET', `/api/v1/events/${enc(id)}/payments`),
  createEvent: (body: CreateEvent) => call<CreatedEvent>('POST', '/api/v1/events', body),
  availability: (body: AvailabilityRequest) => call<Availability>('POST', '/api/v1/availability', body),
  preview: (body: PreviewRequest) => call<Preview>('POST', '/api/v1/recurrence/preview', body),
  pay: (id: string, provider: Provider) => call<Payment>('POST', `/api/v1/events/${enc(id)}/payments`, { provider }),
  cancel: (id: string) => call<Event>('POST', `/api/v1/events/${enc(id)}/cancel`),
  /** Closes an open payment (no money taken); the event keeps waiting for payment. */
  cancelPayment: (paymentId: string) => call<Payment>('POST', `/api/v1/payments/${enc(paymentId)}/cancel`),
  receipt: (id: string) => call<Receipt>('GET', `/api/v1/events/${enc(id)}/receipt`),
  /** A link, not a call: the browser downloads the file itself (the session cookie goes with it). */
  calendarFileUrl: (id: string) => `/api/v1/events/${enc(id)}/calendar.ics`,
  disconnectGoogle: () => call<null>('POST', '/api/v1/google/disconnect'),
  adminSettings: () => call<AdminSettings>('GET', '/api/v1/admin/settings'),
  saveAdminSettings: (body: InstanceSettings) => call<AdminSettings>('PUT', '/api/v1/admin/settings', body),
  paymentsPerDay: (days: number) => call<PaymentsPerDay>('GET', `/api/v1/admin/payments-per-day?days=${days}`),
  apiKeys: () => call<{ apiKeys: ApiKey[] }>('GET', '/api/v1/api-keys'),
  createApiKey: (body: CreateApiKey) => call<CreatedApiKey>('POST', '/api/v1/api-keys', body),
  revokeApiKey: (id: string) => call<ApiKey>('DELETE', `/api/v1/api-keys/${enc(id)}`),
  oauthClients: () => call<{ oauthClients: OAuthClient[] }>('GET', '/api/v1/oauth-clients'),
  createOAuthClient: (body: CreateOAuthClient) => call<CreatedOAuthClient>('POST', '/api/v1/oauth-clients', body),
  revokeOAuthClient: (id: string) => call<OAuthClient>('DELETE', `/api/v1/oauth-clients/${enc(id)}`),
  webhookEndpoints: () => call<{ endpoints: WebhookEndpoint[] }>('GET', '/api/v1/webhook-endpoints'),
  createWebhookEndpoint: (body: CreateWebhookEndpoint) => call<WebhookEndpointWithSecret>('POST', '/api/v1/webhook-endpoints', body),
  updateWebhookEndpoint: (id: string, body: UpdateWebhookEndpoint) => call<WebhookEndpoint>('PATCH', `/api/v1/webhook-endpoints/${enc(id)}`, body),
  deleteWebhookEndpoint: (id: string) => call<null>('DELETE', `/api/v1/webhook-endpoints/${enc(id)}`),
  rotateWebhookSecret: (id: string) => call<WebhookEndpointWithSecret>('POST', `/api/v1/webhook-endpoints/${enc(id)}/rotate-secret`),
  webhookDeliveries: (id: string, cursor?: string | null) =>
    call<WebhookDeliveryList>('GET', `/api/v1/webhook-endpoints/${enc(id)}/deliveries?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`),
  redeliverWebhook: (deliveryId: string) => call<WebhookDelivery>('POST', `/api/v1/webhook-deliveries/${enc(deliveryId)}/redeliver`),
  csrfToken: () => csrfToken,
};
