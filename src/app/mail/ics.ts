import ICAL from 'ical.js';
import { tzlib_get_ical_block } from 'timezones-ical-library';
import type { EventRecord } from '../../db/repos/events.ts';

/**
 * The event as an iCalendar file (RFC 5545), written with ical.js, which also folds lines and
 * escapes text. METHOD:PUBLISH: a copy to import, not an invitation to answer (Google Calendar
 * sends the invitations; its own export writes attendees under PUBLISH the same way). The UID
 * derives from the event id, so importing the file twice updates one entry.
 *
 * Times are written in the event's IANA zone with a VTIMEZONE for it (and for any other zone a
 * recurrence line names), from the tz database that timezones-ical-library ships; a zone it does
 * not know is written in UTC instead, which still places the event at the right instant.
 */

export interface IcsInput {
  event: Pick<
    EventRecord,
    'id' | 'title' | 'description' | 'location' | 'timeZone' | 'allDay' | 'startLocal' | 'endLocal' | 'startAt' | 'endAt' | 'recurrence' | 'attendees' | 'updatedAt'
  >;
  /** The event's page in LeadsCalendar. */
  url: string;
  /**
   * STATUS of the entry; CONFIRMED by default (the mails go out once the event is booked). The
   * download of a paid event not yet booked says TENTATIVE; of a cancelled one, CANCELLED with a
   * higher SEQUENCE, so that a calendar which imported the booking drops it.
   */
  status?: 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED';
  /** PRODID's last-but-one part: which copy this is (the mail's attachment, the download). */
  product?: string;
}

export function icsUid(eventId: string): string {
  return `${eventId}@leadscalendar`;
}

export function eventIcs({ event: e, url, status = 'CONFIRMED', product = 'Mail' }: IcsInput): string {
  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('prodid', `-//LeadsCalendar//${product}//EN`);
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  cal.addPropertyWithValue('method', 'PUBLISH');

  const zones = new Map<string, ICAL.Component>();
  /** The VTIMEZONE for an IANA name, or null when the tz database has none. */
  const zone = (name: string): string | null => {
    if (zones.has(name)) return zones.get(name)!.getFirstPropertyValue('tzid') as string;
    const block = tzlib_get_ical_block(name);
    if (!Array.isArray(block) || typeof block[0] !== 'string' || !block[0].startsWith('BEGIN:VTIMEZONE')) return null;
    const vtz = ICAL.Component.fromString(block[0]);
    zones.set(name, vtz);
    return vtz.getFirstPropertyValue('tzid') as string;
  };

  const ev = new ICAL.Component('vevent');
  ev.addPropertyWithValue('uid', icsUid(e.id));
  ev.addPropertyWithValue('dtstamp', ICAL.Time.fromJSDate(e.updatedAt, true));
  ev.addPropertyWithValue('sequence', status === 'CANCELLED' ? 1 : 0);
  ev.addPropertyWithValue('status', status);
  ev.addPropertyWithValue('summary', e.title);
  if (e.description) ev.addPropertyWithValue('description', e.description);
  if (e.location) ev.addPropertyWithValue('location', e.location);
  ev.addPropertyWithValue('url', url);

  if (e.allDay) {
    ev.addPropertyWithValue('dtstart', ICAL.Time.fromDateString(e.startLocal.slice(0, 10)));
    ev.addPropertyWithValue('dtend', ICAL.Time.fromDateString(e.endLocal.slice(0, 10)));
  } else {
    const tzid = zone(e.timeZone);
    for (const [name, local, instant] of [['dtstart', e.startLocal, e.startAt], ['dtend', e.endLocal, e.endAt]] as const) {
      if (tzid) {
        const p = new ICAL.Property(name);
        p.setValue(ICAL.Time.fromDateTimeString(withSeconds(local)));
        p.setParameter('tzid', tzid);
        ev.addProperty(p);
      } else ev.addPropertyWithValue(name, ICAL.Time.fromJSDate(instant, true));
    }
  }

  for (const line of e.recurrence) {
    const p = ICAL.Property.fromString(line);
    const tz = p.getParameter('tzid');
    if (typeof tz === 'string') {
      const tzid = zone(tz);
      if (tzid) p.setParameter('tzid', tzid);
    }
    ev.addProperty(p);
  }

  for (const a of e.attendees) {
    const p = new ICAL.Property('attendee');
    p.setValue(`mailto:${a.email}`);
    if (a.displayName) p.setParameter('cn', a.displayName);
    p.setParameter('role', a.optional ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT');
    ev.addProperty(p);
  }

  for (const vtz of zones.values()) cal.addSubcomponent(vtz);
  cal.addSubcomponent(ev);
  return cal.toString() + '\r\n';
}

/** `2031-06-02T10:00` → `2031-06-02T10:00:00`, the form ical.js reads. */
function withSeconds(local: string): string {
  return /T\d\d:\d\d$/.test(local) ? `${local}:00` : local;
}
