import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbKinds } from '../support/db.ts';
import { formatReport, runChaos } from './run.ts';

/**
 * The short chaos run inside `npm test`: the code of `npm run chaos` (test/chaos/run.ts) with a
 * fixed seed and 50 bookings: two app processes on PostgreSQL, sandbox faults on throughout, at
 * least five SIGKILLs and restarts, then DESIGN.md §1's invariants and no outgoing webhook lost.
 */

const kinds = await dbKinds();
if (!kinds.includes('postgres') && process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is unreachable: the short chaos run must run');
const SEED = 20261201;

describe('chaos (short): 50 bookings, faults and SIGKILLs, seed ' + SEED, { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable: the chaos run needs it (two instances share one database)' }, () => {
  it('keeps every invariant and loses no webhook', { timeout: 900_000 }, async () => {
    const lines: string[] = [];
    const report = await runChaos({ bookings: 50, seed: SEED, concurrency: 6, log: (l) => lines.push(l) });
    const table = formatReport(report);
    process.stdout.write(`${table}\n`);
    assert.ok(report.kills.length >= 5, `at least five kills (${report.kills.length})`);
    for (const kind of ['http_error 503', 'http_error 429', 'webhook_duplicate']) {
      assert.ok(Object.keys(report.faults).some((k) => k.endsWith(kind)), `${kind} fired\n${table}`);
    }
    assert.ok(Object.keys(report.outcomes).some((k) => k.startsWith('confirmed')), `some bookings confirmed\n${table}`);
    assert.deepEqual(report.violations, [], `${table}\n${lines.slice(-30).join('\n')}`);
  });
});
