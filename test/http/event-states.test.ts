import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_STATES } from '../../src/domain/event-state.ts';
import { EventState } from '../../src/http/schemas.ts';
import { STATE_LABEL } from '../../src/web/state-labels.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';

/**
 * The event states are defined once, in the domain. The API schema and the interface's labels are
 * built from that list; the database's check constraint is SQL in a migration, so it is compared.
 */
for (const kind of await dbKinds()) {
  describe(`event states on ${kind}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(() => t.close());

    it('the database accepts exactly the domain’s states', async () => {
      const defs = await t.db.query<{ def: string }>(
        `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'events'::regclass and contype = 'c'`,
      );
      const stateCheck = defs.map((d) => d.def).find((d) => /\(state\b/.test(d));
      assert.ok(stateCheck, defs.map((d) => d.def).join('\n'));
      const allowed = [...stateCheck.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
      assert.deepEqual([...allowed].sort(), [...EVENT_STATES].sort());
    });
  });
}

describe('event states outside the database', () => {
  it('the API schema and the interface labels cover exactly the domain’s states', () => {
    assert.deepEqual(EventState.options, [...EVENT_STATES]);
    assert.deepEqual(Object.keys(STATE_LABEL).sort(), [...EVENT_STATES].sort());
  });
});
