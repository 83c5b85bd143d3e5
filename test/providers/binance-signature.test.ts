import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../sandbox/server.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { isAppError } from '../../src/errors.ts';
import {
  BinanceCertificateCache,
  newNonce,
  signRequest,
  verifyNotification,
  type BinanceCertificate,
} from '../../src/providers/binance/signature.ts';
import { binanceOrderBody, binanceReceiver } from '../support/binance.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

const SAMPLES = ['binance-pay', 'samples'] as const;

const isSignatureInvalid = (pattern?: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
  if (pattern) assert.match((err as Error).message, pattern);
  return true;
};

/** Replaces the character at `i` with another one of the same kind. */
function mutate(s: string, i: number): string {
  const c = s[i]!;
  const repl = /\d/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : c === '"' ? "'" : c === '=' ? 'A' : /[a-z]/.test(c) ? (c === 'z' ? 'y' : String.fromCharCode(c.charCodeAt(0) + 1)) : 'A';
  assert.notEqual(repl, c);
  return s.slice(0, i) + repl + s.slice(i + 1);
}

describe('Binance Pay request signing (product)', { skip: specsSkip() }, () => {
  it('reproduces the official FAQ vector', () => {
    const v = readSpecJson(...SAMPLES, 'request-signature-vector.json');
    // The FAQ now prints a USDT body, but its published signature (first 66 hex characters) only
    // reproduces with the older BUSD body: the docs were edited without recomputing it. `signature`
    // goes with `body` (BUSD) and its prefix is the FAQ's; the USDT pair is checked too.
    const signed = signRequest({ secretKey: v.secretKey, body: v.body, timestamp: v.timestamp, nonce: v.nonce });
    assert.equal(signed.signature, v.signature);
    assert.ok(signed.signature.startsWith(v.signaturePrefixPublishedInFaq));
    assert.equal(signed.headers['BinancePay-Signature'], v.signature);
    assert.equal(signed.headers['BinancePay-Timestamp'], v.timestamp);
    assert.equal(signed.headers['BinancePay-Nonce'], v.nonce);
    const printed = signRequest({ secretKey: v.secretKey, body: v.bodyAsPrintedInFaq, timestamp: v.timestamp, nonce: v.nonce });
    assert.equal(printed.signature, v.signatureForBodyAsPrintedInFaq);
    assert.ok(!printed.signature.startsWith(v.signaturePrefixPublishedInFaq));
  });

  it('makes 32-character nonces and refuses what Binance would refuse', () => {
    const a = newNonce();
    assert.match(a, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(a, newNonce());
    const signed = signRequest({ secretKey: 's', body: '{}', apiKey: 'key1' });
    assert.match(signed.headers['BinancePay-Signature']!, /^[0-9A-F]{128}$/);
    assert.equal(signed.headers['BinancePay-Certificate-SN'], 'key1');
    assert.equal(signed.headers['content-type'], 'application/json');
    assert.throws(() => signRequest({ secretKey: 's', body: {} as unknown as string }), /exact JSON string/);
    assert.throws(() => signRequest({ secretKey: 's ', body: '{}' }), /whitespace/);
    assert.throws(() => signRequest({ secretKey: 's', body: '{}', nonce: 'short' }), /32 characters/);
    assert.throws(() => signRequest({ secretKey: 's', body: '{}', timestamp: 1611232922 }), /milliseconds/);
  });
});

describe('Binance Pay notification verification (product)', { skip: specsSkip() }, () => {
  const v = specsSkip() ? ({} as any) : readSpecJson(...SAMPLES, 'webhook-signature-vector.json');
  const atVectorTime = () => Number(v.timestamp);

  it('accepts the official webhook vector, as text and as bytes', () => {
    const ok = verifyNotification({ rawBody: v.body, headers: v.headers, publicKeyPem: v.publicKeyPem, now: atVectorTime });
    assert.equal(ok.timestamp, 1611232922428);
    assert.equal(ok.nonce, v.nonce);
    const bytes = new Uint8Array(Buffer.from(v.bodyBase64, 'base64'));
    verifyNotification({ rawBody: bytes, headers: new Headers(v.headers), publicKeyPem: v.publicKeyPem, now: atVectorTime });
  });

  it('rejects a one-byte change anywhere it is signed', () => {
    for (const i of [0, 25, Math.floor(v.body.length / 2), v.body.length - 2]) {
      assert.throws(
        () => verifyNotification({ rawBody: mutate(v.body, i), headers: v.headers, publicKeyPem: v.publicKeyPem, now: atVectorTime }),
        isSignatureInvalid(/does not match/),
      );
    }
    const headers = (name: string, value: string) => ({ ...v.headers, [name]: value });
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: headers('BinancePay-Nonce', mutate(v.nonce, 3)), publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(/does not match/),
    );
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: headers('BinancePay-Timestamp', mutate(v.timestamp, 12)), publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(/does not match/),
    );
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: headers('BinancePay-Signature', mutate(v.signature, 10)), publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(),
    );
    // Binance signs with a trailing LF; a payload without it does not verify.
    assert.throws(
      () => verifyNotification({ rawBody: `${v.body}\n`, headers: v.headers, publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(),
    );
  });

  it('enforces the replay window with the injected clock', () => {
    const later = () => Number(v.timestamp) + 6 * 60 * 1000;
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: v.headers, publicKeyPem: v.publicKeyPem, now: later }),
      isSignatureInvalid(/360 s old; outside the 300 s replay window/),
    );
    verifyNotification({ rawBody: v.body, headers: v.headers, publicKeyPem: v.publicKeyPem, now: later, toleranceMs: 7 * 60 * 1000 });
    assert.throws(() => verifyNotification({ rawBody: v.body, headers: v.headers, publicKeyPem: v.publicKeyPem }), isSignatureInvalid(/replay window/));
  });

  it('names the likely mistake', () => {
    assert.throws(
      () => verifyNotification({ rawBody: JSON.parse(v.body), headers: v.headers, publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(/parsed JSON body/),
    );
    const { 'BinancePay-Signature': _s, ...noSig } = v.headers;
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: noSig, publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(/missing header BinancePay-Signature/),
    );
    assert.throws(
      () => verifyNotification({ rawBody: v.body, headers: v.headers, publicKeyPem: 'not a key', now: atVectorTime }),
      isSignatureInvalid(/not a valid PEM public key/),
    );
    // A parsed-and-re-serialized body loses bizId's digits (it exceeds 2^53).
    assert.throws(
      () => verifyNotification({ rawBody: JSON.stringify(JSON.parse(v.body)), headers: v.headers, publicKeyPem: v.publicKeyPem, now: atVectorTime }),
      isSignatureInvalid(/does not match/),
    );
  });

  it('caches certificates by serial and fetches again on an unknown one', async () => {
    let clock = 1_000_000;
    const served: BinanceCertificate[][] = [[{ certSerial: 'old', certPublic: v.publicKeyPem }], [{ certSerial: 'new', certPublic: v.publicKeyPem }]];
    let fetches = 0;
    const cache = new BinanceCertificateCache(async () => served[Math.min(fetches++, served.length - 1)]!, {
      now: () => clock,
      minRefreshIntervalMs: 60_000,
    });
    await cache.publicKey('old');
    await cache.publicKey('old');
    assert.equal(fetches, 1);
    // Unknown serial soon after a fetch: no new fetch (a forged SN must not make us hammer Binance).
    await assert.rejects(cache.publicKey('new'), isSignatureInvalid(/unknown BinancePay-Certificate-SN "new"/));
    assert.equal(fetches, 1);
    clock += 60_000;
    await cache.publicKey('new');
    assert.equal(fetches, 2);
    const headers = { ...v.headers, 'BinancePay-Certificate-SN': 'new' };
    await cache.verify({ rawBody: v.body, headers, now: atVectorTime });
  });
});


