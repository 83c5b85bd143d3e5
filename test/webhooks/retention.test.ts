import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/env.ts';
import { sandboxEnv, startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { dbKinds } from '../support/db.ts';
import { signIn } from '../support/google.ts';
import { createEvent } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';
import { api, Receiver } from './support.ts';

/**
 * WEBHOOK_RETENTION_DAYS: the prune deletes webhook events dispatched longer ago than the period,
 * with their logged attempts, and keeps what is still being delivered or was redelivered lately.
 * Time moves by back-dating rows, not by waiting.
 */

for (const kind of await dbKinds()) {
  describe(`webhook retention on ${kind}`, () => {
    let app: TestApp;
    let browser: Browser;
    let receiver: Receiver;
    before(async () => {
      // Retries an hour apart: a failed delivery's next attempt waits, queued, while the test runs.
      app = await startTestApp({ kind, env: { JOB_POLL_INTERVAL_SECONDS: '0.5', WEBHOOK_RETRY_BASE_SECONDS: '3600', WEBHOOK_RETENTION_DAYS: '30' } });
      ({ browser } = await signIn(app, { email: `retention-${kind}@example.com` }));
      receiver = await Receiver.start();
    });
    after(async () => {
      await receiver?.close();
      await app?.close();
    });

    const q = <T>(sql: string, params: unknown[] = []) => app.db.db.query<T & Record<string, unknown>>(sql, params);
    const webhookEventOf = async (eventId: string) => (await q<{ id: string }>('select id from webhook_events where event_id = $1', [eventId]))[0]?.id;
    const attemptsOf = async (webhookEventId: string) => (await q<{ n: number }>('select count(*)::int as n from webhook_deliveries where webhook_event_id = $1', [webhookEventId]))[0]!.n;
    /** Moves an event's webhook and its attempts `days` into the past. */
    const age = async (webhookEventId: string, days: number) => {
      await q(`update webhook_events set created_at = created_at - $2 * interval '1 day', dispatched_at = dispatched_at - $2 * interval '1 day' where id = $1`, [webhookEventId, days]);
      await q(`update webhook_deliveries set at = at - $2 * interval '1 day' where webhook_event_id = $1`, [webhookEventId, days]);
    };

    it('deletes what is older than the period, never a webhook waiting for a retry or one redelivered lately', async () => {
      const endpoint = await api(app, browser, 'POST', '/api/v1/webhook-endpoints', { url: receiver.url, types: ['event.created'] });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      const endpointId = endpoint.body.id as string;

      const [old, recent, redelivered] = [await createEvent(app, browser, { title: 'Old' }), await createEvent(app, browser, { title: 'Recent' }), await createEvent(app, browser, { title: 'Redelivered' })];
      await waitFor('three deliveries', () => receiver.received.length >= 3 || null, 20_000);
      receiver.then = 500;
      const retrying = await createEvent(app, browser, { title: 'Retrying' });
      const ids = {
        old: (await waitFor('old dispatched', () => webhookEventOf(old.id)))!,
        recent: (await waitFor('recent dispatched', () => webhookEventOf(recent.id)))!,
        redelivered: (await waitFor('redelivered dispatched', () => webhookEventOf(redelivered.id)))!,
        retrying: (await waitFor('retrying dispatched', () => webhookEventOf(retrying.id)))!,
      };
      for (const id of Object.values(ids)) await waitFor('a logged attempt', async () => ((await attemptsOf(id)) >= 1 ? true : null), 20_000);
      // The failed one's next attempt is queued an hour from now.
      const pending = await q<{ n: number }>(`select count(*)::int as n from pgboss.job where name = 'webhook.deliver' and state <= 'active' and data->>'webhookEventId' = $1`, [ids.retrying]);
      assert.equal(pending[0]!.n, 1);
      receiver.then = 200;

      await age(ids.old, 31);
      await age(ids.recent, 29);
      await age(ids.retrying, 31);
      await age(ids.redelivered, 31);
      const [firstAttempt] = await q<{ id: string }>('select id from webhook_deliveries where webhook_event_id = $1', [ids.redelivered]);
      const again = await api(app, browser, 'POST', `/api/v1/webhook-deliveries/${firstAttempt!.id}/redeliver`);
      assert.equal(again.status, 201, JSON.stringify(again.body));

      assert.equal(await app.runtime.webhooks.prune(), 1);
      assert.equal(await webhookEventOf(old.id), undefined, 'the old webhook event is deleted');
      assert.equal(await attemptsOf(ids.old), 0, 'with its logged attempts');
      assert.equal(await webhookEventOf(recent.id), ids.recent, 'inside the period: kept');
      assert.equal(await attemptsOf(ids.recent), 1);
      assert.equal(await webhookEventOf(retrying.id), ids.retrying, 'waiting for a retry: kept');
      assert.equal(await attemptsOf(ids.retrying), 1);
      assert.equal(await webhookEventOf(redelivered.id), ids.redelivered, 'redelivered inside the period: kept whole');
      assert.equal(await attemptsOf(ids.redelivered), 2);
      // The person's log no longer lists the deleted attempt; the event itself is untouched.
      const log = (await api(app, browser, 'GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`)).body;
      assert.deepEqual(new Set(log.deliveries.map((d: { webhookEventId: string }) => d.webhookEventId)), new Set([ids.recent, ids.retrying, ids.redelivered]));
      assert.equal((await api(app, browser, 'GET', `/api/v1/events/${old.id}`)).status, 200);

      // Once the retry is no longer pending, and the redelivery has aged too, both go.
      await q(`update pgboss.job set state = 'cancelled', completed_on = now() where name = 'webhook.deliver' and data->>'webhookEventId' = $1 and state <= 'active'`, [ids.retrying]);
      await age(ids.redelivered, 31);
      assert.equal(await app.runtime.webhooks.prune(), 2);
      assert.equal(await webhookEventOf(retrying.id), undefined);
      assert.equal(await webhookEventOf(redelivered.id), undefined);
      assert.equal(await webhookEventOf(recent.id), ids.recent);

      // Nobody calls prune: each instance does at its start, then hourly in the dispatcher's sweep.
      await age(ids.recent, 2);
      await app.runtime.webhooks.stop();
      await app.runtime.webhooks.start();
      await waitFor('the prune at start', async () => ((await webhookEventOf(recent.id)) === undefined ? true : null), 10_000);
      assert.ok(app.logs.some((l) => l.msg === 'old webhook events and their deliveries pruned' && l.deleted === 1));
    });
  });
}

describe('WEBHOOK_RETENTION_DAYS', () => {
  const env = sandboxEnv('http://127.0.0.1:1');
  it('defaults to 30 days', () => {
    assert.equal(loadConfig(env).webhooks.retentionDays, 30);
  });
  it('is a whole number of days, at least the retry window', () => {
    assert.throws(() => loadConfig({ ...env, WEBHOOK_RETENTION_DAYS: '0' }), /WEBHOOK_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ ...env, WEBHOOK_RETENTION_DAYS: '1.5' }), /WEBHOOK_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ ...env, WEBHOOK_RETENTION_DAYS: '2' }), /WEBHOOK_RETENTION_DAYS: the delivery log must outlast/);
    assert.equal(loadConfig({ ...env, WEBHOOK_RETENTION_DAYS: '2', WEBHOOK_RETRY_WINDOW_SECONDS: '3600' }).webhooks.retentionDays, 2);
  });
});
