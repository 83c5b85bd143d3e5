import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { apiPost, sandboxJson, signIn } from '../support/google.ts';
import { addFault } from '../support/sandbox.ts';
import { payForEvent } from '../support/payments.ts';
import { waitFor } from '../support/wait.ts';
import { consentBody } from '../sandbox/google-helpers.ts';

async function preview(app: TestApp, body: Record<string, unknown>) {
  const res = await fetch(`${app.url}/api/v1/recurrence/preview`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('recurrence preview API (public, rate-limited)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('keeps the local time across the DST change in America/New_York', async () => {
    const r = await preview(app, { start: '2026-03-02T09:00', timeZone: 'America/New_York', recurrence: ['RRULE:FREQ=WEEKLY'], count: 3 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.occurrences.map((o: { start: string }) => o.start), [
      '2026-03-02T09:00:00-05:00',
      '2026-03-09T09:00:00-04:00',
      '2026-03-16T09:00:00-04:00',
    ]);
  });

  it('keeps the local time across both changes in Europe/London', async () => {
    const r = await preview(app, { start: '2026-03-22T18:30', timeZone: 'Europe/London', recurrence: ['RRULE:FREQ=WEEKLY;INTERVAL=31'], count: 2 });
    assert.deepEqual(r.body.occurrences.map((o: { start: string }) => o.start), ['2026-03-22T18:30:00+00:00', '2026-10-25T18:30:00+00:00']);
    const spring = await preview(app, { start: '2026-03-22T18:30', timeZone: 'Europe/London', recurrence: ['RRULE:FREQ=WEEKLY'], count: 2 });
    assert.deepEqual(spring.body.occurrences.map((o: { start: string }) => o.start), ['2026-03-22T18:30:00+00:00', '2026-03-29T18:30:00+01:00']);
  });

  it('keeps the local time across the April change in Australia/Sydney', async () => {
    const r = await preview(app, { start: '2026-03-30T08:00', end: '2026-03-30T09:00', timeZone: 'Australia/Sydney', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'], count: 5 });
    assert.deepEqual(
      r.body.occurrences.map((o: { start: string; end: string }) => [o.start, o.end]),
      [
        ['2026-03-30T08:00:00+11:00', '2026-03-30T09:00:00+11:00'],
        ['2026-04-06T08:00:00+10:00', '2026-04-06T09:00:00+10:00'],
      ],
    );
  });

  it('previews all-day events by date', async () => {
    const r = await preview(app, { start: '2026-12-25', allDay: true, timeZone: 'Europe/Paris', recurrence: ['RRULE:FREQ=YEARLY'], count: 2 });
    assert.deepEqual(r.body.occurrences.map((o: { date: string }) => o.date), ['2026-12-25', '2027-12-25']);
  });

  it('answers bad rules and nonexistent times with a problem naming the field', async () => {
    const bad = await preview(app, { start: '2026-03-02T09:00', timeZone: 'America/New_York', recurrence: ['DTSTART:20260302T090000'], count: 3 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.kind, 'invalid_request');
    assert.match(bad.body.errors[0].path, /^body\/recurrence/);
    const gap = await preview(app, { start: '2026-03-08T02:30', timeZone: 'America/New_York', count: 1 });
    assert.equal(gap.status, 400);
    assert.match(gap.body.detail, /does not exist in America\/New_York/);
    const tooMany = await preview(app, { start: '2026-03-02T09:00', timeZone: 'UTC', count: 101 });
    assert.equal(tooMany.status, 400);
  });

  it('limits how often one client may call it', async () => {
    let limited;
    for (let i = 0; i < 70 && !limited; i++) {
      const r = await preview(app, { start: '2026-03-02T09:00', timeZone: 'UTC', count: 1 });
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, 'a 429 came within 70 calls');
    assert.equal(limited.body.kind, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });
});

describe('Google errors seen from the API', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('refreshes once and retries when Google answers 401 to a token it issued', async () => {
    const { browser } = await signIn(app, { email: 'four-o-one@example.com' });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 401, count: 1 });
    const res = await browser.json(`${app.url}/api/v1/calendars`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const fired = (await sandboxJson(app, '/__sandbox/faults')).body.fired;
    assert.equal(fired.filter((f: { operation: string }) => f.operation === 'calendar.calendarList.list').length, 1);
  });

  it('puts the event on the calendar the user chose', async () => {
    const { browser } = await signIn(app, { email: 'chooser@example.com' });
    const cals = (await browser.json(`${app.url}/api/v1/calendars`)).body.calendars as { id: string; primary: boolean }[];
    const secondary = cals.find((c) => !c.primary)!;
    const created = await apiPost(app, browser, '/api/v1/events', {
      title: 'On the side',
      calendarId: secondary.id,
      timeZone: 'Asia/Tokyo',
      start: '2031-01-10T10:00',
      end: '2031-01-10T10:30',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await payForEvent(app, browser, created.body.event.id);
    await waitFor('confirmed', async () => (await browser.json(`${app.url}/api/v1/events/${created.body.event.id}`)).body.state === 'confirmed');
    const view = (await sandboxJson(app, `/__sandbox/google/users/${encodeURIComponent('chooser@example.com')}/events`)).body;
    const where = view.calendars.find((c: { events: { id: string }[] }) => c.events.some((e) => e.id === created.body.event.google.eventId));
    assert.equal(where.id, secondary.id);
  });

  it('validates every request body with a clear problem', async () => {
    const { browser } = await signIn(app, { email: 'validator@example.com' });
    const res = await apiPost(app, browser, '/api/v1/events', { title: '', timeZone: 'Mars/Olympus', start: 'tomorrow', end: '2031-01-01T10:00', extra: 1 });
    assert.equal(res.status, 400);
    assert.equal(res.body.kind, 'invalid_request');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('body/title'), paths.join());
    assert.ok(paths.includes('body/start'), paths.join());
    const zone = await apiPost(app, browser, '/api/v1/events', { title: 't', timeZone: 'Mars/Olympus', start: '2031-01-01T09:00', end: '2031-01-01T10:00' });
    assert.equal(zone.status, 400);
    assert.equal(zone.body.errors[0].path, 'body/timeZone');
    const malformed = await browser.json(`${app.url}/api/v1/events`, {
      method: 'POST',
      body: '{"title":',
      headers: { 'x-csrf-token': (await browser.json(`${app.url}/api/v1/me`)).body.csrfToken },
    });
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get('content-type') ?? '', /problem\+json/);
  });
});

describe('Google access edge cases', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ env: { CALENDAR_CONFLICTS: 'block' } });
  });
  after(() => app.close());

  it('asks for consent again by itself when Google gives no refresh token and none is on file', async () => {
    const { browser } = await signIn(app, { email: 'lost@example.com' });
    // Our copy of the grant is gone (restored backup, say) while Google still has the grant:
    // Google answers a plain sign-in without a refresh token.
    await app.db.db.query(`delete from google_connections where user_id = (select id from users where email = 'lost@example.com')`);
    const again = await signIn(app, { email: 'lost@example.com' }, browser);
    assert.ok(!new URL(again.authUrl).searchParams.has('prompt'), 'the first attempt does not force consent');
    // The app sent the browser round once more, this time with prompt=consent.
    assert.ok(browser.lastUrl.startsWith(app.runtime.sandbox!.url), browser.lastUrl);
    assert.equal(new URL(browser.lastUrl).searchParams.get('prompt'), 'consent');
    const { action, body } = consentBody(await again.final.text(), { account: 'lost@example.com' });
    await browser.submit(new URL(action, app.runtime.sandbox!.url).toString(), body);
    // The app went round once more with prompt=consent and ended signed in with offline access.
    const me = (await browser.json(`${app.url}/api/v1/me`)).body;
    assert.equal(me.google.status, 'active');
    const [row] = await app.db.db.query<{ refresh_token_enc: unknown }>(
      `select refresh_token_enc from google_connections where user_id = $1`,
      [me.user.id],
    );
    assert.ok(row?.refresh_token_enc);
  });

  it('refuses an overlapping event when conflicts are configured to block', async () => {
    const { browser } = await signIn(app, { email: 'strict@example.com' });
    const first = await apiPost(app, browser, '/api/v1/events', { title: 'A', timeZone: 'UTC', start: '2031-02-03T10:00', end: '2031-02-03T11:00' });
    await payForEvent(app, browser, first.body.event.id);
    await waitFor('confirmed', async () => (await browser.json(`${app.url}/api/v1/events/${first.body.event.id}`)).body.state === 'confirmed');
    const clash = await apiPost(app, browser, '/api/v1/events', { title: 'B', timeZone: 'UTC', start: '2031-02-03T10:30', end: '2031-02-03T11:30' });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.kind, 'conflict');
    assert.equal(clash.body.conflicts.length, 1);
  });

  it('uses a fresh deterministic id when Google will not restore a deleted event', async () => {
    const { browser } = await signIn(app, { email: 'fresh@example.com' });
    const userId = (await browser.json(`${app.url}/api/v1/me`)).body.user.id;
    const created = await apiPost(app, browser, '/api/v1/events', { title: 'Again', timeZone: 'UTC', start: '2031-04-01T10:00', end: '2031-04-01T11:00' });
    const e = await app.runtime.events.get(userId, created.body.event.id);
    const cal = await app.runtime.google.calendarFor(userId);
    await cal.insertEvent('primary', e.id, app.runtime.events.calendarEvent(e));
    await (await app.runtime.google.clientFor(userId)).request({ url: `${app.runtime.endpoints.googleApi}/calendar/v3/calendars/primary/events/${e.googleEventId}`, method: 'DELETE' });
    await addFault(app.runtime.sandbox!, { provider: 'google', operation: 'calendar.events.patch', fault: 'http_error', status: 403, reason: 'forbidden', count: 1 });
    await payForEvent(app, browser, e.id);
    const done = await waitFor('confirmed', async () => {
      const v = (await browser.json(`${app.url}/api/v1/events/${e.id}`)).body;
      return v.state === 'confirmed' ? v : null;
    });
    assert.notEqual(done.google.eventId, e.googleEventId);
    assert.ok(done.google.eventId.startsWith(e.googleEventId));
    assert.match(done.google.eventId, /^[a-v0-9]+$/);
  });
});
