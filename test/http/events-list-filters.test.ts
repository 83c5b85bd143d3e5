import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Queryable } from '../../src/db/database.ts';
import { insertEvent, setState, type NewEvent } from '../../src/db/repos/events.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';

/**
 * GET /api/v1/events by state and time range: which events a filter keeps (overlap at the edges,
 * recurring series and their occurrences in the range), cursors bound to their filters, and
 * another person's events never in any list.
 */

interface Spec {
  title: string;
  start: string;
  end: string;
  allDay?: boolean;
  timeZone?: string;
  recurrence?: string[];
}

function newEvent(userId: string, s: Spec): NewEvent {
  const id = randomUUID();
  const zone = s.timeZone ?? 'UTC';
  if (zone !== 'UTC') throw new Error('the fixtures are in UTC: their instants are their wall-clock times');
  const instant = (v: string) => new Date(v.length === 10 ? `${v}T00:00Z` : `${v}Z`);
  return {
    id, userId, title: s.title, description: null, location: null, calendarId: 'primary', timeZone: zone, allDay: s.allDay ?? false,
    startLocal: s.start, endLocal: s.end, startAt: instant(s.start), endAt: instant(s.end), recurrence: s.recurrence ?? [],
    attendees: [], sendUpdates: 'none', priceCurrency: 'USD', priceMinor: 100n, googleEventId: googleEventId(id),
    pendingUntil: new Date(Date.now() + 3600_000),
  };
}

async function userId(db: Queryable, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }>('select id from users where email = $1', [email]);
  return row!.id;
}

type Item = { id: string; title: string; state: string; occurrences?: { start: string; end: string }[] };

