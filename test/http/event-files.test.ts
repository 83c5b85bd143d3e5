import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import { receiptFacts } from '../../src/app/receipts.ts';
import type { AuditEntry } from '../../src/db/repos/audit-trail.ts';
import type { PaymentRecord } from '../../src/db/repos/payments.ts';
import { apiPost, signIn } from '../support/google.ts';
import { createEvent } from '../support/payments.ts';
import { book, openFlow, payerPays, waitForEvent, waitForPayment, type Flow } from '../payments/flow.ts';

/** GET /api/v1/events/{id}/calendar.ics and /receipt: what a person takes away from an event. */

function parse(text: string) {
  const cal = new ICAL.Component(ICAL.parse(text));
  return { cal, ev: cal.getFirstSubcomponent('vevent')! };
}

describe('an event’s calendar file and receipt', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow();
  });
  after(() => f?.app.close());

  const ics = (id: string, browser = f.browser) => browser.request(`${f.app.url}/api/v1/events/${id}/calendar.ics`);
  const receipt = (id: string, browser = f.browser) => browser.json(`${f.app.url}/api/v1/events/${id}/receipt`);

  it('a confirmed recurring event: the file carries its UID, zone and RRULE, as an attachment named after the title', async () => {
    const event = await createEvent(f.app, f.browser, {
      title: 'Équipe / stand-up "weekly"',
      timeZone: 'America/New_York',
      start: '2031-06-02T09:30',
      end: '2031-06-02T10:00',
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6'],
      attendees: [{ email: 'guest@example.com' }],
    });

    // Unpaid: no file, so that no copy of an unbooked event looks booked.
    const unpaid = await ics(event.id);
    assert.equal(unpaid.status, 409);
    assert.equal((await unpaid.json()).code, 'calendar_file_not_available');

    const payment = (await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/payments`, { provider: 'paypal' })).body;
    await payerPays(f, 'paypal', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');

    const res = await ics(event.id);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/calendar; charset=utf-8');
    const disposition = res.headers.get('content-disposition')!;
    assert.match(disposition, /^attachment; filename="Equipe-stand-up-weekly\.ics"; filename\*=UTF-8''/);
    assert.equal(decodeURIComponent(disposition.split("UTF-8''")[1]!), 'Équipe stand-up weekly.ics', disposition);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');

    const { cal, ev } = parse(await res.text());
    assert.equal(ev.getFirstPropertyValue('uid'), `${event.id}@leadscalendar`);
    assert.equal(ev.getFirstPropertyValue('status'), 'CONFIRMED');
    assert.equal(ev.getFirstPropertyValue('summary'), 'Équipe / stand-up "weekly"');
    const start = ev.getFirstProperty('dtstart')!;
    assert.equal(start.getParameter('tzid'), 'America/New_York');
    assert.equal(String(start.getFirstValue()), '2031-06-02T09:30:00');
    assert.equal(cal.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid'), 'America/New_York');
    const rule = ev.getFirstPropertyValue('rrule') as ICAL.Recur;
    assert.equal(rule.freq, 'WEEKLY');
    assert.equal(rule.count, 6);
    assert.deepEqual(rule.parts.BYDAY, ['MO', 'WE']);
    assert.equal(ev.getFirstPropertyValue('attendee'), 'mailto:guest@example.com');
    assert.equal(cal.getFirstPropertyValue('method'), 'PUBLISH');
    // The first two occurrences, expanded by ical.js from the file alone, in New York time.
    const it = new ICAL.Event(ev).iterator();
    assert.deepEqual([String(it.next()), String(it.next())], ['2031-06-02T09:30:00', '2031-06-04T09:30:00']);

    // Another person: the event does not exist for them.
    const { browser: other } = await signIn(f.app, { email: 'not-the-owner@example.com' });
    const theirs = await ics(event.id, other);
    assert.equal(theirs.status, 404);
    assert.equal((await theirs.json()).code, 'not_found');
    assert.equal((await receipt(event.id, other)).status, 404);
  });

  it('a PayPal receipt: number, date, amount, references and the account billed; after a refund, the refund', async () => {
    const { event, payment } = await book(f, 'paypal', 'Receipt with PayPal');
    const none = await receipt(event.id);
    assert.equal(none.status, 409);
    assert.equal(none.body.code, 'receipt_not_available');

    await payerPays(f, 'paypal', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    const paid = await receipt(event.id);
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const r = paid.body;
    assert.match(r.number, /^LC-\d{8}-[0-9A-F]{12}$/);
    assert.equal(r.number.slice(12), payment.id.replaceAll('-', '').slice(0, 12).toUpperCase());
    assert.equal(r.paymentId, payment.id);
    assert.equal(r.status, 'paid');
    assert.equal(r.provider, 'paypal');
    assert.deepEqual(r.amount, { minor: 100, currency: 'USD', value: '1.00' });
    assert.deepEqual(r.charged, r.amount);
    assert.equal(r.rate, null);
    assert.equal(r.providerReference.orderId, payment.providerReference.orderId);
    assert.ok(r.providerReference.captureId, 'the capture id');
    assert.equal(r.billedTo.email, f.email);
    assert.equal(r.event.title, 'Receipt with PayPal');
    assert.equal(r.refund, null);
    const captured = (await f.browser.json(`${f.app.url}/api/v1/payments/${payment.id}`)).body.transitions.find((t: { to: string }) => t.to === 'captured');
    assert.equal(r.paidAt, captured.at);
    assert.equal(r.number.slice(3, 11), captured.at.slice(0, 10).replaceAll('-', ''));

    assert.equal((await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {})).status, 202);
    await waitForEvent(f.app, f.browser, event.id, 'cancelled');
    await waitForPayment(f.app, f.browser, payment.id, 'refunded');
    const refunded = (await receipt(event.id)).body;
    assert.equal(refunded.number, r.number, 'the same receipt');
    assert.equal(refunded.status, 'refunded');
    assert.equal(refunded.refund.status, 'refunded');
    assert.deepEqual(refunded.refund.amount, r.charged);
    assert.ok(refunded.refund.completedAt >= refunded.refund.requestedAt && refunded.refund.requestedAt >= r.paidAt);
    assert.ok(refunded.providerReference.refundId);

    // Cancelled after booking: the file withdraws it from calendars that imported it.
    const { ev } = parse(await (await ics(event.id)).text());
    assert.equal(ev.getFirstPropertyValue('status'), 'CANCELLED');
    assert.equal(ev.getFirstPropertyValue('sequence'), 1);
  });

  it('a Binance Pay receipt carries the USDT taken and the rate', async () => {
    const { event, payment } = await book(f, 'binance', 'Receipt with Binance');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    const r = (await receipt(event.id)).body;
    assert.equal(r.provider, 'binance');
    assert.equal(r.charged.currency, 'USDT');
    assert.equal(r.charged.value, payment.charge.value);
    assert.equal(r.rate, payment.rate);
    assert.ok(Number(r.rate) > 0);
    assert.equal(r.intent, null);
    assert.equal(r.providerReference.merchantReference, payment.id.replaceAll('-', ''));
  });

  it('a cancelled unpaid event has neither receipt nor a booked-looking file', async () => {
    const event = await createEvent(f.app, f.browser, { title: 'Never paid' });
    assert.equal((await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {})).status, 200);
    assert.equal((await receipt(event.id)).body.code, 'receipt_not_available');
    const { ev } = parse(await (await ics(event.id)).text());
    assert.equal(ev.getFirstPropertyValue('status'), 'CANCELLED');
  });

  it('the OpenAPI document describes the file as text/calendar and the receipt’s schema', async () => {
    const doc = (await f.browser.json(`${f.app.url}/api/v1/openapi.json`)).body;
    const file = doc.paths['/api/v1/events/{id}/calendar.ics'].get.responses;
    assert.deepEqual(Object.keys(file['200'].content), ['text/calendar']);
    assert.ok(file['409'].content['application/json'] || file['409'].content['application/problem+json']);
    const rec = doc.paths['/api/v1/events/{id}/receipt'].get.responses['200'].content['application/json'].schema;
    assert.equal(rec.$ref, '#/components/schemas/Receipt');
  });
});

describe('which payment a receipt is for', () => {
  const entry = (paymentId: string, to: string, at: string): AuditEntry => ({ id: 1n, eventId: 'e', paymentId, from: null, to, reason: '', provider: 'paypal', providerRef: null, at: new Date(at) });
  const pay = (id: string, state: PaymentRecord['state'], paysEvent: boolean) => ({ id, state, paysEvent, updatedAt: new Date('2031-01-01T00:00:09Z') }) as PaymentRecord;

  it('a hold that was released, or an order that never took money, has none', () => {
    const trails = new Map([
      ['a', [entry('a', 'created', '2031-01-01T00:00:00Z'), entry('a', 'authorized', '2031-01-01T00:00:01Z'), entry('a', 'voided', '2031-01-01T00:00:02Z')]],
      ['b', [entry('b', 'created', '2031-01-01T00:00:00Z'), entry('b', 'declined', '2031-01-01T00:00:01Z')]],
    ]);
    assert.equal(receiptFacts([pay('a', 'voided', true), pay('b', 'declined', false)], trails), null);
  });

  it('the payment that paid the event wins over late money returned; a reversal is dated', () => {
    const trails = new Map([
      ['paid', [entry('paid', 'captured', '2031-01-01T00:00:03Z'), entry('paid', 'reversed', '2031-01-01T00:00:05Z')]],
      ['late', [entry('late', 'captured', '2031-01-01T00:00:04Z'), entry('late', 'refunding', '2031-01-01T00:00:06Z')]],
    ]);
    const facts = receiptFacts([pay('paid', 'reversed', true), pay('late', 'refunding', false)], trails)!;
    assert.equal(facts.payment.id, 'paid');
    assert.equal(facts.paidAt.toISOString(), '2031-01-01T00:00:03.000Z');
    assert.deepEqual(facts.refund, { status: 'reversed', requestedAt: new Date('2031-01-01T00:00:05Z'), completedAt: new Date('2031-01-01T00:00:05Z') });
    const late = receiptFacts([pay('late', 'refunding', false)], trails)!;
    // Late money goes from the order straight to refunding: still money taken, so still a receipt.
    const straight = new Map([['late', [entry('late', 'created', '2031-01-01T00:00:01Z'), entry('late', 'refunding', '2031-01-01T00:00:07Z'), entry('late', 'refunded', '2031-01-01T00:00:08Z')]]]);
    const back = receiptFacts([pay('late', 'refunded', false)], straight)!;
    assert.equal(back.paidAt.toISOString(), '2031-01-01T00:00:07.000Z');
    assert.deepEqual(back.refund, { status: 'refunded', requestedAt: new Date('2031-01-01T00:00:07Z'), completedAt: new Date('2031-01-01T00:00:08Z') });
    assert.deepEqual(late.refund, { status: 'refunding', requestedAt: new Date('2031-01-01T00:00:06Z'), completedAt: null });
  });
});
