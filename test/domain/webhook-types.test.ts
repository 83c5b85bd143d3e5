import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_STATES, EVENT_TRANSITIONS } from '../../src/domain/event-state.ts';
import { PAYMENT_STATES, PAYMENT_TRANSITIONS } from '../../src/domain/payment-state.ts';
import { eventWebhookType, isWebhookType, paymentWebhookType, WEBHOOK_TYPES } from '../../src/domain/webhook-types.ts';

/** Every transition of both machines, written out with the webhook it announces (or none). */
const EVENT: Record<string, string | null> = {
  'null→pending_payment': 'event.created',
  'pending_payment→paid': null,
  'pending_payment→expired': 'event.expired',
  'pending_payment→cancelled': 'event.cancelled',
  'paid→confirmed': 'event.confirmed',
  'paid→failed': 'event.failed',
  'paid→cancelled': 'event.cancelled',
  'confirmed→cancelled': 'event.cancelled',
};

const LATE_TO = { voiding: null, refunding: null, review: null, voided: 'payment.cancelled', refunded: 'payment.refunded', reversed: 'payment.reversed' };
const OPEN_TO = {
  pending: null,
  authorized: null,
  captured: 'payment.completed',
  declined: 'payment.failed',
  expired: 'payment.expired',
  cancelled: 'payment.cancelled',
  review: null,
  voiding: null,
  refunding: null,
};
const PAYMENT: Record<string, Record<string, string | null>> = {
  null: { created: 'payment.created' },
  created: { approved: null, ...OPEN_TO, error: 'payment.failed' },
  approved: OPEN_TO,
  pending: Object.fromEntries(Object.entries(OPEN_TO).filter(([k]) => k !== 'pending')),
  authorized: { pending: null, captured: 'payment.completed', voiding: null, voided: 'payment.cancelled', declined: 'payment.failed', expired: 'payment.expired', review: null },
  captured: { refunding: null, refunded: 'payment.refunded', reversed: 'payment.reversed' },
  voiding: { voided: 'payment.cancelled', refunding: null, review: null },
  refunding: { refunded: 'payment.refunded', reversed: 'payment.reversed', review: null },
  review: { voiding: null, voided: 'payment.cancelled', refunding: null, refunded: 'payment.refunded', reversed: 'payment.reversed' },
  expired: LATE_TO,
  cancelled: LATE_TO,
  declined: LATE_TO,
  error: LATE_TO,
  voided: {},
  refunded: {},
  reversed: {},
};

describe('webhook types of the state machines', () => {
  it('lists the twelve documented types', () => {
    assert.equal(WEBHOOK_TYPES.length, 12);
    assert.ok(WEBHOOK_TYPES.every(isWebhookType));
    assert.equal(isWebhookType('event.paid'), false);
  });

  it('maps every event transition, and creation, to its webhook or none', () => {
    const all = [[null, 'pending_payment'] as const, ...EVENT_TRANSITIONS];
    assert.deepEqual(all.map(([f, t]) => `${f}→${t}`).sort(), Object.keys(EVENT).sort(), 'the table covers every transition');
    for (const [from, to] of all) assert.equal(eventWebhookType(from, to), EVENT[`${from}→${to}`], `${from} → ${to}`);
    // An event is never created in another state.
    for (const s of EVENT_STATES.filter((s) => s !== 'pending_payment')) assert.equal(eventWebhookType(null, s), null);
  });

  it('maps every payment transition, and creation, to its webhook or none', () => {
    const listed = Object.entries(PAYMENT).flatMap(([from, tos]) => Object.keys(tos).map((to) => `${from}→${to}`));
    const all = [[null, 'created'] as const, ...PAYMENT_TRANSITIONS];
    assert.deepEqual(all.map(([f, t]) => `${f}→${t}`).sort(), listed.sort(), 'the table covers every transition');
    for (const [from, to] of all) assert.equal(paymentWebhookType(from, to), PAYMENT[String(from)]![to], `${from} → ${to}`);
    for (const s of PAYMENT_STATES.filter((s) => s !== 'created')) assert.equal(paymentWebhookType(null, s), null);
  });

  it('announces every type from some transition', () => {
    const produced = new Set([...Object.values(EVENT), ...Object.values(PAYMENT).flatMap((t) => Object.values(t))].filter(Boolean));
    assert.deepEqual([...produced].sort(), [...WEBHOOK_TYPES].sort());
  });
});
