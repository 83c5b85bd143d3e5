import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstOccurrences, MAX_RANGE_OCCURRENCES, occurrencesBetween } from '../../src/domain/recurrence.ts';

/**
 * occurrencesBetween: the occurrences a calendar shows for a range, the same as the series'
 * expansion from its start (COUNT, EXDATE, daylight-saving changes), cut to [from, to).
 */

const NY = 'America/New_York';
const iso = (spans: { start: Date; end: Date }[]) => spans.map((o) => [o.start.toISOString(), o.end.toISOString()]);
const d = (v: string) => new Date(v);

describe('occurrencesBetween', () => {
  it('keeps the local time across a DST change and cuts to the range', () => {
    const event = { timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00', recurrence: ['RRULE:FREQ=WEEKLY'] };
    assert.deepEqual(iso(occurrencesBetween(event, d('2026-03-05T00:00Z'), d('2026-03-17T00:00Z'))), [
      ['2026-03-09T13:00:00.000Z', '2026-03-09T14:00:00.000Z'],
      ['2026-03-16T13:00:00.000Z', '2026-03-16T14:00:00.000Z'],
    ]);
  });

  it('is what the expansion from the start holds within the range', () => {
    const event = { timeZone: NY, allDay: false, start: '2026-01-01T23:30', end: '2026-01-02T00:30', recurrence: ['RRULE:FREQ=DAILY;COUNT=120', 'EXDATE:20260310T233000'] };
    const from = d('2026-03-08T05:00Z');
    const to = d('2026-03-15T00:00Z');
    const expected = firstOccurrences(event, 200).filter((o) => o.start < to && o.end > from);
    assert.equal(expected.length, 6, '7 March 23:30 (04:30Z) overlaps the range’s start; 10 March is excluded');
    assert.equal(expected[0]!.start.toISOString(), '2026-03-08T04:30:00.000Z');
    assert.deepEqual(iso(occurrencesBetween(event, from, to)), iso(expected));
  });

  it('overlap is half-open: an occurrence ending at from or starting at to is outside', () => {
    const event = { timeZone: 'UTC', allDay: false, start: '2031-06-01T22:00', end: '2031-06-02T00:00' };
    assert.deepEqual(occurrencesBetween(event, d('2031-06-02T00:00Z'), d('2031-06-03T00:00Z')), []);
    assert.deepEqual(occurrencesBetween(event, d('2031-06-01T00:00Z'), d('2031-06-01T22:00Z')), []);
    assert.equal(occurrencesBetween(event, d('2031-06-01T23:59Z'), d('2031-06-02T00:01Z')).length, 1);
  });

  it('counts COUNT from the start, so a series that ended before the range has none', () => {
    const event = { timeZone: 'Europe/London', allDay: true, start: '2026-01-01', end: '2026-01-02', recurrence: ['RRULE:FREQ=DAILY;COUNT=400'] };
    assert.deepEqual(
      iso(occurrencesBetween(event, d('2027-02-03T00:00Z'), d('2027-02-10T00:00Z'))),
      [['2027-02-03T00:00:00.000Z', '2027-02-04T00:00:00.000Z'], ['2027-02-04T00:00:00.000Z', '2027-02-05T00:00:00.000Z']],
      'the 400th day is 4 February 2027',
    );
    assert.deepEqual(occurrencesBetween(event, d('2027-03-01T00:00Z'), d('2027-04-01T00:00Z')), []);
  });

  it('gives a single event its one time, and stops at the most a range returns', () => {
    const single = { timeZone: NY, allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00' };
    assert.deepEqual(iso(occurrencesBetween(single, d('2026-03-01T00:00Z'), d('2026-04-01T00:00Z'))), [['2026-03-02T14:00:00.000Z', '2026-03-02T15:00:00.000Z']]);
    assert.deepEqual(occurrencesBetween(single, d('2026-03-03T00:00Z'), d('2026-04-01T00:00Z')), []);
    const hourly = { timeZone: 'UTC', allDay: false, start: '2026-03-02T00:00', end: '2026-03-02T00:30', recurrence: ['RRULE:FREQ=HOURLY'] };
    const many = occurrencesBetween(hourly, d('2026-03-02T00:00Z'), d('2026-06-01T00:00Z'));
    assert.equal(many.length, MAX_RANGE_OCCURRENCES);
    assert.equal(many[0]!.start.toISOString(), '2026-03-02T00:00:00.000Z');
  });

  it('refuses a range that is empty or reversed', () => {
    const single = { timeZone: 'UTC', allDay: false, start: '2026-03-02T09:00', end: '2026-03-02T10:00' };
    assert.throws(() => occurrencesBetween(single, d('2026-03-02T00:00Z'), d('2026-03-02T00:00Z')), RangeError);
    assert.throws(() => occurrencesBetween(single, d('2026-03-03T00:00Z'), d('2026-03-02T00:00Z')), RangeError);
  });
});
