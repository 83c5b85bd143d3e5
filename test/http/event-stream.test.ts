import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { dbKinds } from '../support/db.ts';
import { apiPost, signIn } from '../support/google.ts';
import { createEvent, getEvent, payForEvent, waitForEvent } from '../support/payments.ts';
import { SseStream, type SseMessage } from '../support/sse.ts';

/**
 * Issue #9, "Live status": GET /api/v1/events/{id}/stream. The snapshot, every change in order,
 * resuming with Last-Event-ID, the heartbeat, ownership, limits and shutdown. The cross-instance
 * delivery (PostgreSQL LISTEN/NOTIFY) is in event-stream-instances.test.ts.
 */

const streamOf = (app: TestApp, browser: Browser, id: string, headers: Record<string, string> = {}, query = '') =>
  SseStream.open(browser, `${app.url}/api/v1/events/${id}/stream${query}`, headers);

/** Change messages until one satisfies `last` (included). */
async function changesUntil(s: SseStream, last: (m: SseMessage) => boolean): Promise<SseMessage[]> {
  const got: SseMessage[] = [];
  for (;;) {
    const m = await s.nextMessage();
    assert.ok(m, `the stream ended after ${got.length} changes`);
    assert.equal(m.event, 'change', JSON.stringify(m));
    got.push(m);
    if (last(m)) return got;
  }
}

const timelineIds = async (app: TestApp, browser: Browser, id: string): Promise<string[]> => (await getEvent(app, browser, id)).timeline.map((t: { id: string }) => t.id);

