import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { insertEvent, type NewEvent } from '../../src/db/repos/events.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import type { Queryable } from '../../src/db/database.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { dbKinds } from '../support/db.ts';
import { signIn } from '../support/google.ts';

/**
 * GET /api/v1/events pages through every event with an opaque cursor: no event is skipped or
 * repeated, whatever the page size, when many events share one creation instant, when instants
 * differ by microseconds, or when new events arrive between two pages.
 */

function newEvent(userId: string, title: string): NewEvent {
  const id = randomUUID();
  return {
    id, userId, title, description: null, location: null, calendarId: 'primary', timeZone: 'UTC', allDay: false,
    startLocal: '2031-05-01T10:00', endLocal: '2031-05-01T11:00', startAt: new Date('2031-05-01T10:00Z'), endAt: new Date('2031-05-01T11:00Z'),
    recurrence: [], attendees: [], sendUpdates: 'none', priceCurrency: 'USD', priceMinor: 100n, googleEventId: googleEventId(id),
    pendingUntil: new Date(Date.now() + 3600_000),
  };
}

async function userId(db: Queryable, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }>('select id from users where email = $1', [email]);
  return row!.id;
}

async function pageThrough(app: TestApp, browser: Browser, limit: number | null, between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q = new URLSearchParams();
    if (limit !== null) q.set('limit', String(limit));
    if (cursor) q.set('cursor', cursor);
    const res = await browser.json(`${app.url}/api/v1/events?${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.events.length <= (limit ?? 50));
    if (res.body.nextCursor) assert.equal(res.body.events.length, limit ?? 50, 'only the last page is short');
    ids.push(...res.body.events.map((e: { id: string }) => e.id));
    cursor = res.body.nextCursor;
    if (pages++ === 0 && between) await between();
    assert.ok(pages < 500, 'pagination ends');
  } while (cursor);
  return { ids, pages };
}

for (const kind of await dbKinds()) {
  describe(`events list pagination on ${kind}`, () => {
    let app: TestApp;
    let browser: Browser;
    let expected: string[];
    let mine: string;
    before(async () => {
      app = await startTestApp({ kind });
      ({ browser } = await signIn(app, { email: 'pager@example.com' }));
      await signIn(app, { email: 'other-pager@example.com' });
      const db = app.db.db;
      mine = await userId(db, 'pager@example.com');
      const theirs = await userId(db, 'other-pager@example.com');
      // 60 events in one transaction share one created_at (now() is the transaction's start)...
      await db.transaction(async (tx) => {
        for (let i = 0; i < 60; i++) await insertEvent(tx, newEvent(mine, `same instant ${i}`), 'test');
      });
      // ...70 more one by one, and 5 whose instants differ by a microsecond within one millisecond.
      for (let i = 0; i < 70; i++) await insertEvent(db, newEvent(mine, `one by one ${i}`), 'test');
      await db.query(
        `update events set created_at = timestamptz '2020-06-01 12:00:00.123+00' + (n * interval '1 microsecond')
         from (select id, row_number() over (order by id) as n from events where user_id = $1 and title like 'one by one 1%' limit 5) t
         where events.id = t.id`,
        [mine],
      );
      await db.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) await insertEvent(tx, newEvent(theirs, `not yours ${i}`), 'test');
      });
      expected = (await db.query<{ id: string }>('select id from events where user_id = $1 order by created_at desc, id desc', [mine])).map((r) => r.id);
      assert.equal(expected.length, 130);
    });
    after(() => app.close());

    it('pages through all 130 events, newest first, with the default page size', async () => {
      const { ids, pages } = await pageThrough(app, browser, null);
      assert.equal(pages, 3);
      assert.deepEqual(ids, expected);
    });

    for (const limit of [1, 7, 50, 100]) {
      it(`gives the same sequence with limit=${limit}: no duplicate, no gap`, async () => {
        const { ids } = await pageThrough(app, browser, limit);
        assert.equal(new Set(ids).size, ids.length, 'no duplicates');
        assert.deepEqual(ids, expected);
      });
    }

    it('does not shift later pages when an event is created between two requests', async () => {
      let added = '';
      const { ids } = await pageThrough(app, browser, 40, async () => {
        const e = newEvent(mine, 'created meanwhile');
        added = e.id;
        await insertEvent(app.db.db, e, 'test');
      });
      assert.deepEqual(ids, expected, 'the newer event belongs before the first page, not inside the later ones');
      const first = await browser.json(`${app.url}/api/v1/events?limit=1`);
      assert.equal(first.body.events[0].id, added);
      expected = [added, ...expected];
    });

    it('refuses a cursor it did not give out, and a limit out of range, with a 400 problem', async () => {
      const valid = (await browser.json(`${app.url}/api/v1/events?limit=2`)).body.nextCursor as string;
      const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(valid, 'base64url').toString()), id: 'not-a-uuid' })).toString('base64url');
      for (const q of ['cursor=garbage!', 'cursor=e30', `cursor=${tampered}`, `cursor=${Buffer.from('{"t":"1e9","id":null}').toString('base64url')}`, 'limit=0', 'limit=101', 'limit=ten']) {
        const res = await browser.request(`${app.url}/api/v1/events?${q}`, { headers: { accept: 'application/json' } });
        assert.equal(res.status, 400, q);
        assert.match(res.headers.get('content-type')!, /^application\/problem\+json/, q);
        const body = await res.json();
        assert.equal(body.kind, 'invalid_request', q);
        assert.ok(body.requestId, q);
      }
    });
  });
}
