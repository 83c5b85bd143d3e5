import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventTimeError } from '../../src/domain/event-time.ts';
import {
  firstOccurrences,
  MAX_PREVIEW_COUNT,
  normalizeSchedule,
  parseRecurrence,
  previewOccurrences,
  type PreviewInput,
} from '../../src/domain/recurrence.ts';

const NY = 'America/New_York';
const starts = (input: PreviewInput) => previewOccurrences(input).map((o) => o.start);

function refused(fn: () => unknown, code: EventTimeError['code'], message?: RegExp): EventTimeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof EventTimeError, `expected an EventTimeError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe('recurrence across DST: same local time, new offset', () => {
  it('America/New_York, weekly 09:00 over the March change', () => {
    const out = previewOccurrences({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=WEEKLY'], count: 3 });
    assert.deepEqual(out, [
      { start: '2026-03-02T09:00:00-05:00', startUtc: '2026-03-02T14:00:00Z' },
      { start: '2026-03-09T09:00:00-04:00', startUtc: '2026-03-09T13:00:00Z' },
      { start: '2026-03-16T09:00:00-04:00', startUtc: '2026-03-16T13:00:00Z' },
    ]);
  });

  it('Europe/London, over the late-March and late-October changes', () => {
    const march = { start: '2026-03-22T09:00', timeZone: 'Europe/London', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'], count: 10 };
    assert.deepEqual(starts(march), ['2026-03-22T09:00:00+00:00', '2026-03-29T09:00:00+01:00']);
    const october = { ...march, start: '2026-10-18T09:00' };
    assert.deepEqual(starts(october), ['2026-10-18T09:00:00+01:00', '2026-10-25T09:00:00+00:00']);
    assert.deepEqual(
      previewOccurrences(october).map((o) => o.startUtc),
      ['2026-10-18T08:00:00Z', '2026-10-25T09:00:00Z'],
    );
  });

  it('Australia/Sydney, over the April and October changes', () => {
    const april = { start: '2026-03-29T09:00', timeZone: 'Australia/Sydney', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'], count: 10 };
    assert.deepEqual(starts(april), ['2026-03-29T09:00:00+11:00', '2026-04-05T09:00:00+10:00']);
    const october = { ...april, start: '2026-09-27T09:00' };
    assert.deepEqual(starts(october), ['2026-09-27T09:00:00+10:00', '2026-10-04T09:00:00+11:00']);
  });

  it('a daily 02:30 event in New York moves to 03:30 −04:00 on the gap day (RFC 5545), then back to 02:30', () => {
    const out = previewOccurrences({
      start: '2026-03-07T02:30',
      end: '2026-03-07T03:00',
      timeZone: NY,
      recurrence: ['RRULE:FREQ=DAILY'],
      count: 3,
    });
    assert.deepEqual(out, [
      { start: '2026-03-07T02:30:00-05:00', startUtc: '2026-03-07T07:30:00Z', end: '2026-03-07T03:00:00-05:00', endUtc: '2026-03-07T08:00:00Z' },
      { start: '2026-03-08T03:30:00-04:00', startUtc: '2026-03-08T07:30:00Z', end: '2026-03-08T04:00:00-04:00', endUtc: '2026-03-08T08:00:00Z' },
      { start: '2026-03-09T02:30:00-04:00', startUtc: '2026-03-09T06:30:00Z', end: '2026-03-09T03:00:00-04:00', endUtc: '2026-03-09T07:00:00Z' },
    ]);
  });

  it('a daily 01:30 event takes the earlier offset on the overlap day', () => {
    const out = starts({ start: '2026-10-31T01:30', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY'], count: 3 });
    assert.deepEqual(out, ['2026-10-31T01:30:00-04:00', '2026-11-01T01:30:00-04:00', '2026-11-02T01:30:00-05:00']);
  });

  it('refuses a start in the gap', () => {
    refused(() => previewOccurrences({ start: '2026-03-08T02:30', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY'], count: 2 }), 'nonexistent_local_time', /does not exist in America\/New_York/);
  });
});

describe('the series', () => {
  it('a single event previews its one occurrence', () => {
    assert.deepEqual(previewOccurrences({ start: '2026-03-09T09:00', end: '2026-03-09T10:00', timeZone: NY, count: 5 }), [
      { start: '2026-03-09T09:00:00-04:00', startUtc: '2026-03-09T13:00:00Z', end: '2026-03-09T10:00:00-04:00', endUtc: '2026-03-09T14:00:00Z' },
    ]);
  });

  it('respects COUNT and UNTIL (inclusive, UTC converted to the zone)', () => {
    const base = { start: '2026-03-02T09:00', timeZone: NY, count: 10 };
    assert.equal(starts({ ...base, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'] }).length, 4);
    assert.deepEqual(starts({ ...base, recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20260316T130000Z'] }).at(-1), '2026-03-16T09:00:00-04:00');
    assert.deepEqual(starts({ ...base, recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20260316T125959Z'] }).at(-1), '2026-03-09T09:00:00-04:00');
    assert.deepEqual(starts({ ...base, recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20260316'] }).at(-1), '2026-03-16T09:00:00-04:00');
  });

  it('counts a start the rule does not match as the first occurrence', () => {
    // Wednesday start, rule on Mondays: Wed, then Mondays; COUNT includes the start.
    const out = starts({ start: '2026-03-04T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3'], count: 10 });
    assert.deepEqual(out, ['2026-03-04T09:00:00-05:00', '2026-03-09T09:00:00-04:00', '2026-03-16T09:00:00-04:00']);
  });

  it('EXDATE removes an occurrence given as local time with TZID', () => {
    const out = starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=WEEKLY', 'EXDATE;TZID=America/New_York:20260309T090000'], count: 3 });
    assert.deepEqual(out, ['2026-03-02T09:00:00-05:00', '2026-03-16T09:00:00-04:00', '2026-03-23T09:00:00-04:00']);
  });

  it('EXDATE removes an occurrence given in UTC (Z), and one given in another zone', () => {
    const out = starts({
      start: '2026-03-02T09:00',
      timeZone: NY,
      recurrence: ['RRULE:FREQ=WEEKLY', 'EXDATE:20260302T140000Z,20260316T130000Z', 'EXDATE;TZID=Europe/Paris:20260323T140000'],
      count: 2,
    });
    assert.deepEqual(out, ['2026-03-09T09:00:00-04:00', '2026-03-30T09:00:00-04:00']);
  });

  it('EXDATE matches the local time of an occurrence moved by the gap', () => {
    const recurrence = ['RRULE:FREQ=DAILY'];
    const base = { start: '2026-03-07T02:30', timeZone: NY, count: 2 };
    const expected = ['2026-03-07T02:30:00-05:00', '2026-03-09T02:30:00-04:00'];
    assert.deepEqual(starts({ ...base, recurrence: [...recurrence, 'EXDATE:20260308T023000'] }), expected);
    assert.deepEqual(starts({ ...base, recurrence: [...recurrence, 'EXDATE:20260308T073000Z'] }), expected);
  });

  it('RDATE adds occurrences, in order, with TZID, UTC or floating values', () => {
    const out = starts({
      start: '2026-03-02T09:00',
      timeZone: NY,
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2', 'RDATE;TZID=America/New_York:20260304T150000', 'RDATE:20260401T120000Z,20260402T080000'],
      count: 10,
    });
    assert.deepEqual(out, [
      '2026-03-02T09:00:00-05:00',
      '2026-03-04T15:00:00-05:00',
      '2026-03-09T09:00:00-04:00',
      '2026-04-01T08:00:00-04:00',
      '2026-04-02T08:00:00-04:00',
    ]);
  });

  it('EXRULE removes the occurrences it matches', () => {
    const out = starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=WEEKLY;BYDAY=SA,SU'], count: 6 });
    assert.deepEqual(out.map((s) => s.slice(0, 10)), ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-09']);
  });

  it('stops, with what it knows, on rules that never match again', () => {
    // February 30th never comes: the start alone, after a bounded amount of work.
    const out = starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'], count: 5 });
    assert.deepEqual(out, ['2026-03-02T09:00:00-05:00']);
    assert.deepEqual(starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=DAILY'], count: 5 }), []);
  });

  it('bounds the work of hostile rules and keeps only occurrences known to be right', () => {
    // Repeated values are dropped: the line that once cost seconds is an ordinary rule.
    const twos = `RRULE:FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=${Array.from({ length: 400 }, () => '2').join(',')}`;
    assert.deepEqual(parseRecurrence([twos], { allDay: false }).lines, ['RRULE:FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=2']);
    // Nine never-matching EXRULEs spend the expansion's whole work budget: what comes back is the
    // start of the true daily series, never a wrong or missing occurrence before the last one.
    const never = Array.from({ length: 9 }, () => 'EXRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30');
    const truth = starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY'], count: 100 });
    const bounded = starts({ start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY', ...never], count: 100 });
    assert.ok(bounded.length >= 1 && bounded.length < 100, `${bounded.length} occurrences`);
    assert.deepEqual(bounded, truth.slice(0, bounded.length));
  });

  it('refuses rules that cannot be expanded cheaply, and says why', () => {
    const all = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
    refused(
      () => parseRecurrence([`RRULE:FREQ=YEARLY;BYHOUR=${all(24)};BYMINUTE=${all(60)}`], { allDay: false }),
      'recurrence_too_complex',
      /checks for every year/,
    );
    assert.ok(parseRecurrence([`RRULE:FREQ=DAILY;BYHOUR=${all(24)};BYMINUTE=0,30`], { allDay: false }));
    refused(() => parseRecurrence(['RRULE:FREQ=DAILY;COUNT=10001'], { allDay: false }), 'recurrence_too_large', /COUNT=10001 is over the limit of 10000/);
    refused(() => parseRecurrence(['RRULE:FREQ=DAILY;INTERVAL=99999'], { allDay: false }), 'recurrence_too_large');
    // The start excluded, and the next occurrence beyond the work budget: not "no occurrences".
    const exhaust = ['RRULE:FREQ=HOURLY', ...Array.from({ length: 9 }, () => 'EXRULE:FREQ=HOURLY')];
    refused(
      () => normalizeSchedule({ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00', recurrence: exhaust }),
      'recurrence_too_complex',
    );
  });

  it('limits count to 1–100', () => {
    const base = { start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=DAILY'] };
    assert.equal(previewOccurrences({ ...base, count: MAX_PREVIEW_COUNT }).length, 100);
    refused(() => previewOccurrences({ ...base, count: 101 }), 'out_of_range');
    refused(() => previewOccurrences({ ...base, count: 0 }), 'out_of_range');
    refused(() => previewOccurrences({ ...base, count: 2.5 }), 'out_of_range');
  });
});

describe('all-day recurrence', () => {
  it('weekly, by date, with the exclusive end date', () => {
    const out = previewOccurrences({
      start: '2026-03-06',
      end: '2026-03-09',
      allDay: true,
      timeZone: NY,
      recurrence: ['RRULE:FREQ=WEEKLY', 'EXDATE;VALUE=DATE:20260313'],
      count: 2,
    });
    assert.deepEqual(out, [
      { date: '2026-03-06', endDate: '2026-03-09', start: '2026-03-06T00:00:00-05:00', startUtc: '2026-03-06T05:00:00Z', end: '2026-03-09T00:00:00-04:00', endUtc: '2026-03-09T04:00:00Z' },
      { date: '2026-03-20', endDate: '2026-03-23', start: '2026-03-20T00:00:00-04:00', startUtc: '2026-03-20T04:00:00Z', end: '2026-03-23T00:00:00-04:00', endUtc: '2026-03-23T04:00:00Z' },
    ]);
  });

  it('yearly on 29 February only in leap years; RDATE adds a date', () => {
    const out = previewOccurrences({
      start: '2024-02-29',
      allDay: true,
      timeZone: 'Europe/London',
      recurrence: ['RRULE:FREQ=YEARLY', 'RDATE;VALUE=DATE:20250301'],
      count: 3,
    });
    assert.deepEqual(out.map((o) => o.date), ['2024-02-29', '2025-03-01', '2028-02-29']);
  });

  it('refuses date-times and hourly rules, and normalizes bare dates to VALUE=DATE', () => {
    refused(() => parseRecurrence(['EXDATE:20260313T000000Z'], { allDay: true }), 'invalid_recurrence', /EXDATE;VALUE=DATE:20260313/);
    refused(() => parseRecurrence(['RRULE:FREQ=HOURLY'], { allDay: true }), 'unsupported_recurrence');
    refused(() => parseRecurrence(['RRULE:FREQ=DAILY;BYHOUR=9'], { allDay: true }), 'unsupported_recurrence');
    assert.deepEqual(parseRecurrence(['exdate:20260313'], { allDay: true }).lines, ['EXDATE;VALUE=DATE:20260313']);
  });

  it('carries timeZone in Google start/end when recurring', () => {
    const s = normalizeSchedule({ timeZone: NY, allDay: true, start: '2026-03-06', end: '2026-03-07', recurrence: ['RRULE:FREQ=WEEKLY'] });
    assert.deepEqual(s.google, { start: { date: '2026-03-06', timeZone: NY }, end: { date: '2026-03-07', timeZone: NY } });
  });
});

describe('recurrence validation', () => {
  const timed = (lines: string[]) => () => parseRecurrence(lines, { allDay: false });

  it('normalizes valid lines', () => {
    assert.deepEqual(
      parseRecurrence(['rrule:freq=weekly;byday=mo,we;until=20261231T235959z', 'EXDATE;TZID=europe/paris:20260310T090000', 'RDATE:20260311T100000Z'], { allDay: false }).lines,
      ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959Z', 'EXDATE;TZID=Europe/Paris:20260310T090000', 'RDATE:20260311T100000Z'],
    );
  });

  it('refuses DTSTART and DTEND lines', () => {
    const err = refused(timed(['RRULE:FREQ=DAILY', 'DTSTART;TZID=America/New_York:20260302T090000']), 'unsupported_recurrence', /DTSTART lines are not allowed/);
    assert.equal(err.pointer, '/recurrence/1');
    assert.deepEqual(err.details?.['errors'], [{ path: 'recurrence/1', message: err.message, code: 'unsupported_recurrence' }]);
    refused(timed(['DTEND:20260302T100000Z']), 'unsupported_recurrence');
  });

  it('refuses garbage, unknown properties and unknown rule parts', () => {
    refused(timed(['RRULE:garbage']), 'invalid_recurrence');
    refused(timed(['garbage']), 'invalid_recurrence');
    refused(timed(['X-FOO:bar']), 'unsupported_recurrence', /unknown property X-FOO/);
    refused(timed(['RRULE:FREQ=DAILY;BYEASTER=0']), 'invalid_recurrence');
    refused(timed(['RRULE:INTERVAL=2']), 'invalid_recurrence', /FREQ is required/);
    refused(timed(['RRULE:FREQ=FORTNIGHTLY']), 'invalid_recurrence');
    refused(timed(['RRULE:FREQ=DAILY;COUNT=abc']), 'invalid_recurrence');
    refused(timed(['RRULE:FREQ=DAILY;BYDAY=XX']), 'invalid_recurrence');
    refused(timed(['RRULE:FREQ=MONTHLY;BYMONTHDAY=32']), 'invalid_recurrence');
    refused(timed(['RRULE:FREQ=DAILY;COUNT=3;UNTIL=20261231']), 'invalid_recurrence');
    refused(timed(['RRULE:FREQ=WEEKLY;BYDAY=1MO']), 'invalid_recurrence');
    refused(timed(['RRULE;X=1:FREQ=DAILY']), 'invalid_recurrence');
    refused(timed(['EXDATE:2026-03-10']), 'invalid_recurrence');
    refused(timed(['EXDATE:20260230T090000']), 'invalid_recurrence');
    refused(timed(['EXDATE;TZID=Mars/Base:20260310T090000']), 'invalid_recurrence');
    refused(timed(['EXDATE;VALUE=DATE:20260310']), 'invalid_recurrence');
    refused(timed(['RDATE;VALUE=PERIOD:20260310T090000Z/PT1H']), 'unsupported_recurrence');
  });

  it('refuses frequencies below HOURLY and BYSECOND', () => {
    refused(timed(['RRULE:FREQ=SECONDLY']), 'unsupported_recurrence', /shortest interval is HOURLY/);
    refused(timed(['RRULE:FREQ=MINUTELY;INTERVAL=15']), 'unsupported_recurrence');
    refused(timed(['RRULE:FREQ=HOURLY;BYSECOND=0,30']), 'unsupported_recurrence');
    assert.ok(parseRecurrence(['RRULE:FREQ=HOURLY;INTERVAL=6'], { allDay: false }));
  });

  it('allows one RRULE only', () => {
    refused(timed(['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RRULE:FREQ=WEEKLY;BYDAY=FR']), 'unsupported_recurrence', /only one RRULE/);
  });

  it('limits lines to 10 and each to 1000 characters', () => {
    const ex = (d: number) => `EXDATE:202603${String(d).padStart(2, '0')}T090000`;
    assert.ok(parseRecurrence(['RRULE:FREQ=DAILY', ...Array.from({ length: 9 }, (_, i) => ex(i + 1))], { allDay: false }));
    refused(timed(['RRULE:FREQ=DAILY', ...Array.from({ length: 10 }, (_, i) => ex(i + 1))]), 'recurrence_too_large');
    const long = `EXDATE:${Array.from({ length: 70 }, () => '20260310T090000').join(',')}`;
    assert.ok(long.length > 1000);
    refused(timed([long]), 'recurrence_too_large');
  });
});

describe('schedules and free/busy', () => {
  it('normalizeSchedule validates times and recurrence together', () => {
    const s = normalizeSchedule({ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00', recurrence: ['rrule:freq=weekly'] });
    assert.deepEqual(s.recurrence, ['RRULE:FREQ=WEEKLY']);
    assert.deepEqual(s.google.start, { dateTime: '2026-03-02T09:00:00', timeZone: NY });
    assert.deepEqual(normalizeSchedule({ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00' }).recurrence, []);
  });

  it('refuses a series with no occurrence left', () => {
    refused(
      () => normalizeSchedule({ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00', recurrence: ['RRULE:FREQ=DAILY;COUNT=1', 'EXDATE:20260302T140000Z'] }),
      'no_occurrences',
    );
  });

  it('firstOccurrences gives start and end instants, with the event length, across DST', () => {
    const s = normalizeSchedule({ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:30', recurrence: ['RRULE:FREQ=WEEKLY'] });
    const spans = firstOccurrences(s, 2).map((o) => [o.start.toISOString(), o.end.toISOString()]);
    assert.deepEqual(spans, [
      ['2026-03-02T14:00:00.000Z', '2026-03-02T15:30:00.000Z'],
      ['2026-03-09T13:00:00.000Z', '2026-03-09T14:30:00.000Z'],
    ]);
    assert.equal(firstOccurrences({ ...s, recurrence: [] }, 5).length, 1);
  });

  it('firstOccurrences of an all-day series spans whole local days', () => {
    const s = normalizeSchedule({ timeZone: 'Europe/London', allDay: true, start: '2026-03-28', end: '2026-03-30', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'] });
    const spans = firstOccurrences(s, 10).map((o) => [o.start.toISOString(), o.end.toISOString()]);
    assert.deepEqual(spans, [
      ['2026-03-28T00:00:00.000Z', '2026-03-29T23:00:00.000Z'],
      ['2026-04-03T23:00:00.000Z', '2026-04-05T23:00:00.000Z'],
    ]);
  });
});
