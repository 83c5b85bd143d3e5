import assert from 'node:assert/strict';
import { generateKeyPairSync, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { crc32Unsigned } from '../../sandbox/paypal/signing.ts';
import { isAppError } from '../../src/errors.ts';
import {
  DEFAULT_TOLERANCE_SECONDS,
  PAYPAL_CERT_HOSTS,
  PaypalCertificateCache,
  crc32Decimal,
  isAllowedCertUrl,
  paypalSignedMessage,
  readPaypalTransmission,
  verifyPaypalWebhook,
  verifyPaypalWebhookSignature,
  type FetchLike,
} from '../../src/providers/paypal/webhook-signature.ts';
import { paypalSignedVectors, specPath, specsSkip } from '../support/specs.ts';

// PayPal webhook verification, offline and fast (it also runs once per mutant in `npm run
// mutate`): PayPal's own signed deliveries, and deliveries signed here with a throwaway key whose
// certificate is made for this run, so each refusal can be reached on its own.


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
  const vectors = specsSkip() ? [] : paypalSignedVectors();

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


// ---------------------------------------------------------------------------------------------
// Deliveries signed here

const keys = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const { cert: CERT } = await selfsigned.generate([{ name: 'commonName', value: 'offline-test.invalid' }], {
  keySize: 1024,
  algorithm: 'sha256',
  keyPair: { privateKey: keys.privateKey, publicKey: keys.publicKey },
});
const WEBHOOK_ID = 'WH-OFFLINE-1';
const SENT = '2026-03-02T14:00:00Z';
const SENT_MS = Date.parse(SENT);
const CERT_URL = 'https://api.paypal.com/v1/notifications/certs/CERT-offline';
const BODY = '{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"C1"}}';

function signed(body: string | Uint8Array = BODY, over: { id?: string; time?: string; webhookId?: string } = {}) {
  const id = over.id ?? 'tx-1';
  const time = over.time ?? SENT;
  const sig = createSign('RSA-SHA256').update(paypalSignedMessage({ transmissionId: id, transmissionTime: time }, over.webhookId ?? WEBHOOK_ID, body), 'utf8').sign(keys.privateKey, 'base64');
  return {
    'paypal-transmission-id': id,
    'paypal-transmission-time': time,
    'paypal-transmission-sig': sig,
    'paypal-cert-url': CERT_URL,
    'paypal-auth-algo': 'SHA256withRSA',
  } as Record<string, string>;
}

const ED25519_CERT = `-----BEGIN CERTIFICATE-----
MIIBRDCB96ADAgECAhQYdgBAf/pPzB9XafaiWGKYnxc5aDAFBgMrZXAwFzEVMBMG
A1UEAwwMZWQyNTUxOS10ZXN0MCAXDTI2MTEzMDIyNTM1OVoYDzIxMjYxMTA2MjI1
MzU5WjAXMRUwEwYDVQQDDAxlZDI1NTE5LXRlc3QwKjAFBgMrZXADIQA4Jz2nkmIG
7ysUWSxjOJrxJTKDoqwZ7qH45qG1Gf4Ce6NTMFEwHQYDVR0OBBYEFIWqzm/ZoYK3
XvmTq21Lcfls+SI2MB8GA1UdIwQYMBaAFIWqzm/ZoYK3XvmTq21Lcfls+SI2MA8G
A1UdEwEB/wQFMAMBAf8wBQYDK2VwA0EAZNIyl7irUyDWrY2Z9dUD8QF/ZQzLcFnL
5nho7ECIyf98OvVXkNztGFzaxwP3lRLOBt99316Guxq9bsxxxmNxCw==
-----END CERTIFICATE-----
`;

const verify = (over: Partial<Parameters<typeof verifyPaypalWebhookSignature>[0]> = {}) =>
  verifyPaypalWebhookSignature({ rawBody: BODY, headers: signed(), webhookId: WEBHOOK_ID, certificatePem: CERT, receivedAt: SENT_MS, ...over });

/** The `providerCode` of the signature_invalid error `fn` throws (synchronously or not). */
async function reason(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
    assert.equal(err.provider, 'paypal');
    assert.deepEqual(err.details, { reason: err.providerCode });
    return err.providerCode!;
  }
  return assert.fail('verification passed but should have failed');
}

