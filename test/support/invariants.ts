import { QUEUES } from '../../src/app/events.ts';
import { PAYMENT_QUEUES } from '../../src/app/payments.ts';
import type { Queryable } from '../../src/db/database.ts';
import type { Sandbox } from '../../sandbox/server.ts';

/**
 * DESIGN.md §1's invariants checked on the database and on what the emulators themselves hold (the
 * truth outside the app), after the jobs and the reconciler are done. Shared by the lifecycle test
 * under faults and the chaos run; each broken rule is one line, so a run can count and print them
 * rather than stop at the first.
 */

export type ProviderId = 'paypal' | 'binance';

export const FINAL_EVENT = ['confirmed', 'cancelled', 'failed', 'expired'];
export const FINAL_PAYMENT = ['captured', 'voided', 'refunded', 'expired', 'cancelled', 'declined', 'error'];
/** Timers that legitimately wait in the future once their event is final (they then do nothing). */
export const TIMERS: string[] = [QUEUES.expire, QUEUES.reconnectDeadline];

export interface Scope {
  db: Queryable;
  sandbox: Sandbox;
}

/** Our Google events for this event that are not deleted. */
export function liveGoogleEvents(s: { sandbox: Sandbox }, eventId: string): unknown[] {
  const snap = s.sandbox.emulators.google.snapshot() as { events: Record<string, any[]> };
  return Object.values(snap.events)
    .flat()
    .filter((e) => e.extendedProperties?.private?.lcEventId === eventId && e.status !== 'cancelled');
}

/** What one order holds at its emulator. */
export function atProvider(s: { sandbox: Sandbox }, b: { provider: ProviderId; orderId: string }) {
  const sandbox = s.sandbox;
  if (b.provider === 'paypal') {
    const order = (sandbox.emulators.paypal.snapshot() as { orders: any[] }).orders.find((o) => o.id === b.orderId);
    const p = order?.purchase_units?.[0]?.payments ?? {};
    const auths: any[] = p.authorizations ?? [];
    const captures: any[] = p.captures ?? [];
    const refunds: any[] = (p.refunds ?? []).filter((r: any) => r.status !== 'FAILED' && r.status !== 'CANCELLED');
    return {
      tookMoney: auths.length > 0 || captures.length > 0,
      captured: captures.filter((c) => c.status === 'COMPLETED' || c.status === 'REFUNDED' || c.status === 'PARTIALLY_REFUNDED'),
      attempts: { authorizations: auths.length, captures: captures.length, refunds: refunds.length },
      returned: auths.some((a) => a.status === 'VOIDED') || refunds.length > 0,
      voided: auths.filter((a) => a.status === 'VOIDED').length,
      refunds: refunds.length,
      amount: captures[0]?.amount ?? auths[0]?.amount,
    };
  }
  const snap = sandbox.emulators.binance.snapshot() as { orders: any[]; refunds: any[] };
  const order = snap.orders.find((o) => o.prepayId === b.orderId);
  const refunds = snap.refunds.filter((r) => r.prepayId === b.orderId && r.status !== 'REFUND_FAIL');
  const paid = order?.transactionId != null;
  return {
    tookMoney: paid,
    captured: paid ? [order] : [],
    attempts: { authorizations: 0, captures: paid ? 1 : 0, refunds: refunds.length },
    returned: refunds.length > 0,
    voided: 0,
    refunds: refunds.length,
    amount: order ? { currency_code: order.currency, value: order.orderAmount } : undefined,
  };
}

/** A provider's decimal amount in minor units of `scale` digits (PayPal USD: 2; Binance USDT: 8); null if it has more decimals. */
export function minorUnits(value: string, scale: number): string | null {
  const [whole, frac = ''] = value.split('.');
  if (frac.length > scale) return null;
  return BigInt(`${whole}${frac.padEnd(scale, '0')}`).toString();
}

/** Jobs not done: due or running, or failed for good. Timers of final events waiting in the future are done work. */
export async function pendingWork(db: Queryable) {
  return db.query<{ name: string; state: string }>(
    `select j.name, j.state from pgboss.job j
      where j.name <> $2 and (j.state in ('retry', 'active', 'failed')
         or (j.state = 'created' and not (j.name = any($1::text[]) and exists (
              select 1 from events e where e.id::text = j.data->>'eventId' and e.state in ('confirmed', 'cancelled', 'failed', 'expired')))))`,
    [TIMERS, PAYMENT_QUEUES.reconcile],
  );
}

