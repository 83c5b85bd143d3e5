import { z } from 'zod';
import { EVENT_STATES } from '../domain/event-state.ts';
import { PAYMENT_STATES } from '../domain/payment-state.ts';
import { CONNECTION_STATUSES } from '../domain/google-connection.ts';
import { SEND_UPDATES } from '../domain/send-updates.ts';
import { PAYPAL_INTENTS, PROVIDERS, RATE_PATTERN, SETTING_BOUNDS, SETTING_NAMES } from '../domain/instance-settings.ts';
import { WEBHOOK_TYPES } from '../domain/webhook-types.ts';
import { EVENT_PAGE } from '../app/event-list.ts';
import { PAYMENT_PAGE, PAYMENT_SORTS } from '../app/payments.ts';

/** The public API's shapes. They validate requests and produce the OpenAPI document. */

/**
 * A string a request may carry into storage. PostgreSQL text cannot hold NUL (U+0000): refused
 * here as a 400 (`invalid_character`) instead of a 500 from the database. Every request string
 * starts from this.
 */
export const text = () =>
  z.string().refine((v) => !v.includes('\u0000'), { message: 'must not contain the NUL character (\\u0000)', params: { code: 'invalid_character' } });

const wallClock = text()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/, 'must be YYYY-MM-DD (all-day) or YYYY-MM-DDTHH:mm[:ss] local time, without offset');

export const AttendeeSchema = z
  .object({
    email: text().email(),
    displayName: text().max(200).optional(),
    optional: z.boolean().optional(),
  })
  .strict();

const ScheduleFields = {
  timeZone: text().min(1).max(64).describe('IANA time zone, e.g. Europe/London. The web interface sends the browser’s.'),
  allDay: z.boolean().default(false),
  start: wallClock.describe('Local wall-clock start (YYYY-MM-DDTHH:mm), or the first day (YYYY-MM-DD) of an all-day event.'),
  end: wallClock.describe('Local wall-clock end, or for an all-day event the day after the last day (exclusive).'),
  recurrence: z
    .array(text().max(1000))
    .max(10)
    .optional()
    .describe('RRULE, EXRULE, RDATE and EXDATE lines, as Google Calendar takes them (no DTSTART).'),
};

export const CreateEventBody = z
  .object({
    title: text().trim().min(1).max(200),
    description: text().max(4000).optional(),
    location: text().max(500).optional(),
    calendarId: text().min(1).max(300).default('primary').describe('One of your own calendars (GET /api/v1/calendars).'),
    ...ScheduleFields,
    attendees: z.array(AttendeeSchema).max(50).optional(),
    sendUpdates: z.enum(SEND_UPDATES).optional().describe('Who Google emails about the event; default from the server configuration.'),
  })
  .strict()
  .meta({ id: 'CreateEvent' });

export const AvailabilityBody = z
  .object({ calendarId: text().min(1).max(300).default('primary'), ...ScheduleFields })
  .strict()
  .meta({ id: 'AvailabilityRequest' });

export const Availability = z
  .object({
    checked: z.number().int().describe('Occurrences checked (for a recurring event, the first ones).'),
    conflicts: z.array(
      z.object({
        occurrence: z.object({ start: z.string(), end: z.string() }),
        busy: z.object({ start: z.string(), end: z.string() }),
      }),
    ),
    unavailable: z.string().optional().describe('Why the check could not run; booking is still possible.'),
  })
  .meta({ id: 'Availability' });

export const EventState = z.enum(EVENT_STATES);
export const PaymentState = z.enum(PAYMENT_STATES);

