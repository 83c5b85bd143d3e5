import type { EventState } from '../../domain/event-state.ts';
import type { PaymentState } from '../../domain/payment-state.ts';
import { eventWebhookType, paymentWebhookType } from '../../domain/webhook-types.ts';
import type { Queryable } from '../database.ts';
import { recordWebhookEvent } from './webhooks.ts';

/**
 * The audit trail: one append-only, ordered record per event of every transition of the event and
 * of its payments, written in the transaction of the change. Its ids order the timeline and let a
 * live stream resume where it left off.
 */

export interface AuditEntry {
  /** Increasing within an event (and across the database). */
  id: bigint;
  eventId: string;
  /** Null: the event's own transition. */
  paymentId: string | null;
  from: string | null;
  to: string;
  reason: string;
  provider: string | null;
  providerRef: string | null;
  at: Date;
}

const COLUMNS = 'id, event_id, payment_id, from_state, to_state, reason, provider, provider_ref, at';

function map(r: Record<string, unknown>): AuditEntry {
  return {
    id: BigInt(r.id as string | bigint),
    eventId: r.event_id as string,
    paymentId: (r.payment_id as string | null) ?? null,
    from: (r.from_state as string | null) ?? null,
    to: r.to_state as string,
    reason: r.reason as string,
    provider: (r.provider as string | null) ?? null,
    providerRef: (r.provider_ref as string | null) ?? null,
    at: r.at as Date,
  };
}

/**
 * Records an event's transition. A transition integrators are told about also writes its webhook
 * event (the outbox), in the same transaction: a change that commits is announced, a rolled-back
 * one never is.
 */
export async function recordEventTransition(q: Queryable, eventId: string, from: EventState | null, to: EventState, reason: string): Promise<void> {
  const [row] = await q.query<{ id: bigint }>('insert into audit_trail (event_id, from_state, to_state, reason) values ($1, $2, $3, $4) returning id', [eventId, from, to, reason]);
  const type = eventWebhookType(from, to);
  if (type) await recordWebhookEvent(q, BigInt(row!.id), type, { eventId });
}

/**
 * Records a payment's transition with the provider reference it concerns: the authorization, the
 * capture or the refund once known, else the order. Call after the payment row holds the change:
 * its webhook event (as for events) carries the row as it is now.
 */
export async function recordPaymentTransition(q: Queryable, paymentId: string, from: PaymentState | null, to: PaymentState, reason: string): Promise<void> {
  const [row] = await q.query<{ id: bigint }>(
    `insert into audit_trail (event_id, payment_id, from_state, to_state, reason, provider, provider_ref)
     select event_id, id, $2, $3, $4, provider,
       case
         when $3 in ('refunding', 'refunded') then coalesce(refund_ref, capture_ref, provider_ref)
         when $3 in ('captured', 'reversed') then coalesce(capture_ref, provider_ref)
         when $3 in ('authorized', 'voiding', 'voided') then coalesce(authorization_ref, provider_ref)
         else provider_ref
       end
     from payments where id = $1
     returning id`,
    [paymentId, from, to, reason],
  );
  const type = paymentWebhookType(from, to);
  if (row && type) await recordWebhookEvent(q, BigInt(row.id), type, { paymentId });
}

/** The event's whole trail, oldest first; `after`: only the entries past that id (a resumed stream). */
export async function trailOf(q: Queryable, eventId: string, after?: bigint): Promise<AuditEntry[]> {
  const rows = await q.query(
    `select ${COLUMNS} from audit_trail where event_id = $1 and id > $2 order by id`,
    [eventId, (after ?? 0n).toString()],
  );
  return rows.map(map);
}

/** One payment's transitions, oldest first. */
export async function paymentTrailOf(q: Queryable, paymentId: string): Promise<AuditEntry[]> {
  const rows = await q.query(`select ${COLUMNS} from audit_trail where payment_id = $1 order by id`, [paymentId]);
  return rows.map(map);
}
