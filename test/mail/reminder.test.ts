import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEvent } from '../support/payments.ts';
import { book, openFlow, payerPays, runDueNow, waitFor, waitForEvent, type Flow } from '../payments/flow.ts';
import { mailsOf, outbox, waitForMail } from './support.ts';

/**
 * The reminder before an unpaid event expires is queued when the event is created, to run
 * PAYMENT_REMINDER_MINUTES before the deadline; when it runs it looks again, so a person who paid
 * meanwhile is never asked to pay. Time moves by back-dating the job, not by sleeping.
 */

async function reminderJob(f: Flow, eventId: string) {
  const [job] = await f.app.runtime.db.query<{ state: string; start_after: Date }>(
    `select state, start_after from pgboss.job where name = 'mail.send' and singleton_key = $1`,
    [`payment_reminder:${eventId}`],
  );
  return job;
}

describe('payment reminder mail', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow({ PAYMENT_TTL_MINUTES: '30', PAYMENT_REMINDER_MINUTES: '10' });
  });
  after(() => f?.app.close());

  it('is queued for ten minutes before the deadline, and an unpaid event gets it with the deadline and a link', async () => {
    const event = await createEvent(f.app, f.browser, { title: 'Unpaid', timeZone: 'Europe/Paris' });
    const job = await reminderJob(f, event.id);
    assert.ok(job, 'a reminder job');
    assert.equal(new Date(event.pendingUntil).getTime() - job.start_after.getTime(), 10 * 60_000);

    await runDueNow(f, 'mail.send', event.id);
    const mail = await waitForMail(f.app, 'payment_reminder', event.id);
    assert.deepEqual(mail.envelope.to, [f.email]);
    assert.match(mail.subject!, /^Pay by .+ to keep “Unpaid”$/);
    assert.match(mail.text!, /Pay 1\.00 USD before \w+day \d{1,2} \w+ \d{4}, \d\d:\d\d \(Europe\/Paris\)/);
    assert.ok(mail.text!.includes(`${f.app.url}/app/events/${event.id}`));
  });

  it('an event paid before the reminder time gets none: the job checks again when it runs', async () => {
    const { event, payment } = await book(f, 'binance', 'Paid early');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    await runDueNow(f, 'mail.send', event.id);
    await waitFor('the reminder job to have run', async () => (await reminderJob(f, event.id))?.state === 'completed', 20_000, 100);
    await waitForMail(f.app, 'confirmation', event.id);
    assert.equal(mailsOf(await outbox(f.app), 'payment_reminder', event.id).length, 0, 'no "please pay" after paying');
  });
});