describe('PayPal webhook signature: what is signed', () => {
  it('is id|time|webhook id|CRC32 of the raw bytes, as an unsigned decimal', () => {
    assert.equal(crc32Decimal(''), 0);
    assert.equal(crc32Decimal('The quick brown fox jumps over the lazy dog'), 0x414fa339);
    // CRC32("a") has its top bit set: still a positive decimal.
    assert.equal(crc32Decimal('a'), 3904355907);
    assert.equal(crc32Decimal(new TextEncoder().encode('a')), 3904355907);
    assert.equal(crc32Decimal('é'), crc32Unsigned(Buffer.from('é', 'utf8')));
    assert.equal(paypalSignedMessage({ transmissionId: 'T', transmissionTime: '2026-03-02T14:00:00Z' }, 'WH', 'a'), 'T|2026-03-02T14:00:00Z|WH|3904355907');
  });

  it('reads the transmission headers from a plain record (any letter case, first of a list) or a Headers object', () => {
    const h = signed();
    const expected = { transmissionId: 'tx-1', transmissionTime: SENT, transmissionSig: h['paypal-transmission-sig'], certUrl: CERT_URL, authAlgo: 'SHA256withRSA' };
    assert.deepEqual(readPaypalTransmission(h), expected);
    assert.deepEqual(readPaypalTransmission(new Headers(h)), expected);
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), [v, 'second']]));
    assert.deepEqual(readPaypalTransmission(upper), expected);
    // PAYPAL-AUTH-ALGO may be absent: PayPal's only algorithm is assumed.
    const { 'paypal-auth-algo': _algo, ...noAlgo } = h;
    assert.equal(readPaypalTransmission(noAlgo).authAlgo, 'SHA256withRSA');
    assert.equal(readPaypalTransmission(new Headers(noAlgo)).authAlgo, 'SHA256withRSA');
  });

  it('names each missing transmission header', async () => {
    for (const name of ['paypal-transmission-id', 'paypal-transmission-time', 'paypal-transmission-sig', 'paypal-cert-url']) {
      const { [name]: _gone, ...rest } = signed();
      assert.equal(await reason(() => readPaypalTransmission(rest)), 'missing_header', name);
      assert.equal(await reason(() => readPaypalTransmission({ ...rest, [name]: '' })), 'missing_header', name);
      assert.throws(() => readPaypalTransmission(rest), (err: Error) => err.message.includes(name.toUpperCase()) && !err.message.includes(', PAYPAL'));
    }
    assert.throws(() => readPaypalTransmission({}), (err: Error) => err.message.includes('PAYPAL-TRANSMISSION-ID, PAYPAL-TRANSMISSION-TIME, PAYPAL-TRANSMISSION-SIG, PAYPAL-CERT-URL'));
  });
});

