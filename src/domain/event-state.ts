/**
 * The event lifecycle (DESIGN.md §1): one state machine, every transition recorded by the caller.
 * Pure: decides whether a transition is allowed, nothing else.
 */
export const EVENT_STATES = ['pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'cancelled'] as const;
export type EventState = (typeof EVENT_STATES)[number];

const NEXT: Record<EventState, readonly EventState[]> = {
  pending_payment: ['paid', 'expired', 'cancelled'],
  // cancelled: its payer released a PayPal hold (void) before the capture; no money was taken.
  paid: ['confirmed', 'failed', 'cancelled'],
  confirmed: ['cancelled'],
  failed: [],
  expired: [],
  cancelled: [],
};

/** Every legal transition, as [from, to] pairs: the database refuses any other (0004_audit_trail.sql). */
export const EVENT_TRANSITIONS: readonly (readonly [EventState, EventState])[] = EVENT_STATES.flatMap((from) => NEXT[from].map((to) => [from, to] as const));

export function canTransition(from: EventState, to: EventState): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(state: EventState): boolean {
  return NEXT[state].length === 0;
}

export class TransitionError extends Error {
  constructor(
    readonly from: EventState,
    readonly to: EventState,
  ) {
    super(`an event cannot go from ${from} to ${to}`);
    this.name = 'TransitionError';
  }
}

export function assertTransition(from: EventState, to: EventState): void {
  if (!canTransition(from, to)) throw new TransitionError(from, to);
}
