import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseSignatureHeader, signWebhook, verifyWebhook } from '../../src/crypto/webhook-signature.ts';

const body = '{"id":"9f0c","type":"event.confirmed","created":"2026-12-01T00:00:00.000Z","data":{}}';
const secret = 'whsec_current';
const old = 'whsec_previous';
const t = 1_790_000_000;

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of "<t>.<body>", as documented', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    assert.equal(signWebhook(body, [secret], t), `t=${t},v1=${expected}`);
  });

  it('verifies a fresh delivery with the secret', () => {
    assert.deepEqual(verifyWebhook(body, signWebhook(body, [secret], t), secret, { now: t + 10 }), { ok: true, timestamp: t });
  });

  it('refuses a tampered body, a wrong secret and a forged signature', () => {
    const header = signWebhook(body, [secret], t);
    assert.deepEqual(verifyWebhook(body.replace('confirmed', 'cancelled'), header, secret, { now: t }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifyWebhook(body, header, 'whsec_other', { now: t }), { ok: false, reason: 'mismatch' });
    // The timestamp is signed too: moving it forward breaks the signature.
    assert.deepEqual(verifyWebhook(body, header.replace(`t=${t}`, `t=${t + 1}`), secret, { now: t }), { ok: false, reason: 'mismatch' });
  });

  it('refuses a stale or future signature outside the 5-minute tolerance', () => {
    const header = signWebhook(body, [secret], t);
    assert.equal(verifyWebhook(body, header, secret, { now: t + 300 }).ok, true);
    assert.deepEqual(verifyWebhook(body, header, secret, { now: t + 301 }), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyWebhook(body, header, secret, { now: t - 301 }), { ok: false, reason: 'stale' });
    assert.equal(verifyWebhook(body, header, secret, { now: t + 600, toleranceSeconds: 600 }).ok, true);
  });

  it('during a rotation signs with both secrets, and either verifies', () => {
    const header = signWebhook(body, [secret, old], t);
    assert.equal(parseSignatureHeader(header)?.signatures.length, 2);
    assert.equal(verifyWebhook(body, header, secret, { now: t }).ok, true, 'a receiver with the new secret');
    assert.equal(verifyWebhook(body, header, old, { now: t }).ok, true, 'a receiver still on the old one');
    assert.equal(verifyWebhook(body, header, [old, secret], { now: t }).ok, true, 'a receiver holding both');
    assert.equal(verifyWebhook(body, signWebhook(body, [secret], t), old, { now: t }).ok, false, 'once the overlap ends the old one no longer verifies');
  });

  it('refuses malformed headers', () => {
    for (const h of ['', 'v1=abc', `t=${t}`, `t=soon,v1=${'0'.repeat(64)}`, `t=${t},v1=xyz`, `t=${t},t=${t},v1=${'0'.repeat(64)}`, 'garbage'])
      assert.deepEqual(verifyWebhook(body, h, secret, { now: t }), { ok: false, reason: 'malformed' }, h);
    // Other schemes are ignored, as a receiver must, so v2 can be added later.
    const header = `${signWebhook(body, [secret], t)},v0=whatever`;
    assert.equal(verifyWebhook(body, header, secret, { now: t }).ok, true);
  });

  it('needs a secret to sign', () => {
    assert.throws(() => signWebhook(body, [], t));
  });
});
