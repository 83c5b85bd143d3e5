import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { constructEvent, signatureHeader, WebhookVerificationError, webhooks } from '../../sdk/src/index.ts';

const SECRET = 'whsec_test_0123456789abcdef';
const BODY = JSON.stringify({ id: 'evt_1', type: 'event.confirmed', created: '2031-06-02T10:00:00.000Z', data: { id: 'e1', state: 'confirmed' } });
const NOW = 1_900_000_000;
const at = (t: number) => ({ now: () => t });
const sign = (body: string, secret: string, t: number) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

describe('webhooks.constructEvent', () => {
  it('accepts a delivery signed with the endpoint secret, and returns the typed event', () => {
    const event = webhooks.constructEvent(BODY, `t=${NOW},v1=${sign(BODY, SECRET, NOW)}`, SECRET, at(NOW + 10));
    assert.equal(event.type, 'event.confirmed');
    if (event.type === 'event.confirmed') assert.equal(event.data.id, 'e1');
    assert.deepEqual(constructEvent(Buffer.from(BODY), signatureHeader(BODY, SECRET, NOW), SECRET, at(NOW)), event);
  });

  it('accepts either signature during a secret rotation', () => {
    const header = `t=${NOW},v1=${sign(BODY, 'whsec_new', NOW)},v1=${sign(BODY, SECRET, NOW)}`;
    assert.equal(constructEvent(BODY, header, SECRET, at(NOW)).id, 'evt_1');
    assert.equal(constructEvent(BODY, header, 'whsec_new', at(NOW)).id, 'evt_1');
    assert.throws(() => constructEvent(BODY, header, 'whsec_other', at(NOW)), WebhookVerificationError);
  });

  it('refuses a tampered body, a wrong secret, a stale or future timestamp, and a malformed header, saying which', () => {
    const good = `t=${NOW},v1=${sign(BODY, SECRET, NOW)}`;
    assert.throws(() => constructEvent(BODY.replace('confirmed', 'cancelled'), good, SECRET, at(NOW)), /No signature matches/);
    assert.throws(() => constructEvent(BODY, good, 'whsec_wrong', at(NOW)), /No signature matches/);
    assert.throws(() => constructEvent(BODY, good, SECRET, at(NOW + 301)), /301 s .* 300 s tolerance/);
    assert.throws(() => constructEvent(BODY, good, SECRET, at(NOW - 301)), /tolerance/);
    assert.equal(constructEvent(BODY, good, SECRET, { now: () => NOW + 3000, toleranceSeconds: 3600 }).id, 'evt_1');
    // The timestamp is signed: moving it to look fresh breaks the signature.
    assert.throws(() => constructEvent(BODY, `t=${NOW + 1000},v1=${sign(BODY, SECRET, NOW)}`, SECRET, at(NOW + 1000)), /No signature matches/);
    for (const header of ['', 'v1=abc', `t=${NOW}`, `t=soon,v1=${sign(BODY, SECRET, NOW)}`, `t=${NOW},v0=${sign(BODY, SECRET, NOW)}`])
      assert.throws(() => constructEvent(BODY, header, SECRET, at(NOW)), WebhookVerificationError, header);
  });

  it('names the usual mistakes: a parsed body, a secret with whitespace', () => {
    const good = `t=${NOW},v1=${sign(BODY, SECRET, NOW)}`;
    assert.throws(() => constructEvent(JSON.parse(BODY), good, SECRET, at(NOW)), /raw request body/);
    assert.throws(() => constructEvent(BODY, good, ` ${SECRET}\n`, at(NOW)), /whitespace/);
  });

  it('refuses a signed body that is not an event', () => {
    const body = '{"hello":"world"}';
    assert.throws(() => constructEvent(body, signatureHeader(body, SECRET, NOW), SECRET, at(NOW)), /not a LeadsCalendar event/);
  });
});
