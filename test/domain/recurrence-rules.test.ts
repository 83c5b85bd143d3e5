import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventTimeError } from '../../src/domain/event-time.ts';
import { MAX_PERIOD_COST, MAX_RECURRENCE_LINE_LENGTH, MAX_RECURRENCE_LINES, MAX_RULE_NUMBER, parseRecurrence } from '../../src/domain/recurrence.ts';

/**
 * Every validation rule of parseRecurrence (see the module comment of recurrence.ts), each refusal
 * next to the nearest accepted line, so that a rule moved by one (a range, a frequency, a
 * parameter) shows. Refusals are checked by code and pointer, never by their wording alone.
 */

type Code = EventTimeError['code'];

function codeOf(lines: unknown, allDay = false): Code | 'ok' {
  try {
    parseRecurrence(lines as string[], { allDay });
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof EventTimeError, `expected an EventTimeError, got ${String(err)}`);
    assert.equal(err.field, 'recurrence');
    // Every refusal explains itself: after the line it quotes comes a reason.
    assert.match(err.message, /^recurrence(\[\d+\] (".*": \S|is \d+ characters long; the limit is 1000\.|must)| must| may)/, err.message);
    return err.code;
  }
}

/** The reason a line is refused, without the `recurrence[i] "line": ` prefix. */
function reasonOf(line: string, allDay = false): string {
  try {
    parseRecurrence([line], { allDay });
  } catch (err) {
    return (err as Error).message.replace(/^recurrence\[\d+\] ".*?": /, '');
  }
  return assert.fail(`${line} was accepted`);
}

const lineOf = (line: string, allDay = false) => parseRecurrence([line], { allDay }).lines[0];

/** [line, expected code ('ok' when accepted)] for a timed event. */
function table(rows: Array<[string, Code | 'ok']>, allDay = false) {
  const wrong = rows.map(([line, want]) => [line, want, codeOf([line], allDay)] as const).filter(([, want, got]) => want !== got);
  assert.deepEqual(wrong, [], 'lines with another answer than expected: [line, expected, got]');
}

