import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signWebhook } from '../../src/crypto/webhook-signature.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/**
 * The chaos run's webhook receiver counts a webhook as received only when its signature verifies
 * (with the SDK), and reports every delivery that does not: "no webhook lost" and "no bad
 * signature" in the chaos table rest on it.
 */

const SECRET = 'whsec_chaos_receiver_test';

describe('the chaos webhook receiver', () => {
  let receiver: Receiver;
  const deliver = (name: string, body: string, signature: string | null) =>
    fetch(receiver.url(name), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'leadscalendar-event-id': JSON.parse(body).id, 'leadscalendar-event-type': 'event.created', ...(signature ? { 'leadscalendar-signature': signature } : {}) },
      body,
    });
  const body = (id: string) => JSON.stringify({ id, type: 'event.created', created: new Date().toISOString(), data: { id: 'e1' } });
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    receiver = await startReceiver([false]);
    receiver.setSecret('0', SECRET);
  });
  after(() => receiver.close());

  it('accepts a delivery signed with the endpoint secret, and counts it received', async () => {
    const b = body('we_good');
    const res = await deliver('0', b, signWebhook(b, [SECRET], now()));
    assert.equal(res.status, 200);
    assert.ok(receiver.verified.has('we_good'));
  });

  it('answers 400 to a wrong secret, a changed body, a stale or missing signature, or an unknown endpoint, and never counts them received', async () => {
    const cases: [string, string, string | null][] = [
      ['0', body('we_wrong_secret'), signWebhook(body('we_wrong_secret'), ['another secret'], now())],
      ['0', body('we_changed'), signWebhook(body('we_changed').replace('e1', 'e2'), [SECRET], now())],
      ['0', body('we_stale'), signWebhook(body('we_stale'), [SECRET], now() - 3600)],
      ['0', body('we_unsigned'), null],
      ['9', body('we_unknown_endpoint'), signWebhook(body('we_unknown_endpoint'), [SECRET], now())],
    ];
    for (const [name, b, sig] of cases) {
      const res = await deliver(name, b, sig);
      assert.equal(res.status, 400, b);
      assert.ok(!receiver.verified.has(JSON.parse(b).id), b);
    }
    assert.equal(receiver.badSignatures.length, cases.length, receiver.badSignatures.join('\n'));
    assert.equal(receiver.deliveries(), cases.length + 1);
  });
});
