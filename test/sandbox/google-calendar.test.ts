import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { METHOD_SCOPES } from '../../sandbox/google/scopes.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { withSandbox } from '../support/sandbox.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';
import { DISCOVERY_FILE, schemaErrors } from './google-discovery-schema.ts';
import { api, assertGoogleError, AUTH, control, RECOMMENDED_SCOPES, signIn, timedEvent } from './google-helpers.ts';

/** The emulated Calendar v3: ids, duplicates, recurrence, list filters, freeBusy, calendarList. */

const EVENTS = '/calendar/v3/calendars/primary/events';

describe('Google emulator: discovery schemas', { skip: specsSkip() }, () => {
  it('the converted schemas reject what Google would never send', () => {
    assert.deepEqual(schemaErrors('Event', { kind: 'calendar#event', id: 'abcde', start: { dateTime: '2030-01-01T10:00:00Z' } }), []);
    assert.notDeepEqual(schemaErrors('Event', { id: 'abcde', startTime: '2030-01-01T10:00:00Z' }), []);
    assert.notDeepEqual(schemaErrors('Event', { start: { dateTime: '2030-01-01 10:00' } }), []);
    assert.notDeepEqual(schemaErrors('Event', { sequence: '1' }), []);
  });

  it("the emulator's method scopes are the discovery document's", () => {
    const doc = readSpecJson(...DISCOVERY_FILE);
    const where: Record<string, [string, string]> = {
      'calendar.calendarList.list': ['calendarList', 'list'],
      'calendar.events.insert': ['events', 'insert'],
      'calendar.events.get': ['events', 'get'],
      'calendar.events.patch': ['events', 'patch'],
      'calendar.events.delete': ['events', 'delete'],
      'calendar.events.list': ['events', 'list'],
      'calendar.freebusy.query': ['freebusy', 'query'],
    };
    for (const [method, scopes] of Object.entries(METHOD_SCOPES)) {
      const [resource, name] = where[method]!;
      assert.deepEqual([...scopes].sort(), [...doc.resources[resource].methods[name].scopes].sort(), method);
    }
  });
});

