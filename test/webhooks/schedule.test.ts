import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { nextAttemptAt } from '../../src/app/webhooks.ts';
import { loadConfig } from '../../src/config/env.ts';
import { sandboxEnv } from '../support/app.ts';

/** The retry schedule docs/webhooks.md gives is the one the defaults produce. */
describe('webhook retry schedule', () => {
  const cfg = loadConfig(sandboxEnv('http://127.0.0.1:1')).webhooks;
  const created = new Date('2026-12-01T00:00:00Z');

  /** Minutes after the first attempt of each attempt, the first at the change itself, no jitter. */
  function schedule(random: () => number): number[] {
    const at = [created];
    for (let n = 1; ; n++) {
      const next = nextAttemptAt(created, n, at[n - 1]!, cfg, random);
      if (!next) break;
      at.push(next);
    }
    return at.map((d) => (d.getTime() - created.getTime()) / 60_000);
  }

  it('doubles from one minute, waits at most 12 hours, and ends with an attempt at 3 days', () => {
    assert.deepEqual(schedule(() => 0), [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1743, 2463, 3183, 3903, 4320]);
  });

  it('matches the table in docs/webhooks.md', () => {
    const page = readFileSync(resolve(import.meta.dirname, '../../docs/webhooks.md'), 'utf8');
    const cells = [...page.matchAll(/\| (\d+) \| (—|(?:(\d+) h ?)?(?:(\d+) min)?)(?: \(the last\))?(?= \|)/g)].map((m) => [Number(m[1]), m[2] === '—' ? 0 : Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)] as const);
    assert.equal(cells.length, 16, 'the table has a row for each attempt');
    const expected = schedule(() => 0);
    // Long waits are shown in whole hours ("17 h" for 17 h 3 min): a few minutes' rounding, never more.
    for (const [attempt, minutes] of cells) {
      const actual = expected[attempt - 1]!;
      assert.ok(actual >= minutes && actual - minutes < 5, `attempt ${attempt}: documented ${minutes} min, actually ${actual} min`);
    }
  });

  it('with jitter waits up to 10 % longer, never past the window', () => {
    const slowest = schedule(() => 0.999);
    const fastest = schedule(() => 0);
    for (let i = 1; i < fastest.length && i < slowest.length; i++) assert.ok(slowest[i]! >= fastest[i]!);
    assert.equal(slowest.at(-1), 4320);
    assert.ok(slowest.length <= fastest.length);
  });
});
