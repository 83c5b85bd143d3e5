import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_STATES } from '../../src/domain/event-state.ts';
import { CONNECTION_STATUSES } from '../../src/domain/google-connection.ts';
import { SEND_UPDATES } from '../../src/domain/send-updates.ts';
import { EventState } from '../../src/http/schemas.ts';
import { STATE_LABEL } from '../../web/src/strings.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';

/**
 * The event states and the other enumerations are defined once, in the domain. The API schemas
 * and the interface's labels are built from those lists; the database's check constraints are SQL
 * in migrations, so they are compared.
 */
const CHECKED: [table: string, column: string, values: readonly string[]][] = [
  ['events', 'state', EVENT_STATES],
  ['events', 'send_updates', SEND_UPDATES],
  ['google_connections', 'status', CONNECTION_STATUSES],
];

for (const kind of await dbKinds()) {
  describe(`event states on ${kind}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(() => t.close());

    for (const [table, column, values] of CHECKED) {
      it(`${table}.${column} accepts exactly the domain’s values`, async () => {
        const defs = await t.db.query<{ def: string }>(
          `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'c'`,
          [table],
        );
        const check = defs.map((d) => d.def).find((d) => new RegExp(`\\(${column}\\b`).test(d));
        assert.ok(check, defs.map((d) => d.def).join('\n'));
        const allowed = [...check.matchAll(/'([A-Za-z_]+)'::text/g)].map((m) => m[1]);
        assert.deepEqual([...allowed].sort(), [...values].sort());
      });
    }
  });
}

describe('event states outside the database', () => {
  it('the API schema and the interface labels cover exactly the domain’s states', () => {
    assert.deepEqual(EventState.options, [...EVENT_STATES]);
    assert.deepEqual(Object.keys(STATE_LABEL).sort(), [...EVENT_STATES].sort());
  });
});
