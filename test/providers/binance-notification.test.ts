import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isAcknowledged } from '../../sandbox/binance/notifications.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError } from '../../src/errors.ts';
import type { Checkout, CheckoutRequest, PaymentRefs, RawNotification } from '../../src/ports/payments.ts';
import { BinanceProvider, createBinanceProvider } from '../../src/providers/binance/adapter.ts';
import { BinanceClient } from '../../src/providers/binance/client.ts';
import { BinanceCertificateCache } from '../../src/providers/binance/signature.ts';
import { binanceReceiver, type Received } from '../support/binance.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

const creds = SANDBOX_CREDENTIALS.binance;

const isSignatureInvalid = (pattern?: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
  if (pattern) assert.match((err as Error).message, pattern);
  return true;
};

const rawOf = (r: Received, receivedAt = new Date()): RawNotification => ({ body: Buffer.from(r.body, 'utf8'), headers: r.headers, receivedAt });

describe('Binance Pay notifications through readNotification', () => {
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof binanceReceiver>>;
  let provider: BinanceProvider;

  const request = (paymentId: string = randomUUID()): CheckoutRequest => ({
    paymentId,
    eventId: 'evt_1',
    description: 'Event booking',
    price: { minor: 100n, currency: 'USD' },
    expiresAt: new Date(Date.now() + 30 * 60_000),
    returnUrl: 'https://app.example/pay/done',
    cancelUrl: 'https://app.example/pay/cancel',
    notifyUrl: hook.url,
  });
  async function started() {
    const rq = request();
    const co: Checkout = await provider.createCheckout(rq, { idempotencyKey: `${rq.paymentId}-create` });
    const refs: PaymentRefs = { paymentId: rq.paymentId, ref: co.ref, merchantRef: co.merchantRef, authorizationRef: null, captureRef: null };
    return { co, refs, id: rq.paymentId };
  }
  const pay = async (ref: string) => assert.equal((await fetch(`${sandbox.url}/__sandbox/binance/orders/${ref}/pay`, { method: 'POST' })).status, 200);
  /** The notifications delivered so far, once the sandbox has sent all it had. */
  async function delivered(): Promise<Received[]> {
    await sandbox.ctx.webhooks.idle();
    return hook.received.splice(0);
  }

  before(async () => {
    sandbox = await withSandbox({ webhooks: { retryDelayMs: () => 5 } });
    hook = await binanceReceiver();
    provider = createBinanceProvider({ baseUrl: sandbox.url, apiKey: creds.apiKey, secretKey: creds.secretKey, usdtPerUsd: '1' });
  });
  after(async () => {
    await sandbox.close();
    hook.server.close();
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
    hook.received.length = 0;
  });

  it('PAY_SUCCESS, PAY_CLOSED and PAY_REFUND become Notices naming our payment and the order', async () => {
    const paid = await started();
    await pay(paid.co.ref);
    const [success] = await delivered();
    assert.ok(success);
    assert.deepEqual(await provider.readNotification(rawOf(success)), {
      providerEventId: `${paid.co.ref}:PAY:PAY_SUCCESS`,
      providerType: 'PAY_SUCCESS',
      paymentId: paid.id,
      ref: paid.co.ref,
      hint: 'captured',
    });

    await provider.refund(paid.refs, { minor: 100_000_000n, currency: 'USDT' }, 'cancelled', { idempotencyKey: `${paid.id}-refund` });
    const [refunded] = await delivered();
    assert.ok(refunded);
    assert.deepEqual(await provider.readNotification(rawOf(refunded)), {
      providerEventId: `${paid.co.ref}:PAY_REFUND:REFUND_SUCCESS:${paid.id}-refund`,
      providerType: 'REFUND_SUCCESS',
      paymentId: paid.id,
      ref: paid.co.ref,
      hint: 'refunded',
    });

    const closed = await started();
    await provider.release(closed.refs, { idempotencyKey: `${closed.id}-release` });
    const [closing] = await delivered();
    assert.ok(closing);
    assert.deepEqual(await provider.readNotification(rawOf(closing)), {
      providerEventId: `${closed.co.ref}:PAY:PAY_CLOSED`,
      providerType: 'PAY_CLOSED',
      paymentId: closed.id,
      ref: closed.co.ref,
      hint: 'expired',
    });
  });

  it('acknowledges the way Binance counts as delivered', () => {
    assert.deepEqual(provider.acknowledgement, { status: 200, contentType: 'application/json', body: '{"returnCode":"SUCCESS","returnMessage":null}' });
    assert.ok(isAcknowledged(provider.acknowledgement.status, provider.acknowledgement.body));
  });

  it('refuses a forged notification, a tampered body, and a stale one', async () => {
    const { co } = await started();
    await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_forge' });
    await pay(co.ref);
    const [forged] = await delivered();
    assert.ok(forged);
    await assert.rejects(provider.readNotification(rawOf(forged)), isSignatureInvalid(/does not match/));

    const other = await started();
    await pay(other.co.ref);
    const [genuine] = await delivered();
    assert.ok(genuine);
    await provider.readNotification(rawOf(genuine));
    const tampered = { ...genuine, body: genuine.body.replace('PAY_SUCCESS', 'PAY_CLOSED') };
    assert.notEqual(tampered.body, genuine.body);
    await assert.rejects(provider.readNotification(rawOf(tampered)), isSignatureInvalid(/does not match/));
    await assert.rejects(provider.readNotification(rawOf(genuine, new Date(Date.now() + 10 * 60_000))), isSignatureInvalid(/replay window/));
    const { 'binancepay-signature': _s, ...unsigned } = genuine.headers;
    await assert.rejects(provider.readNotification(rawOf({ ...genuine, headers: unsigned })), isSignatureInvalid(/missing header/));
  });

  it('fetches the certificates once, and again only for an unknown serial', async () => {
    const client = new BinanceClient({ baseUrl: sandbox.url, apiKey: creds.apiKey, secretKey: creds.secretKey });
    let fetches = 0;
    let clock = 1_000_000;
    // The first list is from before a key rotation: it lacks the serial Binance now signs with.
    const cache = new BinanceCertificateCache(
      async () => {
        fetches++;
        const certs = await client.certificates();
        return fetches === 1 ? [] : certs;
      },
      { now: () => clock },
    );
    const p = new BinanceProvider({ client, usdtPerUsd: '1', certificates: cache });
    await cache.refresh();
    assert.equal(fetches, 1);
    clock += 60_000;

    const a = await started();
    await pay(a.co.ref);
    const b = await started();
    await pay(b.co.ref);
    const [first, second] = await delivered();
    assert.ok(first && second);
    assert.equal((await p.readNotification(rawOf(first))).hint, 'captured');
    assert.equal(fetches, 2);
    assert.equal((await p.readNotification(rawOf(second))).hint, 'captured');
    assert.equal(fetches, 2);
  });

  it('a certificate fetch that fails is provider_unavailable, not a forgery; the next delivery fetches again and verifies', async () => {
    const { co } = await started();
    await pay(co.ref);
    const [n] = await delivered();
    assert.ok(n);
    const fresh = createBinanceProvider({ baseUrl: sandbox.url, apiKey: creds.apiKey, secretKey: creds.secretKey, usdtPerUsd: '1' });
    await addFault(sandbox, { provider: 'binance', operation: 'certificates', fault: 'http_error', status: 503 });
    await assert.rejects(fresh.readNotification(rawOf(n)), (err: unknown) => isAppError(err, 'provider_unavailable') && /certificates could not be fetched/.test((err as Error).message));
    // The fault fired once: Binance's redelivery a moment later is verified (no minute-long refusal).
    const notice = await fresh.readNotification(rawOf(n));
    assert.equal(notice.hint, 'captured');
  });
});