export const Event = z
  .object({
    id: z.string().uuid(),
    state: EventState,
    title: z.string(),
    description: z.string().nullable(),
    location: z.string().nullable(),
    calendarId: z.string(),
    timeZone: z.string(),
    allDay: z.boolean(),
    start: z.string().describe('Local wall-clock start as stored.'),
    end: z.string(),
    startUtc: z.string().describe('The start instant (for all-day events, the start of the first day in the zone).'),
    endUtc: z.string(),
    recurrence: z.array(z.string()),
    attendees: z.array(AttendeeSchema),
    sendUpdates: z.enum(SEND_UPDATES),
    price: z.object({ currency: z.string(), amount: z.string().describe('Decimal string, e.g. "1.00".') }),
    google: z.object({
      eventId: z.string(),
      htmlLink: z.string().nullable(),
      onCalendarAt: z.string().nullable().describe('When the event reached Google Calendar. With PayPal AUTHORIZE it is there while still `paid`, until the hold is captured.'),
    }),
    pendingUntil: z.string().describe('The payment deadline fixed at creation (now + PAYMENT_TTL_MINUTES). An event still unpaid then becomes `expired` and its open orders are closed.'),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Event' });

export const CreatedEvent = z.object({ event: Event, availability: Availability }).meta({ id: 'CreatedEvent' });

const entryFields = {
  id: z.string().describe('Increasing within the event; a live stream resumes after it (Last-Event-ID).'),
  at: z.string(),
  reason: z.string().describe('Why, in words.'),
};

export const EventTimelineEntry = z
  .object({ ...entryFields, subject: z.literal('event'), from: EventState.nullable(), to: EventState })
  .meta({ id: 'EventTimelineEntry', description: 'A change of the event’s state.' });

export const PaymentTimelineEntry = z
  .object({
    ...entryFields,
    subject: z.literal('payment'),
    paymentId: z.string().uuid(),
    provider: z.enum(['paypal', 'binance']),
    providerReference: z.string().nullable().describe('The provider’s id for what changed: the order, authorization, capture or refund.'),
    from: PaymentState.nullable(),
    to: PaymentState,
  })
  .meta({ id: 'PaymentTimelineEntry', description: 'A change of the state of one of the event’s payments.' });

export const TimelineEntry = z.discriminatedUnion('subject', [EventTimelineEntry, PaymentTimelineEntry]).meta({ id: 'TimelineEntry' });

// ── Outgoing webhooks (docs/webhooks.md) ────────────────────────────────────────────────────────

export const WebhookType = z.enum(WEBHOOK_TYPES).meta({ id: 'WebhookType' });

export const WebhookDelivery = z
  .object({
    id: z.string().uuid(),
    endpointId: z.string().uuid(),
    webhookEventId: z.string().uuid().describe('The `id` of the webhook body: the same on every attempt.'),
    type: WebhookType,
    attempt: z.number().int().describe('1 for the first attempt of this event at this endpoint; redeliveries count on.'),
    manual: z.boolean().describe('Sent again by a person (redeliver), outside the retry schedule.'),
    succeeded: z.boolean().describe('The endpoint answered 2xx.'),
    statusCode: z.number().int().nullable().describe('The endpoint’s HTTP status; null when it did not answer.'),
    durationMs: z.number().int(),
    responseExcerpt: z.string().nullable().describe('The start of the answer’s body, at most 1 kB.'),
    error: z.string().nullable().describe('Why the attempt failed: no answer in time, a refused address, a non-2xx status, a redirect.'),
    at: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

const webhookDeliveries = z.array(WebhookDelivery).describe('Every webhook delivery attempt about it, oldest first.');

const webhookTypes = z
  .array(WebhookType)
  .min(1)
  .max(WEBHOOK_TYPES.length)
  .nullable()
  .describe('The webhook types sent to this endpoint; null (or omitted at creation): every type, including types added later.');

export const WebhookEndpoint = z
  .object({
    id: z.string().uuid(),
    url: z.string(),
    description: z.string(),
    types: webhookTypes,
    enabled: z.boolean(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable().describe('Why it was disabled: by you, or after failing for the whole retry window.'),
    previousSecretExpiresAt: z.string().nullable().describe('After a rotation, the previous secret also signs until then.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().describe('The signing secret (whsec_…). Shown only in this answer: store it now.'),
}).meta({ id: 'WebhookEndpointWithSecret' });

const webhookUrl = text().url().max(2000).describe('Where deliveries are POSTed. Live mode: https, and a host with public addresses only.');

export const CreateWebhookEndpointBody = z
  .object({
    url: webhookUrl,
    description: text().max(500).optional(),
    types: webhookTypes.optional(),
  })
  .strict()
  .meta({ id: 'CreateWebhookEndpoint' });

export const UpdateWebhookEndpointBody = z
  .object({
    url: webhookUrl.optional(),
    description: text().max(500).optional(),
    types: webhookTypes.optional(),
    enabled: z.boolean().optional().describe('false: stop sending; true: send again (a disabled endpoint starts afresh).'),
  })
  .strict()
  .meta({ id: 'UpdateWebhookEndpoint' });

export const WebhookEndpointList = z.object({ endpoints: z.array(WebhookEndpoint) }).meta({ id: 'WebhookEndpointList' });

export const WebhookDeliveryList = z
  .object({
    deliveries: z.array(WebhookDelivery).describe('Newest first.'),
    nextCursor: z.string().nullable().describe('Pass as cursor to get the next page; null on the last page.'),
  })
  .meta({ id: 'WebhookDeliveryList' });

export const EventWithHistory = Event.extend({
  timeline: z.array(TimelineEntry).describe('The audit trail: every change of the event and of its payments, oldest first.'),
  webhookDeliveries,
}).meta({ id: 'EventWithHistory' });

export const Calendar = z
  .object({ id: z.string(), summary: z.string(), primary: z.boolean(), timeZone: z.string().nullable() })
  .meta({ id: 'Calendar' });

export const Me = z
  .object({
    user: z.object({ id: z.string().uuid(), email: z.string(), name: z.string().nullable() }),
    google: z.object({
      status: z.enum([...CONNECTION_STATUSES, 'none']),
      missingScopes: z.array(z.string()),
      needsReconnectSince: z.string().nullable(),
      reconnectUrl: z.string(),
    }),
    csrfToken: z.string().nullable().describe('Send as the X-CSRF-Token header on POST and DELETE requests from a browser session; null when the request authenticated with a bearer credential, which needs none.'),
    isAdmin: z.boolean().describe('Whether this account is in ADMIN_EMAILS: it may read and change the instance settings (/api/v1/admin/*).'),
  })
  .meta({ id: 'Me' });

export const PreviewBody = z
  .object({
    start: wallClock,
    end: wallClock.optional(),
    timeZone: text().min(1).max(64),
    allDay: z.boolean().optional(),
    recurrence: z.array(text().max(1000)).max(10).default([]),
    count: z.number().int().min(1).max(100).default(10),
  })
  .strict()
  .meta({ id: 'RecurrencePreviewRequest' });

export const Preview = z
  .object({
    timeZone: z.string(),
    occurrences: z.array(
      z.object({
        start: z.string().describe('The start instant with the zone’s offset, e.g. 2026-03-09T09:00:00-04:00.'),
        startUtc: z.string().describe('The same instant in UTC.'),
        end: z.string().optional().describe('Present when the request has an end.'),
        endUtc: z.string().optional(),
        date: z.string().optional().describe('All-day events: the occurrence’s date.'),
        endDate: z.string().optional().describe('All-day events with an end: the exclusive end date.'),
      }),
    ),
  })
  .meta({ id: 'RecurrencePreview' });


const MoneySchema = z
  .object({
    minor: z.number().int().describe('Integer minor units of the currency (cents for USD; 8 decimals for USDT).'),
    currency: z.string().describe('ISO 4217 code, or the crypto asset (USDT).'),
    value: z.string().describe('The same amount as a decimal string, e.g. "1.00".'),
  })
  .meta({ id: 'Money' });

export const NextAction = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('redirect'), url: z.string().describe('Send the payer here (PayPal’s approval page).') }),
    z.object({
      type: z.literal('scan'),
      checkoutUrl: z.string().describe('Binance Pay’s web checkout.'),
      qrContent: z.string().describe('What the QR code encodes; scan with the Binance app.'),
      qrSvg: z.string().describe('The QR code as an SVG image, rendered by LeadsCalendar.'),
      deeplink: z.string().nullable(),
      universalUrl: z.string().nullable(),
    }),
  ])
  .meta({ id: 'NextAction' });

export const Payment = z
  .object({
    id: z.string().uuid(),
    eventId: z.string().uuid(),
    provider: z.enum(['paypal', 'binance']),
    status: PaymentState,
    amount: MoneySchema.describe('The price of the event.'),
    charge: MoneySchema.nullable().describe('What the provider takes: the price itself, or its crypto equivalent for Binance Pay. Null until the order exists.'),
    rate: z.string().nullable().describe('Binance Pay: USDT per 1 unit of the price’s currency used for this order.'),
    intent: z.enum(['AUTHORIZE', 'CAPTURE']).nullable().describe('PayPal: hold then capture once on the calendar, or capture at approval.'),
    expiresAt: z.string().describe('After this the order no longer takes payment.'),
    providerReference: z.object({
      orderId: z.string().nullable().describe('PayPal order id, or Binance Pay prepayId.'),
      merchantReference: z.string().describe('Our reference at the provider (PayPal custom_id, Binance merchantTradeNo).'),
      authorizationId: z.string().nullable(),
      captureId: z.string().nullable(),
      refundId: z.string().nullable(),
    }),
    nextAction: NextAction.nullable().describe('What the payer does next; null once there is nothing to do.'),
    reason: z.string().nullable().describe('Why the payment ended without money, or why it needs review.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Payment' });

export const PaymentWithHistory = Payment.extend({
  transitions: z.array(PaymentTimelineEntry).describe('Every change of this payment, oldest first.'),
  webhookDeliveries,
}).meta({ id: 'PaymentWithHistory' });

export const StartPaymentBody = z
  .object({ provider: z.enum(['paypal', 'binance']).describe('paypal: PayPal Checkout (Orders v2); binance: Binance Pay (USDT).') })
  .strict()
  .meta({ id: 'StartPayment' });

// ── Admin: instance settings and the payments chart ─────────────────────────────────────────────

const settingFields = {
  priceMinor: z
    .number()
    .int()
    .min(SETTING_BOUNDS.priceMinor.min)
    .max(SETTING_BOUNDS.priceMinor.max)
    .describe('The price of one event in US cents (100 = 1.00 USD), for events created from now on.'),
  providers: z
    .array(z.enum(PROVIDERS))
    .min(1)
    .refine((v) => new Set(v).size === v.length, { message: 'must not name a provider twice', params: { code: 'invalid_value' } })
    .describe('The providers a payer may choose; at least one. Paying with another is refused (payment_provider_disabled).'),
  paypalIntent: z.enum(PAYPAL_INTENTS).describe('AUTHORIZE: hold, capture once the event is on the calendar. CAPTURE: take at approval, refund if it cannot be.'),
  paymentWindowMinutes: z
    .number()
    .int()
    .min(SETTING_BOUNDS.paymentWindowMinutes.min)
    .max(SETTING_BOUNDS.paymentWindowMinutes.max)
    .describe('How long an event created from now on waits for its payment, in minutes.'),
  binanceUsdtRate: text()
    .regex(RATE_PATTERN, 'must be a positive decimal with at most 8 decimals, e.g. 1 or 0.9985')
    .refine((v) => /[1-9]/.test(v), { message: 'must be greater than 0', params: { code: 'out_of_range' } })
    .describe('USDT per 1 USD for Binance Pay orders created from now on.'),
};

export const InstanceSettingsBody = z.object(settingFields).strict().meta({ id: 'InstanceSettings' });

export const AdminSettings = z
  .object({
    settings: InstanceSettingsBody,
    defaults: InstanceSettingsBody.describe('The values from the environment: what a setting no admin has saved follows.'),
    currency: z.literal('USD').describe('The currency of priceMinor.'),
    changes: z
      .array(
        z.object({
          setting: z.enum(SETTING_NAMES),
          from: z.string(),
          to: z.string(),
          by: z.string().describe('The e-mail of the admin who saved it.'),
          at: z.string(),
        }),
      )
      .describe('The latest changes, newest first.'),
  })
  .meta({ id: 'AdminSettings' });

export const PaymentsPerDay = z
  .object({
    days: z.array(
      z.object({
        date: z.string().describe('A UTC day, YYYY-MM-DD.'),
        succeeded: z.number().int().describe('Payments whose money was taken (captured) that day.'),
        failed: z.number().int().describe('Payments declined, or whose order could not be created.'),
        expired: z.number().int().describe('Payment orders that expired unpaid.'),
        refunded: z.number().int().describe('Payments refunded (or reversed by the payer’s bank).'),
      }),
    ),
  })
  .meta({ id: 'PaymentsPerDay' });
// Credentials for servers: API keys and OAuth 2.0 clients (see docs/authentication.md).

export const CredentialScope = z.enum(['read', 'write']).describe('read: GET requests (and checks such as availability); write: everything, including changes.');

export const CreateApiKeyBody = z
  .object({
    name: text().trim().max(100).optional().describe('What the key is for, to tell keys apart; e.g. "CRM sync".'),
    scope: CredentialScope.default('read'),
  })
  .strict()
  .meta({ id: 'CreateApiKey' });

export const ApiKey = z
  .object({
    id: z.string().uuid(),
    name: z.string().nullable(),
    scope: CredentialScope,
    mode: z.enum(['test', 'live']).describe('test keys work in sandbox mode, live keys in live mode.'),
    prefix: z.string().describe('The start of the key (lc_test_<public id>), to recognise it; the rest is never shown again.'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('When the key last authenticated a request (updated at most once a minute).'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKey = ApiKey.extend({
  secret: z.string().describe('The API key. Shown this once and stored only as a hash: copy it now. Send it as "Authorization: Bearer <key>".'),
}).meta({ id: 'CreatedApiKey' });

export const CreateOAuthClientBody = z
  .object({
    name: text().trim().max(100).optional(),
    scopes: z.array(CredentialScope).min(1).max(2).describe('The most a token of this client may carry; a token request may ask for fewer.'),
  })
  .strict()
  .meta({ id: 'CreateOAuthClient' });

export const OAuthClient = z
  .object({
    id: z.string().uuid(),
    clientId: z.string().describe('The client_id for POST /oauth/token.'),
    name: z.string().nullable(),
    scopes: z.array(CredentialScope),
    mode: z.enum(['test', 'live']),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('When the client last obtained a token.'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'OAuthClient' });

export const CreatedOAuthClient = OAuthClient.extend({
  clientSecret: z.string().describe('The client_secret. Shown this once and stored only as a hash: copy it now.'),
}).meta({ id: 'CreatedOAuthClient' });

export const TokenRequest = z
  .object({
    grant_type: text().describe('Always client_credentials.'),
    scope: text().max(100).optional().describe('Space-separated scopes, a subset of the client’s; all of them when omitted.'),
    client_id: text().max(200).optional().describe('With client_secret, when not sent as HTTP Basic authentication.'),
    client_secret: text().max(200).optional(),
  })
  .meta({ id: 'TokenRequest' });

export const TokenResponse = z
  .object({
    access_token: z.string().describe('Send as "Authorization: Bearer <token>".'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds until the token expires (900).'),
    scope: z.string(),
  })
  .meta({ id: 'TokenResponse' });

export const OAuthErrorBody = z
  .object({
    error: z.enum(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']),
    error_description: z.string(),
  })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2: the one answer of this API that is not a problem document.' });
// ── Receipts (GET /api/v1/events/{id}/receipt) ──────────────────────────────────────────────────
export const Receipt = z
  .object({
    number: z.string().describe('The receipt number: LC-<date paid, YYYYMMDD>-<12 hex digits of the payment id>. Stable: the same receipt always has the same number.'),
    eventId: z.string().uuid(),
    paymentId: z.string().uuid(),
    status: z
      .enum(['paid', 'refunding', 'refunded', 'reversed'])
      .describe('paid: the money is taken; refunding: a refund is under way; refunded: it was returned; reversed: the provider or the bank took it back.'),
    paidAt: z.string().describe('When the provider took the money (the capture), ISO 8601 UTC.'),
    amount: MoneySchema.describe('The price of the event.'),
    charged: MoneySchema.describe('What the provider took: the price itself (PayPal), or its USDT equivalent (Binance Pay).'),
    rate: z.string().nullable().describe('Binance Pay: USDT per 1 unit of the price’s currency used for this order; null for PayPal.'),
    provider: z.enum(['paypal', 'binance']),
    intent: z.enum(['AUTHORIZE', 'CAPTURE']).nullable().describe('PayPal: held then captured, or captured at approval; null for Binance Pay.'),
    providerReference: z.object({
      orderId: z.string().nullable().describe('PayPal order id, or Binance Pay prepayId.'),
      merchantReference: z.string().describe('Our reference at the provider (PayPal custom_id, Binance merchantTradeNo).'),
      authorizationId: z.string().nullable().describe('PayPal authorization id (AUTHORIZE intent).'),
      captureId: z.string().nullable().describe('PayPal capture id.'),
      refundId: z.string().nullable().describe('The provider’s refund id, once a refund was made.'),
    }),
    billedTo: z
      .object({ email: z.string(), name: z.string().nullable() })
      .describe('The LeadsCalendar account that booked and paid (its Google e-mail). The payer’s own PayPal or Binance e-mail is not stored.'),
    event: z.object({
      title: z.string(),
      timeZone: z.string(),
      allDay: z.boolean(),
      start: z.string().describe('Local date-time (or date when all-day) in timeZone.'),
      end: z.string(),
      startUtc: z.string(),
      recurrence: z.array(z.string()),
    }),
    refund: z
      .object({
        status: z.enum(['refunding', 'refunded', 'reversed']),
        amount: MoneySchema.describe('Always the whole amount charged: refunds are in full.'),
        requestedAt: z.string(),
        completedAt: z.string().nullable().describe('Null while the refund is under way.'),
      })
      .nullable()
      .describe('The money going back, if it is.'),
  })
  .meta({ id: 'Receipt' });
// ── Lists: events by state and date range, payments across events ──────────────────────────────

const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/** `state=paid,confirmed`: one parameter, a comma-separated list (a repeated parameter is refused). */
const stateList = z
  .string()
  .max(500)
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(EventState).min(1).max(EVENT_STATES.length));

export const EventListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(EVENT_PAGE.maxLimit).default(EVENT_PAGE.defaultLimit).describe(`Events per page, at most ${EVENT_PAGE.maxLimit}.`),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The nextCursor of the previous page; omit for the first page. Send the same filters with it: a cursor given out for other filters is refused (400).'),
  state: stateList
    .optional()
    .describe(`Only events in these states, comma-separated, e.g. \`pending_payment,paid\`. States: ${EVENT_STATES.join(', ')}.`),
  from: instant
    .optional()
    .describe('An instant with its offset (RFC 3339, e.g. 2031-06-02T00:00:00Z): only events that may happen at or after it. A single event must end after it; a recurring one is kept whatever its start (its occurrences are listed when `to` is given too).'),
  to: instant
    .optional()
    .describe('An instant with its offset: only events that start before it (for a recurring event, whose series starts before it). With `from`, each event carries its `occurrences` in [from, to).'),
});

export const Occurrence = z
  .object({ start: z.string().describe('Start instant, UTC.'), end: z.string().describe('End instant, UTC (exclusive).') })
  .meta({ id: 'Occurrence', description: 'One time an event happens.' });

export const EventListItem = Event.extend({
  occurrences: z
    .array(Occurrence)
    .optional()
    .describe(
      'Present when the list was asked for with both `from` and `to`: the times this event happens within [from, to), in order, expanded from its recurrence in its time zone (at most 1000). ' +
        'A recurring event whose series has no occurrence in the range has none here; a series too costly to expand that far lists those known.',
    ),
}).meta({ id: 'EventListItem' });

export const PaymentListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAYMENT_PAGE.maxLimit).default(PAYMENT_PAGE.defaultLimit).describe(`Payments per page, at most ${PAYMENT_PAGE.maxLimit}.`),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('The nextCursor of the previous page; omit for the first page. Send the same filters and sort with it: a cursor given out for others is refused (400).'),
  status: PaymentState.optional().describe('Only payments in this status.'),
  provider: z.enum(['paypal', 'binance']).optional().describe('Only payments with this provider.'),
  eventId: z.string().uuid().optional().describe('Only the payments of this event (one of yours).'),
  sort: z.enum(PAYMENT_SORTS).default('created_desc').describe('By creation: newest first (the default) or oldest first.'),
});

export const PaymentListItem = Payment.extend({
  eventTitle: z.string().describe('The title of the event the payment is for (`eventId`).'),
}).meta({ id: 'PaymentListItem' });
