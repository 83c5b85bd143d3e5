import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { crc32Unsigned } from '../../sandbox/paypal/signing.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError } from '../../src/errors.ts';
import {
  DEFAULT_TOLERANCE_SECONDS,
  PaypalCertificateCache,
  crc32Decimal,
  isAllowedCertUrl,
  verifyPaypalWebhook,
  verifyPaypalWebhookSignature,
  type FetchLike,
} from '../../src/providers/paypal/webhook-signature.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { specPath, specsSkip } from '../support/specs.ts';
import { HookReceiver, PaypalTestClient } from '../sandbox/paypal-support.ts';

interface Vector {
  name: string;
  body: Buffer;
  headers: Record<string, string>;
  webhookId: string;
  certPem: string;
  crc: number;
}

function loadVectors(): Vector[] {
  const dir = specPath('paypal', 'samples', 'webhook-signed');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.body.json'))
    .map((f) => {
      const meta = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
      return {
        name: f,
        body: readFileSync(`${dir}/${meta.body_file}`),
        headers: meta.headers,
        webhookId: meta.webhook_id,
        certPem: readFileSync(`${dir}/${meta.cert_file}`, 'utf8'),
        crc: meta.crc32_decimal,
      };
    });
}

/** A clock that reads the vector's own transmission time plus a few seconds of network. */
const receivedAt = (v: { headers: Record<string, string> }) => Date.parse(v.headers['paypal-transmission-time']!) + 5_000;

const reasonOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
    return err.providerCode!;
  }
  assert.fail('verification passed but should have failed');
};

describe('PayPal webhook signature: official signed vectors', { skip: specsSkip() }, () => {
  const vectors = specsSkip() ? [] : loadVectors();

  it('has all nine vectors', () => assert.equal(vectors.length, 9));

  it('accepts every real PayPal-signed delivery, received on a clock set to its transmission time', () => {
    for (const v of vectors) {
      const out = verifyPaypalWebhookSignature({ rawBody: v.body, headers: v.headers, webhookId: v.webhookId, certificatePem: v.certPem, receivedAt: receivedAt(v) });
      assert.equal(out.transmission.transmissionId, v.headers['paypal-transmission-id'], v.name);
      assert.ok(out.event && typeof out.event === 'object', v.name);
    }
  });

  it('accepts them with the default tolerance on a clock fixed just after transmission', () => {
    for (const v of vectors) {
      const sentAt = Date.parse(v.headers['paypal-transmission-time']!);
      verifyPaypalWebhookSignature({ rawBody: v.body, headers: v.headers, webhookId: v.webhookId, certificatePem: v.certPem, receivedAt: sentAt + 30_000 });
    }
  });

  it('computes the same CRC32 as PayPal, in the verifier and in the emulator', () => {
    for (const v of vectors) {
      assert.equal(crc32Decimal(v.body), v.crc, v.name);
      assert.equal(crc32Unsigned(v.body), v.crc, v.name);
    }
  });

  it('rejects a one-byte body change, a re-serialised body and a wrong webhook id', () => {
    for (const v of vectors) {
      const changed = Buffer.from(v.body);
      const at = Math.floor(changed.length / 2);
      changed.writeUInt8(changed.readUInt8(at) ^ 0x01, at);
      const base = { headers: v.headers, webhookId: v.webhookId, certificatePem: v.certPem, receivedAt: receivedAt(v) };
      assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, rawBody: changed })), 'signature_mismatch', v.name);
      const reserialised = JSON.stringify(JSON.parse(v.body.toString('utf8')), null, 2);
      assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, rawBody: reserialised })), 'signature_mismatch', v.name);
      assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, rawBody: v.body, webhookId: 'WRONG' })), 'signature_mismatch', v.name);
    }
  });

  it('names the likely mistake in the message', () => {
    const v = vectors[0]!;
    try {
      verifyPaypalWebhookSignature({ rawBody: `${v.body.toString()} `, headers: v.headers, webhookId: 'WRONG', certificatePem: v.certPem, receivedAt: receivedAt(v) });
      assert.fail('should fail');
    } catch (err) {
      assert.match((err as Error).message, /raw request bytes/);
      assert.match((err as Error).message, /webhook id/);
    }
  });

  it('refuses stale or future transmissions (default tolerance 300 s), missing headers and other algorithms', () => {
    const v = vectors[0]!;
    const sentAt = Date.parse(v.headers['paypal-transmission-time']!);
    const base = { rawBody: v.body, headers: v.headers, webhookId: v.webhookId, certificatePem: v.certPem };
    assert.equal(DEFAULT_TOLERANCE_SECONDS, 300);
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, receivedAt: sentAt + 301_000 })), 'timestamp_outside_tolerance');
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, receivedAt: sentAt - 301_000 })), 'timestamp_outside_tolerance');
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base })), 'timestamp_outside_tolerance'); // real clock: years later
    const { 'paypal-transmission-sig': _sig, ...noSig } = v.headers;
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, headers: noSig, receivedAt: sentAt })), 'missing_header');
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, headers: { ...v.headers, 'paypal-auth-algo': 'SHA1withRSA' }, receivedAt: sentAt })), 'unsupported_algorithm');
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, headers: { ...v.headers, 'paypal-transmission-time': 'yesterday' }, receivedAt: sentAt })), 'timestamp_invalid');
    assert.equal(reasonOf(() => verifyPaypalWebhookSignature({ ...base, certificatePem: 'not a cert', receivedAt: sentAt })), 'certificate_unusable');
  });

  it('has no switch that turns the replay check off', () => {
    const v = vectors[0]!;
    const base = { rawBody: v.body, headers: v.headers, webhookId: v.webhookId, certificatePem: v.certPem };
    for (const toleranceSeconds of [null, 0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
      assert.throws(() => verifyPaypalWebhookSignature({ ...base, toleranceSeconds: toleranceSeconds as number }), TypeError, String(toleranceSeconds));
    }
  });
});

