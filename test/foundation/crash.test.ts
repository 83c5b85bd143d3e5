import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import PgBoss from 'pg-boss';
import { QUEUES } from '../../src/app/events.ts';
import { consentBody } from '../sandbox/google-helpers.ts';
import { freePort, sandboxEnv } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { createTestDatabase, dbKinds } from '../support/db.ts';
import { startMain } from '../support/process.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';

const kinds = await dbKinds();

describe('a crash in the middle of work (kill -9)', () => {
  it('loses nothing: after a restart the calendar insert resumes and ends in one event', { skip: !kinds.includes('postgres') && 'PostgreSQL unreachable' }, async () => {
    // The providers live outside the app process here, so that they survive its death.
    const sandbox = await withSandbox();
    const db = await createTestDatabase('postgres', { migrated: false });
    const dataDir = await mkdtemp(join(tmpdir(), 'lc-crash-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: db.url!,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      ...sandboxEnv(sandbox),
      DATA_DIR: dataDir,
      JOB_POLL_INTERVAL_SECONDS: '0.5',
      JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
      LOG_LEVEL: 'warn',
    };
    let app = startMain(env);
    const boss = new PgBoss({ connectionString: db.url! });
    try {
      await waitFor('the app', () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 60_000, 100);
      const b = new Browser();
      const start = await b.request(`${base}/auth/google/start`);
      const consent = await b.go(start.headers.get('location')!);
      const { action, body } = consentBody(await consent.text(), { typeEmail: 'crash@example.com' });
      await b.submit(new URL(action, sandbox.url).toString(), body);
      const me = (await b.json(`${base}/api/v1/me`)).body;
      const created = await b.json(`${base}/api/v1/events`, {
        method: 'POST',
        headers: { 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ title: 'Survives', timeZone: 'UTC', start: '2031-08-01T09:00', end: '2031-08-01T10:00' }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const eventId = created.body.event.id;

      // Google is slow: the insert will be in flight when the process dies.
      await addFault(sandbox, { provider: 'google', operation: 'calendar.events.insert', fault: 'latency', ms: 2000 });
      // The payer pays with Binance Pay: the verified payment makes the event paid and queues the insert.
      const payment = await b.json(`${base}/api/v1/events/${eventId}/payments`, {
        method: 'POST',
        headers: { 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ provider: 'binance' }),
      });
      assert.equal(payment.status, 201, JSON.stringify(payment.body));
      const paid = await fetch(`${sandbox.url}/__sandbox/binance/orders/${payment.body.providerReference.orderId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(paid.status, 200);
      await waitFor('the insert to be under way', () => sandbox.ctx.faults.fired.some((f) => f.operation === 'calendar.events.insert'));
      app.child.kill('SIGKILL');
      assert.equal(await app.exited, null);

      const [job] = await db.db.query<{ state: string }>(`select state from pgboss.job where name = $1 and data->>'eventId' = $2`, [QUEUES.insert, eventId]);
      assert.equal(job!.state, 'active', 'the job died with its worker');
      // Time moves by back-dating the job, not by waiting out its expiry.
      await db.db.query(`update pgboss.job set started_on = now() - interval '1 hour' where name = $1 and data->>'eventId' = $2`, [QUEUES.insert, eventId]);

      app = startMain(env);
      await waitFor('the event to be confirmed after the restart', async () => {
        const [e] = await db.db.query<{ state: string }>('select state from events where id = $1', [eventId]);
        return e!.state === 'confirmed';
      }, 60_000, 200);
      const onCalendar = sandbox.emulators.google.snapshot() as { calendars: unknown };
      const copies = JSON.stringify(onCalendar).split(`"lcEventId":"${eventId}"`).length - 1;
      assert.equal(copies, 1, 'exactly one event on the calendar');
    } finally {
      app.child.kill('SIGKILL');
      await boss.stop({ graceful: false }).catch(() => {});
      await sandbox.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
