import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError, type ErrorKind } from '../../src/errors.ts';
import type { Checkout, CheckoutRequest, PaymentRefs } from '../../src/ports/payments.ts';
import { createBinanceProvider, type BinanceProvider } from '../../src/providers/binance/adapter.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

const creds = SANDBOX_CREDENTIALS.binance;

const fails = (kind: ErrorKind, pattern?: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err, kind), `expected ${kind}, got ${String(err)}`);
  assert.equal(err.provider, 'binance');
  if (pattern) assert.match(err.message, pattern);
  assert.ok(!err.message.includes(creds.secretKey), 'no secret in the message');
  return true;
};

describe('BinanceProvider against the Binance Pay emulator', () => {
  let sandbox: Sandbox;
  let provider: BinanceProvider;
  const make = (over: Partial<Parameters<typeof createBinanceProvider>[0]> = {}) =>
    createBinanceProvider({ baseUrl: sandbox.url, apiKey: creds.apiKey, secretKey: creds.secretKey, usdtPerUsd: '1', ...over });

  const request = (paymentId: string = randomUUID(), over: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
    paymentId,
    eventId: 'evt_7f3a',
    description: 'Event booking: Team sync, 2 June 10:00',
    price: { minor: 100n, currency: 'USD' },
    expiresAt: new Date(Date.now() + 30 * 60_000),
    returnUrl: 'https://app.example/pay/done',
    cancelUrl: 'https://app.example/pay/cancel',
    notifyUrl: 'https://app.example/webhooks/binance',
    ...over,
  });
  const key = (paymentId: string, op: string) => ({ idempotencyKey: `${paymentId}-${op}` });
  const refsOf = (paymentId: string, co: Checkout): PaymentRefs => ({ paymentId, ref: co.ref, merchantRef: co.merchantRef, authorizationRef: null, captureRef: null });

  async function started(rq = request()) {
    const co = await provider.createCheckout(rq, key(rq.paymentId, 'create'));
    return { co, refs: refsOf(rq.paymentId, co), id: rq.paymentId };
  }
  async function control(ref: string, action: 'pay' | 'fail' | 'expire' | 'scan') {
    const res = await fetch(`${sandbox.url}/__sandbox/binance/orders/${ref}/${action}`, { method: 'POST' });
    assert.equal(res.status, 200, `control ${action}: ${await res.clone().text()}`);
  }
  async function sandboxOrder(ref: string) {
    return ((await (await fetch(`${sandbox.url}/__sandbox/binance/orders/${ref}`)).json()) as { order: Record<string, any> }).order;
  }

  before(async () => {
    sandbox = await withSandbox();
    provider = make();
  });
  after(() => sandbox.close());
  beforeEach(async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
  });

  describe('createCheckout', () => {
    it('creates a v3 USDT order named by our payment id, and answers a scan action', async () => {
      const rq = request();
      const co = await provider.createCheckout(rq, key(rq.paymentId, 'create'));
      assert.match(co.ref, /^\d{19}$/);
      assert.equal(co.merchantRef, rq.paymentId.replace(/-/g, ''));
      assert.deepEqual(co.charge, { minor: 100_000_000n, currency: 'USDT' });
      assert.equal(co.rate, '1');
      assert.equal(co.expiresAt.getTime(), rq.expiresAt.getTime());
      assert.equal(co.action.type, 'scan');
      if (co.action.type !== 'scan') return;
      assert.ok(co.action.checkoutUrl.startsWith(`${sandbox.url}/en/checkout/`));
      assert.ok(co.action.qrContent.length > 0);
      assert.match(co.action.deeplink ?? '', /^bnc:\/\//);
      assert.ok(co.action.universalUrl?.startsWith(sandbox.url));
      // The checkout page the payer opens shows the order.
      const page = await fetch(co.action.checkoutUrl);
      assert.equal(page.status, 200);

      const stored = await sandboxOrder(co.ref);
      assert.equal(stored.merchantTradeNo, co.merchantRef);
      assert.equal(stored.orderAmount, '1.00');
      assert.equal(stored.currency, 'USDT');
      assert.equal(stored.description, rq.description);
      assert.equal(stored.passThroughInfo, 'evt_7f3a');
      assert.equal(stored.webhookUrl, rq.notifyUrl);
      assert.equal(stored.returnUrl, rq.returnUrl);
      assert.equal(stored.cancelUrl, rq.cancelUrl);
      assert.equal(stored.terminalType, 'WEB');
      assert.deepEqual(stored.goodsDetails, [{ goodsType: '02', goodsCategory: 'Z000', referenceGoodsId: 'event-booking', goodsName: 'Event booking' }]);
    });

    it('converts the fiat price at the configured rate, exactly, and refuses a bad configuration at start', async () => {
      const p = make({ usdtPerUsd: '0.9995' });
      const rq = request(randomUUID(), { price: { minor: 2_500n, currency: 'USD' } });
      const co = await p.createCheckout(rq, key(rq.paymentId, 'create'));
      assert.deepEqual(co.charge, { minor: 2_498_750_000n, currency: 'USDT' });
      assert.equal(co.rate, '0.9995');
      assert.equal((await sandboxOrder(co.ref)).orderAmount, '24.9875');
      assert.throws(() => make({ usdtPerUsd: '1e0' }), /plain positive decimal/);
      assert.throws(() => make({ usdtPerUsd: '0' }), /greater than zero/);
      assert.throws(() => make({ secretKey: ` ${creds.secretKey}` }), /whitespace/);
      assert.throws(() => make({ apiKey: '' }), /API key/);
    });

    it('keeps the description within Binance limits and the order within its 1-hour life', async () => {
      const rq = request(randomUUID(), { description: `  ${'Réunion "équipe" 🎉 '.repeat(30)}  `, expiresAt: new Date(Date.now() + 24 * 3600_000) });
      const co = await provider.createCheckout(rq, key(rq.paymentId, 'create'));
      const stored = await sandboxOrder(co.ref);
      const description = stored.description as string;
      assert.ok(description.length <= 256 && description.length >= 255, `${description.length} UTF-16 units`);
      assert.ok(rq.description.trim().startsWith(description));
      assert.ok(co.expiresAt.getTime() <= Date.now() + 3600_000);
      assert.ok(co.expiresAt.getTime() > Date.now() + 55 * 60_000);
    });

    it('refuses a price it has no rate for', async () => {
      await assert.rejects(provider.createCheckout(request(randomUUID(), { price: { minor: 100n, currency: 'EUR' } }), { idempotencyKey: 'k' }), fails('invalid_request', /USD/));
    });

    it('a repeat with the same payment id finds the first order (Binance cannot give its link again): conflict naming it', async () => {
      const { co, id } = await started();
      const again = await provider.createCheckout(request(id), key(id, 'create')).then(
        () => assert.fail('a second order was created'),
        (err: unknown) => err,
      );
      assert.ok(isAppError(again, 'conflict'), String(again));
      assert.equal(again.providerCode, '400201');
      assert.deepEqual(again.details, { ref: co.ref, merchantRef: co.merchantRef, status: 'open' });
      assert.match(again.message, new RegExp(`order ${co.ref}`));
      const all = (await (await fetch(`${sandbox.url}/__sandbox/binance/orders`)).json()) as { orders: unknown[] };
      assert.equal(all.orders.length, 1);
    });
  });

  describe('fetch follows the payer', () => {
    it('paid → captured with the USDT amount and our reference', async () => {
      const { co, refs } = await started();
      assert.equal((await provider.fetch(refs, { idempotencyKey: 'f' })).status, 'open');
      await control(co.ref, 'pay');
      const snap = await provider.fetch(refs, { idempotencyKey: 'f' });
      assert.deepEqual(snap, {
        ref: co.ref,
        status: 'captured',
        merchantRef: co.merchantRef,
        amount: { minor: 100_000_000n, currency: 'USDT' },
        authorizationRef: null,
        captureRef: null,
        refundRef: null,
        reason: null,
      });
      assert.deepEqual(await provider.completeApproval(refs, { idempotencyKey: 'c' }), snap);
    });

    it('failed → declined, expired → expired, scanned → pending', async () => {
      const a = await started();
      await control(a.co.ref, 'fail');
      assert.equal((await provider.fetch(a.refs, { idempotencyKey: 'f' })).status, 'declined');
      const b = await started();
      await control(b.co.ref, 'expire');
      assert.equal((await provider.fetch(b.refs, { idempotencyKey: 'f' })).status, 'expired');
      const c = await started();
      await control(c.co.ref, 'scan');
      const pending = await provider.fetch(c.refs, { idempotencyKey: 'f' });
      assert.equal(pending.status, 'pending');
      assert.equal(pending.reason, 'PENDING');
    });

    it('an unknown order is not_found', async () => {
      await assert.rejects(
        provider.fetch({ paymentId: randomUUID(), ref: '1000000000000000001', merchantRef: 'x', authorizationRef: null, captureRef: null }, { idempotencyKey: 'f' }),
        fails('not_found'),
      );
    });

    it('capture is not a Binance operation', async () => {
      const { refs } = await started();
      await assert.rejects(provider.capture(refs, { idempotencyKey: 'c' }), fails('invalid_request', /nothing to capture/));
    });
  });

  describe('release', () => {
    it('closes an open order; a repeat is success', async () => {
      const { refs } = await started();
      assert.equal((await provider.release(refs, key(refs.paymentId, 'release'))).status, 'cancelled');
      assert.equal((await provider.release(refs, key(refs.paymentId, 'release'))).status, 'cancelled');
    });

    it('an expired or failed order is already released', async () => {
      const a = await started();
      await control(a.co.ref, 'expire');
      assert.equal((await provider.release(a.refs, key(a.id, 'release'))).status, 'expired');
      const b = await started();
      await control(b.co.ref, 'fail');
      assert.equal((await provider.release(b.refs, key(b.id, 'release'))).status, 'declined');
    });

    it('a paid order, or one being paid, cannot be closed: conflict', async () => {
      const a = await started();
      await control(a.co.ref, 'pay');
      await assert.rejects(provider.release(a.refs, key(a.id, 'release')), fails('conflict', /PAID|captured/));
      assert.equal((await sandboxOrder(a.co.ref)).status, 'PAID');
      const b = await started();
      await control(b.co.ref, 'scan');
      await assert.rejects(provider.release(b.refs, key(b.id, 'release')), fails('conflict', /PENDING/));
    });
  });

  describe('refund', () => {
    const charge = { minor: 100_000_000n, currency: 'USDT' };
    const refunds = async () => ((await (await fetch(`${sandbox.url}/__sandbox/state`)).json()) as { binance: { refunds: any[] } }).binance.refunds;

    it('returns the charge in full; a repeat with the same key is the same single refund', async () => {
      const { co, refs, id } = await started();
      await control(co.ref, 'pay');
      const snap = await provider.refund(refs, charge, 'Event cancelled by the organiser', key(id, 'refund'));
      assert.equal(snap.status, 'refunded');
      assert.equal(snap.refundRef, `${id}-refund`);
      const again = await provider.refund(refs, charge, 'Event cancelled by the organiser', key(id, 'refund'));
      assert.equal(again.status, 'refunded');
      assert.equal(again.refundRef, `${id}-refund`);
      const list = await refunds();
      assert.equal(list.length, 1);
      assert.equal(list[0].refundAmount, '1.00');
      assert.equal(list[0].refundReason, 'Event cancelled by the organiser');
      // Another key on a fully refunded order: nothing more moves, the answer is the truth.
      assert.equal((await provider.refund(refs, charge, 'again', key(id, 'refund-2'))).status, 'refunded');
      assert.equal((await refunds()).length, 1);
    });

    it('a refund Binance rejects is declined', async () => {
      const { co, refs, id } = await started();
      await control(co.ref, 'pay');
      await addFault(sandbox, { provider: 'binance', operation: 'order.refund', fault: 'decline' });
      await assert.rejects(provider.refund(refs, charge, 'x', key(id, 'refund')), fails('declined', /rejected/));
      assert.equal((await provider.fetch(refs, { idempotencyKey: 'f' })).status, 'captured');
    });

    it('an unpaid order cannot be refunded; a wrong currency is refused before any call', async () => {
      const { refs, id } = await started();
      await assert.rejects(provider.refund(refs, charge, 'x', key(id, 'refund')), fails('conflict'));
      await assert.rejects(provider.refund(refs, { minor: 100n, currency: 'USD' }, 'x', key(id, 'refund')), fails('invalid_request'));
    });
  });

  describe('failures', () => {
    it('429 is rate_limited with Retry-After', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'order.create', fault: 'http_error', status: 429, retryAfterSeconds: 3 });
      const err = await provider.createCheckout(request(), { idempotencyKey: 'k' }).catch((e: unknown) => e);
      assert.ok(fails('rate_limited')(err));
      assert.equal((err as { retryAfterMs?: number }).retryAfterMs, 3000);
      assert.equal((err as { httpStatus?: number }).httpStatus, 429);
    });

    it('5xx, a timeout, a dropped connection and the caller’s deadline are provider_unavailable', async () => {
      const { refs } = await started();
      await addFault(sandbox, { provider: 'binance', operation: 'order.query', fault: 'http_error', status: 503 });
      await assert.rejects(provider.fetch(refs, { idempotencyKey: 'f' }), fails('provider_unavailable', /HTTP 503/));

      const quick = make({ timeoutMs: 300 });
      await addFault(sandbox, { provider: 'binance', operation: 'order.query', fault: 'timeout' });
      await assert.rejects(quick.fetch(refs, { idempotencyKey: 'f' }), fails('provider_unavailable', /in time/));

      await addFault(sandbox, { provider: 'binance', operation: 'order.query', fault: 'reset' });
      await assert.rejects(provider.fetch(refs, { idempotencyKey: 'f' }), fails('provider_unavailable'));

      await addFault(sandbox, { provider: 'binance', operation: 'order.query', fault: 'timeout' });
      await assert.rejects(provider.fetch(refs, { idempotencyKey: 'f', signal: AbortSignal.timeout(200) }), fails('provider_unavailable', /deadline/));
    });

    it('a wrong secret or an unknown API key is unauthorized (a configuration problem)', async () => {
      await assert.rejects(make({ secretKey: 'not-the-secret' }).createCheckout(request(), { idempotencyKey: 'k' }), (err) => {
        fails('unauthorized', /signature/)(err);
        assert.equal((err as { providerCode?: string }).providerCode, '400002');
        assert.ok(!(err as Error).message.includes('not-the-secret'));
        return true;
      });
      await assert.rejects(make({ apiKey: 'unknownkey' }).createCheckout(request(), { idempotencyKey: 'k' }), fails('unauthorized', /API key/));
    });

    it('a request outside Binance’s timestamp window (clock skew) is retryable', async () => {
      const skewed = await withSandbox({ now: () => Date.now() + 10 * 60_000 });
      try {
        const p = make({ baseUrl: skewed.url });
        await assert.rejects(p.createCheckout(request(), { idempotencyKey: 'k' }), (err) => {
          fails('provider_unavailable', /timestamp/)(err);
          assert.equal((err as { providerCode?: string }).providerCode, '400003');
          assert.equal((err as { retryable?: boolean }).retryable, true);
          return true;
        });
      } finally {
        await skewed.close();
      }
    });
  });
});