describe('Google emulator: Calendar v3', () => {
  let sb: Sandbox;
  let token: string;
  before(async () => {
    sb = await withSandbox();
  });
  beforeEach(async () => {
    await fetch(`${sb.url}/__sandbox/reset`, { method: 'POST' });
    token = (await signIn(sb)).access_token;
  });
  after(() => sb.close());

  const call = (method: string, path: string, body?: unknown) => api(sb, token, method, path, body);

  describe('calendarList', () => {
    it('lists primary, secondary and the shared reader calendar, and honours minAccessRole', async () => {
      const all = await call('GET', '/calendar/v3/users/me/calendarList');
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.items.map((c: { accessRole: string; primary?: boolean }) => [c.accessRole, c.primary ?? false]),
        [
          ['owner', true],
          ['owner', false],
          ['reader', false],
        ],
      );
      assert.equal(all.body.items[0].id, 'ada.tester@example.com');
      const owner = await call('GET', '/calendar/v3/users/me/calendarList?minAccessRole=owner');
      assert.equal(owner.body.items.length, 2);
      const writer = await call('GET', '/calendar/v3/users/me/calendarList?minAccessRole=writer');
      assert.equal(writer.body.items.length, 2);
      const paged = await call('GET', '/calendar/v3/users/me/calendarList?maxResults=2');
      assert.equal(paged.body.items.length, 2);
      const rest = await call('GET', `/calendar/v3/users/me/calendarList?maxResults=2&pageToken=${paged.body.nextPageToken}`);
      assert.equal(rest.body.items.length, 1);
      assert.ok(rest.body.nextSyncToken);
      assertGoogleError(await call('GET', '/calendar/v3/users/me/calendarList?minAccessRole=boss'), 400, 'invalid');
    });
  });

  describe('events: ids, duplicates, deletes', () => {
    it('fills the read-only fields Google fills', async () => {
      const res = await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00.000Z', { description: 'first' }));
      assert.equal(res.status, 200);
      const ev = res.body;
      assert.equal(ev.kind, 'calendar#event');
      assert.match(ev.id, /^[a-v0-9]{5,}$/);
      assert.match(ev.etag, /^"\d+"$/);
      assert.equal(ev.iCalUID, `${ev.id}@google.com`);
      assert.equal(ev.status, 'confirmed');
      assert.equal(ev.eventType, 'default');
      assert.equal(ev.sequence, 0);
      assert.deepEqual(ev.reminders, { useDefault: true });
      assert.deepEqual(ev.creator, { email: 'ada.tester@example.com', self: true });
      assert.deepEqual(ev.organizer, { email: 'ada.tester@example.com', self: true });
      assert.ok(ev.htmlLink.startsWith(`${sb.url}/calendar/event?eid=`));
      assert.equal((await fetch(ev.htmlLink)).status, 200);
      assert.equal(ev.created, ev.updated);
      assert.deepEqual(ev.start, { dateTime: '2030-01-07T09:00:00Z' });
      const got = await call('GET', `${EVENTS}/${ev.id}`);
      assert.deepEqual(got.body, ev);
    });

    it('checks client-chosen ids: base32hex, 5 to 1024 characters', async () => {
      for (const id of ['ABCDE', 'abcdw', 'abcd', 'a'.repeat(1025), 'abc-de', 'abc_de']) {
        const res = await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { id }));
        assertGoogleError(res, 400, 'invalid', 'Invalid resource id value.');
      }
      for (const id of ['abcde', 'v0123456789', 'a'.repeat(1024)]) {
        assert.equal((await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { id }))).status, 200, id);
      }
    });

    it('answers 409 duplicate for an existing id, even after delete; the cancelled event lingers', async () => {
      const id = 'bk00000000000000000001';
      assert.equal((await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { id }))).status, 200);
      const dup = assertGoogleError(await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { id })), 409, 'duplicate', 'The requested identifier already exists.');
      assert.equal(dup.status, 'ALREADY_EXISTS');
      assert.equal(dup.message, 'The requested identifier already exists.');
      assert.equal(dup.errors[0].domain, 'global');

      const del = await fetch(`${sb.url}${EVENTS}/${id}?sendUpdates=none`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      assert.equal(del.status, 204);
      assert.equal(await del.text(), '');
      assertGoogleError(await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { id })), 409, 'duplicate');
      const got = await call('GET', `${EVENTS}/${id}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.status, 'cancelled');
      assertGoogleError(await call('DELETE', `${EVENTS}/${id}`), 410, 'deleted', 'Resource has been deleted');
      assert.deepEqual((await call('GET', EVENTS)).body.items, []);
      assert.equal((await call('GET', `${EVENTS}?showDeleted=true`)).body.items[0].status, 'cancelled');
      // A cancelled event can be restored with a patch.
      const restored = await call('PATCH', `${EVENTS}/${id}`, { status: 'confirmed' });
      assert.equal(restored.body.status, 'confirmed');
      assertGoogleError(await call('GET', `${EVENTS}/nosuchevent`), 404, 'notFound', 'Not Found');
    });

    it('patches like Google: merged objects, null deletes, sequence bumps on a new time', async () => {
      const ev = (await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z', { description: 'x', location: 'Room 1', extendedProperties: { private: { a: '1' } } }))).body;
      const res = await call('PATCH', `${EVENTS}/${ev.id}`, {
        description: null,
        extendedProperties: { private: { b: '2' } },
        start: { dateTime: '2030-01-07T10:00:00Z' },
        end: { dateTime: '2030-01-07T11:00:00Z' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.description, undefined);
      assert.equal(res.body.location, 'Room 1');
      assert.deepEqual(res.body.extendedProperties, { private: { a: '1', b: '2' } });
      assert.equal(res.body.sequence, 1);
      assert.notEqual(res.body.etag, ev.etag);
      assert.equal(res.body.created, ev.created);
    });

    it('refuses bad bodies with Google reasons and messages', async () => {
      const cases: [unknown, string, string][] = [
        [{ start: { dateTime: '2030-01-07T09:00:00Z' } }, 'required', 'Missing end time.'],
        [{ start: { dateTime: '2030-01-07T09:00:00' }, end: { dateTime: '2030-01-07T10:00:00Z' } }, 'required', 'Missing time zone definition for start time.'],
        [
          { start: { dateTime: '2030-01-07T09:00:00Z', timeZone: 'Mars/Olympus' }, end: { dateTime: '2030-01-07T10:00:00Z' } },
          'invalid',
          'Invalid time zone definition for start time.',
        ],
        [{ start: { dateTime: '2030-01-07T09:00:00Z' }, end: { dateTime: '2030-01-07T08:00:00Z' } }, 'timeRangeEmpty', 'The specified time range is empty.'],
        [{ start: { date: '2030-01-07' }, end: { dateTime: '2030-01-07T08:00:00Z' } }, 'invalid', 'Start and end times must either both be date or both be dateTime.'],
      ];
      for (const [body, reason, message] of cases) assertGoogleError(await call('POST', EVENTS, body), 400, reason, message);
      const raw = await fetch(`${sb.url}${EVENTS}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"summary":' });
      assertGoogleError({ status: raw.status, body: await raw.json() }, 400, 'parseError');
    });
  });

  describe('recurring events', () => {
    const daily = (extra: Record<string, unknown> = {}) => ({
      summary: 'Daily stand-up',
      start: { dateTime: '2024-03-29T10:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2024-03-29T10:30:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=DAILY;COUNT=4'],
      ...extra,
    });

    it('needs start.timeZone and refuses DTSTART lines and broken rules', async () => {
      const noZone = { ...daily(), start: { dateTime: '2024-03-29T10:00:00+01:00' }, end: { dateTime: '2024-03-29T10:30:00+01:00' } };
      assertGoogleError(await call('POST', EVENTS, noZone), 400, 'required', 'Missing time zone definition for start time.');
      assertGoogleError(
        await call('POST', EVENTS, daily({ start: { dateTime: '2024-03-29T10:00:00', timeZone: 'Europe/Nowhere' } })),
        400,
        'invalid',
        'Invalid time zone definition for start time.',
      );
      assertGoogleError(await call('POST', EVENTS, daily({ recurrence: ['DTSTART:20240329T100000Z', 'RRULE:FREQ=DAILY'] })), 400, 'invalid');
      assertGoogleError(await call('POST', EVENTS, daily({ recurrence: ['RRULE:FREQ=SOMETIMES'] })), 400, 'invalid');
    });

    it('expands across a DST change at the same local time, with Google instance ids', async () => {
      const master = (await call('POST', EVENTS, daily())).body;
      assert.deepEqual(master.start, { dateTime: '2024-03-29T10:00:00+01:00', timeZone: 'Europe/Berlin' });
      const res = await call('GET', `${EVENTS}?singleEvents=true&orderBy=startTime&timeMin=2024-03-01T00:00:00Z&timeMax=2024-04-30T00:00:00Z`);
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.items.map((i: any) => [i.id, i.start.dateTime, i.end.dateTime]),
        [
          [`${master.id}_20240329T090000Z`, '2024-03-29T10:00:00+01:00', '2024-03-29T10:30:00+01:00'],
          [`${master.id}_20240330T090000Z`, '2024-03-30T10:00:00+01:00', '2024-03-30T10:30:00+01:00'],
          [`${master.id}_20240331T080000Z`, '2024-03-31T10:00:00+02:00', '2024-03-31T10:30:00+02:00'],
          [`${master.id}_20240401T080000Z`, '2024-04-01T10:00:00+02:00', '2024-04-01T10:30:00+02:00'],
        ],
      );
      const first = res.body.items[0];
      assert.equal(first.recurringEventId, master.id);
      assert.deepEqual(first.originalStartTime, first.start);
      assert.equal(first.recurrence, undefined);
      // Without singleEvents, the series comes back once, as the master.
      const masters = await call('GET', `${EVENTS}?timeMin=2024-03-31T00:00:00Z`);
      assert.deepEqual(masters.body.items.map((i: any) => i.id), [master.id]);
      // An instance can be read by its id, and deleted on its own.
      assert.equal((await call('GET', `${EVENTS}/${master.id}_20240331T080000Z`)).body.start.dateTime, '2024-03-31T10:00:00+02:00');
      assert.equal((await fetch(`${sb.url}${EVENTS}/${master.id}_20240330T090000Z`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);
      const after = await call('GET', `${EVENTS}?singleEvents=true&orderBy=startTime`);
      assert.equal(after.body.items.length, 3);
    });

    it('applies EXDATE and RDATE in the event zone', async () => {
      const master = (
        await call(
          'POST',
          EVENTS,
          daily({ recurrence: ['RRULE:FREQ=DAILY;COUNT=3', 'EXDATE;TZID=Europe/Berlin:20240330T100000', 'RDATE:20240405T090000Z'] }),
        )
      ).body;
      const res = await call('GET', `${EVENTS}?singleEvents=true&orderBy=startTime`);
      assert.deepEqual(
        res.body.items.map((i: any) => i.id.slice(master.id.length + 1)),
        ['20240329T090000Z', '20240331T080000Z', '20240405T090000Z'],
      );
      assert.equal(res.body.items[2].start.dateTime, '2024-04-05T11:00:00+02:00');
    });

    it('expands a weekly series without an end inside the requested window only', async () => {
      await call('POST', EVENTS, { ...daily(), recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE'], start: { dateTime: '2024-01-01T09:00:00', timeZone: 'America/New_York' }, end: { dateTime: '2024-01-01T09:45:00', timeZone: 'America/New_York' } });
      const res = await call('GET', `${EVENTS}?singleEvents=true&orderBy=startTime&timeMin=2024-11-01T00:00:00-04:00&timeMax=2024-11-08T00:00:00-05:00`);
      assert.deepEqual(
        res.body.items.map((i: any) => i.start.dateTime),
        ['2024-11-04T09:00:00-05:00', '2024-11-06T09:00:00-05:00'],
      );
    });
  });

  describe('events.list', () => {
    it('uses exclusive bounds: timeMin against the end, timeMax against the start', async () => {
      const ev = (await call('POST', EVENTS, timedEvent('2030-01-07T10:00:00Z'))).body;
      const ids = async (qs: string) => (await call('GET', `${EVENTS}?${qs}`)).body.items.map((i: any) => i.id);
      assert.deepEqual(await ids('timeMin=2030-01-07T11:00:00Z'), []);
      assert.deepEqual(await ids('timeMax=2030-01-07T10:00:00Z'), []);
      assert.deepEqual(await ids('timeMin=2030-01-07T10:59:59Z'), [ev.id]);
      assert.deepEqual(await ids('timeMax=2030-01-07T10:00:01Z'), [ev.id]);
      assert.deepEqual(await ids('timeMin=2030-01-07T12:00:00%2B02:00&timeMax=2030-01-07T13:00:00%2B02:00'), [ev.id]);
      assertGoogleError(await call('GET', `${EVENTS}?timeMin=2030-01-07T11:00:00Z&timeMax=2030-01-07T10:00:00Z`), 400, 'timeRangeEmpty');
      assertGoogleError(await call('GET', `${EVENTS}?timeMin=2030-01-07`), 400, 'badRequest');
      assertGoogleError(await call('GET', `${EVENTS}?orderBy=startTime`), 400, 'badRequest', 'The requested ordering is not available for the particular query.');
    });

    it('filters by privateExtendedProperty (all constraints must hold)', async () => {
      const a = (await call('POST', EVENTS, timedEvent('2030-01-07T10:00:00Z', { extendedProperties: { private: { lcBookingId: 'bk_1', kind: 'booking' } } }))).body;
      await call('POST', EVENTS, timedEvent('2030-01-07T12:00:00Z', { extendedProperties: { private: { lcBookingId: 'bk_2', kind: 'booking' } } }));
      await call('POST', EVENTS, timedEvent('2030-01-07T14:00:00Z', { extendedProperties: { shared: { lcBookingId: 'bk_1' } } }));
      const one = await call('GET', `${EVENTS}?privateExtendedProperty=${encodeURIComponent('lcBookingId=bk_1')}`);
      assert.deepEqual(one.body.items.map((i: any) => i.id), [a.id]);
      const both = await call('GET', `${EVENTS}?privateExtendedProperty=kind%3Dbooking&privateExtendedProperty=lcBookingId%3Dbk_2`);
      assert.equal(both.body.items.length, 1);
      assert.equal(both.body.items[0].extendedProperties.private.lcBookingId, 'bk_2');
      const none = await call('GET', `${EVENTS}?privateExtendedProperty=lcBookingId%3Dbk_3`);
      assert.deepEqual(none.body.items, []);
    });

    it('pages with maxResults and pageToken, then hands out a sync token', async () => {
      for (let h = 8; h < 13; h++) await call('POST', EVENTS, timedEvent(`2030-01-07T${String(h).padStart(2, '0')}:00:00Z`));
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      let last: any;
      do {
        last = await call('GET', `${EVENTS}?singleEvents=true&orderBy=startTime&maxResults=2${pageToken ? `&pageToken=${pageToken}` : ''}`);
        seen.push(...last.body.items.map((i: any) => i.start.dateTime));
        pageToken = last.body.nextPageToken;
        pages++;
      } while (pageToken);
      assert.equal(pages, 3);
      assert.deepEqual(seen, ['08', '09', '10', '11', '12'].map((h) => `2030-01-07T${h}:00:00Z`));
      const sync = last.body.nextSyncToken;
      assert.ok(sync);
      const changed = (await call('POST', EVENTS, timedEvent('2030-01-08T08:00:00Z'))).body;
      const delta = await call('GET', `${EVENTS}?syncToken=${encodeURIComponent(sync)}`);
      assert.deepEqual(delta.body.items.map((i: any) => i.id), [changed.id]);
      assertGoogleError(await call('GET', `${EVENTS}?syncToken=garbage`), 410, 'fullSyncRequired');
    });
  });

  describe('freeBusy', () => {
    it('reports busy periods of confirmed, opaque events, clipped, merged and series expanded', async () => {
      await call('POST', EVENTS, timedEvent('2030-01-07T09:00:00Z'));
      await call('POST', EVENTS, timedEvent('2030-01-07T09:30:00Z'));
      await call('POST', EVENTS, timedEvent('2030-01-07T13:00:00Z', { transparency: 'transparent' }));
      await call('POST', EVENTS, timedEvent('2030-01-07T14:00:00Z', { status: 'tentative' }));
      const gone = (await call('POST', EVENTS, timedEvent('2030-01-07T15:00:00Z'))).body;
      await call('DELETE', `${EVENTS}/${gone.id}`);
      await call('POST', EVENTS, {
        start: { dateTime: '2030-01-06T17:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2030-01-06T18:00:00', timeZone: 'Europe/Berlin' },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=3'],
      });
      await call('POST', EVENTS, timedEvent('2030-01-07T23:30:00Z'));
      const res = await call('POST', '/calendar/v3/freeBusy', {
        timeMin: '2030-01-07T00:00:00Z',
        timeMax: '2030-01-08T00:00:00Z',
        items: [{ id: 'primary' }, { id: 'nobody@example.com' }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.kind, 'calendar#freeBusy');
      assert.equal(res.body.timeMin, '2030-01-07T00:00:00.000Z');
      assert.deepEqual(res.body.calendars.primary.busy, [
        { start: '2030-01-07T09:00:00Z', end: '2030-01-07T10:30:00Z' },
        { start: '2030-01-07T16:00:00Z', end: '2030-01-07T17:00:00Z' },
        { start: '2030-01-07T23:30:00Z', end: '2030-01-08T00:00:00Z' },
      ]);
      assert.deepEqual(res.body.calendars['nobody@example.com'], { busy: [], errors: [{ domain: 'global', reason: 'notFound' }] });
      assertGoogleError(
        await call('POST', '/calendar/v3/freeBusy', { timeMin: '2030-01-08T00:00:00Z', timeMax: '2030-01-07T00:00:00Z', items: [] }),
        400,
        'timeRangeEmpty',
      );
    });
  });

  describe('access and notifications', () => {
    it('refuses writes to a calendar shared read-only, even with a broad scope', async () => {
      const broad = (await signIn(sb, { scopes: ['openid', 'email', `${AUTH}calendar`], account: 'grace.tester@example.com' })).access_token;
      const list = await api(sb, broad, 'GET', '/calendar/v3/users/me/calendarList?minAccessRole=reader');
      const shared = list.body.items.find((c: any) => c.accessRole === 'reader').id;
      const path = `/calendar/v3/calendars/${encodeURIComponent(shared)}/events`;
      assert.equal((await api(sb, broad, 'GET', path)).status, 200);
      assertGoogleError(await api(sb, broad, 'POST', path, timedEvent('2030-01-07T09:00:00Z')), 403, 'requiredAccessLevel');
      assertGoogleError(await api(sb, broad, 'GET', '/calendar/v3/calendars/ada.tester%40example.com/events'), 404, 'notFound');
    });

    it('records whom sendUpdates would have emailed', async () => {
      const attendees = [{ email: 'guest@other.org' }, { email: 'colleague@example.com' }, { email: 'ada.tester@example.com' }];
      const ev = (await call('POST', `${EVENTS}?sendUpdates=all`, timedEvent('2030-01-07T09:00:00Z', { attendees }))).body;
      assert.deepEqual(
        ev.attendees.map((a: any) => [a.email, a.responseStatus, a.self ?? false, a.organizer ?? false]),
        [
          ['guest@other.org', 'needsAction', false, false],
          ['colleague@example.com', 'needsAction', false, false],
          ['ada.tester@example.com', 'needsAction', true, true],
        ],
      );
      await call('PATCH', `${EVENTS}/${ev.id}?sendUpdates=externalOnly`, { summary: 'Moved' });
      await call('DELETE', `${EVENTS}/${ev.id}`);
      const state = await (await fetch(`${sb.url}/__sandbox/state`)).json();
      assert.deepEqual(
        state.google.notifications.map((n: any) => [n.action, n.sendUpdates, n.recipients]),
        [
          ['created', 'all', ['guest@other.org', 'colleague@example.com']],
          ['updated', 'externalOnly', ['guest@other.org']],
          ['cancelled', 'none', []],
        ],
      );
      assertGoogleError(await call('POST', `${EVENTS}?sendUpdates=everyone`, timedEvent('2030-01-07T09:00:00Z')), 400, 'invalid');
      const events = await control(sb, 'GET', '/users/ada.tester@example.com/events');
      assert.equal(events.body.calendars.find((c: any) => c.primary).events[0].status, 'cancelled');
    });
  });

  it('keeps tokens out of the snapshot in full', async () => {
    const state = await (await fetch(`${sb.url}/__sandbox/state`)).json();
    const grant = state.google.grants[0];
    assert.deepEqual(grant.scopes.sort(), RECOMMENDED_SCOPES.map((s) => (s === 'email' ? `${AUTH}userinfo.email` : s)).sort());
    assert.ok(!JSON.stringify(state).includes(token));
  });
});
