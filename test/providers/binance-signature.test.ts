import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../../sandbox/server.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { isAppError } from '../../src/errors.ts';
import { BinanceCertificateCache, signRequest } from '../../src/providers/binance/signature.ts';
import { binanceOrderBody, binanceReceiver } from '../support/binance.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

// The verifier against the emulator's notifications. The offline checks (Binance's published
// vectors, every refusal, the certificate cache) are in binance-signature-offline.test.ts.

const isSignatureInvalid = (pattern?: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
  if (pattern) assert.match((err as Error).message, pattern);
  return true;
};

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
