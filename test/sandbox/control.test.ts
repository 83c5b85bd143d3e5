import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../sandbox/server.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

describe('sandbox control API', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await withSandbox();
  });
  after(() => sandbox.close());

  it('lists, fires and clears faults', async () => {
    await addFault(sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'latency', ms: 10, count: 2 });
    const listed = await (await fetch(`${sandbox.url}/__sandbox/faults`)).json();
    assert.equal(listed.faults.length, 1);
    assert.equal(listed.faults[0].remaining, 2);
    assert.deepEqual(sandbox.ctx.faults.take('paypal', 'orders.create', 'response'), [{ fault: 'latency', ms: 10 }]);
    assert.deepEqual(sandbox.ctx.faults.take('paypal', 'orders.get', 'response'), []);
    const res = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.equal(sandbox.ctx.faults.list().length, 0);
  });

  it('refuses a malformed fault with the reason', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'paypal', fault: 'latency' }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /ms/);
  });

  it('shows its state to a person', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /provider sandbox/);
  });

  it('changes settings at run time and refuses unknown ones', async () => {
    const ok = await fetch(`${sandbox.url}/__sandbox/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ binanceTimestampWindowMs: 1000 }),
    });
    assert.equal(ok.status, 200);
    assert.equal(sandbox.ctx.settings.binanceTimestampWindowMs, 1000);
    const bad = await fetch(`${sandbox.url}/__sandbox/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nope: 1 }),
    });
    assert.equal(bad.status, 400);
  });
});
