import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventTimeError } from '../../src/domain/event-time.ts';
import { firstOccurrences, MAX_FIRST_OCCURRENCES, normalizeSchedule, previewOccurrences, type PreviewInput } from '../../src/domain/recurrence.ts';

/**
 * Expansion rules of recurrence.ts that the DST and series tests in recurrence.test.ts leave
 * open: how the start counts, RDATE and EXDATE together, and what a bounded expansion returns.
 */

const NY = 'America/New_York';
const starts = (recurrence: string[], count = 10, start = '2026-03-02T09:00', timeZone = NY) =>
  previewOccurrences({ start, timeZone, recurrence, count }).map((o) => o.start);
const nums = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i).join(',');

/** `bounded` is the beginning of `truth`: nothing wrong, nothing skipped. */
function isPrefix(bounded: readonly string[], truth: readonly string[]) {
  assert.deepEqual(bounded, truth.slice(0, bounded.length));
}

describe('the start and COUNT', () => {
  // 2026-03-02 is a Monday.
  it('counts a start the rule does not match, even with COUNT=1', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=1']), ['2026-03-02T09:00:00-05:00']);
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2']), ['2026-03-02T09:00:00-05:00', '2026-03-03T09:00:00-05:00']);
  });

  it('counts a start the rule matches once', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=1']), ['2026-03-02T09:00:00-05:00']);
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2']), ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']);
  });

  it('still counts an excluded start (EXDATE removes it, COUNT does not give it back)', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2', 'EXDATE;TZID=America/New_York:20260302T090000']), ['2026-03-03T09:00:00-05:00']);
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2', 'EXDATE:20260302T140000Z']), ['2026-03-09T09:00:00-04:00']);
    // Excluded occurrences count too.
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=3', 'EXDATE:20260303T090000']), ['2026-03-02T09:00:00-05:00', '2026-03-04T09:00:00-05:00']);
  });

  it('stops at the count asked for, whatever COUNT says', () => {
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=50'], 2), ['2026-03-02T09:00:00-05:00', '2026-03-03T09:00:00-05:00']);
    assert.equal(starts(['RRULE:FREQ=DAILY;COUNT=3'], 10).length, 3);
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;BYDAY=TU'], 1), ['2026-03-02T09:00:00-05:00']);
  });

  it('applies an EXRULE’s own COUNT and UNTIL', () => {
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=5', 'EXRULE:FREQ=DAILY;COUNT=2']).map((s) => s.slice(0, 10)), ['2026-03-04', '2026-03-05', '2026-03-06']);
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=5', 'EXRULE:FREQ=DAILY;UNTIL=20260303T090000']).map((s) => s.slice(0, 10)), ['2026-03-04', '2026-03-05', '2026-03-06']);
  });
});

