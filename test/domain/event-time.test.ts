import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.ts';
import {
  assertBookable,
  EventTimeError,
  isoUtc,
  isoWithOffset,
  normalizeEventTime,
  parseWallClock,
  resolveLocalTime,
  validateTimeZone,
  wallClockAt,
  type EventTimeInput,
} from '../../src/domain/event-time.ts';

const NY = 'America/New_York';
const timed = (start: string, end: string, timeZone = NY): EventTimeInput => ({ timeZone, allDay: false, start, end });
const allDay = (start: string, end: string, timeZone = NY): EventTimeInput => ({ timeZone, allDay: true, start, end });

/** Asserts `fn` throws an EventTimeError with this field and code; returns it. */
function refused(fn: () => unknown, field: EventTimeError['field'], code: EventTimeError['code']): EventTimeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof EventTimeError, `expected an EventTimeError, got ${String(caught)}`);
  assert.equal(caught.field, field);
  assert.equal(caught.code, code);
  return caught;
}

describe('time zones', () => {
  it('accepts IANA names and fixes their letter case', () => {
    assert.equal(validateTimeZone('Europe/London'), 'Europe/London');
    assert.equal(validateTimeZone('america/new_york'), 'America/New_York');
    assert.equal(validateTimeZone('UTC'), 'UTC');
  });

  it('stores an alias, in any letter case, as the canonical zone it names', () => {
    // One spelling per zone: "us/eastern" and "US/Eastern" are both America/New_York.
    assert.equal(validateTimeZone('us/eastern'), 'America/New_York');
    assert.equal(validateTimeZone('US/Eastern'), 'America/New_York');
    assert.equal(validateTimeZone('etc/utc'), 'UTC');
    assert.equal(validateTimeZone('Etc/UTC'), 'UTC');
    assert.equal(validateTimeZone('est5edt'), validateTimeZone('EST5EDT'));
    const t = normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T10:00', 'us/eastern'));
    assert.equal(t.timeZone, NY);
    assert.deepEqual(t.google.start, { dateTime: '2026-03-09T09:00:00', timeZone: NY });
  });

  it('refuses unknown zones and offsets with a clear message', () => {
    const err = refused(() => normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T10:00', 'Mars/Olympus_Mons')), 'timeZone', 'invalid_time_zone');
    assert.match(err.message, /"Mars\/Olympus_Mons" is not a known IANA time zone name/);
    refused(() => validateTimeZone('+05:00'), 'timeZone', 'invalid_time_zone');
    refused(() => validateTimeZone(''), 'timeZone', 'invalid_time_zone');
  });
});

describe('timed events', () => {
  it('normalizes wall-clock, instants and the Google start/end', () => {
    const t = normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T10:30:15'));
    assert.equal(t.start, '2026-03-09T09:00:00');
    assert.equal(t.end, '2026-03-09T10:30:15');
    assert.equal(t.startUtc.toISOString(), '2026-03-09T13:00:00.000Z');
    assert.equal(t.endUtc.toISOString(), '2026-03-09T14:30:15.000Z');
    assert.deepEqual(t.google, {
      start: { dateTime: '2026-03-09T09:00:00', timeZone: NY },
      end: { dateTime: '2026-03-09T10:30:15', timeZone: NY },
    });
  });

  it('refuses a local time in the DST gap, naming the zone and the gap', () => {
    const err = refused(() => normalizeEventTime(timed('2026-03-08T02:30', '2026-03-08T04:00')), 'start', 'nonexistent_local_time');
    assert.equal(
      err.message,
      '2026-03-08T02:30 does not exist in America/New_York: clocks jump from 02:00 to 03:00 on that day. Pick a time outside the gap.',
    );
    const london = refused(() => normalizeEventTime(timed('2026-03-29T00:30', '2026-03-29T01:30', 'Europe/London')), 'end', 'nonexistent_local_time');
    assert.match(london.message, /clocks jump from 01:00 to 02:00/);
  });

  it('is an invalid_request AppError with the field path, for the HTTP layer', () => {
    const err = refused(() => normalizeEventTime(timed('2026-03-08T02:30', '2026-03-08T04:00')), 'start', 'nonexistent_local_time');
    assert.ok(err instanceof AppError);
    assert.equal(err.kind, 'invalid_request');
    assert.equal(err.code, 'nonexistent_local_time');
    assert.deepEqual(err.details, { errors: [{ path: 'start', message: err.message, code: 'nonexistent_local_time' }] });
    assert.deepEqual(err.withPathPrefix('body').details?.['errors'], [{ path: 'body/start', message: err.message, code: 'nonexistent_local_time' }]);
  });

  it('reads an ambiguous local time (DST overlap) as its first occurrence, the earlier offset', () => {
    const t = normalizeEventTime(timed('2026-11-01T01:30', '2026-11-01T02:30'));
    assert.equal(t.startUtc.toISOString(), '2026-11-01T05:30:00.000Z'); // 01:30 EDT, −04:00
    assert.equal(t.endUtc.toISOString(), '2026-11-01T07:30:00.000Z'); // 02:30 EST, −05:00
    const r = resolveLocalTime({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }, NY);
    assert.equal(r.status, 'ambiguous');
    assert.equal(r.offsetMinutes, -240);
  });

  it('refuses an end not after the start', () => {
    refused(() => normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T09:00')), 'end', 'end_not_after_start');
    refused(() => normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T08:00')), 'end', 'end_not_after_start');
    // 01:30 EST (second pass) is read as 01:30 EDT, which is before 01:45 EDT: fine.
    refused(() => normalizeEventTime(timed('2026-11-01T01:45', '2026-11-01T01:15')), 'end', 'end_not_after_start');
  });

  it('allows at most 31 days', () => {
    assert.ok(normalizeEventTime(timed('2026-01-01T00:00', '2026-02-01T00:00')));
    refused(() => normalizeEventTime(timed('2026-01-01T00:00', '2026-02-01T00:01')), 'end', 'too_long');
  });

  it('refuses malformed and impossible values', () => {
    refused(() => normalizeEventTime(timed('2026-03-09 09:00', '2026-03-09T10:00')), 'start', 'invalid_format');
    refused(() => normalizeEventTime(timed('2026-03-09T09:00Z', '2026-03-09T10:00')), 'start', 'invalid_format');
    refused(() => normalizeEventTime(timed('2026-03-09', '2026-03-10')), 'start', 'invalid_format');
    refused(() => normalizeEventTime(timed('2026-02-30T09:00', '2026-03-01T10:00')), 'start', 'invalid_date');
    refused(() => normalizeEventTime(timed('2026-03-09T24:00', '2026-03-10T10:00')), 'start', 'invalid_date');
    refused(() => normalizeEventTime(timed('1800-03-09T09:00', '1800-03-09T10:00')), 'start', 'out_of_range');
  });
});

describe('all-day events', () => {
  it('uses an exclusive end date: one day ends the next day', () => {
    const t = normalizeEventTime(allDay('2026-03-09', '2026-03-10'));
    assert.equal(t.start, '2026-03-09');
    assert.equal(t.end, '2026-03-10');
    assert.deepEqual(t.google, { start: { date: '2026-03-09' }, end: { date: '2026-03-10' } });
    assert.equal(t.startUtc.toISOString(), '2026-03-09T04:00:00.000Z'); // midnight EDT
    assert.equal(t.endUtc.toISOString(), '2026-03-10T04:00:00.000Z');
  });

  it('spans several days, over a DST change (instants are the start of each day in the zone)', () => {
    const t = normalizeEventTime(allDay('2026-03-07', '2026-03-10'));
    assert.equal(t.startUtc.toISOString(), '2026-03-07T05:00:00.000Z'); // midnight EST
    assert.equal(t.endUtc.toISOString(), '2026-03-10T04:00:00.000Z'); // midnight EDT
  });

  it('starts the day at the end of the gap where midnight does not exist', () => {
    // Chile moves its clocks from 00:00 to 01:00 on 2026-09-06.
    const t = normalizeEventTime(allDay('2026-09-06', '2026-09-07', 'America/Santiago'));
    assert.equal(t.startUtc.toISOString(), '2026-09-06T04:00:00.000Z'); // 01:00 −03:00
  });

  it('refuses an end equal to the start, and more than 31 days', () => {
    const err = refused(() => normalizeEventTime(allDay('2026-03-09', '2026-03-09')), 'end', 'end_not_after_start');
    assert.match(err.message, /end 2026-03-10 for one day/);
    assert.ok(normalizeEventTime(allDay('2026-01-01', '2026-02-01')));
    refused(() => normalizeEventTime(allDay('2026-01-01', '2026-02-02')), 'end', 'too_long');
  });

  it('takes dates only', () => {
    refused(() => normalizeEventTime(allDay('2026-03-09T00:00', '2026-03-10')), 'start', 'invalid_format');
    refused(() => normalizeEventTime(allDay('2026-03-09', '2026-02-29')), 'end', 'invalid_date');
  });
});

describe('assertBookable', () => {
  const now = new Date('2031-05-04T12:00:00Z');
  const at = (start: string, end: string, timeZone = 'UTC') => normalizeEventTime({ timeZone, allDay: false, start, end });
  const day = (start: string, end: string, timeZone = 'UTC') => normalizeEventTime({ timeZone, allDay: true, start, end });

  it('refuses a timed event that has begun, to the minute, and takes one that has not', () => {
    assert.throws(() => assertBookable(at('2031-05-04T11:59', '2031-05-04T13:00'), now), (e: unknown) => (e as { code?: string }).code === 'start_in_past');
    assert.throws(() => assertBookable(at('2020-01-01T10:00', '2020-01-01T11:00'), now), /in the past/);
    assertBookable(at('2031-05-04T12:00', '2031-05-04T13:00'), now);
    // 14:30 in Paris (UTC+2 in May) is 12:30 UTC: still ahead.
    assertBookable(at('2031-05-04T14:30', '2031-05-04T15:00', 'Europe/Paris'), now);
    // 13:30 in Paris is 11:30 UTC: over.
    assert.throws(() => assertBookable(at('2031-05-04T13:30', '2031-05-04T15:00', 'Europe/Paris'), now), /in the past/);
  });

  it('takes an all-day event until its day ends in its own zone', () => {
    assertBookable(day('2031-05-04', '2031-05-05'), now);
    assert.throws(() => assertBookable(day('2031-05-03', '2031-05-04'), now), /is over/);
    // In Tokyo (UTC+9) 4 May ended at 15:00 UTC on the 4th: still bookable at noon UTC.
    assertBookable(day('2031-05-04', '2031-05-05', 'Asia/Tokyo'), now);
    // In Tokyo, 3 May is over.
    assert.throws(() => assertBookable(day('2031-05-03', '2031-05-04', 'Asia/Tokyo'), now), /is over/);
  });
});

describe('wall-clock values at their limits', () => {
  const code = (input: EventTimeInput) => {
    try {
      normalizeEventTime(input);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof EventTimeError);
      return `${e.field}:${e.code}`;
    }
  };

  it('accepts the last minute, second, month and year, and refuses one more', () => {
    const rows: Array<[string, string]> = [
      ['2026-03-09T09:59', 'ok'],
      ['2026-03-09T09:60', 'start:invalid_date'],
      ['2026-03-09T09:00:59', 'ok'],
      ['2026-03-09T09:00:60', 'start:invalid_date'],
      ['2026-03-09T23:00', 'ok'],
      ['2026-03-09T24:00', 'start:invalid_date'],
      ['2026-12-09T09:00', 'ok'],
      ['2026-13-09T09:00', 'start:invalid_date'],
      ['2026-00-09T09:00', 'start:invalid_date'],
      ['2026-03-31T09:00', 'ok'],
      ['2026-04-31T09:00', 'start:invalid_date'],
      ['2026-03-00T09:00', 'start:invalid_date'],
      ['2028-02-29T09:00', 'ok'],
      ['2026-02-29T09:00', 'start:invalid_date'],
      ['1900-01-01T00:00', 'ok'],
      ['1899-12-31T23:00', 'start:out_of_range'],
      ['2999-12-30T09:00', 'ok'],
      ['3000-01-01T09:00', 'start:out_of_range'],
      ['2026-3-09T09:00', 'start:invalid_format'],
      ['x2026-03-09T09:00', 'start:invalid_format'],
      ['2026-03-09T09:00x', 'start:invalid_format'],
      ['2026-03-09T09:00:0', 'start:invalid_format'],
    ];
    const wrong = rows.map(([start, want]) => {
      // The end is 23:30 on the start's day (any end will do for a start that is refused).
      const end = `${start.slice(0, 10)}T23:30`;
      return [start, want, code({ timeZone: 'UTC', allDay: false, start, end })];
    }).filter(([, want, got]) => want !== got);
    assert.deepEqual(wrong, []);
    const days: Array<[string, string]> = [
      ['2026-12-31', 'ok'],
      ['2026-13-01', 'start:invalid_date'],
      ['2026-02-29', 'start:invalid_date'],
      ['3000-01-01', 'start:out_of_range'],
      ['1899-12-31', 'start:out_of_range'],
      ['2026-1-01', 'start:invalid_format'],
    ];
    const wrongDays = days.map(([start, want]) => [start, want, code({ timeZone: 'UTC', allDay: true, start, end: '2027-01-01' })]).filter(([, want, got]) => want !== got);
    assert.deepEqual(wrongDays, []);
    assert.equal(code({ timeZone: 'UTC', allDay: true, start: '2999-12-30', end: '2999-12-31' }), 'ok');
    assert.equal(code({ timeZone: 'UTC', allDay: true, start: '2999-12-31', end: '3000-01-01' }), 'end:out_of_range');
  });

  it('refuses an allDay that is not a boolean, and names the field of a bad end', () => {
    assert.equal(code({ timeZone: 'UTC', allDay: 'yes' as unknown as boolean, start: '2026-03-09', end: '2026-03-10' }), 'allDay:invalid_format');
    assert.equal(code({ timeZone: 'UTC', allDay: false, start: '2026-03-09T09:00', end: '2026-03-09T09:60' }), 'end:invalid_date');
    assert.equal(code({ timeZone: 'UTC', allDay: false, start: '2026-03-09T09:00', end: 42 as unknown as string }), 'end:invalid_format');
  });

  it('measures 31 days by elapsed time for a timed event, across DST', () => {
    // 2026-03-01 00:00 EST to 2026-04-01 00:00 EDT is 31 days less an hour: fine; plus 61 minutes is not.
    assert.equal(code(timed('2026-03-01T00:00', '2026-04-01T01:00')), 'ok');
    assert.equal(code(timed('2026-03-01T00:00', '2026-04-01T01:01')), 'end:too_long');
    assert.ok(normalizeEventTime(timed('2026-03-01T00:00', '2026-03-01T00:01')));
  });

  it('says how long a too-long event lasts', () => {
    const timedErr = refused(() => normalizeEventTime(timed('2026-01-01T00:00', '2026-02-02T12:00', 'UTC')), 'end', 'too_long');
    assert.match(timedErr.message, /lasts 32\.5 days/);
    const dayErr = refused(() => normalizeEventTime(allDay('2026-01-01', '2026-02-03')), 'end', 'too_long');
    assert.match(dayErr.message, /lasts 33 days/);
  });
});

describe('resolveLocalTime', () => {
  const wall = (s: string) => {
    const [d, t] = s.split('T') as [string, string];
    const [year, month, day] = d.split('-').map(Number) as [number, number, number];
    const [hour, minute] = t.split(':').map(Number) as [number, number];
    return { year, month, day, hour, minute, second: 0 };
  };

  it('gives an exact time its one instant and offset', () => {
    assert.deepEqual(resolveLocalTime(wall('2026-03-09T09:00'), NY), { status: 'exact', instant: new Date('2026-03-09T13:00:00Z'), offsetMinutes: -240 });
    assert.deepEqual(resolveLocalTime(wall('2026-07-01T12:00'), 'Asia/Kolkata'), { status: 'exact', instant: new Date('2026-07-01T06:30:00Z'), offsetMinutes: 330 });
  });

  it('gives an ambiguous time both instants, the earlier first', () => {
    assert.deepEqual(resolveLocalTime(wall('2026-11-01T01:30'), NY), {
      status: 'ambiguous',
      instant: new Date('2026-11-01T05:30:00Z'),
      offsetMinutes: -240,
      laterInstant: new Date('2026-11-01T06:30:00Z'),
    });
  });

  it('moves a time in a gap forward by the gap, and describes the gap to the minute', () => {
    assert.deepEqual(resolveLocalTime(wall('2026-03-08T02:30'), NY), {
      status: 'nonexistent',
      instant: new Date('2026-03-08T07:30:00Z'),
      offsetMinutes: -240,
      gap: { from: '02:00', to: '03:00', minutes: 60 },
    });
    // Lord Howe Island moves its clocks by 30 minutes (02:00 → 02:30 on 2026-10-04).
    assert.deepEqual(resolveLocalTime(wall('2026-10-04T02:10'), 'Australia/Lord_Howe'), {
      status: 'nonexistent',
      instant: new Date('2026-10-03T15:40:00Z'),
      offsetMinutes: 660,
      gap: { from: '02:00', to: '02:30', minutes: 30 },
    });
    // The first minute of the gap and the last one.
    assert.deepEqual(resolveLocalTime(wall('2026-03-08T02:00'), NY).status, 'nonexistent');
    assert.deepEqual(resolveLocalTime(wall('2026-03-08T02:59'), NY).status, 'nonexistent');
    assert.deepEqual(resolveLocalTime(wall('2026-03-08T03:00'), NY).status, 'exact');
    assert.deepEqual(resolveLocalTime(wall('2026-03-08T01:59'), NY).status, 'exact');
  });
});

describe('refusals say what was expected', () => {
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof EventTimeError);
      return e.message;
    }
    return assert.fail('accepted');
  };

  it('names the form a date or a time must take, and the range of years', () => {
    assert.match(message(() => normalizeEventTime(timed('2026-03-09', '2026-03-09T10:00'))), /^start must be a local date and time YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss, without offset; got "2026-03-09"\.$/);
    assert.match(message(() => normalizeEventTime(allDay('2026-03-09', '2026-03-10T00:00'))), /^end must be a date YYYY-MM-DD \(all-day event\); got "2026-03-10T00:00"\.$/);
    assert.match(message(() => normalizeEventTime(timed('2026-02-30T09:00', '2026-03-09T10:00'))), /is not a valid calendar date and time/);
    assert.match(message(() => normalizeEventTime(allDay('2026-02-30', '2026-03-09'))), /"2026-02-30" is not a valid calendar date\./);
    assert.match(message(() => normalizeEventTime(allDay('3000-01-01', '3000-01-02'))), /between the years 1900 and 2999; got 3000-01-01/);
  });

  it('shows an unknown zone as given, cut at 64 characters, and a value that is not text as it is', () => {
    const long = `Mars/${'x'.repeat(100)}`;
    assert.ok(message(() => validateTimeZone(long)).startsWith(`"${long.slice(0, 64)}…" is not a known IANA time zone name`));
    assert.ok(message(() => validateTimeZone(`Mars/${'x'.repeat(59)}`)).startsWith(`"Mars/${'x'.repeat(59)}" is not`));
    assert.ok(message(() => validateTimeZone(42 as unknown as string)).startsWith('42 is not a known IANA time zone name'));
    assert.ok(message(() => validateTimeZone('Europe/Londonx')).startsWith('"Europe/Londonx" is not'));
    const err = refused(() => validateTimeZone('Mars/Base', 'recurrence', '/recurrence/3'), 'recurrence', 'invalid_time_zone');
    assert.equal(err.pointer, '/recurrence/3');
  });

  it('refuses zone names longer than 64 characters or not starting with a letter', () => {
    refused(() => validateTimeZone('_UTC'), 'timeZone', 'invalid_time_zone');
    refused(() => validateTimeZone('America/New_York '), 'timeZone', 'invalid_time_zone');
    refused(() => validateTimeZone(`America/${'A'.repeat(60)}`), 'timeZone', 'invalid_time_zone');
  });

  it('are EventTimeErrors naming the field: start by default, start for a booking in the past, end for an end before the start', () => {
    const e = refused(() => parseWallClock('2026-03-09', false), 'start', 'invalid_format');
    assert.equal(e.name, 'EventTimeError');
    refused(() => assertBookable(normalizeEventTime(timed('2026-03-09T09:00', '2026-03-09T10:00')), new Date('2027-01-01T00:00:00Z')), 'start', 'start_in_past');
    const before = refused(() => normalizeEventTime(timed('2026-03-09T10:00', '2026-03-09T09:00')), 'end', 'end_not_after_start');
    assert.equal(before.message, 'end (2026-03-09T09:00) must be after start (2026-03-09T10:00) in America/New_York.');
  });

  it('an all-day event is over the moment its last day ends', () => {
    const day = normalizeEventTime({ timeZone: 'UTC', allDay: true, start: '2031-05-03', end: '2031-05-04' });
    assert.throws(() => assertBookable(day, new Date('2031-05-04T00:00:00Z')), /is over in UTC/);
    assertBookable(day, new Date('2031-05-03T23:59:59.999Z'));
  });
});