describe('PayPal webhook signature: a delivery signed here', () => {
  it('verifies as text and as bytes, and returns the transmission and the parsed event', () => {
    const out = verify();
    assert.equal(out.transmission.transmissionId, 'tx-1');
    assert.deepEqual(out.event, JSON.parse(BODY));
    const bytes = new TextEncoder().encode(BODY);
    assert.deepEqual(verify({ rawBody: bytes, headers: signed(bytes) }).event, JSON.parse(BODY));
    assert.deepEqual(verify({ headers: new Headers(signed()) }).event, JSON.parse(BODY));
  });

  it('returns no event for a signed body that is not JSON (the caller refuses it)', () => {
    assert.equal(verify({ rawBody: 'not json', headers: signed('not json') }).event, undefined);
  });

  it('refuses a change to any signed part', async () => {
    assert.equal(await reason(() => verify({ rawBody: `${BODY} ` })), 'signature_mismatch');
    assert.equal(await reason(() => verify({ webhookId: 'WH-OTHER' })), 'signature_mismatch');
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-transmission-id': 'tx-2' } })), 'signature_mismatch');
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-transmission-time': '2026-03-02T14:00:01Z' } })), 'signature_mismatch');
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-transmission-sig': 'not base64 at all!' } })), 'signature_mismatch');
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-transmission-sig': '' } })), 'missing_header');
    assert.throws(() => verify({ webhookId: 'WH-OTHER' }), (err: Error) => err.message.includes('"WH-OTHER"'));
  });

  it('checks the algorithm before anything else it can check', async () => {
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-auth-algo': 'SHA1withRSA' } })), 'unsupported_algorithm');
    assert.equal(await reason(() => verify({ headers: { ...signed(), 'paypal-auth-algo': 'SHA1withRSA' }, receivedAt: 0, certificatePem: 'x' })), 'unsupported_algorithm');
    assert.throws(() => verify({ headers: { ...signed(), 'paypal-auth-algo': 'SHA1withRSA' } }), (err: Error) => err.message.includes('SHA1withRSA'));
  });

  it('accepts RFC 3339 times with fractions, offsets or a lower-case z, and refuses anything else', async () => {
    for (const time of ['2026-03-02T14:00:00.123Z', '2026-03-02T15:00:00+01:00', '2026-03-02T09:00:00-05:00', '2026-03-02t14:00:00z']) {
      assert.equal(verify({ headers: signed(BODY, { time }) }).transmission.transmissionTime, time);
    }
    for (const time of ['yesterday', '2026-03-02 14:00:00Z', '2026-03-02T14:00:00', '2026-03-02T14:00Z', 'x2026-03-02T14:00:00Z', '2026-03-02T14:00:00Zx', '2026-03-02T14:00:00+0100', '2026-13-02T14:00:00Z']) {
      assert.equal(await reason(() => verify({ headers: signed(BODY, { time }) })), 'timestamp_invalid', time);
    }
  });

  it('accepts a skew of up to 300 s either way by default, and the tolerance given', async () => {
    assert.equal(DEFAULT_TOLERANCE_SECONDS, 300);
    verify({ receivedAt: SENT_MS + 300_000 });
    verify({ receivedAt: SENT_MS - 300_000 });
    assert.equal(await reason(() => verify({ receivedAt: SENT_MS + 300_001 })), 'timestamp_outside_tolerance');
    assert.equal(await reason(() => verify({ receivedAt: SENT_MS - 300_001 })), 'timestamp_outside_tolerance');
    verify({ receivedAt: SENT_MS + 600_000, toleranceSeconds: 600 });
    assert.equal(await reason(() => verify({ receivedAt: SENT_MS + 11_000, toleranceSeconds: 10 })), 'timestamp_outside_tolerance');
    assert.throws(() => verify({ receivedAt: SENT_MS + 400_000 }), (err: Error) => err.message.includes('400 s away') && err.message.includes('tolerance 300 s'));
    // Without receivedAt the real clock is used: years after SENT.
    assert.equal(await reason(() => verify({ receivedAt: undefined })), 'timestamp_outside_tolerance');
  });

  it('refuses a tolerance that would switch the check off, before reading the clock', () => {
    for (const toleranceSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => verify({ toleranceSeconds }), TypeError, String(toleranceSeconds));
    }
    assert.doesNotThrow(() => verify({ toleranceSeconds: 0.5 }));
  });

  it('refuses a certificate whose key cannot check an RSA signature at all', async () => {
    // A self-signed Ed25519 certificate (public data, made with openssl for this test): Node
    // throws rather than answering false; that is a mismatch, never a pass.
    assert.equal(await reason(() => verify({ certificatePem: ED25519_CERT })), 'signature_mismatch');
  });

  it('refuses a certificate that is not PEM X.509, after the replay check', async () => {
    assert.equal(await reason(() => verify({ certificatePem: 'not a cert' })), 'certificate_unusable');
    assert.equal(await reason(() => verify({ certificatePem: 'not a cert', receivedAt: SENT_MS + 400_000 })), 'timestamp_outside_tolerance');
    assert.throws(() => verify({ certificatePem: 'not a cert' }), (err: Error) => err.message.includes(CERT_URL));
  });
});