describe('UNTIL', () => {
  it('is inclusive, read in the event’s zone when floating, converted when UTC, a whole day when a date', () => {
    const days = (until: string) => starts([`RRULE:FREQ=DAILY;UNTIL=${until}`]).map((s) => s.slice(0, 10));
    assert.deepEqual(days('20260304T090000'), ['2026-03-02', '2026-03-03', '2026-03-04']);
    assert.deepEqual(days('20260304T085959'), ['2026-03-02', '2026-03-03']);
    assert.deepEqual(days('20260304T140000Z'), ['2026-03-02', '2026-03-03', '2026-03-04']);
    assert.deepEqual(days('20260304T135959Z'), ['2026-03-02', '2026-03-03']);
    assert.deepEqual(days('20260304'), ['2026-03-02', '2026-03-03', '2026-03-04']);
    // A date-only UNTIL covers its last second: an occurrence at 23:59:59 that day is in.
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;UNTIL=20260303'], 10, '2026-03-02T23:59:59'), ['2026-03-02T23:59:59-05:00', '2026-03-03T23:59:59-05:00']);
    // …and not a second more: midnight after it is out.
    assert.deepEqual(starts(['RRULE:FREQ=HOURLY;UNTIL=20260302'], 10, '2026-03-02T22:00'), ['2026-03-02T22:00:00-05:00', '2026-03-02T23:00:00-05:00']);
  });

  it('of an all-day series is a date (inclusive) or a UTC time read as its local date', () => {
    const days = (until: string) => previewOccurrences({ start: '2026-03-02', allDay: true, timeZone: NY, recurrence: [`RRULE:FREQ=DAILY;UNTIL=${until}`], count: 10 }).map((o) => o.date);
    assert.deepEqual(days('20260304'), ['2026-03-02', '2026-03-03', '2026-03-04']);
    // 03:00Z on the 5th is still the 4th in New York.
    assert.deepEqual(days('20260305T030000Z'), ['2026-03-02', '2026-03-03', '2026-03-04']);
    assert.deepEqual(days('20260305T060000Z'), ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05']);
  });
});

describe('RDATE and EXDATE together', () => {
  it('lists an RDATE equal to a rule occurrence once, however it is written', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;COUNT=3', 'RDATE;TZID=America/New_York:20260309T090000', 'RDATE:20260309T130000Z', 'RDATE:20260309T090000']), [
      '2026-03-02T09:00:00-05:00',
      '2026-03-09T09:00:00-04:00',
      '2026-03-16T09:00:00-04:00',
    ]);
    assert.deepEqual(starts(['RDATE:20260302T090000']), ['2026-03-02T09:00:00-05:00']);
  });

  it('removes an RDATE with an EXDATE, by local time or by instant', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;COUNT=2', 'RDATE:20260305T090000', 'EXDATE:20260305T090000']), ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']);
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;COUNT=2', 'RDATE:20260305T090000', 'EXDATE:20260305T140000Z']), ['2026-03-02T09:00:00-05:00', '2026-03-09T09:00:00-04:00']);
    assert.deepEqual(starts(['RDATE:20260305T090000', 'EXDATE;TZID=Europe/Paris:20260305T150000']), ['2026-03-02T09:00:00-05:00']);
  });

  it('removes an RDATE or a start with an EXRULE', () => {
    assert.deepEqual(starts(['RDATE:20260305T090000,20260307T090000', 'EXRULE:FREQ=WEEKLY;BYDAY=SA']), ['2026-03-02T09:00:00-05:00', '2026-03-05T09:00:00-05:00']);
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=3', 'EXRULE:FREQ=WEEKLY;BYDAY=MO']), ['2026-03-03T09:00:00-05:00', '2026-03-04T09:00:00-05:00']);
  });

  it('sorts RDATEs among the rule’s occurrences, an early one first', () => {
    assert.deepEqual(starts(['RRULE:FREQ=WEEKLY;COUNT=2', 'RDATE:20260310T090000,20260301T090000,20260303T090000']), [
      '2026-03-01T09:00:00-05:00',
      '2026-03-02T09:00:00-05:00',
      '2026-03-03T09:00:00-05:00',
      '2026-03-09T09:00:00-04:00',
      '2026-03-10T09:00:00-04:00',
    ]);
  });

  it('keeps two RDATEs at the same instant once, and two local times of the overlap apart', () => {
    // 01:30 happens twice on 2026-11-01 in New York: 05:30Z (EDT) and 06:30Z (EST).
    const out = previewOccurrences({ start: '2026-10-31T01:30', timeZone: NY, recurrence: ['RDATE:20261101T053000Z,20261101T063000Z,20261101T013000'], count: 10 });
    assert.deepEqual(out.map((o) => o.startUtc), ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z']);
  });

  it('all-day: matches by date, and lists each date once', () => {
    const out = previewOccurrences({ start: '2026-03-02', allDay: true, timeZone: NY, recurrence: ['RRULE:FREQ=DAILY;COUNT=3', 'RDATE:20260303,20260310', 'EXDATE:20260304'], count: 10 });
    assert.deepEqual(out.map((o) => o.date), ['2026-03-02', '2026-03-03', '2026-03-10']);
  });
});