for (const kind of await dbKinds()) {
  describe(`live status stream (${kind})`, () => {
    let app: TestApp;
    let browser: Browser;
    before(async () => {
      app = await startTestApp({ kind, env: { SSE_HEARTBEAT_SECONDS: '1' } });
      ({ browser } = await signIn(app, { email: `stream-${kind}@example.com` }));
    });
    after(() => app?.close());

    it('sends a snapshot, then each change of a paid booking in order, as committed', async () => {
      const event = await createEvent(app, browser);
      const s = await streamOf(app, browser, event.id);
      try {
        assert.equal(s.response.status, 200);
        const snapshot = await s.nextMessage();
        assert.equal(snapshot?.event, 'snapshot');
        assert.equal(snapshot.data.event.id, event.id);
        assert.equal(snapshot.data.event.state, 'pending_payment');
        assert.deepEqual(snapshot.data.payments, []);
        const first = snapshot.data.event.timeline as { id: string; to: string }[];
        assert.deepEqual(first.map((t) => t.to), ['pending_payment']);
        assert.equal(snapshot.id, first.at(-1)!.id, 'the snapshot’s id is the last audit entry’s');

        await payForEvent(app, browser, event.id);
        const changes = await changesUntil(s, (m) => m.data.entry.subject === 'event' && m.data.entry.to === 'confirmed');
        for (const m of changes) assert.equal(m.id, m.data.entry.id, 'each change carries its audit id');
        // Exactly the audit trail, in its order: nothing missed, nothing twice.
        assert.deepEqual([...first.map((t) => t.id), ...changes.map((m) => m.id)], await timelineIds(app, browser, event.id));
        const steps = changes.map((m) => `${m.data.entry.subject}:${m.data.entry.to}`);
        const order = ['payment:created', 'payment:captured', 'event:paid', 'event:confirmed'];
        assert.deepEqual(steps.filter((x) => order.includes(x)), order, steps.join(', '));
        const payment = changes.find((m) => m.data.entry.subject === 'payment' && m.data.entry.to === 'captured')!;
        assert.equal(payment.data.entry.provider, 'binance');
        assert.ok(payment.data.entry.providerReference, 'the provider reference of the capture');
        const last = changes.at(-1)!;
        assert.equal(last.data.event.state, 'confirmed');
        assert.deepEqual(last.data.payments.map((p: { status: string }) => p.status), ['captured']);
      } finally {
        s.close();
      }
    });

    it('resumes with Last-Event-ID (header or query) with exactly the entries missed, then goes on live', async () => {
      const event = await createEvent(app, browser);
      const before = await streamOf(app, browser, event.id);
      const snapshot = await before.nextMessage();
      before.close();
      assert.equal(snapshot?.event, 'snapshot');

      await payForEvent(app, browser, event.id);
      const confirmed = await waitForEvent(app, browser, event.id, 'confirmed');
      const all = confirmed.timeline.map((t: { id: string }) => t.id) as string[];
      const missed = all.slice(all.indexOf(snapshot.id!) + 1);
      assert.ok(missed.length >= 4, `missed ${missed.length}`);

      const resumed = await streamOf(app, browser, event.id, { 'last-event-id': snapshot.id! });
      const byQuery = await streamOf(app, browser, event.id, {}, `?lastEventId=${missed[1]}`);
      try {
        const got: string[] = [];
        while (got.length < missed.length) got.push((await resumed.nextMessage())!.id!);
        assert.deepEqual(got, missed);
        assert.equal((await byQuery.nextMessage())?.id, missed[2], 'the query parameter resumes after its entry');

        // Nothing else was pending: the next message is the next change, on both.
        const payment = confirmed.timeline.find((t: { subject: string }) => t.subject === 'payment').paymentId;
        const refund = await apiPost(app, browser, `/api/v1/payments/${payment}/refund`, {});
        assert.equal(refund.status, 202, JSON.stringify(refund.body));
        const next = await resumed.nextMessage();
        assert.equal(next?.event, 'change');
        assert.equal(next.data.entry.paymentId, payment);
        assert.equal(next.data.entry.to, 'refunding');
        assert.ok(BigInt(next.id!) > BigInt(missed.at(-1)!));
      } finally {
        resumed.close();
        byQuery.close();
      }
    });

    it('keeps an idle stream alive with a heartbeat comment every SSE_HEARTBEAT_SECONDS, proxy-friendly headers and a retry hint', async () => {
      const event = await createEvent(app, browser);
      const latest = (await timelineIds(app, browser, event.id)).at(-1)!;
      const s = await streamOf(app, browser, event.id, { 'last-event-id': latest });
      try {
        assert.equal(s.response.status, 200);
        assert.match(s.response.headers.get('content-type') ?? '', /^text\/event-stream/);
        assert.match(s.response.headers.get('cache-control') ?? '', /no-cache/);
        assert.equal(s.response.headers.get('x-accel-buffering'), 'no');
        assert.equal(s.response.headers.get('content-encoding'), null);
        assert.ok((await s.next())?.retry! > 0, 'a retry hint first');
        // Up to date, nothing to send: only heartbeats, well within a few seconds.
        for (let i = 0; i < 3; i++) assert.deepEqual(await s.next(3000), { comment: 'heartbeat' });
      } finally {
        s.close();
      }
    });

    it('answers another person’s event with a 404 problem, and no session with 401, before any stream', async () => {
      const event = await createEvent(app, browser);
      const { browser: other } = await signIn(app, { email: `stream-other-${kind}@example.com` });
      const theirs = await other.request(`${app.url}/api/v1/events/${event.id}/stream`, { headers: { accept: 'text/event-stream' } });
      assert.equal(theirs.status, 404);
      assert.match(theirs.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal((await theirs.json()).code, 'not_found');
      const anonymous = await fetch(`${app.url}/api/v1/events/${event.id}/stream`);
      assert.equal(anonymous.status, 401);
      assert.equal((await anonymous.json()).code, 'unauthorized');
      const bad = await browser.request(`${app.url}/api/v1/events/${event.id}/stream`, { headers: { 'last-event-id': 'yesterday' } });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).code, 'validation_failed');
    });

    it('sends an entry committed after a later one (out of id order) too, without moving the resume point back', { skip: kind !== 'postgres' && 'one connection: PGlite commits in id order' }, async () => {
      const event = await createEvent(app, browser);
      const s = await streamOf(app, browser, event.id);
      try {
        const snapshot = await s.nextMessage();
        assert.equal(snapshot?.event, 'snapshot');
        const note = (tx: { query: (t: string, p: unknown[]) => Promise<unknown[]> }, reason: string) =>
          tx.query(`insert into audit_trail (event_id, from_state, to_state, reason) values ($1, 'pending_payment', 'pending_payment', $2) returning id`, [event.id, reason]);
        // The first entry takes its id, then waits; the second takes a higher one and commits first.
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let inserted!: () => void;
        const hasId = new Promise<void>((r) => (inserted = r));
        const slow = app.db.db.transaction(async (tx) => {
          await note(tx, 'earlier id, committed last');
          inserted();
          await held;
        });
        await hasId;
        await app.db.db.transaction((tx) => note(tx, 'later id, committed first'));
        const later = await s.nextMessage();
        assert.equal(later?.data.entry.reason, 'later id, committed first');
        release();
        await slow;
        const earlier = await s.nextMessage();
        assert.equal(earlier?.event, 'change');
        assert.equal(earlier.data.entry.reason, 'earlier id, committed last');
        assert.ok(BigInt(earlier.data.entry.id) < BigInt(later.id!));
        assert.equal(earlier.id, undefined, 'no id: the client’s Last-Event-ID stays the higher one');
      } finally {
        s.close();
      }
    });

    // Last: it stops the app.
    it('ends open streams at shutdown, which completes without waiting for them', async () => {
      const event = await createEvent(app, browser);
      const s = await streamOf(app, browser, event.id);
      assert.equal((await s.nextMessage())?.event, 'snapshot');
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<string>((r) => (timer = setTimeout(() => r('still closing after 10 s'), 10_000)));
      try {
        assert.equal(await Promise.race([app.runtime.close().then(() => 'closed'), stuck]), 'closed');
      } finally {
        clearTimeout(timer);
      }
      // The client sees the end (and would reconnect elsewhere with its Last-Event-ID).
      for (let m = await s.next(5000); m; m = await s.next(5000)) assert.ok(m.comment === 'heartbeat', JSON.stringify(m));
      assert.ok(s.done);
    });
  });
}

