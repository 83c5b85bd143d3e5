import type { WebhookType } from '../../domain/webhook-types.ts';
import type { Queryable } from '../database.ts';
import type { EventListPosition } from './events.ts';

/** Webhook endpoints, the webhook outbox and the delivery log; SQL for them lives here and nowhere else. */

export interface EndpointRecord {
  id: string;
  userId: string;
  url: string;
  description: string;
  /** Null: every type. */
  types: WebhookType[] | null;
  secretEnc: Buffer;
  previousSecretEnc: Buffer | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const ENDPOINT_COLUMNS = `id, user_id, url, description, types, secret_enc, previous_secret_enc, previous_secret_expires_at,
  failing_since, disabled_at, disabled_reason, created_at, updated_at`;

function mapEndpoint(r: Record<string, any>): EndpointRecord {
  return {
    id: r.id,
    userId: r.user_id,
    url: r.url,
    description: r.description,
    types: r.types,
    secretEnc: Buffer.from(r.secret_enc),
    previousSecretEnc: r.previous_secret_enc ? Buffer.from(r.previous_secret_enc) : null,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    failingSince: r.failing_since,
    disabledAt: r.disabled_at,
    disabledReason: r.disabled_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface NewEndpoint {
  id: string;
  userId: string;
  url: string;
  description: string;
  types: WebhookType[] | null;
  secretEnc: Buffer;
}

export async function insertEndpoint(q: Queryable, e: NewEndpoint): Promise<EndpointRecord> {
  const [row] = await q.query(
    `insert into webhook_endpoints (id, user_id, url, description, types, secret_enc) values ($1, $2, $3, $4, $5, $6) returning ${ENDPOINT_COLUMNS}`,
    [e.id, e.userId, e.url, e.description, e.types, e.secretEnc],
  );
  return mapEndpoint(row!);
}

export async function findEndpoint(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<EndpointRecord | null> {
  const rows = await q.query(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where id = $1${opts.forUpdate ? ' for update' : ''}`, [id]);
  return rows[0] ? mapEndpoint(rows[0]) : null;
}

/** Only the owner's endpoints: another person's id reads as absent. */
export async function findUserEndpoint(q: Queryable, userId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<EndpointRecord | null> {
  const rows = await q.query(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where id = $1 and user_id = $2${opts.forUpdate ? ' for update' : ''}`, [id, userId]);
  return rows[0] ? mapEndpoint(rows[0]) : null;
}

export async function userEndpoints(q: Queryable, userId: string): Promise<EndpointRecord[]> {
  const rows = await q.query(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where user_id = $1 order by created_at, id`, [userId]);
  return rows.map(mapEndpoint);
}

export interface EndpointChanges {
  url?: string;
  description?: string;
  types?: WebhookType[] | null;
  secretEnc?: Buffer;
  previousSecretEnc?: Buffer | null;
  previousSecretExpiresAt?: Date | null;
  failingSince?: Date | null;
  disabledAt?: Date | null;
  disabledReason?: string | null;
}

/** Writes the fields given (undefined: unchanged; null: cleared). */
export async function updateEndpoint(q: Queryable, id: string, c: EndpointChanges): Promise<EndpointRecord | null> {
  const cols: [string, unknown][] = [
    ['url', c.url],
    ['description', c.description],
    ['types', c.types],
    ['secret_enc', c.secretEnc],
    ['previous_secret_enc', c.previousSecretEnc],
    ['previous_secret_expires_at', c.previousSecretExpiresAt],
    ['failing_since', c.failingSince],
    ['disabled_at', c.disabledAt],
    ['disabled_reason', c.disabledReason],
  ];
  const set = cols.filter(([, v]) => v !== undefined);
  const rows = await q.query(
    `update webhook_endpoints set ${set.map(([k], i) => `${k} = $${i + 2}, `).join('')}updated_at = now() where id = $1 returning ${ENDPOINT_COLUMNS}`,
    [id, ...set.map(([, v]) => v)],
  );
  return rows[0] ? mapEndpoint(rows[0]) : null;
}

export async function deleteUserEndpoint(q: Queryable, userId: string, id: string): Promise<boolean> {
  return (await q.query('delete from webhook_endpoints where id = $1 and user_id = $2 returning id', [id, userId])).length === 1;
}

/** The first failure of a run of failures starts the clock; later ones keep it. Returns when it started. */
export async function markEndpointFailing(q: Queryable, id: string, at: Date): Promise<Date> {
  const [row] = await q.query<{ failing_since: Date }>(
    'update webhook_endpoints set failing_since = coalesce(failing_since, $2) where id = $1 returning failing_since',
    [id, at],
  );
  return row?.failing_since ?? at;
}

// ── The outbox ──────────────────────────────────────────────────────────────────────────────────

export interface WebhookEventRecord {
  id: string;
  userId: string;
  type: WebhookType;
  eventId: string;
  paymentId: string | null;
  snapshot: Record<string, unknown>;
  body: string | null;
  createdAt: Date;
}

const EVENT_COLUMNS = 'id, user_id, type, event_id, payment_id, snapshot, body, created_at';

function mapEvent(r: Record<string, any>): WebhookEventRecord {
  return {
    id: r.id,
    userId: r.user_id,
    type: r.type,
    eventId: r.event_id,
    paymentId: r.payment_id,
    snapshot: r.snapshot,
    body: r.body,
    createdAt: r.created_at,
  };
}

/**
 * Writes the outbox row for an audit entry, with the row it is about as the transition left it.
 * Exact numbers (amounts, rates) are kept as text: JSON numbers would lose a rate's scale.
 */
export async function recordWebhookEvent(q: Queryable, auditId: bigint, type: WebhookType, about: { eventId: string } | { paymentId: string }): Promise<void> {
  if ('paymentId' in about) {
    await q.query(
      `insert into webhook_events (user_id, type, event_id, payment_id, audit_id, snapshot)
       select p.user_id, $2, p.event_id, p.id, $3,
         to_jsonb(p) || jsonb_build_object('price_minor', p.price_minor::text, 'charge_minor', p.charge_minor::text, 'rate', p.rate::text)
       from payments p where p.id = $1`,
      [about.paymentId, type, auditId.toString()],
    );
  } else {
    await q.query(
      `insert into webhook_events (user_id, type, event_id, audit_id, snapshot)
       select e.user_id, $2, e.id, $3, to_jsonb(e) || jsonb_build_object('price_minor', e.price_minor::text)
       from events e where e.id = $1`,
      [about.eventId, type, auditId.toString()],
    );
  }
}

/**
 * The snapshot as a row of the table it came from: timestamps back to Dates, so the repositories'
 * own mapping (and the API's presentation) reads it as it reads a live row.
 */
export function snapshotRow(snapshot: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(snapshot).map(([k, v]) => [k, typeof v === 'string' && /(_at|_until|_after)$/.test(k) ? new Date(v) : v]),
  );
}

/** Outbox rows not yet dispatched, oldest first, locked so that one instance dispatches each. */
export async function lockUndispatched(q: Queryable, limit: number): Promise<WebhookEventRecord[]> {
  const rows = await q.query(
    `select ${EVENT_COLUMNS} from webhook_events where dispatched_at is null order by created_at, id limit $1 for update skip locked`,
    [limit],
  );
  return rows.map(mapEvent);
}

/**
 * Deletes, oldest first, up to `limit` webhook events created before `before` that were dispatched,
 * have no attempt logged since `before`, and for which `pendingSql` (SQL over the event's id as
 * `e.id`) says no delivery job is waiting, retrying or running. Their logged attempts go with them
 * (on delete cascade). Returns how many events it deleted.
 */
export async function pruneWebhookEvents(q: Queryable, opts: { before: Date; pendingSql: string; limit: number }): Promise<number> {
  const rows = await q.query(
    `delete from webhook_events where id in (
       select e.id from webhook_events e
        where e.dispatched_at is not null and e.created_at < $1
          and not exists (select 1 from webhook_deliveries d where d.webhook_event_id = e.id and d.at >= $1)
          and not ${opts.pendingSql}
        order by e.created_at
        limit $2
        for update skip locked)
     returning 1`,
    [opts.before, opts.limit],
  );
  return rows.length;
}

export async function markDispatched(q: Queryable, id: string, body: string): Promise<void> {
  await q.query('update webhook_events set dispatched_at = now(), body = $2 where id = $1', [id, body]);
}

export async function findWebhookEvent(q: Queryable, id: string): Promise<WebhookEventRecord | null> {
  const rows = await q.query(`select ${EVENT_COLUMNS} from webhook_events where id = $1`, [id]);
  return rows[0] ? mapEvent(rows[0]) : null;
}

/** The owner's enabled endpoints that want this type. */
export async function endpointsFor(q: Queryable, userId: string, type: WebhookType): Promise<EndpointRecord[]> {
  const rows = await q.query(
    `select ${ENDPOINT_COLUMNS} from webhook_endpoints
      where user_id = $1 and disabled_at is null and (types is null or $2 = any(types)) order by created_at, id`,
    [userId, type],
  );
  return rows.map(mapEndpoint);
}

// ── The delivery log ────────────────────────────────────────────────────────────────────────────

export interface DeliveryRecord {
  id: string;
  endpointId: string;
  webhookEventId: string;
  type: WebhookType;
  attempt: number;
  manual: boolean;
  succeeded: boolean;
  statusCode: number | null;
  durationMs: number;
  responseExcerpt: string | null;
  error: string | null;
  at: Date;
}

export type NewDelivery = Omit<DeliveryRecord, 'type' | 'at'>;

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.webhook_event_id, w.type, d.attempt, d.manual, d.succeeded, d.status_code, d.duration_ms,
  d.response_excerpt, d.error, d.at`;
const DELIVERY_FROM = 'webhook_deliveries d join webhook_events w on w.id = d.webhook_event_id';

function mapDelivery(r: Record<string, any>): DeliveryRecord {
  return {
    id: r.id,
    endpointId: r.endpoint_id,
    webhookEventId: r.webhook_event_id,
    type: r.type,
    attempt: r.attempt,
    manual: r.manual,
    succeeded: r.succeeded,
    statusCode: r.status_code,
    durationMs: r.duration_ms,
    responseExcerpt: r.response_excerpt,
    error: r.error,
    at: r.at,
  };
}

export async function insertDelivery(q: Queryable, d: NewDelivery): Promise<DeliveryRecord> {
  await q.query(
    `insert into webhook_deliveries (id, endpoint_id, webhook_event_id, attempt, manual, succeeded, status_code, duration_ms, response_excerpt, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [d.id, d.endpointId, d.webhookEventId, d.attempt, d.manual, d.succeeded, d.statusCode, d.durationMs, d.responseExcerpt, d.error],
  );
  const [row] = await q.query(`select ${DELIVERY_COLUMNS} from ${DELIVERY_FROM} where d.id = $1`, [d.id]);
  return mapDelivery(row!);
}

/** The number the next attempt of this event at this endpoint carries. */
export async function nextAttemptNumber(q: Queryable, webhookEventId: string, endpointId: string): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    'select coalesce(max(attempt), 0)::int + 1 as n from webhook_deliveries where webhook_event_id = $1 and endpoint_id = $2',
    [webhookEventId, endpointId],
  );
  return row?.n ?? 1;
}

/** When the retry schedule first tried this event at this endpoint. */
export async function firstAttemptAt(q: Queryable, webhookEventId: string, endpointId: string): Promise<Date | null> {
  const [row] = await q.query<{ at: Date | null }>(
    'select min(at) as at from webhook_deliveries where webhook_event_id = $1 and endpoint_id = $2 and not manual',
    [webhookEventId, endpointId],
  );
  return row?.at ?? null;
}

/** Only deliveries to the owner's endpoints. */
export async function findUserDelivery(q: Queryable, userId: string, id: string): Promise<DeliveryRecord | null> {
  const rows = await q.query(
    `select ${DELIVERY_COLUMNS} from ${DELIVERY_FROM} join webhook_endpoints e on e.id = d.endpoint_id where d.id = $1 and e.user_id = $2`,
    [id, userId],
  );
  return rows[0] ? mapDelivery(rows[0]) : null;
}

/** One page of an endpoint's attempts, newest first, and the position after its last one when there may be more. */
export async function endpointDeliveries(
  q: Queryable,
  endpointId: string,
  page: { limit: number; after?: EventListPosition | undefined },
): Promise<{ deliveries: DeliveryRecord[]; next: EventListPosition | null }> {
  const params: unknown[] = [endpointId, page.limit + 1];
  let after = '';
  if (page.after) {
    params.push(page.after.createdAtMicros.toString(), page.after.id);
    after = `and (d.at, d.id) < (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::uuid)`;
  }
  const rows = await q.query(
    `select ${DELIVERY_COLUMNS}, (extract(epoch from d.at) * 1000000)::bigint as at_micros
       from ${DELIVERY_FROM} where d.endpoint_id = $1 ${after} order by d.at desc, d.id desc limit $2`,
    params,
  );
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    deliveries: kept.map(mapDelivery),
    next: more && last ? { createdAtMicros: BigInt(last.at_micros as bigint), id: last.id as string } : null,
  };
}

/** Every attempt about an event (its own webhooks and its payments') or about one payment, oldest first. */
export async function deliveriesAbout(q: Queryable, about: { eventId: string } | { paymentId: string }): Promise<DeliveryRecord[]> {
  const [col, id] = 'paymentId' in about ? ['w.payment_id', about.paymentId] : ['w.event_id', about.eventId];
  const rows = await q.query(`select ${DELIVERY_COLUMNS} from ${DELIVERY_FROM} where ${col} = $1 order by d.at, d.id`, [id]);
  return rows.map(mapDelivery);
}
