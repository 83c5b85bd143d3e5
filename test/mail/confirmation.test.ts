import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { dbKinds } from '../support/db.ts';
import { signIn } from '../support/google.ts';
import { createEvent, startPayment, waitForEvent } from '../support/payments.ts';
import { payerPays, type ProviderId } from '../payments/flow.ts';
import { outbox, parseIcs, waitForMail } from './support.ts';

/**
 * A paid booking ends with one confirmation mail in the sandbox's outbox: the event's details in
 * its time zone, a receipt (amount, provider, references) and an .ics that ical.js reads back with
 * the event's UID, zone, start and recurrence. PayPal (authorize: confirmed by the capture) and
 * Binance Pay (confirmed by the calendar insert) confirm on different paths; both must mail.
 */

const EVENT = {
  title: 'Tea <b>& talk</b>',
  description: 'Bring the “slides”.',
  location: 'Room 4, 10 Downing St',
  timeZone: 'America/New_York',
  start: '2031-06-02T09:30',
  end: '2031-06-02T10:15',
  recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE;TZID=America/New_York:20310609T093000'],
  attendees: [{ email: 'guest@example.com', displayName: 'Guest One' }],
};

for (const kind of await dbKinds()) {
  describe(`confirmation mail (${kind})`, () => {
    let app: TestApp;
    let browser: Browser;
    const email = `booker-${kind}@example.com`;
    before(async () => {
      app = await startTestApp({ kind, env: { JOB_POLL_INTERVAL_SECONDS: '0.5' } });
      ({ browser } = await signIn(app, { email }));
    });
    after(() => app?.close());

    const providers: ProviderId[] = kind === 'pglite' ? ['binance', 'paypal'] : ['binance'];
    for (const provider of providers) {
      it(`a booking paid with ${provider} is mailed with its details, a receipt and a valid .ics`, async () => {
        const event = await createEvent(app, browser, EVENT);
        const payment = await startPayment(app, browser, event.id, provider);
        await payerPays({ app, browser, email }, provider, payment);
        const confirmed = await waitForEvent(app, browser, event.id, 'confirmed');
        const mail = await waitForMail(app, 'confirmation', event.id);

        assert.deepEqual(mail.envelope.to, [email]);
        assert.match(mail.subject!, /^Booked: Tea <b>& talk<\/b> — Monday 2 June 2031, 09:30–10:15 \(America\/New_York\)$/);
        const text = mail.text!;
        assert.match(text, /When: +Monday 2 June 2031, 09:30–10:15 \(America\/New_York\)/);
        assert.match(text, /Where: +Room 4, 10 Downing St/);
        assert.match(text, /Guests: +Guest One <guest@example.com>/);
        assert.ok(text.includes(`${app.url}/app/events/${event.id}`), 'links to the event page');
        assert.ok(text.includes(confirmed.google.htmlLink), 'links to Google Calendar');
        // The receipt.
        assert.match(text, /Amount: +1\.00 USD/);
        assert.match(text, new RegExp(`Paid with: +${provider === 'paypal' ? 'PayPal' : 'Binance Pay'}`));
        assert.ok(text.includes(payment.providerReference.orderId), 'names the provider order');
        if (provider === 'binance') {
          assert.match(text, /Charged: +1\.00000000 USDT/);
          assert.match(text, /Rate: +1 USDT per USD/);
        } else {
          assert.match(text, /PayPal capture: +\S+/);
        }
        // The HTML escapes what the person typed.
        assert.ok(!mail.html!.includes('<b>& talk</b>'));
        assert.ok(mail.html!.includes('Tea &#60;b&#62;&#38; talk&#60;/b&#62;'));

        const ics = mail.attachments.find((a) => a.filename === 'invitation.ics');
        assert.ok(ics?.text, 'an .ics attachment');
        assert.match(ics.contentType, /^text\/calendar/);
        const { cal, vevent, event: ev } = parseIcs(ics.text);
        assert.equal(cal.getFirstPropertyValue('method'), 'PUBLISH');
        assert.equal(ev.uid, `${event.id}@leadscalendar`);
        assert.equal(ev.summary, EVENT.title);
        assert.equal(ev.location, EVENT.location);
        assert.equal(ev.description, EVENT.description);
        const dtstart = vevent.getFirstProperty('dtstart')!;
        assert.equal(dtstart.getParameter('tzid'), 'America/New_York');
        assert.equal(ev.startDate.toString(), '2031-06-02T09:30:00');
        assert.equal(ev.endDate.toString(), '2031-06-02T10:15:00');
        assert.equal(vevent.getFirstPropertyValue('rrule')!.toString(), 'FREQ=WEEKLY;COUNT=4');
        assert.equal(vevent.getFirstProperty('exdate')!.getParameter('tzid'), 'America/New_York');
        assert.equal(vevent.getFirstPropertyValue('url'), `${app.url}/app/events/${event.id}`);
        assert.deepEqual(vevent.getAllProperties('attendee').map((p) => p.getFirstValue()), ['mailto:guest@example.com']);
        // The zone is defined in the file, so the instant is exact: 09:30 EDT is 13:30 UTC.
        const vtz = cal.getAllSubcomponents('vtimezone').find((z) => z.getFirstPropertyValue('tzid') === 'America/New_York');
        assert.ok(vtz, 'a VTIMEZONE for the event zone');
        const zone = new ICAL.Timezone(vtz);
        const start = ev.startDate.clone();
        start.zone = zone;
        assert.equal(start.toJSDate().toISOString(), '2031-06-02T13:30:00.000Z');
        // Recurrence expands as the event does: 4 weeks, less the excluded second one.
        const occurrences = ev.iterator();
        const seen: string[] = [];
        for (let next = occurrences.next(); next && seen.length < 10; next = occurrences.next()) seen.push(next.toString());
        assert.deepEqual(seen, ['2031-06-02T09:30:00', '2031-06-16T09:30:00', '2031-06-23T09:30:00']);

        // One mail per fact.
        const copies = (await outbox(app)).filter((m) => m.messageId === mail.messageId);
        assert.equal(copies.length, 1);
      });
    }
  });
}
