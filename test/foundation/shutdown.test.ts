import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consentBody } from '../sandbox/google-helpers.ts';
import { startTestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { addFault } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';

describe('graceful shutdown', () => {
  it('finishes an in-flight request, refuses new connections, then closes', async () => {
    const app = await startTestApp();
    const sandbox = app.runtime.sandbox;
    try {
      // A real request that takes a while: the sign-in callback waits on Google's token endpoint.
      const b = new Browser();
      const start = await b.request(`${app.url}/auth/google/start`);
      const consent = await b.go(start.headers.get('location')!);
      const { action, body } = consentBody(await consent.text(), { typeEmail: 'shutdown@example.com' });
      const back = await b.request(new URL(action, sandbox.url).toString(), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const callback = back.headers.get('location')!;
      assert.ok(callback.startsWith(`${app.url}/auth/google/callback`), callback);
      await addFault(sandbox, { provider: 'google', operation: 'oauth.token', fault: 'latency', ms: 1500 });

      const inflight = b.request(callback);
      await waitFor('the token exchange to be under way', () => sandbox.ctx.faults.fired.some((f) => f.operation === 'oauth.token'));
      const closing = app.runtime.close();

      await assert.rejects(fetch(`${app.url}/healthz`), 'no new connection is accepted while closing');
      const res = await inflight;
      assert.equal(res.status, 302, 'the in-flight request completed');
      assert.equal(res.headers.get('location'), '/app');
      assert.ok(b.cookie(app.url, 'lc_session'));
      await closing;
      assert.ok(app.logs.some((l) => l.msg === 'LeadsCalendar stopped'));
    } finally {
      await app.close();
    }
  });
});