describe('live status stream limits', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ env: { SSE_MAX_STREAMS_PER_USER: '2', SSE_MAX_STREAMS: '3' } });
  });
  after(() => app?.close());

  it('refuses a stream beyond the per-person limit (429) and the instance’s (503), and frees a slot when a client leaves', async () => {
    const { browser: ada } = await signIn(app, { email: 'limits-ada@example.com' });
    const { browser: bob } = await signIn(app, { email: 'limits-bob@example.com' });
    const adaEvent = await createEvent(app, ada);
    const bobEvent = await createEvent(app, bob);
    const open: SseStream[] = [];
    const openFor = async (b: Browser, id: string) => {
      const s = await streamOf(app, b, id);
      open.push(s);
      return s;
    };
    try {
      for (let i = 0; i < 2; i++) assert.equal((await openFor(ada, adaEvent.id)).response.status, 200);
      const third = await openFor(ada, adaEvent.id);
      assert.equal(third.response.status, 429);
      assert.equal((await third.response.json()).code, 'too_many_streams');
      assert.ok(Number(third.response.headers.get('retry-after')) > 0);

      assert.equal((await openFor(bob, bobEvent.id)).response.status, 200);
      const full = await openFor(bob, bobEvent.id);
      assert.equal(full.response.status, 503);
      assert.equal((await full.response.json()).code, 'stream_capacity_reached');

      // Ada closes a tab: her slot, and the instance's, are free again.
      const [first] = open.splice(0, 1);
      assert.equal((await first!.nextMessage())?.event, 'snapshot');
      first!.close();
      const deadline = Date.now() + 10_000;
      let again: SseStream;
      for (;;) {
        again = await openFor(ada, adaEvent.id);
        if (again.response.status === 200 || Date.now() > deadline) break;
        await again.response.body?.cancel();
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(again.response.status, 200);
      assert.equal((await again.nextMessage())?.event, 'snapshot');
    } finally {
      for (const s of open) s.close();
    }
  });
});
