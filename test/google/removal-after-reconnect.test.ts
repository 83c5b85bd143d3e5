import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPost, signIn } from '../support/google.ts';
import { book, calendarCopies, openFlow, payerPays, waitFor, waitForEvent, waitForPayment, type Flow } from '../payments/flow.ts';

/**
 * Found by the chaos run (seed 20261201): a booking refunded while its owner's Google grant was
 * revoked kept its Google event after the owner reconnected. The removal that the revoked grant
 * stopped must run again on the reconnect.
 */
describe('a Google event whose money went back while the grant was revoked', () => {
  let f: Flow;
  before(async () => {
    f = await openFlow();
  });
  after(async () => f?.app.close());

  it('is taken off the calendar once the owner reconnects', async () => {
    const { event, payment } = await book(f, 'binance', 'Refunded while revoked');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');
    assert.equal((await calendarCopies(f, event.id))[0]?.status, 'confirmed');

    const revoke = await fetch(`${f.app.runtime.sandbox.url}/__sandbox/google/users/${encodeURIComponent(f.email)}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(revoke.status, 200);
    const cancel = await apiPost(f.app, f.browser, `/api/v1/events/${event.id}/cancel`, {});
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    await waitForPayment(f.app, f.browser, payment.id, 'refunded');
    await waitForEvent(f.app, f.browser, event.id, 'cancelled');
    // The removal ran and could not reach Google: the copy is still there.
    await waitFor('the removal to give up', () => f.app.logs.some((l) => l.msg === 'the event could not be taken off Google Calendar' && (l as { eventId?: string }).eventId === event.id));
    assert.equal((await calendarCopies(f, event.id))[0]?.status, 'confirmed');

    await signIn(f.app, { email: f.email }, f.browser);
    await waitFor('the Google copy cancelled after the reconnect', async () => ((await calendarCopies(f, event.id))[0]?.status === 'cancelled' ? true : null));
    const [row] = await f.app.runtime.db.query<{ off_calendar_at: Date | null }>('select off_calendar_at from events where id = $1', [event.id]);
    assert.ok(row?.off_calendar_at, 'recorded as off the calendar');
  });
});
