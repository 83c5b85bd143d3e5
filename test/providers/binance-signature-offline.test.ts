import assert from 'node:assert/strict';
import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.ts';
import {
  BINANCE_HEADERS,
  BinanceCertificateCache,
  NONCE_LENGTH,
  NOTIFICATION_TOLERANCE_MS,
  newNonce,
  signRequest,
  verifyNotification,
  type BinanceCertificate,
} from '../../src/providers/binance/signature.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

// Binance Pay signatures, offline and fast (it also runs once per mutant in `npm run mutate`):
// Binance's published vectors, and notifications signed here with a throwaway key so that each
// refusal can be reached on its own.

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



// ---------------------------------------------------------------------------------------------
// Requests and notifications signed here

const TS = '1772460000000';
const NONCE = 'abcdefghijklmnopqrstuvwxyzABCDEF';
const BODY = '{"bizType":"PAY","bizId":29383937493038367292,"data":"{}"}';
const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PUBLIC_PEM = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const OTHER = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;

function notification(body: string | Uint8Array = BODY, ts = TS, nonce = NONCE): Record<string, string> {
  const payload = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`), Buffer.from(body), Buffer.from('\n')]);
  return {
    'BinancePay-Timestamp': ts,
    'BinancePay-Nonce': nonce,
    'BinancePay-Signature': createSign('sha256').update(payload).sign(pair.privateKey, 'base64'),
    'BinancePay-Certificate-SN': 'sn-1',
  };
}

const at = (ms: number) => () => ms;
const check = (over: Partial<Parameters<typeof verifyNotification>[0]> = {}) =>
  verifyNotification({ rawBody: BODY, headers: notification(), publicKeyPem: PUBLIC_PEM, now: at(Number(TS)), ...over });

/** The message of the signature_invalid error `fn` throws. */
async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
    assert.equal(err.provider, 'binance');
    return err.message;
  }
  return assert.fail('verification passed but should have failed');
}

describe('Binance Pay request signing, offline', () => {
  it('is upper-case hex HMAC-SHA512 of timestamp LF nonce LF body LF, with the headers to send', () => {
    const expected = createHmac('sha512', 'secret').update(`${TS}\n${NONCE}\n${BODY}\n`).digest('hex').toUpperCase();
    const s = signRequest({ secretKey: 'secret', body: BODY, timestamp: TS, nonce: NONCE });
    assert.deepEqual(s, {
      signature: expected,
      timestamp: TS,
      nonce: NONCE,
      headers: { 'content-type': 'application/json', 'BinancePay-Timestamp': TS, 'BinancePay-Nonce': NONCE, 'BinancePay-Signature': expected },
    });
    assert.equal(signRequest({ secretKey: 'secret', body: BODY, timestamp: Number(TS), nonce: NONCE }).signature, expected);
    assert.equal(signRequest({ secretKey: 'secret', body: BODY, timestamp: TS, nonce: NONCE, apiKey: '' }).headers['BinancePay-Certificate-SN'], '');
  });

  it('uses the current time and a fresh nonce by default', () => {
    const before = Date.now();
    const s = signRequest({ secretKey: 'secret', body: BODY });
    assert.ok(Number(s.timestamp) >= before && Number(s.timestamp) <= Date.now());
    assert.equal(s.nonce.length, NONCE_LENGTH);
    assert.equal(s.signature, createHmac('sha512', 'secret').update(`${s.timestamp}\n${s.nonce}\n${BODY}\n`).digest('hex').toUpperCase());
  });

  it('refuses what Binance would refuse, before signing', () => {
    assert.throws(() => signRequest({ secretKey: '', body: BODY }), TypeError);
    for (const secretKey of [' s', 's ', '\ts', 's\n']) assert.throws(() => signRequest({ secretKey, body: BODY }), TypeError, JSON.stringify(secretKey));
    for (const timestamp of ['177246000000', '17724600000000', 'x772460000000', '1772460000000x', '1772460000.00']) {
      assert.throws(() => signRequest({ secretKey: 's', body: BODY, timestamp }), TypeError, timestamp);
    }
    for (const nonce of ['', NONCE.slice(1), `${NONCE}x`]) assert.throws(() => signRequest({ secretKey: 's', body: BODY, nonce }), TypeError, nonce);
  });

  it('makes unbiased nonces: letters and digits, each about as often', () => {
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const nonce = newNonce();
      assert.equal(nonce.length, 32);
      for (const c of nonce) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    assert.equal(counts.size, 62);
    for (const c of counts.keys()) assert.match(c, /^[A-Za-z0-9]$/);
    // Each of the 62 characters is expected n·32/62 ≈ 2065 times (σ ≈ 45). A byte taken modulo 62
    // without rejecting 248–255 would make 'A'…'H' about 25 % more frequent: 6 σ is the bar.
    const mean = (n * 32) / 62;
    const sigma = Math.sqrt(mean);
    for (const [c, k] of counts) assert.ok(Math.abs(k - mean) < 6 * sigma, `${c}: ${k} times, expected about ${Math.round(mean)}`);
  });
});

describe('Binance Pay notification verification, offline', () => {
  it('accepts a notification signed with the key, as text, bytes, a slice of a larger buffer, or a KeyObject', () => {
    assert.deepEqual(check(), { timestamp: Number(TS), nonce: NONCE, certSerial: 'sn-1' });
    check({ rawBody: new TextEncoder().encode(BODY) });
    const big = new TextEncoder().encode(`xxxx${BODY}yyyy`);
    check({ rawBody: big.subarray(4, big.length - 4) });
    check({ publicKeyPem: pair.publicKey as KeyObject });
    check({ headers: new Headers(notification()) });
    const { 'BinancePay-Certificate-SN': _sn, ...noSn } = notification();
    assert.equal(check({ headers: noSn }).certSerial, undefined);
    const lower = Object.fromEntries(Object.entries(notification()).map(([k, v]) => [k.toLowerCase(), [v]]));
    assert.equal(check({ headers: lower }).nonce, NONCE);
  });

  it('accepts a signature with surrounding whitespace (Binance’s own test data had a trailing newline)', () => {
    const h = notification();
    check({ headers: { ...h, 'BinancePay-Signature': `${h['BinancePay-Signature']}\n` } });
    check({ headers: { ...h, 'BinancePay-Signature': ` ${h['BinancePay-Signature']}` } });
  });

  it('refuses each missing header, naming it', async () => {
    for (const name of [BINANCE_HEADERS.timestamp, BINANCE_HEADERS.nonce, BINANCE_HEADERS.signature]) {
      const { [name]: _gone, ...rest } = notification();
      assert.equal(await refusal(() => check({ headers: rest })), `missing header ${name}`);
      assert.equal(await refusal(() => check({ headers: { ...rest, [name]: '' } })), `missing header ${name}`);
    }
  });

  it('refuses a timestamp that is not Unix milliseconds, and a signature that is not base64', async () => {
    for (const ts of ['12345678901234567', 'x1772460000000', '1772460000000x', '1.5', '-1']) {
      assert.match(await refusal(() => check({ headers: { ...notification(), 'BinancePay-Timestamp': ts } })), /not Unix milliseconds/, ts);
    }
    // 16 digits is still a number: it fails on the signature, not the format.
    assert.match(await refusal(() => check({ headers: { ...notification(), 'BinancePay-Timestamp': '1234567890123456' } })), /does not match/);
    const sig = notification()['BinancePay-Signature']!;
    for (const bad of [`${sig}===`, `x${sig}$`, `${sig.slice(0, 10)} ${sig.slice(10)}`, '=abc', 'ab-c']) {
      assert.match(await refusal(() => check({ headers: { ...notification(), 'BinancePay-Signature': bad } })), /not base64/, bad);
    }
  });

  it('refuses a body that is not the raw text or bytes, and a key that is not a public key', async () => {
    assert.match(await refusal(() => check({ rawBody: JSON.parse(BODY) })), /parsed JSON body/);
    assert.match(await refusal(() => check({ publicKeyPem: 'not a key' })), /not a valid PEM public key/);
    // The crypto error stays attached for the logs.
    assert.throws(() => check({ publicKeyPem: 'not a key' }), (e: Error) => e.cause instanceof Error);
    assert.throws(() => check({ headers: {} }), (e: Error) => e.cause === undefined);
    // A key of another kind cannot check an RSA SHA-256 signature at all.
    const ed = generateKeyPairSync('ed25519').publicKey;
    assert.match(await refusal(() => check({ publicKeyPem: ed })), /could not be checked/);
  });

  it('refuses a change to any signed part, or another key', async () => {
    const h = notification();
    const mismatch = /does not match/;
    assert.match(await refusal(() => check({ rawBody: `${BODY} ` })), mismatch);
    assert.match(await refusal(() => check({ headers: { ...h, 'BinancePay-Nonce': NONCE.replace('a', 'b') } })), mismatch);
    assert.match(await refusal(() => check({ headers: { ...h, 'BinancePay-Timestamp': String(Number(TS) + 1) }, now: at(Number(TS)) })), mismatch);
    assert.match(await refusal(() => check({ publicKeyPem: OTHER })), mismatch);
    // Signed without the final LF: refused.
    const noLf = createSign('sha256').update(`${TS}\n${NONCE}\n${BODY}`).sign(pair.privateKey, 'base64');
    assert.match(await refusal(() => check({ headers: { ...h, 'BinancePay-Signature': noLf } })), mismatch);
  });

  it('accepts up to five minutes of skew either way, or the tolerance given, and says which way it is off', async () => {
    assert.equal(NOTIFICATION_TOLERANCE_MS, 300_000);
    const t = Number(TS);
    check({ now: at(t + 300_000) });
    check({ now: at(t - 300_000) });
    assert.equal(await refusal(() => check({ now: at(t + 300_001) })), 'BinancePay-Timestamp is 300 s old; outside the 300 s replay window');
    assert.equal(await refusal(() => check({ now: at(t - 301_000) })), 'BinancePay-Timestamp is 301 s in the future; outside the 300 s replay window');
    check({ now: at(t + 600_000), toleranceMs: 600_000 });
    assert.match(await refusal(() => check({ now: at(t + 10_001), toleranceMs: 10_000 })), /outside the 10 s replay window/);
    // The real clock by default: 2026-03-02 is long past or far ahead of it.
    const far = Date.now() + 3_600_000;
    const h = notification(BODY, String(far));
    assert.match(await refusal(() => verifyNotification({ rawBody: BODY, headers: h, publicKeyPem: PUBLIC_PEM })), /in the future/);
  });
});

describe('Binance certificate cache, offline', () => {
  const cert = (certSerial: string): BinanceCertificate => ({ certSerial, certPublic: PUBLIC_PEM });

  it('refreshes at most once a minute by default for unknown serials, and replaces the keys it knew', async () => {
    let clock = 0;
    const served = [[cert('a')], [cert('b')]];
    let fetches = 0;
    const cache = new BinanceCertificateCache(async () => served[Math.min(fetches++, 1)]!, { now: () => clock });
    await cache.publicKey('a');
    clock = 59_999;
    assert.match(await refusal(() => cache.publicKey('b')), /unknown BinancePay-Certificate-SN "b"/);
    assert.equal(fetches, 1);
    clock = 60_000;
    await cache.publicKey('b');
    assert.equal(fetches, 2);
    // The old serial went with the old list; asking for it again waits for the interval.
    await assert.rejects(cache.publicKey('a'));
    assert.equal(fetches, 2);
    // A known serial never fetches, however long ago the last fetch was.
    clock = 1_000_000;
    await cache.publicKey('b');
    assert.equal(fetches, 2);
  });

  it('shares one fetch between concurrent callers, including one that arrives while it runs', async () => {
    let fetches = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = new BinanceCertificateCache(async () => {
      fetches++;
      await gate;
      return [cert('a')];
    });
    const first = cache.publicKey('a');
    const second = cache.publicKey('a');
    release();
    await Promise.all([first, second]);
    assert.equal(fetches, 1);
  });

  it('tries again at once after a failed fetch, and refreshes on demand', async () => {
    let fetches = 0;
    const cache = new BinanceCertificateCache(async () => {
      fetches++;
      if (fetches === 1) throw new Error('Binance unreachable');
      return [cert('a')];
    });
    await assert.rejects(cache.publicKey('a'), /Binance unreachable/);
    await cache.publicKey('a');
    assert.equal(fetches, 2);
    await cache.refresh();
    assert.equal(fetches, 3);
  });

  it('verify uses the key named by BinancePay-Certificate-SN and refuses a notification without one', async () => {
    const cache = new BinanceCertificateCache(async () => [cert('sn-1')]);
    assert.equal((await cache.verify({ rawBody: BODY, headers: notification(), now: at(Number(TS)) })).certSerial, 'sn-1');
    const { 'BinancePay-Certificate-SN': _sn, ...noSn } = notification();
    assert.equal(await refusal(() => cache.verify({ rawBody: BODY, headers: noSn, now: at(Number(TS)) })), 'missing header BinancePay-Certificate-SN');
    const other = new BinanceCertificateCache(async () => [{ certSerial: 'sn-1', certPublic: OTHER.export({ type: 'spki', format: 'pem' }).toString() }]);
    assert.match(await refusal(() => other.verify({ rawBody: BODY, headers: notification(), now: at(Number(TS)) })), /does not match/);
  });
});
