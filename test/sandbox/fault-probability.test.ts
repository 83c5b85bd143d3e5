import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultRegistry } from '../../sandbox/faults.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

/** Probabilistic fault rules: a share of matching calls, the same share again with the same seed. */

function draws(seed: number, probability: number, calls: number): boolean[] {
  const r = new FaultRegistry(seed);
  r.add('paypal', '*', { fault: 'http_error', status: 503 }, null, probability);
  return Array.from({ length: calls }, () => r.take('paypal', 'orders.get', 'response').length > 0);
}

describe('probabilistic fault rules', () => {
  it('fire on about the asked share of calls, and the same calls again for the same seed', () => {
    const a = draws(42, 0.1, 2000);
    const share = a.filter(Boolean).length / a.length;
    assert.ok(share > 0.07 && share < 0.13, `fired on ${share} of calls`);
    assert.deepEqual(draws(42, 0.1, 2000), a, 'same seed, same calls');
    assert.notDeepEqual(draws(43, 0.1, 2000), a, 'another seed, other calls');
  });

  it('are accepted by the control API and stay until cleared', async () => {
    const sandbox = await withSandbox({ faultSeed: 7 });
    try {
      await addFault(sandbox, { provider: 'binance', operation: '*', fault: 'webhook_drop', count: null, probability: 0.05 });
      const rules = (await (await fetch(`${sandbox.url}/__sandbox/faults`)).json()) as { faults: { probability?: number; remaining: number | null }[] };
      assert.deepEqual(rules.faults.map((r) => [r.probability, r.remaining]), [[0.05, null]]);
      const refused = await fetch(`${sandbox.url}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'binance', fault: 'webhook_drop', probability: 1.5 }),
      });
      assert.equal(refused.status, 400);
    } finally {
      await sandbox.close();
    }
  });
});