describe('events list filters (state, time range) on pglite', () => {
  let app: TestApp;
  let browser: Browser;
  let other: Browser;
  const ids = new Map<string, string>();

  const list = async (query: string) => {
    const res = await browser.json(`${app.url}/api/v1/events?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { events: Item[]; nextCursor: string | null };
  };
  const titles = (items: Item[]) => items.map((e) => e.title).sort();

  before(async () => {
    app = await startTestApp({ kind: 'pglite' });
    ({ browser } = await signIn(app, { email: 'filters@example.com' }));
    ({ browser: other } = await signIn(app, { email: 'filters-other@example.com' }));
    const db = app.db.db;
    const mine = await userId(db, 'filters@example.com');
    const theirs = await userId(db, 'filters-other@example.com');
    const add = async (owner: string, s: Spec, state?: 'paid' | 'confirmed' | 'expired') => {
      const e = newEvent(owner, s);
      await insertEvent(db, e, 'test');
      if (state === 'expired') await setState(db, e.id, 'pending_payment', 'expired', 'test');
      if (state === 'paid' || state === 'confirmed') await setState(db, e.id, 'pending_payment', 'paid', 'test');
      if (state === 'confirmed') await setState(db, e.id, 'paid', 'confirmed', 'test');
      if (owner === mine) ids.set(s.title, e.id);
    };
    // The range asked for below: the week of Monday 2031-06-02, [2031-06-02T00:00Z, 2031-06-09T00:00Z).
    await add(mine, { title: 'in the week', start: '2031-06-03T10:00', end: '2031-06-03T11:00' }, 'confirmed');
    await add(mine, { title: 'across the start', start: '2031-06-01T23:00', end: '2031-06-02T01:00' }, 'paid');
    await add(mine, { title: 'ends at from', start: '2031-06-01T22:00', end: '2031-06-02T00:00' });
    await add(mine, { title: 'starts at to', start: '2031-06-09T00:00', end: '2031-06-09T01:00' }, 'expired');
    await add(mine, { title: 'all-day sunday', start: '2031-06-08', end: '2031-06-09', allDay: true });
    await add(mine, { title: 'next month', start: '2031-07-01T10:00', end: '2031-07-01T11:00' }, 'confirmed');
    // Weekly on Mondays since May, five times: its fifth, 2031-06-02, falls in the week.
    await add(mine, { title: 'weekly series', start: '2031-05-05T09:00', end: '2031-05-05T10:00', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=5'] }, 'confirmed');
    // Daily since 2031-01-01 with one day excluded in the week: six occurrences there.
    await add(mine, { title: 'daily series', start: '2031-01-01T08:00', end: '2031-01-01T08:30', recurrence: ['RRULE:FREQ=DAILY', 'EXDATE:20310604T080000'] });
    // Two Mondays in January: the series has ended before the week.
    await add(mine, { title: 'ended series', start: '2031-01-06T09:00', end: '2031-01-06T10:00', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'] });
    await add(mine, { title: 'later series', start: '2031-06-09T09:00', end: '2031-06-09T10:00', recurrence: ['RRULE:FREQ=DAILY'] });
    // Someone else's, in the same week and states.
    await add(theirs, { title: 'not yours in the week', start: '2031-06-03T10:00', end: '2031-06-03T11:00' }, 'confirmed');
    await add(theirs, { title: 'not yours series', start: '2031-05-05T09:00', end: '2031-05-05T10:00', recurrence: ['RRULE:FREQ=WEEKLY'] }, 'paid');
  });
  after(() => app?.close());

  const WEEK = `from=${encodeURIComponent('2031-06-02T00:00:00Z')}&to=${encodeURIComponent('2031-06-09T00:00:00Z')}`;

  it('keeps the events that overlap [from, to) and the recurring series that start before to, each with its occurrences in the range', async () => {
    const { events } = await list(`${WEEK}&limit=100`);
    assert.deepEqual(titles(events), ['across the start', 'all-day sunday', 'daily series', 'ended series', 'in the week', 'weekly series']);
    const by = new Map(events.map((e) => [e.title, e]));
    assert.deepEqual(by.get('in the week')!.occurrences, [{ start: '2031-06-03T10:00:00.000Z', end: '2031-06-03T11:00:00.000Z' }]);
    assert.deepEqual(by.get('across the start')!.occurrences, [{ start: '2031-06-01T23:00:00.000Z', end: '2031-06-02T01:00:00.000Z' }]);
    assert.deepEqual(by.get('all-day sunday')!.occurrences, [{ start: '2031-06-08T00:00:00.000Z', end: '2031-06-09T00:00:00.000Z' }]);
    assert.deepEqual(by.get('weekly series')!.occurrences, [{ start: '2031-06-02T09:00:00.000Z', end: '2031-06-02T10:00:00.000Z' }]);
    assert.deepEqual(
      by.get('daily series')!.occurrences!.map((o) => o.start.slice(0, 10)),
      ['2031-06-02', '2031-06-03', '2031-06-05', '2031-06-06', '2031-06-07', '2031-06-08'],
      'every day of the week but the excluded one',
    );
    assert.deepEqual(by.get('ended series')!.occurrences, [], 'a series that ended before the range has no occurrence in it');
  });

  it('lists no occurrences without a range, and takes from or to alone', async () => {
    const { events } = await list('limit=100');
    assert.equal(events.length, 10);
    assert.ok(events.every((e) => e.occurrences === undefined));
    const fromOnly = await list(`from=${encodeURIComponent('2031-06-09T00:00:00Z')}&limit=100`);
    assert.deepEqual(titles(fromOnly.events), ['daily series', 'ended series', 'later series', 'next month', 'starts at to', 'weekly series']);
    const toOnly = await list(`to=${encodeURIComponent('2031-06-02T00:30:00+01:00')}&limit=100`);
    assert.deepEqual(titles(toOnly.events), ['across the start', 'daily series', 'ended series', 'ends at from', 'weekly series'], 'an offset is honoured: 2031-06-01T23:30Z');
  });

  it('filters by one or more states, also together with a range', async () => {
    assert.deepEqual(titles((await list('state=confirmed')).events), ['in the week', 'next month', 'weekly series']);
    assert.deepEqual(titles((await list('state=paid,expired')).events), ['across the start', 'starts at to']);
    assert.deepEqual(titles((await list(`state=confirmed&${WEEK}`)).events), ['in the week', 'weekly series']);
  });

  it('refuses an unknown state, an instant without offset and an empty range with a 400 problem', async () => {
    for (const q of ['state=bogus', 'state=paid,bogus', 'state=', 'from=2031-06-02', 'from=2031-06-02T00:00:00', `from=${encodeURIComponent('2031-06-09T00:00:00Z')}&to=${encodeURIComponent('2031-06-02T00:00:00Z')}`, `from=${encodeURIComponent('2031-06-02T00:00:00Z')}&to=${encodeURIComponent('2031-06-02T00:00:00Z')}`]) {
      const res = await browser.request(`${app.url}/api/v1/events?${q}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400, q);
      const body = await res.json();
      assert.equal(body.code, 'validation_failed', q);
      assert.ok(body.errors?.length, q);
    }
  });

  it('pages through a filtered list, and refuses its cursor with other filters', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const q = `state=confirmed,pending_payment&${WEEK}&limit=2`;
    let first: string | null = null;
    do {
      const page: { events: Item[]; nextCursor: string | null } = await list(`${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.events.map((e) => e.title));
      cursor = page.nextCursor;
      first ??= cursor;
    } while (cursor);
    assert.deepEqual(seen.sort(), ['all-day sunday', 'daily series', 'ended series', 'in the week', 'weekly series']);

    // The same filters written another way keep the cursor valid...
    const same = await list(`state=pending_payment,confirmed,confirmed&${WEEK}&limit=2&cursor=${encodeURIComponent(first!)}`);
    assert.equal(same.events.length, 2);
    // ...other filters, or none, do not.
    for (const other of [`state=confirmed&${WEEK}`, `state=confirmed,pending_payment`, `state=confirmed,pending_payment&from=${encodeURIComponent('2031-06-02T00:00:00Z')}`, '']) {
      const res = await browser.request(`${app.url}/api/v1/events?${other}&limit=2&cursor=${encodeURIComponent(first!)}`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400, other);
      const body = await res.json();
      assert.equal(body.code, 'validation_failed');
      assert.equal(body.errors[0].path, 'querystring/cursor');
      assert.match(body.detail, /other filters/);
    }
    // And an unfiltered cursor is refused with filters.
    const plain = (await list('limit=2')).nextCursor!;
    const res = await browser.request(`${app.url}/api/v1/events?state=confirmed&limit=2&cursor=${encodeURIComponent(plain)}`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 400);
  });

  it('never lists another person’s events, whatever the filters', async () => {
    const mine = new Set(ids.values());
    for (const q of ['limit=100', 'state=confirmed,paid&limit=100', `${WEEK}&limit=100`, `state=paid&${WEEK}`]) {
      const { events } = await list(q);
      assert.ok(events.every((e) => mine.has(e.id)), q);
    }
    const theirs = await other.json(`${app.url}/api/v1/events?${WEEK}&limit=100`);
    assert.deepEqual(titles(theirs.body.events), ['not yours in the week', 'not yours series']);
    const series = theirs.body.events.find((e: Item) => e.title === 'not yours series');
    assert.deepEqual(series.occurrences, [{ start: '2031-06-02T09:00:00.000Z', end: '2031-06-02T10:00:00.000Z' }]);
  });
});
