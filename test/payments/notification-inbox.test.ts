import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotificationInbox } from '../../src/app/notification-inbox.ts';
import type { Database } from '../../src/db/database.ts';
import type { InboxEntry } from '../../src/db/repos/payments.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestDatabase, dbKinds, type TestDatabase } from '../support/db.ts';
import { waitFor } from '../support/wait.ts';

const log = createLogger('silent');
const QUEUE = 'inbox-probe';

const entry = (id: string, over: Partial<InboxEntry> = {}): InboxEntry => ({
  provider: 'paypal',
  providerEventId: id,
  providerType: 'PAYMENT.CAPTURE.COMPLETED',
  paymentId: null,
  providerRef: `ORDER-${id}`,
  hint: 'completed',
  body: Buffer.from(`{"id":"${id}"}`),
  headers: { 'paypal-transmission-id': id },
  receivedAt: new Date(),
  ...over,
});

/** The notification inbox's group commit: durable before the answer, fewer commits than notifications. */
for (const kind of await dbKinds()) {
  describe(`notification inbox on ${kind}`, () => {
    let t: TestDatabase;
    let queue: JobQueue;
    let counted: Database;
    let transactions = 0;
    const ran: string[] = [];

    before(async () => {
      t = await createTestDatabase(kind);
      counted = new Proxy(t.db, {
        get(target, prop) {
          if (prop === 'transaction') return (fn: Parameters<Database['transaction']>[0]) => (transactions++, target.transaction(fn));
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      queue = new JobQueue(t.db, log, undefined, { pollIntervalSeconds: 30 });
      queue.define<{ inboxId: string }>({ name: QUEUE, retryLimit: 7, retryDelaySeconds: 3, expireInSeconds: 90, handler: async ({ inboxId }) => void ran.push(inboxId) });
      await queue.start();
    });
    after(async () => {
      await queue.stop(1000);
      await t.close();
    });

    const inboxRows = (ids: string[]) =>
      t.db.query<{ id: string; provider_event_id: string }>(
        `select id::text, provider_event_id from payment_notifications where provider_event_id = any($1::text[]) order by id`,
        [ids],
      );

    it('stores a burst in a few transactions, each notification once with one job that runs', async () => {
      const inbox = new NotificationInbox(counted, queue, QUEUE, log);
      const ids = Array.from({ length: 60 }, (_, i) => `WH-BURST-${i}`);
      transactions = 0;
      const stored = await Promise.all(ids.map((id) => inbox.store(entry(id))));
      assert.deepEqual(stored, ids.map(() => true));
      // Two written alone at once (nothing was waiting), then the 58 that arrived meanwhile, together.
      assert.equal(transactions, 3);
      const rows = await inboxRows(ids);
      assert.equal(rows.length, 60);
      await waitFor('a job per stored notification', () => rows.every((r) => ran.includes(r.id)), 15_000);
      assert.equal(ran.filter((id) => rows.some((r) => r.id === id)).length, 60, 'each job ran once');
    });

    it('gives its jobs the queue’s retry settings, as a job sent one at a time', async () => {
      const inbox = new NotificationInbox(t.db, queue, QUEUE, log);
      await inbox.store(entry('WH-SETTINGS'));
      const [row] = await inboxRows(['WH-SETTINGS']);
      const jobs = await t.db.query<{ retry_limit: number; retry_delay: number; expire_s: number; singleton_key: string }>(
        `select retry_limit, retry_delay, extract(epoch from expire_in)::int as expire_s, singleton_key from pgboss.job where name = $1 and data->>'inboxId' = $2`,
        [QUEUE, row!.id],
      );
      assert.deepEqual(jobs, [{ retry_limit: 7, retry_delay: 3, expire_s: 90, singleton_key: row!.id }]);
    });

    it('stores a notification sent twice, within one batch or later, once: the copies answer "duplicate"', async () => {
      const inbox = new NotificationInbox(t.db, queue, QUEUE, log);
      const burst = await Promise.all(['WH-A', 'WH-B', 'WH-DUP', 'WH-DUP', 'WH-C', 'WH-DUP'].map((id) => inbox.store(entry(id))));
      assert.deepEqual(burst, [true, true, true, false, true, false]);
      assert.equal(await inbox.store(entry('WH-DUP')), false);
      assert.equal(await inbox.store(entry('WH-DUP', { provider: 'binance' })), true, 'another provider’s id is another notification');
      assert.equal((await inboxRows(['WH-DUP'])).length, 2);
    });

    it('fails only the notification the database refuses, not the others of its batch', async () => {
      const inbox = new NotificationInbox(t.db, queue, QUEUE, log);
      const ids = ['WH-OK-1', 'WH-OK-2', 'WH-POISON', 'WH-OK-3', 'WH-OK-4'];
      // PostgreSQL text cannot hold a NUL byte: this one is refused whatever batch it is in.
      const results = await Promise.allSettled(ids.map((id) => inbox.store(entry(id, id === 'WH-POISON' ? { hint: 'nul\u0000byte' } : {}))));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      assert.deepEqual((await inboxRows(ids)).map((r) => r.provider_event_id).sort(), ['WH-OK-1', 'WH-OK-2', 'WH-OK-3', 'WH-OK-4']);
    });
  });
}
