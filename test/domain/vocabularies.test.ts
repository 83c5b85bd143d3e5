import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONNECTION_STATUSES } from '../../src/domain/google-connection.ts';
import { SEND_UPDATES } from '../../src/domain/send-updates.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

/** The domain's small vocabularies are the ones their other side uses (Google, the database). */
describe('vocabularies', () => {
  it('SEND_UPDATES is Calendar v3’s sendUpdates, in its order', { skip: specsSkip() }, () => {
    const discovery = readSpecJson('google', 'calendar-v3-discovery.json');
    for (const method of ['insert', 'patch', 'delete']) {
      assert.deepEqual([...SEND_UPDATES], discovery.resources.events.methods[method].parameters.sendUpdates.enum, method);
    }
  });

  it('CONNECTION_STATUSES are the statuses the database allows (0001_core.sql)', () => {
    const sql = readFileSync(new URL('../../src/db/migrations/0001_core.sql', import.meta.url), 'utf8');
    const table = /create table google_connections \(([\s\S]*?)\n\);/i.exec(sql)?.[1];
    assert.ok(table, 'google_connections in 0001_core.sql');
    const check = /status text not null check \(status in \(([^)]*)\)\)/.exec(table)?.[1];
    assert.ok(check, 'the status check');
    assert.deepEqual([...CONNECTION_STATUSES], [...check.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]));
  });
});