describe('rule parts: values and ranges', () => {
  it('FREQ', () => {
    table([
      ['RRULE:FREQ=HOURLY', 'ok'],
      ['RRULE:FREQ=DAILY', 'ok'],
      ['RRULE:FREQ=WEEKLY', 'ok'],
      ['RRULE:FREQ=MONTHLY', 'ok'],
      ['RRULE:FREQ=YEARLY', 'ok'],
      ['RRULE:freq=daily', 'ok'],
      ['RRULE:FREQ=SECONDLY', 'unsupported_recurrence'],
      ['RRULE:FREQ=MINUTELY', 'unsupported_recurrence'],
      ['RRULE:FREQ=DAILYX', 'invalid_recurrence'],
      ['RRULE:FREQ=XDAILY', 'invalid_recurrence'],
      ['RRULE:FREQ=FORTNIGHTLY', 'invalid_recurrence'],
      ['RRULE:COUNT=2', 'invalid_recurrence'],
    ]);
  });

  it('COUNT and INTERVAL: whole numbers from 1 to 10000', () => {
    assert.equal(MAX_RULE_NUMBER, 10_000);
    for (const part of ['COUNT', 'INTERVAL']) {
      table([
        [`RRULE:FREQ=DAILY;${part}=1`, 'ok'],
        [`RRULE:FREQ=DAILY;${part}=10000`, 'ok'],
        [`RRULE:FREQ=DAILY;${part}=0`, 'invalid_recurrence'],
        [`RRULE:FREQ=DAILY;${part}=10001`, 'recurrence_too_large'],
        [`RRULE:FREQ=DAILY;${part}=-1`, 'invalid_recurrence'],
        [`RRULE:FREQ=DAILY;${part}=1.5`, 'invalid_recurrence'],
        [`RRULE:FREQ=DAILY;${part}=x1`, 'invalid_recurrence'],
        [`RRULE:FREQ=DAILY;${part}=1x`, 'invalid_recurrence'],
      ]);
    }
  });

  it('UNTIL: a date, a floating date-time or a UTC date-time', () => {
    table([
      ['RRULE:FREQ=DAILY;UNTIL=20261231', 'ok'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T235959', 'ok'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T235959Z', 'ok'],
      ['RRULE:FREQ=DAILY;UNTIL=2026123', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T2359', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T235959ZZ', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=X20261231', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231X', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=20260230', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;UNTIL=30000101', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;COUNT=3;UNTIL=20261231', 'invalid_recurrence'],
    ]);
  });

  it('BYSECOND is refused even when in range; BYMINUTE 0–59; BYHOUR 0–23, unsigned', () => {
    table([
      ['RRULE:FREQ=DAILY;BYSECOND=0', 'unsupported_recurrence'],
      ['RRULE:FREQ=DAILY;BYSECOND=60', 'unsupported_recurrence'],
      ['RRULE:FREQ=DAILY;BYSECOND=61', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=0,59', 'ok'],
      ['RRULE:FREQ=DAILY;BYMINUTE=60', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=+5', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=-5', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=005', 'ok'],
      ['RRULE:FREQ=DAILY;BYMINUTE=0005', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=x', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=1,,2', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMINUTE=1x', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYHOUR=0,23', 'ok'],
      ['RRULE:FREQ=DAILY;BYHOUR=24', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMONTH=1,12', 'ok'],
      ['RRULE:FREQ=DAILY;BYMONTH=0', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMONTH=13', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMONTH=-1', 'invalid_recurrence'],
    ]);
  });

  it('signed parts: BYMONTHDAY ±1–31, BYYEARDAY ±1–366, BYWEEKNO ±1–53, BYSETPOS ±1–366, never 0', () => {
    table([
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,31,-1,-31,+15', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=0', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=32', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=-32', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYYEARDAY=1,366,-366', 'ok'],
      ['RRULE:FREQ=YEARLY;BYYEARDAY=0', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYYEARDAY=367', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYYEARDAY=-367', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=1,53,-53', 'ok'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=0', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=54', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,-1,366', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=367', 'invalid_recurrence'],
    ]);
  });

  it('BYDAY: weekdays, with an ordinal 1–53 and an optional sign; WKST: a weekday', () => {
    table([
      ['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYDAY=1MO,-1FR,+2TU', 'ok'],
      ['RRULE:FREQ=YEARLY;BYDAY=53MO,-53SU', 'ok'],
      ['RRULE:FREQ=YEARLY;BYDAY=0MO', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYDAY=54MO', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYDAY=100MO', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=-MO', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=+MO', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=MON', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=XMO', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=MO,', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;WKST=SU', 'ok'],
      ['RRULE:FREQ=WEEKLY;WKST=MO', 'ok'],
      ['RRULE:FREQ=WEEKLY;WKST=XX', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;WKST=MOX', 'invalid_recurrence'],
    ]);
  });
});

describe('rule parts: structure and combinations (RFC 5545 §3.3.10)', () => {
  it('refuses empty, unknown, valueless and repeated parts', () => {
    table([
      ['RRULE:FREQ=DAILY;;COUNT=2', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;COUNT', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;COUNT=', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;=3', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYEASTER=0', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;FREQ=WEEKLY', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;COUNT=2;count=2', 'invalid_recurrence'],
      ['RRULE:', 'invalid_recurrence'],
    ]);
  });

  it('allows each BYxxx only with the frequencies it makes sense with', () => {
    table([
      ['RRULE:FREQ=YEARLY;BYWEEKNO=20', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYWEEKNO=20', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYWEEKNO=20', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYWEEKNO=20', 'invalid_recurrence'],
      ['RRULE:FREQ=HOURLY;BYWEEKNO=20', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYYEARDAY=100', 'ok'],
      ['RRULE:FREQ=HOURLY;BYYEARDAY=100', 'ok'],
      ['RRULE:FREQ=DAILY;BYYEARDAY=100', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYYEARDAY=100', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYYEARDAY=100', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYMONTHDAY=15', 'ok'],
      ['RRULE:FREQ=YEARLY;BYMONTHDAY=15', 'ok'],
      ['RRULE:FREQ=WEEKLY;BYMONTHDAY=15', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYDAY=1MO', 'ok'],
      ['RRULE:FREQ=YEARLY;BYDAY=1MO', 'ok'],
      ['RRULE:FREQ=YEARLY;BYDAY=20MO;BYMONTH=5', 'ok'],
      ['RRULE:FREQ=WEEKLY;BYDAY=1MO', 'invalid_recurrence'],
      ['RRULE:FREQ=WEEKLY;BYDAY=TU,1MO', 'invalid_recurrence'],
      ['RRULE:FREQ=DAILY;BYDAY=1MO', 'invalid_recurrence'],
      ['RRULE:FREQ=HOURLY;BYDAY=-1MO', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO', 'invalid_recurrence'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYSETPOS=1', 'invalid_recurrence'],
      ['RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU', 'ok'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,2;BYSETPOS=1', 'ok'],
      ['RRULE:FREQ=DAILY;BYHOUR=9,10;BYSETPOS=1', 'ok'],
    ]);
  });

  it('all-day events repeat by days: no HOURLY, BYHOUR or BYMINUTE, and an UNTIL that is a date or UTC', () => {
    table(
      [
        ['RRULE:FREQ=DAILY', 'ok'],
        ['RRULE:FREQ=HOURLY', 'unsupported_recurrence'],
        ['RRULE:FREQ=DAILY;BYHOUR=9', 'unsupported_recurrence'],
        ['RRULE:FREQ=DAILY;BYMINUTE=0', 'unsupported_recurrence'],
        ['RRULE:FREQ=DAILY;UNTIL=20261231', 'ok'],
        ['RRULE:FREQ=DAILY;UNTIL=20261231T120000Z', 'ok'],
        ['RRULE:FREQ=DAILY;UNTIL=20261231T120000', 'invalid_recurrence'],
        ['EXRULE:FREQ=DAILY;UNTIL=20261231T120000', 'invalid_recurrence'],
      ],
      true,
    );
    // Timed events take all three.
    table([
      ['RRULE:FREQ=HOURLY', 'ok'],
      ['RRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=30', 'ok'],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T120000', 'ok'],
    ]);
  });
});

describe('rule cost: refused above MAX_PERIOD_COST work units per period', () => {
  const nums = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i).join(',');
  // YEARLY lays out 366 days; with 12 hours × 22 minutes (264 times a day) one year costs
  // 10 000 + 366 × 400 + 366 × 264 × 50 = 4 987 600 units, 12 400 under the limit. Each BYxxx
  // filter value adds 366 × 5 = 1 830 (6 fit, 7 do not); each BYSETPOS value (366 + 264) × 5 = 3 150.
  const base = `RRULE:FREQ=YEARLY;BYHOUR=${nums(0, 12)};BYMINUTE=${nums(0, 22)}`;

  it('is exact at the limit', () => {
    assert.equal(MAX_PERIOD_COST, 5_000_000);
    table([
      [base, 'ok'],
      [`RRULE:FREQ=YEARLY;BYHOUR=${nums(0, 5)};BYMINUTE=${nums(0, 53)}`, 'recurrence_too_complex'],
      [`RRULE:FREQ=YEARLY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 11)}`, 'ok'],
      [`RRULE:FREQ=YEARLY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 12)}`, 'recurrence_too_complex'],
    ]);
  });

  it('counts every value of every filter, and of BYSETPOS', () => {
    const filters: Array<[string, (n: number) => string]> = [
      ['BYMONTH', (n) => nums(1, n)],
      ['BYWEEKNO', (n) => nums(1, n)],
      ['BYDAY', (n) => ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'].slice(0, n).join(',')],
      ['BYMONTHDAY', (n) => nums(1, n)],
      ['BYYEARDAY', (n) => nums(1, n)],
    ];
    for (const [part, values] of filters) {
      table([
        [`${base};${part}=${values(6)}`, 'ok'],
        [`${base};${part}=${values(7)}`, 'recurrence_too_complex'],
      ]);
    }
    table([
      [`${base};BYSETPOS=1,2,3`, 'ok'],
      [`${base};BYSETPOS=1,2,3,4`, 'recurrence_too_complex'],
    ]);
  });

  it('counts repeated values once', () => {
    assert.equal(lineOf(`${base};BYMONTH=1,1,1,1,1,1,1,1`), `${base};BYMONTH=1`);
  });

  it('weighs the period: a month lays out 31 days, a week 7, a day 1', () => {
    // A daily rule may have every hour and minute: 10 000 + 400 + 1 440 × 50.
    table([
      [`RRULE:FREQ=DAILY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'ok'],
      [`RRULE:FREQ=WEEKLY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'ok'],
      // 10 000 + 31 × 400 + 31 × 1 440 × 50 = 2 254 400
      [`RRULE:FREQ=MONTHLY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'ok'],
      [`RRULE:FREQ=YEARLY;BYHOUR=${nums(0, 24)};BYMINUTE=${nums(0, 60)}`, 'recurrence_too_complex'],
    ]);
  });
});

describe('RDATE and EXDATE lines', () => {
  it('take TZID and VALUE parameters only, each once', () => {
    table([
      ['EXDATE;TZID=America/New_York:20260310T090000', 'ok'],
      ['EXDATE;TZID="America/New_York":20260310T090000', 'ok'],
      ['EXDATE;VALUE=DATE-TIME:20260310T090000', 'ok'],
      ['EXDATE;value=date-time:20260310T090000', 'ok'],
      ['EXDATE;FOO=1:20260310T090000', 'unsupported_recurrence'],
      ['EXDATE;TZID=America/New_York;TZID=Europe/Paris:20260310T090000', 'invalid_recurrence'],
      ['EXDATE;TZID=America/New_York;tzid=America/New_York:20260310T090000', 'invalid_recurrence'],
      ['EXDATE;VALUE=FOO:20260310T090000', 'invalid_recurrence'],
      ['RDATE;VALUE=PERIOD:20260310T090000Z/PT1H', 'unsupported_recurrence'],
      ['EXDATE;TZID=Mars/Base:20260310T090000', 'invalid_recurrence'],
      ['EXDATE;TZID=America/New_York:20260310T090000Z', 'invalid_recurrence'],
      ['EXDATE;VALUE=DATE-TIME:20260310', 'invalid_recurrence'],
      ['EXDATE;VALUE=DATE:20260310T090000', 'invalid_recurrence'],
      ['EXDATE:20260310', 'invalid_recurrence'],
      ['RRULE;X=1:FREQ=DAILY', 'invalid_recurrence'],
      ['EXRULE;TZID=UTC:FREQ=DAILY', 'invalid_recurrence'],
    ]);
    table(
      [
        ['EXDATE;VALUE=DATE:20260310', 'ok'],
        ['EXDATE:20260310', 'ok'],
        ['EXDATE;TZID=America/New_York;VALUE=DATE:20260310', 'invalid_recurrence'],
        ['EXDATE;VALUE=DATE:20260310T090000', 'invalid_recurrence'],
        ['EXDATE;VALUE=DATE-TIME:20260310', 'invalid_recurrence'],
        ['EXDATE:20260310T090000', 'invalid_recurrence'],
        ['RDATE:20260310T090000Z', 'invalid_recurrence'],
      ],
      true,
    );
  });

  it('take real dates and times within 1900–2999', () => {
    table([
      ['RDATE:19000101T000000', 'ok'],
      ['RDATE:29991231T235959', 'ok'],
      ['RDATE:18991231T235959', 'invalid_recurrence'],
      ['RDATE:30000101T000000', 'invalid_recurrence'],
      ['RDATE:20260230T090000', 'invalid_recurrence'],
      ['RDATE:20261301T090000', 'invalid_recurrence'],
      ['RDATE:20260310T240000', 'invalid_recurrence'],
      ['RDATE:20260310T096000', 'invalid_recurrence'],
      ['RDATE:20260310T090060', 'invalid_recurrence'],
      ['RDATE:2026-03-10T09:00:00', 'invalid_recurrence'],
      ['RDATE:20260310T090000,', 'invalid_recurrence'],
      ['RDATE:X20260310T090000', 'invalid_recurrence'],
      ['RDATE:20260310T090000X', 'invalid_recurrence'],
    ]);
    table(
      [
        ['RDATE:19000101', 'ok'],
        ['RDATE:29991231', 'ok'],
        ['RDATE:18991231', 'invalid_recurrence'],
        ['RDATE:30000101', 'invalid_recurrence'],
        ['RDATE:20261301', 'invalid_recurrence'],
        ['RDATE:20260229', 'invalid_recurrence'],
        ['RDATE:20280229', 'ok'],
      ],
      true,
    );
  });

  it('parse into dates, floating, UTC or zoned values', () => {
    const wall = { year: 2026, month: 3, day: 10, hour: 9, minute: 0, second: 0 };
    const r = parseRecurrence(['RDATE:20260310T090000,20260310T140000Z', 'EXDATE;TZID=europe/paris:20260310T090000'], { allDay: false });
    assert.deepEqual(r.rdates, [
      { kind: 'floating', wall },
      { kind: 'utc', instant: new Date('2026-03-10T14:00:00Z') },
    ]);
    assert.deepEqual(r.exdates, [{ kind: 'zoned', wall, zone: 'Europe/Paris' }]);
    const d = parseRecurrence(['EXDATE:20260310', 'RDATE;VALUE=DATE:20260311'], { allDay: true });
    assert.deepEqual(d.exdates, [{ kind: 'date', wall: { ...wall, hour: 0 } }]);
    assert.deepEqual(d.rdates, [{ kind: 'date', wall: { ...wall, day: 11, hour: 0 } }]);
  });
});

describe('reasons', () => {
  it('name the part, parameter or property at fault where several rules give the same code', () => {
    const names: Array<[string, string, boolean?]> = [
      ['RRULE:FREQ=DAILY;COUNT', 'COUNT'],
      ['RRULE:FREQ=DAILY;COUNT=', 'COUNT'],
      ['RRULE:FREQ=DAILY;;COUNT=2', 'empty'],
      ['RRULE:FREQ=DAILY;=3', '""'],
      ['RRULE:FREQ=DAILY;BYMINUTE=60', '60'],
      ['RRULE:FREQ=DAILY;BYMINUTE=+5', '+5'],
      ['RRULE:FREQ=DAILY;BYMONTHDAY=0', 'BYMONTHDAY'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=0', '±1–31'],
      ['RRULE:FREQ=DAILY;BYHOUR=24', '0–23'],
      ['RRULE:FREQ=WEEKLY;BYDAY=-MO', '-MO'],
      ['RRULE:FREQ=WEEKLY;BYDAY=0MO', '0MO'],
      ['RRULE:FREQ=MONTHLY;BYSETPOS=1', 'BYSETPOS'],
      ['RRULE:FREQ=WEEKLY;BYMONTHDAY=1', 'BYMONTHDAY'],
      ['RRULE:FREQ=DAILY;BYYEARDAY=1', 'FREQ=DAILY'],
      ['RRULE:FREQ=MONTHLY;BYWEEKNO=1', 'BYWEEKNO'],
      ['RRULE:FREQ=WEEKLY;BYDAY=1MO', '1MO'],
      ['RRULE:FREQ=DAILY;COUNT=1;UNTIL=20261231', 'COUNT and UNTIL'],
      ['RRULE:FREQ=DAILY;BYSECOND=0', 'BYSECOND'],
      ['RRULE:FREQ=MINUTELY', 'FREQ=MINUTELY'],
      ['RRULE:FREQ=DAILY;INTERVAL=10001', 'INTERVAL=10001'],
      ['RRULE:FREQ=DAILY;WKST=XX', 'XX'],
      ['RRULE:FREQ=XX', 'XX'],
      ['RRULE:FREQ=DAILY;UNTIL=2026', '2026'],
      ['RRULE:FREQ=DAILY;COUNT=0', '10000'],
      ['RRULE:FREQ=DAILY;FREQ=DAILY', 'FREQ is given twice'],
      ['RRULE;X=1:FREQ=DAILY', 'RRULE takes no parameters'],
      ['DTEND:20260302T100000Z', 'DTEND lines'],
      ['DTSTART:20260302T100000Z', 'DTSTART lines'],
      ['X-FOO:1', 'X-FOO'],
      ['EXDATE;FOO=1:20260310T090000', 'FOO'],
      ['EXDATE;TZID=UTC;TZID=UTC:20260310T090000', 'TZID is given twice'],
      ['EXDATE;VALUE=FOO:20260310T090000', 'VALUE=FOO'],
      ['RDATE;VALUE=PERIOD:20260310T090000Z/PT1H', 'RDATE;VALUE=PERIOD'],
      ['EXDATE;TZID=Mars/Base:20260310T090000', 'Mars/Base'],
      ['EXDATE;TZID=UTC:20260310T090000Z', 'TZID'],
      ['EXDATE;VALUE=DATE:20260310T090000', '20260310T090000'],
      ['EXDATE;VALUE=DATE-TIME:20260310', '20260310'],
      ['EXDATE:20260310', 'EXDATE;TZID=<zone>:20260310T090000'],
      ['EXDATE:20260230T090000', '20260230T090000'],
      ['EXDATE:18000230T090000', '18000230T090000'],
      ['EXDATE:18000101T090000', '1900–2999'],
      ['EXDATE:2026', '2026'],
      ['EXDATE:20260310T090000', 'EXDATE;VALUE=DATE:20260310', true],
      ['EXDATE;TZID=UTC;VALUE=DATE:20260310', 'TZID cannot be used with VALUE=DATE', true],
      ['RRULE:FREQ=DAILY;UNTIL=20261231T120000', 'UNTIL of an all-day event', true],
      ['RRULE:FREQ=DAILY;BYHOUR=1', 'all-day', true],
    ];
    const missing = names.map(([line, needle, allDay]) => [line, needle, reasonOf(line, allDay)] as const).filter(([, needle, reason]) => !reason.includes(needle));
    assert.deepEqual(missing, [], 'reasons that do not name what is at fault: [line, expected to name, reason]');
    assert.match(reasonOf(`RRULE:FREQ=YEARLY;BYHOUR=${Array.from({ length: 24 }, (_, i) => i).join(',')};BYMINUTE=${Array.from({ length: 60 }, (_, i) => i).join(',')}`), /^this rule makes about \d+ checks for every year \(the limit is 5000000\)/);
  });
});

describe('lines', () => {
  it('normalize names, parameters, parts and zones; keep one RRULE and any EXRULEs', () => {
    assert.equal(lineOf(' rrule:freq=weekly;byday=mo,we '), 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE');
    assert.equal(lineOf('RRULE:FREQ=DAILY; count = 2 '), 'RRULE:FREQ=DAILY;COUNT=2');
    assert.equal(lineOf('RRULE:FREQ=YEARLY;BYMONTH=2,2,3'), 'RRULE:FREQ=YEARLY;BYMONTH=2,3');
    assert.equal(lineOf('exdate;tzid=america/new_york:20260310t090000'), 'EXDATE;TZID=America/New_York:20260310T090000');
    assert.equal(lineOf('EXDATE;TZID="us/eastern":20260310T090000'), 'EXDATE;TZID=America/New_York:20260310T090000');
    assert.equal(lineOf('RDATE;VALUE=DATE-TIME:20260310T090000,20260311T140000z'), 'RDATE:20260310T090000,20260311T140000Z');
    assert.equal(lineOf('exdate;value=date:20260310', true), 'EXDATE;VALUE=DATE:20260310');
    const r = parseRecurrence(['EXRULE:FREQ=WEEKLY;BYDAY=SA', 'RRULE:FREQ=DAILY;COUNT=5', 'EXRULE:FREQ=WEEKLY;BYDAY=SU;UNTIL=20261231'], { allDay: false });
    assert.equal(r.rrule?.freq, 'DAILY');
    assert.equal(r.rrule?.count, 5);
    assert.equal(r.rrule?.until, undefined);
    assert.deepEqual(r.exrules.map((e) => e.freq), ['WEEKLY', 'WEEKLY']);
    assert.deepEqual(r.exrules[1]!.until, { kind: 'date', wall: { year: 2026, month: 12, day: 31, hour: 0, minute: 0, second: 0 } });
    assert.equal(r.exrules[0]!.count, undefined);
    assert.deepEqual(r.lines, ['EXRULE:FREQ=WEEKLY;BYDAY=SA', 'RRULE:FREQ=DAILY;COUNT=5', 'EXRULE:FREQ=WEEKLY;BYDAY=SU;UNTIL=20261231']);
  });

  it('refuse what is not a recurrence line, naming where', () => {
    table([
      ['RRULE FREQ=DAILY', 'invalid_recurrence'],
      ['1RULE:FREQ=DAILY', 'invalid_recurrence'],
      ['DTSTART:20260302T090000Z', 'unsupported_recurrence'],
      ['DTEND:20260302T090000Z', 'unsupported_recurrence'],
      ['dtstart:20260302T090000Z', 'unsupported_recurrence'],
      ['X-FOO:bar', 'unsupported_recurrence'],
      ['RDATES:20260310T090000', 'unsupported_recurrence'],
    ]);
    assert.throws(
      () => parseRecurrence(['RRULE:FREQ=DAILY', 'EXDATE:20260310T090000', 'RRULE:FREQ=WEEKLY'], { allDay: false }),
      (e: unknown) =>
        e instanceof EventTimeError && e.code === 'unsupported_recurrence' && e.pointer === '/recurrence/2' && e.message.startsWith('recurrence[2] "RRULE:FREQ=WEEKLY": '),
    );
  });

  it('shows a long line cut at 80 characters in the message', () => {
    const long = `RRULE:FREQ=DAILY;BYEASTER=${'1'.repeat(100)}`;
    assert.throws(() => parseRecurrence([long], { allDay: false }), (e: Error) => e.message.startsWith(`recurrence[0] ${JSON.stringify(`${long.slice(0, 80)}…`)}: `));
    const exactly80 = `RRULE:FREQ=DAILY;BYEASTER=${'1'.repeat(54)}`;
    assert.equal(exactly80.length, 80);
    assert.throws(() => parseRecurrence([exactly80], { allDay: false }), (e: Error) => e.message.startsWith(`recurrence[0] ${JSON.stringify(exactly80)}: `));
  });

  it('limit the list to 10 lines of 1000 characters, and refuse what is not a list of lines', () => {
    assert.equal(MAX_RECURRENCE_LINES, 10);
    assert.equal(MAX_RECURRENCE_LINE_LENGTH, 1000);
    const ex = (i: number) => `EXDATE:202603${String(i + 1).padStart(2, '0')}T090000`;
    assert.equal(codeOf(Array.from({ length: 10 }, (_, i) => ex(i))), 'ok');
    assert.equal(codeOf(Array.from({ length: 11 }, (_, i) => ex(i))), 'recurrence_too_large');
    // A line of exactly 1000 characters is accepted, 1001 refused (whitespace around it counts).
    const line = `EXDATE:${Array.from({ length: 62 }, () => '20260310T090000').join(',')}`;
    const padded = (n: number) => `${line}${' '.repeat(n - line.length)}`;
    assert.equal(codeOf([padded(1000)]), 'ok');
    assert.equal(codeOf([padded(1001)]), 'recurrence_too_large');
    for (const bad of ['', '   ', 42, null]) assert.equal(codeOf([bad]), 'invalid_recurrence', String(bad));
    assert.equal(codeOf('RRULE:FREQ=DAILY'), 'invalid_recurrence');
    assert.equal(codeOf([]), 'ok');
    assert.throws(() => parseRecurrence(['RRULE:FREQ=DAILY', ''], { allDay: false }), (e: EventTimeError) => e.pointer === '/recurrence/1');
    assert.throws(() => parseRecurrence(['RRULE:FREQ=DAILY', padded(1001)], { allDay: false }), (e: EventTimeError) => e.pointer === '/recurrence/1');
  });
});