describe('the official Binance webhook vector through readNotification', { skip: specsSkip() }, () => {
  it('verifies at the vector’s time and reads bizId from the raw text', async () => {
    const v = specsSkip() ? ({} as any) : readSpecJson('binance-pay', 'samples', 'webhook-signature-vector.json');
    // The vector's Certificate-SN is a placeholder; the serial is Binance's MD5 of the public key.
    const serial = createHash('md5').update(createPublicKey(v.publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
    const certificates = new BinanceCertificateCache(async () => [{ certSerial: serial, certPublic: v.publicKeyPem }]);
    const client = new BinanceClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused', secretKey: 'unused' });
    const p = new BinanceProvider({ client, usdtPerUsd: '1', certificates });
    const headers = { ...v.headers, 'BinancePay-Certificate-SN': serial };
    const raw = (receivedAt: number, body: Buffer = Buffer.from(v.bodyBase64, 'base64')): RawNotification => ({ body, headers, receivedAt: new Date(receivedAt) });

    assert.deepEqual(await p.readNotification(raw(Number(v.timestamp) + 1000)), {
      providerEventId: '29383937493038367292:PAY:PAY_SUCCESS',
      providerType: 'PAY_SUCCESS',
      paymentId: null,
      ref: '29383937493038367292',
      hint: 'captured',
    });
    await assert.rejects(p.readNotification(raw(Date.now())), isSignatureInvalid(/replay window/));
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(v.body)));
    await assert.rejects(p.readNotification(raw(Number(v.timestamp), reserialized)), isSignatureInvalid(/does not match/));
  });
});