describe('PayPal certificate URLs', () => {
  it('allows https on PayPal API hosts only, plus configured trusted origins', () => {
    for (const ok of [
      'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1a5f47cb',
      'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1',
      'https://api-m.paypal.com/v1/notifications/certs/CERT-1',
      'https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-1',
    ]) {
      assert.equal(isAllowedCertUrl(ok), true, ok);
    }
    for (const bad of [
      'http://api.paypal.com/v1/notifications/certs/CERT-1',
      'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1',
      'https://evil.example/api.paypal.com',
      'https://user:pw@api.paypal.com/v1/notifications/certs/CERT-1',
      'https://api.paypal.com:8443/v1/notifications/certs/CERT-1',
      'https://www.paypal.com/v1/notifications/certs/CERT-1',
      'file:///etc/passwd',
      'not a url',
      'http://127.0.0.1:4010/v1/notifications/certs/CERT-1',
    ]) {
      assert.equal(isAllowedCertUrl(bad), false, bad);
    }
    assert.equal(isAllowedCertUrl('http://127.0.0.1:4010/v1/notifications/certs/CERT-1', { trustedOrigins: ['http://127.0.0.1:4010'] }), true);
    assert.equal(isAllowedCertUrl('http://127.0.0.1:4011/v1/notifications/certs/CERT-1', { trustedOrigins: ['http://127.0.0.1:4010'] }), false);
  });

  it('fetches a certificate once, caches it, and never fetches a refused URL', { skip: specsSkip() }, async () => {
    const pem = readFileSync(specPath('paypal', 'samples', 'certs', 'live-CERT-360caa42-fca2a594-1a5f47cb.pem'), 'utf8');
    const calls: string[] = [];
    const fetchStub: FetchLike = async (url) => {
      calls.push(url);
      return { ok: true, status: 200, text: async () => pem };
    };
    const cache = new PaypalCertificateCache({ fetch: fetchStub });
    const url = 'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1a5f47cb';
    assert.equal(await cache.get(url), pem);
    assert.equal(await cache.get(url), pem);
    assert.equal(calls.length, 1);
    await assert.rejects(cache.get('https://evil.example/cert.pem'), (err) => isAppError(err, 'signature_invalid') && err.providerCode === 'cert_url_not_allowed');
    assert.equal(calls.length, 1);
  });
});

