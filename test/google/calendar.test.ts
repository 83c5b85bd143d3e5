import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '../../src/app/events.ts';
import { isAppError } from '../../src/errors.ts';
import { GoogleCalendar } from '../../src/providers/google/calendar.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { apiPost, sandboxJson, signIn } from '../support/google.ts';
import { addFault } from '../support/sandbox.ts';
import { payForEvent } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';

/** Events on the user's calendar as the sandbox holds them. */
async function googleEvents(app: TestApp, email: string): Promise<any[]> {
  const res = await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent(email)}/events`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.calendars.flatMap((c: { events: unknown[] }) => c.events);
}

async function createEvent(app: TestApp, browser: Browser, body: Record<string, unknown> = {}) {
  const res = await apiPost(app, browser, '/api/v1/events', {
    title: 'Consultation',
    timeZone: 'Europe/London',
    start: '2031-06-02T10:00',
    end: '2031-06-02T11:00',
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** Pays through Binance Pay in the sandbox: the verified payment makes the event paid and queues the insert. */
async function pay(app: TestApp, browser: Browser, eventId: string) {
  await payForEvent(app, browser, eventId);
}

async function eventState(app: TestApp, browser: Browser, id: string) {
  return (await browser.json(`${app.url}/api/v1/events/${id}`)).body;
}

async function waitForState(app: TestApp, browser: Browser, id: string, state: string) {
  return waitFor(`event ${id} to be ${state}`, async () => {
    const e = await eventState(app, browser, id);
    return e.state === state ? e : null;
  });
}

/** An HTTP proxy to `target` that forwards each request at once and its answer `delayMs` later. */
async function delayingProxy(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      const upstream = await fetch(new URL(req.url!, target), { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      const body = Buffer.from(await upstream.arrayBuffer());
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(body);
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The insert's attempts: the first and its 8 retries. */
const INSERT_ATTEMPTS = 9;

async function insertJobs(app: TestApp, eventId: string) {
  return app.db.db.query<{ id: string; state: string; retry_count: number; start_after: Date }>(
    `select id, state, retry_count, start_after from pgboss.job where name = $1 and data->>'eventId' = $2 order by created_on`,
    [QUEUES.insert, eventId],
  );
}

/** Switches a fault on for every insert until cleared; returns its rule id. */
async function everyInsert(app: TestApp, fault: Record<string, unknown>): Promise<string> {
  const res = await sandboxJson(app, '/__sandbox/faults', {
    method: 'POST',
    body: JSON.stringify({ provider: 'google', operation: 'calendar.events.insert', count: null, ...fault }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

/** Inserts that reached the sandbox while the rule was on: each one fired it. */
async function insertsSent(app: TestApp, ruleId: string): Promise<number> {
  const fired = (await sandboxJson(app, '/__sandbox/faults')).body.fired as { ruleId: string }[];
  return fired.filter((f) => f.ruleId === ruleId).length;
}

/**
 * Runs the insert job's retries now instead of when they are due, recording how long each would
 * have waited (seconds), until the job stops coming back.
 */
async function driveRetries(app: TestApp, eventId: string) {
  const waits: number[] = [];
  for (;;) {
    const job = await waitFor('the insert job to retry or finish', async () => {
      const [j] = await insertJobs(app, eventId);
      return j && (j.state === 'retry' || j.state === 'completed' || j.state === 'failed') ? j : null;
    }, 15_000, 10);
    if (job.state !== 'retry') return { attempts: job.retry_count + 1, waits };
    const [w] = await app.db.db.query<{ s: number }>(`select extract(epoch from (start_after - now()))::float8 as s from pgboss.job where id = $1`, [job.id]);
    waits.push(Math.round(w!.s));
    await app.db.db.query(`update pgboss.job set start_after = now() where id = $1`, [job.id]);
    app.runtime.jobs.nudge(QUEUES.insert);
    await waitFor('the retry to start', async () => {
      const [j] = await insertJobs(app, eventId);
      return j!.state !== 'retry' || j!.retry_count > job.retry_count;
    }, 15_000, 10);
  }
}

describe('events on Google Calendar', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('inserts a paid event with our deterministic id, its zone, a tag and a link back', async () => {
    const { browser } = await signIn(app, { email: 'ins@example.com' });
    const { event } = await createEvent(app, browser, {
      description: 'Bring notes',
      attendees: [{ email: 'guest@example.org', displayName: 'Guest' }],
      sendUpdates: 'externalOnly',
    });
    assert.equal(event.state, 'pending_payment');
    assert.match(event.google.eventId, /^[a-v0-9]{26}$/);
    await pay(app, browser, event.id);
    const done = await waitForState(app, browser, event.id, 'confirmed');
    assert.match(done.google.htmlLink, /^https?:\/\//);
    assert.deepEqual(done.timeline.filter((t: { subject: string }) => t.subject === 'event').map((t: { to: string }) => t.to), ['pending_payment', 'paid', 'confirmed']);

    const [g] = (await googleEvents(app, 'ins@example.com')).filter((e) => e.id === event.google.eventId);
    assert.ok(g, 'the event is on the calendar under our id');
    assert.equal(g.start.timeZone, 'Europe/London');
    assert.equal(g.start.dateTime.slice(0, 19), '2031-06-02T10:00:00');
    assert.equal(g.extendedProperties.private.lcEventId, event.id);
    assert.match(g.description, new RegExp(`Bring notes[\\s\\S]*/app/events/${event.id}`));
    assert.equal(g.attendees[0].email, 'guest@example.org');
    const notes = (await sandboxJson(app, '/__sandbox/google/notifications')).body.notifications;
    assert.ok(notes.some((n: { sendUpdates?: string; eventId?: string }) => JSON.stringify(n).includes('externalOnly')), JSON.stringify(notes));
  });

  it('sends all-day events as dates with an exclusive end, and recurring ones with RRULE and zone', async () => {
    const { browser } = await signIn(app, { email: 'allday@example.com' });
    const { event: allDay } = await createEvent(app, browser, { allDay: true, start: '2031-07-01', end: '2031-07-03' });
    const { event: weekly } = await createEvent(app, browser, {
      timeZone: 'America/New_York',
      start: '2031-03-03T09:00',
      end: '2031-03-03T09:30',
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
    });
    await pay(app, browser, allDay.id);
    await pay(app, browser, weekly.id);
    await waitForState(app, browser, allDay.id, 'confirmed');
    await waitForState(app, browser, weekly.id, 'confirmed');
    const events = await googleEvents(app, 'allday@example.com');
    const a = events.find((e) => e.id === allDay.google.eventId);
    assert.deepEqual([a.start.date, a.end.date], ['2031-07-01', '2031-07-03']);
    const w = events.find((e) => e.id === weekly.google.eventId);
    assert.deepEqual(w.recurrence, ['RRULE:FREQ=WEEKLY;COUNT=4']);
    assert.equal(w.start.timeZone, 'America/New_York');
  });

  it('refreshes an expired access token by itself', async () => {
    const { browser } = await signIn(app, { email: 'refresh@example.com' });
    const [before] = await app.db.db.query<{ access_token_enc: Uint8Array }>(
      `select access_token_enc from google_connections c join users u on u.id = c.user_id where u.email = 'refresh@example.com'`,
    );
    assert.equal((await sandboxJson(app, '/__sandbox/google/tokens/expire', { method: 'POST', body: JSON.stringify({ email: 'refresh@example.com' }) })).status, 200);
    const res = await browser.json(`${app.url}/api/v1/calendars`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The refreshed token was stored (encrypted) for the next call.
    await waitFor('the refreshed token to be stored', async () => {
      const [after] = await app.db.db.query<{ access_token_enc: Uint8Array }>(
        `select access_token_enc from google_connections c join users u on u.id = c.user_id where u.email = 'refresh@example.com'`,
      );
      return !Buffer.from(after!.access_token_enc).equals(Buffer.from(before!.access_token_enc));
    });
  });

  it('waits while the grant is revoked, shows it, and inserts after the user reconnects', async () => {
    const { browser } = await signIn(app, { email: 'revoked@example.com' });
    const { event } = await createEvent(app, browser);
    const revoke = await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent('revoked@example.com')}/revoke`, { method: 'POST', body: '{}' });
    assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
    await pay(app, browser, event.id);
    const me = await waitFor('needs_reconnect to show', async () => {
      const m = (await browser.json(`${app.url}/api/v1/me`)).body;
      return m.google.status === 'needs_reconnect' ? m : null;
    });
    assert.ok(me.google.needsReconnectSince);
    assert.equal((await eventState(app, browser, event.id)).state, 'paid', 'the event waits, it does not fail');
    const deadline = await app.db.db.query(`select start_after from pgboss.job where name = $1 and data->>'eventId' = $2`, [QUEUES.reconnectDeadline, event.id]);
    assert.equal(deadline.length, 1, 'a deadline is scheduled for the reconnect window');

    // Reconnecting (a new consent) resumes the waiting insert.
    await signIn(app, { email: 'revoked@example.com', start: '/auth/google/start?consent=1' }, browser);
    await waitForState(app, browser, event.id, 'confirmed');
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.google.status, 'active');
    assert.equal((await googleEvents(app, 'revoked@example.com')).filter((e) => e.id === event.google.eventId).length, 1);
  });

  it('fails the event when the reconnect window passes', async () => {
    const { browser } = await signIn(app, { email: 'gone@example.com' });
    const { event } = await createEvent(app, browser);
    await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent('gone@example.com')}/revoke`, { method: 'POST', body: '{}' });
    await pay(app, browser, event.id);
    await waitFor('the deadline job', async () =>
      (await app.db.db.query(`select 1 from pgboss.job where name = $1 and data->>'eventId' = $2`, [QUEUES.reconnectDeadline, event.id])).length === 1,
    );
    // Time moves by back-dating the deadline, not by sleeping 72 hours.
    await app.db.db.query(`update pgboss.job set start_after = now() where name = $1 and data->>'eventId' = $2`, [QUEUES.reconnectDeadline, event.id]);
    app.runtime.jobs.nudge(QUEUES.reconnectDeadline);
    const e = await waitForState(app, browser, event.id, 'failed');
    assert.match(e.failureReason, /not reconnected within 72 hours/);
    // The payment side was told in the same transaction: the Binance payment is refunded.
    const { payments } = (await browser.json(`${app.url}/api/v1/events/${event.id}/payments`)).body;
    assert.equal(payments.length, 1);
    assert.ok(['refunding', 'refunded'].includes(payments[0].status), `payment ${payments[0].status}`);
    assert.match(payments[0].reason, /could not be put on Google Calendar/);
  });

  it('gives one calendar event when the first insert answer is lost to a timeout', async () => {
    const { browser } = await signIn(app, { email: 'slow@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const { event } = await createEvent(app, browser);
    const e = await app.runtime.events.get(userId, event.id);
    // Google does the insert but its answer comes after our client gave up: a proxy between the
    // two holds every answer back longer than the client waits.
    const slowAnswers = await delayingProxy(app.runtime.endpoints.googleApi, 1500);
    try {
      const impatient = new GoogleCalendar(await app.runtime.google.clientFor(userId), { rootUrl: slowAnswers.url, timeoutMs: 300 });
      await assert.rejects(impatient.insertEvent(e.calendarId, e.id, app.runtime.events.calendarEvent(e)), (err) => isAppError(err, 'provider_unavailable'));
    } finally {
      await slowAnswers.close();
    }
    await waitFor('the first insert to land', async () => (await googleEvents(app, 'slow@example.com')).some((g) => g.id === event.google.eventId));
    // The repeat finds the event the lost answer was about, under the same id, and adds nothing.
    const cal = await app.runtime.google.calendarFor(userId);
    const again = await cal.insertEvent(e.calendarId, e.id, app.runtime.events.calendarEvent(e));
    assert.equal(again.outcome, 'already_exists');
    assert.equal(again.providerEventId, event.google.eventId);
    const copies = (await googleEvents(app, 'slow@example.com')).filter((g) => g.extendedProperties?.private?.lcEventId === event.id);
    assert.equal(copies.length, 1, 'exactly one event on the calendar');
    // And the job path ends confirmed with still one event.
    await pay(app, browser, event.id);
    const done = await waitForState(app, browser, event.id, 'confirmed');
    assert.match(done.timeline.filter((t: { subject: string }) => t.subject === 'event').at(-1).reason, /already_exists/);
    assert.equal((await googleEvents(app, 'slow@example.com')).filter((g) => g.extendedProperties?.private?.lcEventId === event.id).length, 1);
  });

  it('restores its own event if it was deleted from the calendar (a repeat never duplicates)', async () => {
    const { browser } = await signIn(app, { email: 'restore@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const { event } = await createEvent(app, browser);
    const cal = await app.runtime.google.calendarFor(userId);
    const e = await app.runtime.events.get(userId, event.id);
    const body = app.runtime.events.calendarEvent(e);
    assert.equal((await cal.insertEvent('primary', e.id, body)).outcome, 'inserted');
    assert.equal((await cal.insertEvent('primary', e.id, body)).outcome, 'already_exists');
    const client = await app.runtime.google.clientFor(userId);
    await client.request({ url: `${app.runtime.endpoints.googleApi}/calendar/v3/calendars/primary/events/${e.googleEventId}`, method: 'DELETE' });
    const again = await cal.insertEvent('primary', e.id, body);
    assert.equal(again.outcome, 'restored');
    const [g] = (await googleEvents(app, 'restore@example.com')).filter((x) => x.id === e.googleEventId);
    assert.equal(g.status, 'confirmed');
  });

  it('honours a 429’s Retry-After in the job, counting it against the job’s one retry budget', async () => {
    const { browser } = await signIn(app, { email: 'limited@example.com' });
    const { event } = await createEvent(app, browser);
    const rule = await everyInsert(app, { fault: 'http_error', status: 429, retryAfterSeconds: 300 });
    try {
      await pay(app, browser, event.id);
      const { attempts, waits } = await driveRetries(app, event.id);
      await waitForState(app, browser, event.id, 'failed');
      // Retry-After: 300 s, longer than the job's own backoff (5 s, doubling) until its last retries.
      assert.ok(waits.every((w) => w >= 295), `every wait honoured Retry-After: ${waits.join(', ')}`);
      assert.equal(attempts, INSERT_ATTEMPTS, 'the rate limit spent the one budget, then the event failed');
      assert.equal(await insertsSent(app, rule), INSERT_ATTEMPTS, 'one insert per attempt');
      assert.equal((await insertJobs(app, event.id)).length, 1, 'one job did it all');
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });

  it('treats a busy or failing token endpoint as "try again", not as a refusal: the insert job retries and confirms', async () => {
    const { browser } = await signIn(app, { email: 'busy-token@example.com' });
    const { event } = await createEvent(app, browser);
    // The stale access token is refreshed at the insert; Google's token endpoint answers 429, then 503.
    await sandboxJson(app, '/__sandbox/google/tokens/expire', { method: 'POST', body: JSON.stringify({ email: 'busy-token@example.com' }) });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'oauth.token', fault: 'http_error', status: 429, retryAfterSeconds: 1, count: 1 });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'oauth.token', fault: 'http_error', status: 503, count: 1 });
    await pay(app, browser, event.id);
    await driveRetries(app, event.id);
    await waitForState(app, browser, event.id, 'confirmed');
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.google.status, 'active', 'no reconnect asked');
  });

  it('fails the event after a bounded number of inserts when Google keeps answering 503', async () => {
    const { browser } = await signIn(app, { email: 'down@example.com' });
    const { event } = await createEvent(app, browser);
    const rule = await everyInsert(app, { fault: 'http_error', status: 503 });
    try {
      await pay(app, browser, event.id);
      const { waits } = await driveRetries(app, event.id);
      const failed = await waitForState(app, browser, event.id, 'failed');
      assert.match(failed.failureReason, /kept failing/);
      assert.equal(await insertsSent(app, rule), INSERT_ATTEMPTS, `Google saw ${INSERT_ATTEMPTS} inserts, no more`);
      // Backoff: each wait at least as long as the one before (5 s, doubling, with jitter).
      assert.ok(waits[0]! >= 4.5 && waits.at(-1)! >= 600, `waits grew: ${waits.join(', ')}`);
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });

  it('waits out a quota cool-down on the same job instead of failing or spinning', async () => {
    const { browser } = await signIn(app, { email: 'quota@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'quotaExceeded', count: 1 });
    await pay(app, browser, event.id);
    const later = await waitFor('the insert to wait', async () => {
      const [job] = await insertJobs(app, event.id);
      return job?.state === 'retry' ? job : null;
    });
    assert.ok(later.start_after.getTime() - Date.now() > 14 * 60_000, 'a long cool-down');
    assert.equal((await eventState(app, browser, event.id)).state, 'paid');
    await app.db.db.query(`update pgboss.job set start_after = now() where id = $1`, [later.id]);
    app.runtime.jobs.nudge(QUEUES.insert);
    await waitForState(app, browser, event.id, 'confirmed');
    assert.equal((await insertJobs(app, event.id)).length, 1, 'the same job went on');
  });

  it('queues the insert job at most once per event', async () => {
    const { browser } = await signIn(app, { email: 'once@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const { event } = await createEvent(app, browser);
    // Google is slow to answer, so the insert is still running while the other senders try.
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'latency', ms: 3000, count: 1 });
    await pay(app, browser, event.id);
    const [waiting] = await waitFor('the insert to run', async () => {
      const jobs = await insertJobs(app, event.id);
      return jobs[0]?.state === 'active' ? jobs : null;
    });
    // Everything else that queues the insert: a reconnect, the reconnect deadline finding access back.
    await app.runtime.db.transaction((tx) => app.runtime.events.resumeForUser(tx, userId));
    await app.runtime.events.reconnectDeadline(event.id);
    assert.deepEqual((await insertJobs(app, event.id)).map((j) => j.id), [waiting!.id], 'still the one job');
    await waitForState(app, browser, event.id, 'confirmed');
    assert.equal((await insertJobs(app, event.id)).length, 1);
    assert.equal((await googleEvents(app, 'once@example.com')).filter((g) => g.id === event.google.eventId).length, 1);
  });

  it('fails for good, with Google’s own message, when Google refuses the event as invalid', async () => {
    const { browser } = await signIn(app, { email: 'invalid@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: 1 });
    await pay(app, browser, event.id);
    const e = await waitForState(app, browser, event.id, 'failed');
    assert.match(e.failureReason, /Google Calendar refused the event/);
  });

  it('asks for a reconnect when a permission is missing', async () => {
    const { browser } = await signIn(app, { email: 'perm@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'insufficientPermissions', count: 1 });
    await pay(app, browser, event.id);
    await waitFor('needs_reconnect', async () => (await browser.json(`${app.url}/api/v1/me`)).body.google.status === 'needs_reconnect');
    assert.equal((await eventState(app, browser, event.id)).state, 'paid');
  });

  it('warns about (but allows) an overlap with a busy period, checking a recurring event’s first occurrences', async () => {
    const { browser } = await signIn(app, { email: 'busy@example.com' });
    const first = await createEvent(app, browser, { start: '2031-09-10T09:00', end: '2031-09-10T10:00' });
    await pay(app, browser, first.event.id);
    await waitForState(app, browser, first.event.id, 'confirmed');
    const clash = await createEvent(app, browser, {
      start: '2031-09-03T09:30',
      end: '2031-09-03T10:30',
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=5'],
    });
    assert.equal(clash.event.state, 'pending_payment', 'a conflict is a warning, not a block');
    assert.equal(clash.availability.checked, 5);
    assert.equal(clash.availability.conflicts.length, 1);
    assert.equal(clash.availability.conflicts[0].occurrence.start, '2031-09-10T08:30:00.000Z');
    const free = await createEvent(app, browser, { start: '2031-09-10T10:00', end: '2031-09-10T11:00' });
    assert.equal(free.availability.conflicts.length, 0, 'back to back is not a conflict');
  });

  it('refuses a local time that does not exist, naming the field', async () => {
    const { browser } = await signIn(app, { email: 'gap@example.com' });
    const res = await apiPost(app, browser, '/api/v1/events', {
      title: 'In the gap',
      timeZone: 'America/New_York',
      start: '2031-03-09T02:30',
      end: '2031-03-09T03:30',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.kind, 'invalid_request');
    assert.match(res.body.detail, /does not exist in America\/New_York/);
    assert.equal(res.body.errors[0].path, 'body/start');
  });

  it('keeps each user’s events to themselves', async () => {
    const { browser: alice } = await signIn(app, { email: 'alice@example.com' });
    const { browser: bob } = await signIn(app, { email: 'bob@example.com' });
    const { event } = await createEvent(app, alice);
    assert.equal((await bob.json(`${app.url}/api/v1/events/${event.id}`)).status, 404);
    assert.equal((await apiPost(app, bob, `/api/v1/events/${event.id}/cancel`, {})).status, 404);
    assert.ok(!(await bob.json(`${app.url}/api/v1/events`)).body.events.some((e: { id: string }) => e.id === event.id));
    assert.equal((await apiPost(app, alice, `/api/v1/events/${event.id}/cancel`, {})).body.state, 'cancelled');
  });

  it('answers within the request deadline, the booking made, when free/busy hangs', async () => {
    const { browser } = await signIn(app, { email: 'hang@example.com' });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.freebusy.query', fault: 'timeout', count: null });
    try {
      const csrfToken = (await browser.json(`${app.url}/api/v1/me`)).body.csrfToken;
      const started = Date.now();
      const res = await browser.json(`${app.url}/api/v1/events`, {
        method: 'POST',
        headers: { 'x-csrf-token': csrfToken },
        body: JSON.stringify({ title: 'Anyway', timeZone: 'UTC', start: '2031-05-05T10:00', end: '2031-05-05T11:00' }),
      });
      const tookMs = Date.now() - started;
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.match(res.body.availability.unavailable, /did not answer/);
      assert.equal(res.body.availability.checked, 0);
      // The bound: a request waits about 2 s for Google (REQUEST_DEADLINE_MS), then degrades.
      assert.ok(tookMs < 4_000, `answered in ${tookMs} ms`);
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });

  it('creates events only on a calendar LeadsCalendar can write to', async () => {
    const { browser } = await signIn(app, { email: 'picky@example.com' });
    const listed = (await sandboxJson(app, '/__sandbox/google/users')).body.users.find((u: { email: string }) => u.email === 'picky@example.com');
    const readOnly = listed.calendars.find((c: { accessRole: string }) => c.accessRole === 'reader');
    const secondary = listed.calendars.find((c: { accessRole: string; primary: boolean }) => c.accessRole === 'owner' && !c.primary);
    assert.ok(readOnly && secondary, JSON.stringify(listed.calendars));
    const attempt = (calendarId: string) =>
      apiPost(app, browser, '/api/v1/events', { title: 'Where?', calendarId, timeZone: 'UTC', start: '2031-05-06T10:00', end: '2031-05-06T11:00' });

    const denied = await attempt(readOnly.id);
    assert.equal(denied.status, 400, JSON.stringify(denied.body));
    assert.equal(denied.body.kind, 'invalid_request');
    assert.equal(denied.body.code, 'calendar_not_writable');
    assert.match(denied.body.detail, /cannot add events to calendar “Team availability \(shared\)”/);
    assert.equal(denied.body.errors[0].path, 'body/calendarId');

    const missing = await attempt('c_nonexistent@group.calendar.google.com');
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.code, 'calendar_not_found');
    assert.match(missing.body.detail, /not in your Google calendar list/);

    assert.equal((await attempt(secondary.id)).status, 201);
    assert.equal((await attempt('primary')).status, 201);
    const mine = (await browser.json(`${app.url}/api/v1/events`)).body.events.map((e: { calendarId: string }) => e.calendarId);
    assert.deepEqual(mine.sort(), [secondary.id, 'primary'].sort(), 'nothing was created on the refused calendars');

    // The calendars offered to choose from are the writable ones only.
    const offered = (await browser.json(`${app.url}/api/v1/calendars`)).body.calendars.map((c: { id: string }) => c.id);
    assert.ok(offered.includes(secondary.id) && !offered.includes(readOnly.id), offered.join());
  });

  it('refuses to create an event when Google cannot say whether the calendar is writable', async () => {
    const { browser } = await signIn(app, { email: 'unsure@example.com' });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'timeout', count: null });
    try {
      const res = await apiPost(app, browser, '/api/v1/events', { title: 'Maybe', timeZone: 'UTC', start: '2031-05-07T10:00', end: '2031-05-07T11:00' });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.code, 'calendar_check_unavailable');
      assert.match(res.body.detail, /Nothing was created/);
      assert.equal((await browser.json(`${app.url}/api/v1/events`)).body.events.length, 0);
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });

  it('stops calling a grant active once Google refused it', async () => {
    const { browser } = await signIn(app, { email: 'refused@example.com' });
    assert.equal((await browser.json(`${app.url}/api/v1/me`)).body.google.status, 'active');
    const revoke = await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent('refused@example.com')}/revoke`, { method: 'POST', body: '{}' });
    assert.equal(revoke.status, 200, JSON.stringify(revoke.body));
    // The next call to Google finds the token dead and its refresh answered invalid_grant.
    const calendars = await browser.json(`${app.url}/api/v1/calendars`);
    assert.equal(calendars.status, 401, JSON.stringify(calendars.body));
    const me = (await browser.json(`${app.url}/api/v1/me`)).body;
    assert.equal(me.google.status, 'needs_reconnect');
    assert.ok(me.google.needsReconnectSince);
  });

  it('maps a Google outage to a retryable error', async () => {
    const { browser } = await signIn(app, { email: 'outage@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 503, count: null });
    try {
      const cal = new GoogleCalendar(await app.runtime.google.clientFor(userId), { rootUrl: app.runtime.endpoints.googleApi });
      await assert.rejects(cal.listWritableCalendars(), (err) => isAppError(err, 'provider_unavailable') && err.retryable);
      const res = await browser.json(`${app.url}/api/v1/calendars`);
      assert.equal(res.status, 503);
      assert.equal(res.body.kind, 'provider_unavailable');
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });
});
