import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QUEUES } from '../../src/app/events.ts';
import { isAppError } from '../../src/errors.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { apiPost, sandboxJson, signIn } from '../support/google.ts';
import { addFault } from '../support/sandbox.ts';
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

/** What the payment side does once money is verified: the event becomes paid and the insert is queued. */
async function pay(app: TestApp, eventId: string) {
  await app.runtime.db.transaction((tx) => app.runtime.events.markPaid(tx, eventId, 'payment verified (test)'));
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
    await pay(app, event.id);
    const done = await waitForState(app, browser, event.id, 'confirmed');
    assert.match(done.google.htmlLink, /^https?:\/\//);
    assert.deepEqual(done.transitions.map((t: { to: string }) => t.to), ['pending_payment', 'paid', 'confirmed']);

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
    await pay(app, allDay.id);
    await pay(app, weekly.id);
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
    await pay(app, event.id);
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
    const failed: string[] = [];
    app.runtime.events.onFailedForGood = async (_tx, e, reason) => void failed.push(`${e.id}: ${reason}`);
    await pay(app, event.id);
    await waitFor('the deadline job', async () =>
      (await app.db.db.query(`select 1 from pgboss.job where name = $1 and data->>'eventId' = $2`, [QUEUES.reconnectDeadline, event.id])).length === 1,
    );
    // Time moves by back-dating the deadline, not by sleeping 72 hours.
    await app.db.db.query(`update pgboss.job set start_after = now() where name = $1 and data->>'eventId' = $2`, [QUEUES.reconnectDeadline, event.id]);
    app.runtime.jobs.nudge(QUEUES.reconnectDeadline);
    const e = await waitForState(app, browser, event.id, 'failed');
    assert.match(e.failureReason, /not reconnected within 72 hours/);
    assert.equal(failed.length, 1, 'the payment side is told, in the same transaction, to return the money');
  });

  it('gives one calendar event when the first insert answer is lost to a timeout', async () => {
    const { browser } = await signIn(app, { email: 'slow@example.com' });
    const { event } = await createEvent(app, browser);
    const cal = await app.runtime.google.calendarFor((await browser.json(`${app.url}/api/v1/me`)).body.user.id);
    // Google takes longer than our client waits: the first insert lands, but its answer is lost.
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'latency', ms: 1500, count: 1 });
    const e = (await app.runtime.events.get((await browser.json(`${app.url}/api/v1/me`)).body.user.id, event.id));
    const { GoogleCalendar } = await import('../../src/providers/google/calendar.ts');
    const impatient = new GoogleCalendar((cal as any).auth, {
      rootUrl: app.runtime.endpoints.googleApi,
      timeoutMs: 300,
      retry: { maxAttempts: 6, baseDelayMs: 900, maxDelayMs: 2000, maxInlineWaitMs: 30_000 },
    });
    const result = await impatient.insertIdempotent(e.calendarId, app.runtime.events.googleEvent(e), 'none');
    assert.ok(['inserted', 'already_there'].includes(result.outcome));
    const copies = (await googleEvents(app, 'slow@example.com')).filter((g) => g.extendedProperties?.private?.lcEventId === event.id);
    assert.equal(copies.length, 1, 'exactly one event on the calendar');
    // And the job path ends confirmed with still one event.
    await pay(app, event.id);
    await waitForState(app, browser, event.id, 'confirmed');
    assert.equal((await googleEvents(app, 'slow@example.com')).filter((g) => g.extendedProperties?.private?.lcEventId === event.id).length, 1);
  });

  it('restores its own event if it was deleted from the calendar (a repeat never duplicates)', async () => {
    const { browser } = await signIn(app, { email: 'restore@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const { event } = await createEvent(app, browser);
    const cal = await app.runtime.google.calendarFor(userId);
    const e = await app.runtime.events.get(userId, event.id);
    const body = app.runtime.events.googleEvent(e);
    assert.equal((await cal.insertIdempotent('primary', body, 'none')).outcome, 'inserted');
    assert.equal((await cal.insertIdempotent('primary', body, 'none')).outcome, 'already_there');
    await (cal as any).auth.request({ url: `${app.runtime.endpoints.googleApi}/calendar/v3/calendars/primary/events/${body.id}`, method: 'DELETE' });
    const again = await cal.insertIdempotent('primary', body, 'none');
    assert.equal(again.outcome, 'restored');
    assert.equal(again.event.status, 'confirmed');
  });

  it('honours Retry-After on rate limits and then succeeds', async () => {
    const { browser } = await signIn(app, { email: 'limited@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 429, retryAfterSeconds: 1, count: 1 });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'userRateLimitExceeded', count: 1 });
    const delays: number[] = [];
    const { GoogleCalendar } = await import('../../src/providers/google/calendar.ts');
    const cal = new GoogleCalendar(await app.runtime.google.clientFor(userId), {
      rootUrl: app.runtime.endpoints.googleApi,
      retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 200, maxInlineWaitMs: 30_000 },
      hooks: {
        onRetry: ({ delayMs, error }) => {
          delays.push(delayMs);
          assert.equal(error.kind, 'rate_limited');
        },
      },
    });
    const e = await app.runtime.events.get(userId, event.id);
    const r = await cal.insertIdempotent('primary', app.runtime.events.googleEvent(e), 'none');
    assert.equal(r.outcome, 'inserted');
    assert.equal(delays.length, 2, 'two refusals, two retries');
    assert.ok(delays[0]! >= 1000, `the first wait honours Retry-After: 1 (waited ${delays[0]} ms)`);
  });

  it('reschedules the insert after a quota error instead of failing or spinning', async () => {
    const { browser } = await signIn(app, { email: 'quota@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'quotaExceeded', count: 1 });
    await pay(app, event.id);
    const later = await waitFor('a rescheduled insert', async () => {
      const rows = await app.db.db.query<{ start_after: Date }>(
        `select start_after from pgboss.job where name = $1 and data->>'eventId' = $2 and state = 'created' and start_after > now() + interval '10 minutes'`,
        [QUEUES.insert, event.id],
      );
      return rows[0];
    });
    assert.ok(later.start_after.getTime() - Date.now() > 14 * 60_000, 'a long cool-down');
    assert.equal((await eventState(app, browser, event.id)).state, 'paid');
  });

  it('fails for good, with Google’s own message, when Google refuses the event as invalid', async () => {
    const { browser } = await signIn(app, { email: 'invalid@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: 1 });
    await pay(app, event.id);
    const e = await waitForState(app, browser, event.id, 'failed');
    assert.match(e.failureReason, /Google Calendar refused the event/);
  });

  it('asks for a reconnect when a permission is missing', async () => {
    const { browser } = await signIn(app, { email: 'perm@example.com' });
    const { event } = await createEvent(app, browser);
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason: 'insufficientPermissions', count: 1 });
    await pay(app, event.id);
    await waitFor('needs_reconnect', async () => (await browser.json(`${app.url}/api/v1/me`)).body.google.status === 'needs_reconnect');
    assert.equal((await eventState(app, browser, event.id)).state, 'paid');
  });

  it('warns about (but allows) an overlap with a busy period, checking a recurring event’s first occurrences', async () => {
    const { browser } = await signIn(app, { email: 'busy@example.com' });
    const first = await createEvent(app, browser, { start: '2031-09-10T09:00', end: '2031-09-10T10:00' });
    await pay(app, first.event.id);
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

  it('maps a Google outage to a retryable error', async () => {
    const { browser } = await signIn(app, { email: 'outage@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 503, count: null });
    try {
      const { GoogleCalendar } = await import('../../src/providers/google/calendar.ts');
      const cal = new GoogleCalendar(await app.runtime.google.clientFor(userId), {
        rootUrl: app.runtime.endpoints.googleApi,
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxInlineWaitMs: 1000 },
      });
      await assert.rejects(cal.listOwnedCalendars(), (err) => isAppError(err, 'provider_unavailable') && err.retryable);
      const res = await browser.json(`${app.url}/api/v1/calendars`);
      assert.equal(res.status, 503);
      assert.equal(res.body.kind, 'provider_unavailable');
    } finally {
      await fetch(`${app.runtime.sandbox!.url}/__sandbox/faults`, { method: 'DELETE' });
    }
  });
});