describe('PayPal webhook signature: the sandbox signs like PayPal', () => {
  let sandbox: Sandbox;
  let receiver: HookReceiver;
  let pp: PaypalTestClient;
  let certs: PaypalCertificateCache;
  const webhookId = SANDBOX_CREDENTIALS.paypal.webhookId;

  before(async () => {
    receiver = await HookReceiver.start();
    sandbox = await withSandbox({ settings: { paypalWebhookUrl: receiver.url } });
    pp = new PaypalTestClient(sandbox);
    await pp.auth();
    certs = new PaypalCertificateCache({ fetch: (url, init) => fetch(url, init), trustedOrigins: [sandbox.url] });
  });
  after(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('every delivered webhook verifies with the product verifier, fetching the served certificate', async () => {
    const order = await pp.approvedOrder('CAPTURE', 'ok', { customId: 'evt_sig' });
    await pp.call('POST', `/v2/checkout/orders/${order}/capture`);
    await sandbox.ctx.webhooks.idle();
    assert.deepEqual(receiver.events().map((e) => e.event_type).sort(), ['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED']);
    for (const hook of receiver.received) {
      assert.match(String(hook.headers['paypal-cert-url']), new RegExp(`^${sandbox.url}/v1/notifications/certs/CERT-`));
      const out = await verifyPaypalWebhook({ rawBody: hook.body, headers: hook.headers as Record<string, string>, webhookId, receivedAt: Date.now() }, certs);
      assert.ok(out.event);
      // Byte-exact: a parsed and pretty-printed body no longer verifies.
      const pretty = JSON.stringify(JSON.parse(hook.body.toString()), null, 2);
      await assert.rejects(verifyPaypalWebhook({ rawBody: pretty, headers: hook.headers as Record<string, string>, webhookId }, certs), (err) => isAppError(err, 'signature_invalid'));
      await assert.rejects(verifyPaypalWebhook({ rawBody: hook.body, headers: hook.headers as Record<string, string>, webhookId: 'WH-OTHER' }, certs), (err) => isAppError(err, 'signature_invalid'));
    }
    const capture = receiver.events().find((e) => e.event_type === 'PAYMENT.CAPTURE.COMPLETED');
    assert.equal(capture.resource.custom_id, 'evt_sig');
    assert.equal(capture.resource.supplementary_data.related_ids.order_id, order);
  });

  it('a forged webhook (signed with another key) is rejected', async () => {
    receiver.clear();
    await addFault(sandbox, { provider: 'paypal', operation: 'PAYMENT.CAPTURE.COMPLETED', fault: 'webhook_forge' });
    const order = await pp.approvedOrder('CAPTURE');
    await pp.call('POST', `/v2/checkout/orders/${order}/capture`);
    await sandbox.ctx.webhooks.idle();
    const forged = receiver.received.find((h) => JSON.parse(h.body.toString()).event_type === 'PAYMENT.CAPTURE.COMPLETED')!;
    const genuine = receiver.received.find((h) => JSON.parse(h.body.toString()).event_type === 'CHECKOUT.ORDER.APPROVED')!;
    await verifyPaypalWebhook({ rawBody: genuine.body, headers: genuine.headers as Record<string, string>, webhookId }, certs);
    await assert.rejects(
      verifyPaypalWebhook({ rawBody: forged.body, headers: forged.headers as Record<string, string>, webhookId }, certs),
      (err) => isAppError(err, 'signature_invalid') && err.providerCode === 'signature_mismatch',
    );
  });
});
