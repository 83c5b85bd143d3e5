import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { apiPost } from '../support/google.ts';
import { addFault, book, clearFaults, getPayment, openFlow, payerPays, waitForEvent, waitForPayment, type Flow } from '../payments/flow.ts';
import { mailsOf, outbox, waitForMail } from './support.ts';

/**
 * When money the person paid goes back, they are told how much, with which provider, and why:
 * a refund they asked for, or a hold released because the event could not reach their calendar.
 */

describe('money-returned mail', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow();
  });
  after(() => f?.app.close());
  afterEach(() => clearFaults(f));

  it('a refund through the API is mailed with the amount, the refund reference and the reason', async () => {
    const { event, payment } = await book(f, 'binance', 'Refunded session');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    const res = await apiPost(f.app, f.browser, `/api/v1/payments/${payment.id}/refund`, {});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await waitForPayment(f.app, f.browser, payment.id, 'refunded');

    const mail = await waitForMail(f.app, 'money_returned', payment.id);
    assert.deepEqual(mail.envelope.to, [f.email]);
    assert.equal(mail.subject, 'Refunded: Refunded session');
    assert.match(mail.text!, /Your Binance Pay payment of 1\.00 USD was refunded\./);
    assert.match(mail.text!, /Why: +Refund requested by the payer\./);
    assert.match(mail.text!, /Amount: +1\.00 USD/);
    assert.ok(mail.text!.includes(payment.providerReference.orderId), 'names the order');
    // The refund's id comes with the refund call's answer, which the provider's notification may overtake.
    const refundLine = /Refund reference: +(\S+)/.exec(mail.text!);
    if (refundLine) assert.equal(refundLine[1], (await getPayment(f.app, f.browser, payment.id)).providerReference.refundId);
    assert.equal(mailsOf(await outbox(f.app), 'money_returned', payment.id).length, 1, 'one mail per refund');
  });

  it('an authorized PayPal payment voided because Google refused the event for good is mailed as released, with the reason', async () => {
    await addFault(f.app.runtime.sandbox, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 400, count: null });
    const { event, payment } = await book(f, 'paypal', 'Refused by Google');
    await payerPays(f, 'paypal', payment);
    await waitForEvent(f.app, f.browser, event.id, 'failed');
    await waitForPayment(f.app, f.browser, payment.id, 'voided');

    const mail = await waitForMail(f.app, 'money_returned', payment.id);
    assert.equal(mail.subject, 'Payment released: Refused by Google');
    assert.match(mail.text!, /The hold of 1\.00 USD on your PayPal payment was released: no money was taken\./);
    assert.match(mail.text!, /Why: +The event could not be put on Google Calendar: /);
    assert.equal(mailsOf(await outbox(f.app), 'confirmation', event.id).length, 0, 'never "booked"');
  });
});
