import type { PaymentState } from '../../domain/payment-state.ts';
import type { NextAction, ProviderId } from '../../ports/payments.ts';
import type { Queryable } from '../database.ts';
import { recordPaymentTransition } from './audit-trail.ts';
import type { EventListPosition } from './events.ts';

/** Payments as stored; SQL for them lives here and nowhere else. */

export interface PaymentRecord {
  id: string;
  eventId: string;
  userId: string;
  provider: ProviderId;
  state: PaymentState;
  priceMinor: bigint;
  priceCurrency: string;
  chargeMinor: bigint | null;
  chargeCurrency: string | null;
  rate: string | null;
  intent: 'AUTHORIZE' | 'CAPTURE' | null;
  providerRef: string | null;
  merchantRef: string;
  authorizationRef: string | null;
  captureRef: string | null;
  refundRef: string | null;
  nextAction: NextAction | null;
  expiresAt: Date;
  reason: string | null;
  checkAfter: Date | null;
  /** This payment paid the event: its money going back cancels or fails the event. */
  paysEvent: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, event_id, user_id, provider, state, price_minor, price_currency, charge_minor, charge_currency, rate, intent,
  provider_ref, merchant_ref, authorization_ref, capture_ref, refund_ref, next_action, expires_at, reason, check_after,
  pays_event, created_at, updated_at`;

const big = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as bigint));

function map(r: Record<string, any>): PaymentRecord {
  return {
    id: r.id,
    eventId: r.event_id,
    userId: r.user_id,
    provider: r.provider,
    state: r.state,
    priceMinor: BigInt(r.price_minor),
    priceCurrency: r.price_currency,
    chargeMinor: big(r.charge_minor),
    chargeCurrency: r.charge_currency,
    rate: r.rate,
    intent: r.intent,
    providerRef: r.provider_ref,
    merchantRef: r.merchant_ref,
    authorizationRef: r.authorization_ref,
    captureRef: r.capture_ref,
    refundRef: r.refund_ref,
    nextAction: r.next_action,
    expiresAt: r.expires_at,
    reason: r.reason,
    checkAfter: r.check_after,
    paysEvent: r.pays_event,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface NewPayment {
  id: string;
  eventId: string;
  userId: string;
  provider: ProviderId;
  priceMinor: bigint;
  priceCurrency: string;
  intent: 'AUTHORIZE' | 'CAPTURE' | null;
  merchantRef: string;
  expiresAt: Date;
}

export async function insertPayment(q: Queryable, p: NewPayment, reason: string): Promise<PaymentRecord> {
  const [row] = await q.query(
    `insert into payments (id, event_id, user_id, provider, state, price_minor, price_currency, intent, merchant_ref, expires_at)
     values ($1, $2, $3, $4, 'created', $5, $6, $7, $8, $9) returning ${COLUMNS}`,
    [p.id, p.eventId, p.userId, p.provider, p.priceMinor, p.priceCurrency, p.intent, p.merchantRef, p.expiresAt],
  );
  await recordPaymentTransition(q, p.id, null, 'created', reason);
  return map(row!);
}

export async function findPayment(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<PaymentRecord | null> {
  const rows = await q.query(`select ${COLUMNS} from payments where id = $1${opts.forUpdate ? ' for update' : ''}`, [id]);
  return rows[0] ? map(rows[0]) : null;
}

export async function findByProviderRef(q: Queryable, provider: ProviderId, ref: string): Promise<PaymentRecord | null> {
  const rows = await q.query(`select ${COLUMNS} from payments where provider = $1 and provider_ref = $2`, [provider, ref]);
  return rows[0] ? map(rows[0]) : null;
}

/** Only the owner's payments: another user's id reads as absent. */
export async function findUserPayment(q: Queryable, userId: string, id: string): Promise<PaymentRecord | null> {
  const rows = await q.query(`select ${COLUMNS} from payments where id = $1 and user_id = $2`, [id, userId]);
  return rows[0] ? map(rows[0]) : null;
}

export async function paymentsOfEvent(q: Queryable, eventId: string, opts: { forUpdate?: boolean } = {}): Promise<PaymentRecord[]> {
  const rows = await q.query(`select ${COLUMNS} from payments where event_id = $1 order by created_at, id${opts.forUpdate ? ' for update' : ''}`, [eventId]);
  return rows.map(map);
}

export interface PaymentFilter {
  status?: PaymentState | undefined;
  provider?: ProviderId | undefined;
  eventId?: string | undefined;
}

/** A payment in a user's list, with the title of the event it pays for. */
export interface PaymentListEntry extends PaymentRecord {
  eventTitle: string;
}

const P_COLUMNS = COLUMNS.split(',').map((c) => `p.${c.trim()}`).join(', ');

/**
 * One page of a user's payments, newest first (`order: 'asc'`: oldest first), and the position
 * after its last one when there may be more.
 */
export async function listUserPayments(
  q: Queryable,
  userId: string,
  page: { limit: number; after?: EventListPosition | undefined; filter: PaymentFilter; order?: 'asc' | 'desc' },
): Promise<{ payments: PaymentListEntry[]; next: EventListPosition | null }> {
  const params: unknown[] = [userId, page.limit + 1];
  const where: string[] = ['p.user_id = $1'];
  if (page.filter.status) where.push(`p.state = $${params.push(page.filter.status)}`);
  if (page.filter.provider) where.push(`p.provider = $${params.push(page.filter.provider)}`);
  if (page.filter.eventId) where.push(`p.event_id = $${params.push(page.filter.eventId)}`);
  const asc = page.order === 'asc';
  if (page.after) {
    const t = params.push(page.after.createdAtMicros.toString());
    const id = params.push(page.after.id);
    where.push(`(p.created_at, p.id) ${asc ? '>' : '<'} (timestamptz 'epoch' + $${t}::bigint * interval '1 microsecond', $${id}::uuid)`);
  }
  const dir = asc ? 'asc' : 'desc';
  const rows = await q.query(
    `select ${P_COLUMNS}, e.title as event_title, (extract(epoch from p.created_at) * 1000000)::bigint as created_at_micros
     from payments p join events e on e.id = p.event_id
     where ${where.join(' and ')} order by p.created_at ${dir}, p.id ${dir} limit $2`,
    params,
  );
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return {
    payments: kept.map((r) => ({ ...map(r), eventTitle: r.event_title as string })),
    next: more && last ? { createdAtMicros: BigInt(last.created_at_micros as bigint), id: last.id as string } : null,
  };
}

export interface PaymentChanges {
  providerRef?: string;
  chargeMinor?: bigint;
  chargeCurrency?: string;
  rate?: string | null;
  authorizationRef?: string | null;
  captureRef?: string | null;
  refundRef?: string | null;
  nextAction?: NextAction | null;
  expiresAt?: Date;
  reason?: string | null;
  checkAfter?: Date | null;
  paysEvent?: boolean;
}

/** Writes the fields given (undefined: unchanged; null: cleared), without a state change. */
export async function updatePayment(q: Queryable, id: string, c: PaymentChanges): Promise<void> {
  const cols: [string, unknown][] = [
    ['provider_ref', c.providerRef],
    ['charge_minor', c.chargeMinor],
    ['charge_currency', c.chargeCurrency],
    ['rate', c.rate],
    ['authorization_ref', c.authorizationRef],
    ['capture_ref', c.captureRef],
    ['refund_ref', c.refundRef],
    ['next_action', c.nextAction === undefined ? undefined : c.nextAction === null ? null : JSON.stringify(c.nextAction)],
    ['expires_at', c.expiresAt],
    ['reason', c.reason],
    ['check_after', c.checkAfter],
    ['pays_event', c.paysEvent],
  ];
  const set = cols.filter(([, v]) => v !== undefined);
  if (set.length === 0) return;
  await q.query(
    `update payments set ${set.map(([k], i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now(), version = version + 1 where id = $1`,
    [id, ...set.map(([, v]) => v)],
  );
}

/** Changes the state (and any fields given) and records the transition, in the caller's transaction. */
export async function setPaymentState(q: Queryable, id: string, from: PaymentState, to: PaymentState, reason: string, c: PaymentChanges = {}): Promise<void> {
  const rows = await q.query(`update payments set state = $3, updated_at = now(), version = version + 1 where id = $1 and state = $2 returning id`, [id, from, to]);
  if (rows.length !== 1) throw new Error(`payment ${id} is no longer ${from}`);
  await updatePayment(q, id, c);
  await recordPaymentTransition(q, id, from, to, reason);
}

/** Payments the reconciler should ask the provider about now, oldest first. */
export async function duePayments(q: Queryable, now: Date, limit: number): Promise<{ id: string }[]> {
  return q.query<{ id: string }>(`select id from payments where check_after <= $1 order by check_after limit $2`, [now, limit]);
}

// ── The notification inbox ─────────────────────────────────────────────────────────────────────

export interface InboxEntry {
  provider: ProviderId;
  providerEventId: string;
  providerType: string;
  paymentId: string | null;
  providerRef: string | null;
  hint: string;
  body: Buffer;
  headers: Record<string, unknown>;
  receivedAt: Date;
}

/**
 * Stores several notifications in one statement (the inbox's group commit). Returns, in the order
 * given, each one's inbox id, or null where the provider had sent it before. The entries must be
 * distinct by (provider, providerEventId).
 */
export async function storeNotifications(q: Queryable, entries: readonly InboxEntry[]): Promise<(string | null)[]> {
  if (entries.length === 0) return [];
  const params: unknown[] = [];
  const rows = entries.map((n) => {
    const at = params.length;
    params.push(n.provider, n.providerEventId, n.providerType, n.paymentId, n.providerRef, n.hint, n.body, JSON.stringify(n.headers), n.receivedAt);
    return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}::uuid, $${at + 5}, $${at + 6}, $${at + 7}::bytea, $${at + 8}::jsonb, $${at + 9}::timestamptz)`;
  });
  const stored = await q.query<{ id: bigint | string; provider: string; provider_event_id: string }>(
    `insert into payment_notifications (provider, provider_event_id, provider_type, payment_id, provider_ref, hint, body, headers, received_at)
     values ${rows.join(', ')} on conflict (provider, provider_event_id) do nothing returning id, provider, provider_event_id`,
    params,
  );
  const ids = new Map(stored.map((r) => [`${r.provider}\0${r.provider_event_id}`, String(r.id)]));
  return entries.map((n) => ids.get(`${n.provider}\0${n.providerEventId}`) ?? null);
}

export async function findNotification(q: Queryable, id: string) {
  const rows = await q.query<{ provider: ProviderId; payment_id: string | null; provider_ref: string | null; processed_at: Date | null; provider_type: string }>(
    'select provider, payment_id, provider_ref, processed_at, provider_type from payment_notifications where id = $1',
    [id],
  );
  return rows[0] ?? null;
}

export async function markNotificationProcessed(q: Queryable, id: string, outcome: string): Promise<void> {
  await q.query('update payment_notifications set processed_at = now(), outcome = $2 where id = $1', [id, outcome]);
}

// ── Money movements: one capture, void and refund per payment ──────────────────────────────────

export type MoneyOperation = 'capture' | 'void' | 'refund';

/** Records the decision to move money; false when it was taken before (the first row stands). */
export async function recordMoneyMovement(q: Queryable, paymentId: string, operation: MoneyOperation, idempotencyKey: string, reason: string): Promise<boolean> {
  const rows = await q.query(
    `insert into money_movements (payment_id, operation, idempotency_key, reason) values ($1, $2, $3, $4)
     on conflict (payment_id, operation) do nothing returning payment_id`,
    [paymentId, operation, idempotencyKey, reason],
  );
  return rows.length === 1;
}

/** The key the provider call of a decided movement must carry; null when none was decided. */
export async function moneyMovementKey(q: Queryable, paymentId: string, operation: MoneyOperation): Promise<string | null> {
  const [row] = await q.query<{ idempotency_key: string }>('select idempotency_key from money_movements where payment_id = $1 and operation = $2', [paymentId, operation]);
  return row?.idempotency_key ?? null;
}

/** A row of the payments table (or a webhook snapshot of one, see webhooks.ts) as a record. */
export const paymentFromRow = map;