describe('the product verifier and the sandbox notifications', () => {
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof binanceReceiver>>;
  let cache: BinanceCertificateCache;
  const creds = SANDBOX_CREDENTIALS.binance;

  async function call(path: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const signed = signRequest({ secretKey: creds.secretKey, apiKey: creds.apiKey, body, timestamp: sandbox.ctx.now() });
    const res = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: signed.headers, body });
    return (await res.json()) as { status: string; code: string; data: any; errorMessage: string };
  }

  async function paidOrder(tradeNo: string) {
    const created = await call('/binancepay/openapi/v3/order', binanceOrderBody(tradeNo, { webhookUrl: hook.url, passThroughInfo: 'evt_123' }));
    assert.equal(created.status, 'SUCCESS', created.errorMessage);
    const res = await fetch(`${sandbox.url}/__sandbox/binance/orders/${created.data.prepayId}/pay`, { method: 'POST' });
    assert.equal(res.status, 200);
    await sandbox.ctx.webhooks.idle();
    return created.data.prepayId as string;
  }

  before(async () => {
    sandbox = await withSandbox();
    hook = await binanceReceiver();
    cache = new BinanceCertificateCache(async () => (await call('/binancepay/openapi/certificates', {})).data);
  });
  after(async () => {
    await sandbox.close();
    hook.server.close();
  });

  it('accepts a PAY_SUCCESS notification with the key from /certificates', async () => {
    const prepayId = await paidOrder('sig1');
    const got = hook.received.at(-1)!;
    const verified = await cache.verify({ rawBody: got.body, headers: got.headers as Record<string, string> });
    assert.equal(verified.certSerial, sandbox.emulators.binance.keys.certificate.certSerial);
    // bizId is the raw (> 2^53) number; bizIdStr carries it safely.
    assert.ok(got.body.includes(`"bizId":${prepayId},`));
    const parsed = JSON.parse(got.body);
    assert.equal(parsed.bizIdStr, prepayId);
    assert.equal(parsed.bizStatus, 'PAY_SUCCESS');
    assert.equal(JSON.parse(parsed.data).passThroughInfo, 'evt_123');
  });

  it('rejects a forged notification (signed with another key, same serial)', async () => {
    await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_forge' });
    await paidOrder('sig2');
    const got = hook.received.at(-1)!;
    assert.equal(got.headers['binancepay-certificate-sn'], sandbox.emulators.binance.keys.certificate.certSerial);
    await assert.rejects(cache.verify({ rawBody: got.body, headers: got.headers as Record<string, string> }), isSignatureInvalid(/does not match/));
  });
});