describe('bounded work', () => {
  const timed = { timeZone: NY, allDay: false, start: '2026-03-02T09:00:00', end: '2026-03-02T10:00:00' };
  const iso = (spans: { start: Date }[]) => spans.map((o) => o.start.toISOString());

  it('an EXRULE cut short by its scan limit leaves out what it did not check', () => {
    // The EXRULE removes every whole minute, so the series is only the RDATEs at :30 seconds.
    // It makes 1 440 dates a day and stops after its 10 000th, about a week in: the RDATE on the
    // 3rd is known to stay, the yearly rule's next date (2027) and the RDATE in June are not known.
    const rec = ['RRULE:FREQ=YEARLY', `EXRULE:FREQ=DAILY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'RDATE:20260303T090030,20260601T090030'];
    assert.deepEqual(starts(rec), ['2026-03-03T09:00:30-05:00']);
  });

  it('stops an EXRULE at its 10 000th date, and keeps only what comes before it', () => {
    // From 09:00 on 2 March: 900 minutes that day, then 1 440 a day; the 10 000th is 07:39 on the
    // 9th (the 460th minute of that day). An RDATE just before it is known to stay, one after is not.
    const rec = ['RRULE:FREQ=YEARLY', `EXRULE:FREQ=DAILY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'RDATE:20260309T073830,20260309T073900,20260309T073930'];
    assert.deepEqual(starts(rec, 10, '2026-03-02T09:00', 'UTC'), ['2026-03-09T07:38:30Z']);
  });

  it('knows a never-matching EXRULE up to the last whole period its budget paid for', () => {
    // An hourly rule costs 10 460 units an hour (10 000 + 400 + 50 + 2 × 5): the 20 million last
    // 1 912 hours, two of which do not count as surely covered: up to 22:59:59 on 20 May.
    const rec = ['RDATE:20260520T225959,20260520T230000', 'EXRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30'];
    assert.deepEqual(starts(rec, 10, '2026-03-02T09:00', 'UTC'), ['2026-03-02T09:00:00Z', '2026-05-20T22:59:59Z']);
  });

  it('a rule that spends the work budget yields the true series up to where it stopped', () => {
    // A never-matching EXRULE that costs about 5 million units per year: the 20 million budget
    // lasts a few years of it, not the 200-year horizon.
    const heavy = `EXRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=${nums(0, 12)};BYMINUTE=${nums(0, 22)}`;
    const utc = { ...timed, timeZone: 'UTC' };
    const bounded = iso(firstOccurrences({ ...utc, recurrence: ['RRULE:FREQ=DAILY', heavy] }, MAX_FIRST_OCCURRENCES));
    assert.ok(bounded.length >= 1 && bounded.length < 1000, `${bounded.length} occurrences`);
    // The truth: every day at 09:00 UTC from the start.
    const truth = Array.from({ length: 1000 }, (_, i) => new Date(Date.UTC(2026, 2, 2 + i, 9)).toISOString());
    isPrefix(bounded, truth);
    assert.equal(firstOccurrences({ ...utc, recurrence: ['RRULE:FREQ=DAILY'] }, 3).at(-1)!.start.toISOString(), truth[2]);
  });

  it('a yearly rule behind a never-matching EXRULE: only years that were checked', () => {
    const never = Array.from({ length: 9 }, () => 'EXRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30');
    const truth = starts(['RRULE:FREQ=YEARLY'], 100);
    const bounded = starts(['RRULE:FREQ=YEARLY', ...never], 100);
    assert.ok(bounded.length < 100);
    isPrefix(bounded, truth);
  });

  it('keeps a finished series whole when a later, wider window runs out of work', () => {
    // COUNT=3 ends the series on the 4th, but the weekly EXRULE is expanded again for every wider
    // window (1, 4, 16, 64 years…) until the budget is spent: what the first window knew for
    // certain must not be traded for the less the last one knew.
    assert.deepEqual(starts(['RRULE:FREQ=DAILY;COUNT=3', 'EXRULE:FREQ=WEEKLY;BYDAY=SU']).map((s) => s.slice(0, 10)), ['2026-03-02', '2026-03-03', '2026-03-04']);
    const busy = firstOccurrences({ ...timed, recurrence: ['RRULE:FREQ=DAILY;COUNT=3', 'EXRULE:FREQ=WEEKLY;BYDAY=MO'] }, 10);
    assert.deepEqual(iso(busy), ['2026-03-03T14:00:00.000Z', '2026-03-04T14:00:00.000Z']);
  });

  it('answers what the widest fully known window knew when the next one runs out of work', () => {
    // The daily EXRULE (never at 09:00) is expanded again for each wider window: the 4-year
    // window runs out of budget early, so the answer is the 1-year window's, both years.
    assert.deepEqual(starts(['RRULE:FREQ=YEARLY', 'EXRULE:FREQ=DAILY;BYHOUR=1'], 30), ['2026-03-02T09:00:00-05:00', '2027-03-02T09:00:00-05:00']);
  });

  it('refuses a schedule whose first occurrence cannot be found within the budget, and accepts one found', () => {
    const never = Array.from({ length: 8 }, () => 'EXRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30');
    assert.throws(
      () => normalizeSchedule({ ...timed, recurrence: ['RRULE:FREQ=YEARLY', 'EXDATE:20260302T090000', ...never] }),
      (e: unknown) => e instanceof EventTimeError && e.code === 'recurrence_too_complex' && e.field === 'recurrence',
    );
    assert.equal(normalizeSchedule({ ...timed, recurrence: ['RRULE:FREQ=YEARLY', ...never] }).recurrence.length, 9);
    assert.throws(
      () => normalizeSchedule({ ...timed, recurrence: ['RRULE:FREQ=DAILY;COUNT=2', 'EXRULE:FREQ=DAILY'] }),
      (e: unknown) => e instanceof EventTimeError && e.code === 'no_occurrences',
    );
  });

  it('stops at the horizon a rule that never matches again, and gives what it found', () => {
    assert.deepEqual(starts(['RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'RDATE:20300101T090000']), ['2026-03-02T09:00:00-05:00', '2030-01-01T09:00:00-05:00']);
  });

  it('ends every series 200 years after its start, inclusive', () => {
    const rec = (rdate: string) => ['RRULE:FREQ=YEARLY;COUNT=2', `RDATE:${rdate}`];
    assert.deepEqual(starts(rec('22260302T090000'), 10, '2026-03-02T09:00', 'UTC'), ['2026-03-02T09:00:00Z', '2027-03-02T09:00:00Z', '2226-03-02T09:00:00Z']);
    assert.deepEqual(starts(rec('22260302T090001'), 10, '2026-03-02T09:00', 'UTC'), ['2026-03-02T09:00:00Z', '2027-03-02T09:00:00Z']);
  });

  it('limits firstOccurrences to 1–1000', () => {
    const s = { ...timed, recurrence: ['RRULE:FREQ=DAILY'] };
    assert.equal(firstOccurrences(s, 1).length, 1);
    for (const n of [0, 1001, 1.5]) assert.throws(() => firstOccurrences(s, n), RangeError, String(n));
  });
});

describe('previews', () => {
  const base: PreviewInput = { start: '2026-03-02T09:00', timeZone: NY, recurrence: ['RRULE:FREQ=WEEKLY'], count: 2 };

  it('give each occurrence its end, the same length, across DST', () => {
    assert.deepEqual(previewOccurrences({ ...base, end: '2026-03-02T10:30' }), [
      { start: '2026-03-02T09:00:00-05:00', startUtc: '2026-03-02T14:00:00Z', end: '2026-03-02T10:30:00-05:00', endUtc: '2026-03-02T15:30:00Z' },
      { start: '2026-03-09T09:00:00-04:00', startUtc: '2026-03-09T13:00:00Z', end: '2026-03-09T10:30:00-04:00', endUtc: '2026-03-09T14:30:00Z' },
    ]);
  });

  it('give all-day occurrences their dates, without an end when none was given', () => {
    assert.deepEqual(previewOccurrences({ start: '2026-03-07', allDay: true, timeZone: NY, recurrence: ['RRULE:FREQ=DAILY'], count: 2 }), [
      { start: '2026-03-07T00:00:00-05:00', startUtc: '2026-03-07T05:00:00Z', date: '2026-03-07' },
      { start: '2026-03-08T00:00:00-05:00', startUtc: '2026-03-08T05:00:00Z', date: '2026-03-08' },
    ]);
  });

  it('refuse a start in a DST gap, an end not after the start, an unknown zone and a bad count', () => {
    const code = (input: PreviewInput) => {
      try {
        previewOccurrences(input);
        return 'ok';
      } catch (e) {
        return (e as EventTimeError).code;
      }
    };
    assert.equal(code({ ...base, start: '2026-03-08T02:30', recurrence: [] }), 'nonexistent_local_time');
    assert.equal(code({ ...base, end: '2026-03-02T09:00' }), 'end_not_after_start');
    assert.equal(code({ ...base, timeZone: 'Mars/Base' }), 'invalid_time_zone');
    assert.equal(code({ ...base, count: 100 }), 'ok');
    assert.equal(code({ ...base, count: 101 }), 'out_of_range');
    assert.equal(code({ ...base, count: 0 }), 'out_of_range');
    assert.equal(code({ ...base, recurrence: undefined, count: 3 }), 'ok');
    assert.equal(previewOccurrences({ ...base, recurrence: undefined, count: 3 }).length, 1);
    // An all-day start is a date; the gap does not apply to it.
    assert.equal(code({ ...base, start: '2026-03-08', allDay: true }), 'ok');
  });
});

describe('schedules: the series ends where it says', () => {
  const timed = { timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00' };
  const codeOf = (recurrence: string[]) => {
    try {
      normalizeSchedule({ ...timed, recurrence });
      return 'ok';
    } catch (e) {
      return (e as EventTimeError).code;
    }
  };

  it('a series ended by UNTIL is complete once the window passes it, not before', () => {
    assert.deepEqual(starts(['RRULE:FREQ=YEARLY;UNTIL=20301231']).map((s) => s.slice(0, 4)), ['2026', '2027', '2028', '2029', '2030']);
  });

  it('an all-excluded series that has ended is no_occurrences, even beside an EXRULE that would spend the budget', () => {
    const sundays = 'EXRULE:FREQ=WEEKLY;BYDAY=SU';
    assert.equal(codeOf(['RRULE:FREQ=DAILY;UNTIL=20260303', 'EXDATE:20260302T090000,20260303T090000', sundays]), 'no_occurrences');
    assert.equal(codeOf(['RDATE:20260303T090000', 'EXDATE:20260302T090000,20260303T090000', sundays]), 'no_occurrences');
    assert.equal(codeOf(['RRULE:FREQ=DAILY;COUNT=1', 'RDATE:20260303T090000', 'EXDATE:20260302T090000,20260303T090000', sundays]), 'no_occurrences');
  });

  it('orders two RDATEs of the overlap by instant, whatever order they are written in', () => {
    const out = previewOccurrences({ start: '2026-10-31T01:30', timeZone: NY, recurrence: ['RDATE:20261101T063000Z,20261101T053000Z'], count: 10 });
    assert.deepEqual(out.map((o) => o.startUtc), ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z']);
  });

  it('reads an all-day schedule’s lines as all-day lines, and adds the zone to Google’s dates only when it recurs', () => {
    const day = { timeZone: NY, allDay: true, start: '2026-03-06', end: '2026-03-07' };
    assert.deepEqual(normalizeSchedule({ ...day, recurrence: ['RRULE:FREQ=WEEKLY', 'exdate:20260313'] }).recurrence, ['RRULE:FREQ=WEEKLY', 'EXDATE;VALUE=DATE:20260313']);
    assert.deepEqual(normalizeSchedule({ ...day }).google, { start: { date: '2026-03-06' }, end: { date: '2026-03-07' } });
    const spans = firstOccurrences({ ...day, recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE:20260313'] }, 5);
    assert.deepEqual(spans.map((o) => o.start.toISOString()), ['2026-03-06T05:00:00.000Z', '2026-03-20T04:00:00.000Z']);
  });

  it('previews name the field at fault, and start an all-day series on a day whose midnight does not exist', () => {
    const field = (input: PreviewInput) => {
      try {
        previewOccurrences(input);
        return 'ok';
      } catch (e) {
        return `${(e as EventTimeError).field}:${(e as EventTimeError).code}`;
      }
    };
    assert.equal(field({ start: '2026-03-02T09:00', timeZone: NY, count: 0 }), 'count:out_of_range');
    assert.equal(field({ start: '2026-03-02', timeZone: NY, count: 1 }), 'start:invalid_format');
    assert.equal(field({ start: '2026-03-08T02:30', timeZone: NY, count: 1 }), 'start:nonexistent_local_time');
    // Chile's clocks jump from 00:00 to 01:00 on 2026-09-06: the day still exists.
    assert.equal(previewOccurrences({ start: '2026-09-06', allDay: true, timeZone: 'America/Santiago', recurrence: ['RRULE:FREQ=DAILY;COUNT=2'], count: 2 })[0]!.date, '2026-09-06');
    assert.throws(() => firstOccurrences({ ...{ timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00' } }, 0), /got 0/);
  });
});
