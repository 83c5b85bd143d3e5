import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTransition, canTransition, EVENT_STATES, EVENT_TRANSITIONS, isTerminal, TransitionError, type EventState } from '../../src/domain/event-state.ts';

/** DESIGN.md §1: the whole table, written out, so any change to it is a visible decision. */
const ALLOWED: ReadonlyArray<readonly [EventState, EventState]> = [
  ['pending_payment', 'paid'],
  ['pending_payment', 'expired'],
  ['pending_payment', 'cancelled'],
  ['paid', 'confirmed'],
  ['paid', 'failed'],
  ['paid', 'cancelled'],
  ['confirmed', 'cancelled'],
];

describe('event state machine', () => {
  it('has the six states', () => {
    assert.deepEqual([...EVENT_STATES], ['pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'cancelled']);
  });

  it('allows exactly the documented transitions, and lists them for the database', () => {
    assert.deepEqual(EVENT_TRANSITIONS, ALLOWED);
    const allowed = new Set(ALLOWED.map(([a, b]) => `${a}>${b}`));
    for (const from of EVENT_STATES) {
      for (const to of EVENT_STATES) {
        const ok = allowed.has(`${from}>${to}`);
        assert.equal(canTransition(from, to), ok, `${from} → ${to}`);
        if (ok) assert.doesNotThrow(() => assertTransition(from, to));
        else {
          assert.throws(
            () => assertTransition(from, to),
            (err: unknown) => err instanceof TransitionError && err.name === 'TransitionError' && err.from === from && err.to === to && err.message.includes(`${from} to ${to}`),
          );
        }
      }
    }
  });

  it('never confirms an event that was not paid, and ends in failed, expired or cancelled', () => {
    assert.equal(canTransition('pending_payment', 'confirmed'), false);
    assert.deepEqual(EVENT_STATES.filter(isTerminal), ['failed', 'expired', 'cancelled']);
  });
});