/** Every broken invariant, one line each; empty when all hold. */
export async function invariantViolations(s: Scope): Promise<string[]> {
  const out: string[] = [];
  const db = s.db;
  const events = await db.query<{ id: string; state: string; price_minor: string; price_currency: string }>(`select id, state, price_minor::text, price_currency from events`);
  const payments = await db.query<{ id: string; event_id: string; provider: ProviderId; state: string; provider_ref: string | null; price_minor: string; price_currency: string; charge_minor: string | null; charge_currency: string | null }>(
    `select id, event_id, provider, state, provider_ref, price_minor::text, price_currency, charge_minor::text, charge_currency from payments`,
  );
  const paymentsOf = (eventId: string) => payments.filter((p) => p.event_id === eventId);

  // 1. confirmed ⇒ one captured payment of the event's price, really captured at the provider, for that amount.
  for (const e of events.filter((x) => x.state === 'confirmed')) {
    const captured = paymentsOf(e.id).filter((p) => p.state === 'captured');
    if (captured.length !== 1) {
      out.push(`event ${e.id} confirmed with ${captured.length} captured payments`);
      continue;
    }
    const p = captured[0]!;
    if (p.price_minor !== e.price_minor || p.price_currency !== e.price_currency) out.push(`event ${e.id}: payment price ${p.price_minor} ${p.price_currency} is not the event's`);
    const truth = atProvider(s, { provider: p.provider, orderId: p.provider_ref! });
    if (truth.captured.length !== 1) out.push(`event ${e.id} confirmed: ${truth.captured.length} captures at ${p.provider}`);
    if (truth.returned) out.push(`event ${e.id} confirmed but its money was returned`);
    // The expected amount: the event's price (PayPal), or its USDT equivalent fixed at the start (Binance).
    const [currency, minor, scale] = p.provider === 'paypal' ? [e.price_currency, e.price_minor, 2] : [p.charge_currency, p.charge_minor!, 8];
    if (truth.amount?.currency_code !== currency) out.push(`event ${e.id}: currency ${truth.amount?.currency_code} at ${p.provider}, expected ${currency}`);
    else if (minorUnits(truth.amount!.value, scale) !== minor) out.push(`event ${e.id}: amount ${truth.amount!.value} at ${p.provider}, expected ${minor} minor units`);
  }

  // 2. money taken at a provider ⇒ exactly one live Google event (the event confirmed), or returned and none; never twice.
  for (const p of payments.filter((x) => x.provider_ref)) {
    const truth = atProvider(s, { provider: p.provider, orderId: p.provider_ref! });
    const e = events.find((x) => x.id === p.event_id)!;
    const live = liveGoogleEvents(s, e.id).length;
    const a = truth.attempts;
    if (a.authorizations > 1 || a.captures > 1 || a.refunds > 1) out.push(`payment ${p.id}: double money move ${JSON.stringify(a)}`);
    if (truth.voided + truth.refunds > 1) out.push(`payment ${p.id}: returned ${truth.voided + truth.refunds} times`);
    if (!truth.tookMoney) continue;
    if (truth.returned) {
      if (live !== 0) out.push(`payment ${p.id} returned its money but ${live} Google events are left`);
      if (!['voided', 'refunded'].includes(p.state)) out.push(`payment ${p.id} is ${p.state} after its money went back`);
    } else {
      if (live !== 1) out.push(`payment ${p.id} kept its money with ${live} Google events`);
      if (p.state !== 'captured' || e.state !== 'confirmed') out.push(`payment ${p.id} kept its money but is ${p.state}, its event ${e.state}`);
      if (truth.captured.length !== 1) out.push(`payment ${p.id} kept its money but its hold was not captured`);
    }
  }
  for (const e of events) {
    const live = liveGoogleEvents(s, e.id).length;
    if (live !== (e.state === 'confirmed' ? 1 : 0)) out.push(`event ${e.id} (${e.state}) has ${live} Google events`);
  }

  // 3. duplicates stored once; forged deliveries never acknowledged and never stored.
  const inbox = await db.query<{ provider: string; provider_event_id: string; body: Uint8Array; processed_at: Date | null }>(`select provider, provider_event_id, body, processed_at from payment_notifications`);
  if (new Set(inbox.map((r) => `${r.provider} ${r.provider_event_id}`)).size !== inbox.length) out.push('a notification is stored more than once');
  const stored = inbox.map((r) => Buffer.from(r.body).toString('utf8'));
  const deliveries = s.sandbox.ctx.webhooks.deliveries;
  for (const d of deliveries.filter((x) => x.duplicateOf)) if (stored.filter((x) => x === d.body).length > 1) out.push(`duplicated notification ${d.id} stored more than once`);
  for (const d of deliveries.filter((x) => x.forged)) {
    if (d.attempts.some((a) => a.status !== null && a.status < 400)) out.push(`forged delivery ${d.id} acknowledged: ${JSON.stringify(d.attempts.map((a) => a.status))}`);
    if (stored.includes(d.body)) out.push(`forged delivery ${d.id} stored`);
  }
  for (const r of inbox.filter((x) => !x.processed_at)) out.push(`notification ${r.provider} ${r.provider_event_id} never processed`);

  // 4. every event and payment final; nothing left to do.
  for (const e of events.filter((x) => !FINAL_EVENT.includes(x.state))) out.push(`event ${e.id} not final: ${e.state}`);
  for (const p of payments.filter((x) => !FINAL_PAYMENT.includes(x.state))) out.push(`payment ${p.id} (${p.provider}) not final: ${p.state}`);
  for (const j of await pendingWork(db)) out.push(`job ${j.name} left ${j.state}`);
  return out;
}