describe('instants shown and read in a zone', () => {
  it('isoWithOffset gives the zone’s offset at that instant, without milliseconds when there are none', () => {
    assert.equal(isoWithOffset(new Date('2026-03-09T13:00:00Z'), NY), '2026-03-09T09:00:00-04:00');
    assert.equal(isoWithOffset(new Date('2026-03-06T14:00:00Z'), NY), '2026-03-06T09:00:00-05:00');
    assert.equal(isoWithOffset(new Date('2026-03-09T13:00:00.250Z'), 'UTC'), '2026-03-09T13:00:00.250Z');
    assert.equal(isoUtc(new Date('2026-03-09T13:00:00Z')), '2026-03-09T13:00:00Z');
    assert.equal(isoUtc(new Date('2026-03-09T13:00:00.250Z')), '2026-03-09T13:00:00.250Z');
  });

  it('wallClockAt reads the local fields', () => {
    assert.deepEqual(wallClockAt(new Date('2026-11-01T06:30:15Z'), NY), { year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 15 });
  });

  it('refuses what is not text, and text with anything around the date', () => {
    refused(() => validateTimeZone(undefined as unknown as string), 'timeZone', 'invalid_time_zone');
    refused(() => parseWallClock(['2026-03-09'] as unknown as string, true), 'start', 'invalid_format');
    refused(() => parseWallClock('x2026-03-09', true), 'start', 'invalid_format');
    assert.match(refused(() => normalizeEventTime({ timeZone: 'UTC', allDay: 1 as unknown as boolean, start: '2026-03-09', end: '2026-03-10' }), 'allDay', 'invalid_format').message, /allDay must be true or false/);
  });
});
