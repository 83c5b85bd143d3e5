import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import type { EventRecord } from '../../src/db/repos/events.ts';
import { confirmationMail, reminderMail, when } from '../../src/app/mail/content.ts';
import { eventIcs } from '../../src/app/mail/ics.ts';
import { parseIcs } from './support.ts';

/** The pure parts: the .ics for the shapes an event can take, and the texts' time and escaping. */

const base: EventRecord = {
  id: '0b5c3f4e-1111-4222-8333-944445555666',
  userId: 'u1',
  state: 'confirmed',
  title: 'Offsite',
  description: null,
  location: null,
  calendarId: 'primary',
  timeZone: 'Europe/Berlin',
  allDay: false,
  startLocal: '2031-03-30T01:30',
  endLocal: '2031-03-30T04:00',
  startAt: new Date('2031-03-30T00:30:00Z'),
  endAt: new Date('2031-03-30T01:00:00Z'),
  recurrence: [],
  attendees: [],
  sendUpdates: 'all',
  priceCurrency: 'USD',
  priceMinor: 100n,
  googleEventId: 'x',
  googleHtmlLink: 'javascript:alert(1)',
  pendingUntil: new Date('2031-03-01T10:00:00Z'),
  failureReason: null,
  onCalendarAt: null,
  createdAt: new Date('2031-03-01T09:30:00Z'),
  updatedAt: new Date('2031-03-01T09:40:00Z'),
};
const url = 'https://book.example.com/app/events/0b5c3f4e';

describe('the .ics and the mail texts', () => {
  it('an all-day event spanning days is written as DATE values (DTEND exclusive), with no zone', () => {
    const ics = eventIcs({ url, event: { ...base, allDay: true, startLocal: '2031-07-01', endLocal: '2031-07-04' } });
    const { cal, vevent, event } = parseIcs(ics);
    assert.equal(vevent.getFirstProperty('dtstart')!.type, 'date');
    assert.equal(event.startDate.toString(), '2031-07-01');
    assert.equal(event.endDate.toString(), '2031-07-04');
    assert.equal(cal.getAllSubcomponents('vtimezone').length, 0);
    assert.equal(when({ ...base, allDay: true, startLocal: '2031-07-01', endLocal: '2031-07-04' }), 'Tuesday 1 July 2031 – Thursday 3 July 2031 (all day)');
  });

  it('a timed event across a DST change keeps its wall-clock times and its exact instants', () => {
    const { cal, event } = parseIcs(eventIcs({ url, event: base }));
    const zone = new ICAL.Timezone(cal.getFirstSubcomponent('vtimezone')!);
    const start = event.startDate.clone();
    const end = event.endDate.clone();
    start.zone = zone;
    end.zone = zone;
    // 01:30 CET and 04:00 CEST: the clocks go forward at 02:00 that night.
    assert.equal(start.toJSDate().toISOString(), '2031-03-30T00:30:00.000Z');
    assert.equal(end.toJSDate().toISOString(), '2031-03-30T02:00:00.000Z');
  });

  it('a zone the tz database does not know is written in UTC at the right instant', () => {
    const { vevent, event } = parseIcs(eventIcs({ url, event: { ...base, timeZone: 'Mars/Olympus_Mons' } }));
    assert.equal(vevent.getFirstProperty('dtstart')!.getParameter('tzid'), undefined);
    assert.equal(event.startDate.toJSDate().toISOString(), '2031-03-30T00:30:00.000Z');
  });

  it('links only to web addresses in HTML, and escapes every value', () => {
    const mail = confirmationMail({ ...base, location: '"><img src=x onerror=alert(1)>' }, null, { eventPage: url });
    assert.ok(!mail.html.includes('href="javascript:'), 'a non-web link is not an anchor');
    assert.ok(!mail.html.includes('<img'));
    assert.ok(mail.html.includes(`href="${url}"`));
  });

  it('the reminder names the deadline in the event’s zone', () => {
    const mail = reminderMail({ ...base, state: 'pending_payment' }, { eventPage: url });
    assert.match(mail.text, /Pay 1\.00 USD before Saturday 1 March 2031, 11:00 \(Europe\/Berlin\)/);
  });
});