describe('PayPal certificate URLs and cache, offline', () => {
  it('lists PayPal’s live and sandbox API hosts', () => {
    assert.deepEqual([...PAYPAL_CERT_HOSTS], ['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com']);
  });

  it('ignores a malformed trusted origin, and refuses credentials even on a trusted origin', () => {
    const url = 'http://127.0.0.1:4010/v1/notifications/certs/CERT-1';
    assert.equal(isAllowedCertUrl(url, { trustedOrigins: ['not an origin', 'http://127.0.0.1:4010'] }), true);
    assert.equal(isAllowedCertUrl(url, { trustedOrigins: ['not an origin'] }), false);
    assert.equal(isAllowedCertUrl('http://u@127.0.0.1:4010/c', { trustedOrigins: ['http://127.0.0.1:4010'] }), false);
    assert.equal(isAllowedCertUrl('https://:pw@api.paypal.com/c'), false);
    assert.equal(isAllowedCertUrl('https://u@api.paypal.com/c'), false);
  });

  function fakeFetch(answers: Array<{ ok: boolean; status: number; text: string } | Error>) {
    const calls: Array<{ url: string; signal: AbortSignal | undefined }> = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, signal: init?.signal });
      const a = answers[Math.min(calls.length - 1, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return { ok: a.ok, status: a.status, text: async () => a.text };
    };
    return { fetch, calls };
  }
  const good = { ok: true, status: 200, text: CERT };

  it('keeps a certificate for 24 hours by default, or the TTL given, then fetches it again', async () => {
    let now = 1_000_000;
    const f = fakeFetch([good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch, now: () => now });
    assert.equal(await cache.get(CERT_URL), CERT);
    assert.ok(f.calls[0]!.signal instanceof AbortSignal);
    now += 24 * 3600 * 1000 - 1;
    await cache.get(CERT_URL);
    assert.equal(f.calls.length, 1);
    now += 1;
    await cache.get(CERT_URL);
    assert.equal(f.calls.length, 2);

    const g = fakeFetch([good]);
    const short = new PaypalCertificateCache({ fetch: g.fetch, now: () => now, ttlMs: 1000 });
    await short.get(CERT_URL);
    now += 999;
    await short.get(CERT_URL);
    assert.equal(g.calls.length, 1);
    now += 1;
    await short.get(CERT_URL);
    assert.equal(g.calls.length, 2);
  });

  it('shares one fetch between concurrent callers, and fetches again after a failure', async () => {
    const f = fakeFetch([new Error('network down'), good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch });
    const both = await Promise.allSettled([cache.get(CERT_URL), cache.get(CERT_URL)]);
    assert.deepEqual(both.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(f.calls.length, 1);
    assert.equal(await cache.get(CERT_URL), CERT);
    assert.equal(f.calls.length, 2);
  });

  it('answers provider_unavailable for an HTTP error and certificate_unusable for a non-certificate, caching neither', async () => {
    const f = fakeFetch([{ ok: false, status: 503, text: '' }, { ok: true, status: 200, text: 'not a certificate' }, good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch });
    await assert.rejects(cache.get(CERT_URL), (err) => isAppError(err, 'provider_unavailable') && err.httpStatus === 503 && err.provider === 'paypal');
    assert.equal(await reason(() => cache.get(CERT_URL)), 'certificate_unusable');
    assert.equal(await cache.get(CERT_URL), CERT);
    assert.equal(f.calls.length, 3);
  });

  it('refuses a URL off PayPal’s hosts without fetching, unless its origin is trusted', async () => {
    const f = fakeFetch([good]);
    const local = 'http://127.0.0.1:4010/v1/notifications/certs/CERT-1';
    assert.equal(await reason(() => new PaypalCertificateCache({ fetch: f.fetch }).get(local)), 'cert_url_not_allowed');
    assert.equal(f.calls.length, 0);
    assert.equal(await new PaypalCertificateCache({ fetch: f.fetch, trustedOrigins: ['http://127.0.0.1:4010'] }).get(local), CERT);
  });

  it('verifyPaypalWebhook fetches the certificate named by the delivery, then verifies', async () => {
    const f = fakeFetch([good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch });
    const out = await verifyPaypalWebhook({ rawBody: BODY, headers: signed(), webhookId: WEBHOOK_ID, receivedAt: SENT_MS }, cache);
    assert.deepEqual(out.event, JSON.parse(BODY));
    assert.deepEqual(f.calls.map((c) => c.url), [CERT_URL]);
    assert.equal(await reason(() => verifyPaypalWebhook({ rawBody: BODY, headers: signed(), webhookId: 'WH-OTHER', receivedAt: SENT_MS }, cache)), 'signature_mismatch');
    assert.equal(await reason(() => verifyPaypalWebhook({ rawBody: BODY, headers: { ...signed(), 'paypal-cert-url': 'https://evil.example/c' }, webhookId: WEBHOOK_ID, receivedAt: SENT_MS }, cache)), 'cert_url_not_allowed');
  });

  it('refuses a stale, undated or wrongly signed-algorithm delivery before fetching any certificate', async () => {
    const f = fakeFetch([good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch });
    const verify = (headers: Record<string, string>, receivedAt = SENT_MS) => reason(() => verifyPaypalWebhook({ rawBody: BODY, headers, webhookId: WEBHOOK_ID, receivedAt }, cache));
    assert.equal(await verify(signed(), SENT_MS + 3600_000), 'timestamp_outside_tolerance');
    assert.equal(await verify({ ...signed(), 'paypal-transmission-time': 'yesterday' }), 'timestamp_invalid');
    assert.equal(await verify({ ...signed(), 'paypal-auth-algo': 'none' }), 'unsupported_algorithm');
    assert.equal(f.calls.length, 0, 'no certificate fetched for a delivery refused on its headers');
  });

  it('a certificate URL that answers 404 names no certificate: signature_invalid, not a retryable outage', async () => {
    const f = fakeFetch([{ ok: false, status: 404, text: 'not found' }, { ok: false, status: 429, text: '' }, good]);
    const cache = new PaypalCertificateCache({ fetch: f.fetch });
    assert.equal(await reason(() => cache.get(CERT_URL)), 'certificate_unusable');
    await assert.rejects(cache.get(CERT_URL), (err) => isAppError(err, 'provider_unavailable') && err.httpStatus === 429);
    assert.equal(await cache.get(CERT_URL), CERT);
  });
});
