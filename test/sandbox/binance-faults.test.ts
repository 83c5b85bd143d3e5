import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError } from '../../src/errors.ts';
import { signRequest, verifyNotification } from '../../src/providers/binance/signature.ts';
import { binanceOrderBody, binanceReceiver, type Received } from '../support/binance.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

const creds = SANDBOX_CREDENTIALS.binance;
const ORDER = '/binancepay/openapi/v3/order';
const QUERY = '/binancepay/openapi/v2/order/query';
const CLOSE = '/binancepay/openapi/order/close';
const REFUND = '/binancepay/openapi/order/refund';
const REFUND_QUERY = '/binancepay/openapi/order/refund/query';

describe('Binance fault switches on the wire', () => {
  let sandbox: Sandbox;
  let hook: Awaited<ReturnType<typeof binanceReceiver>>;
  let received: Received[] = [];

  /** Signed with the product's signer; `signal` lets the client give up. */
  function send(path: string, payload: unknown, signal?: AbortSignal) {
    const body = JSON.stringify(payload);
    const signed = signRequest({ ...creds, body, timestamp: sandbox.ctx.now() });
    return fetch(`${sandbox.url}${path}`, { method: 'POST', headers: signed.headers, body, ...(signal ? { signal } : {}) });
  }
  const call = async (path: string, payload: unknown) => (await (await send(path, payload)).json()) as { status: string; code: string; data: any };
  const create = async (tradeNo: string) => (await call(ORDER, binanceOrderBody(tradeNo))).data as { prepayId: string; checkoutUrl: string };
  const payByControl = (prepayId: string) => fetch(`${sandbox.url}/__sandbox/binance/orders/${prepayId}/pay`, { method: 'POST' });
  const statuses = () => received.map((r) => JSON.parse(r.body).bizStatus as string);

  before(async () => {
    // reorderWaitMs: a held webhook nobody overtakes goes out after this; idle() waits for that timer.
    sandbox = await withSandbox({ webhooks: { retryDelayMs: () => 5, reorderWaitMs: 1000 } });
    hook = await binanceReceiver();
    received = hook.received;
  });
  after(async () => {
    await sandbox.close();
    hook.server.close();
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    sandbox.ctx.settings.binanceWebhookUrl = hook.url;
    received.length = 0;
  });

  describe('API responses', () => {
    it('latency: the answer comes late but unchanged', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'order.create', fault: 'latency', ms: 150 });
      const started = performance.now();
      const res = await call(ORDER, binanceOrderBody('lat1'));
      // A lower bound only (the fault sleeps at least this long), so it cannot flake.
      assert.ok(performance.now() - started >= 100, 'held by the fault');
      assert.equal(res.status, 'SUCCESS');
      assert.deepEqual(sandbox.ctx.faults.fired.map((f) => [f.operation, f.fault]), [['order.create', 'latency']]);
    });

    it('429 with Retry-After in a (synthetic) FAIL envelope, and nothing done', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'order.create', fault: 'http_error', status: 429, retryAfterSeconds: 7 });
      const res = await send(ORDER, binanceOrderBody('rl1'));
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      const body = (await res.json()) as { status: string; code: string; errorMessage: string };
      assert.equal(body.status, 'FAIL');
      assert.equal(body.code, '400000');
      assert.match(body.errorMessage, /\S/);
      assert.equal(sandbox.emulators.binance.snapshot().orders.length, 0);
      assert.equal((await call(ORDER, binanceOrderBody('rl1'))).status, 'SUCCESS', 'the retry with the same merchantTradeNo goes through');
    });

    it('5xx on a query', async () => {
      const o = await create('err1');
      await addFault(sandbox, { provider: 'binance', operation: 'order.query', fault: 'http_error', status: 503 });
      const res = await send(QUERY, { prepayId: o.prepayId });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { status: string }).status, 'FAIL');
      assert.equal((await call(QUERY, { prepayId: o.prepayId })).data.status, 'INITIAL');
    });

    it('timeout: no answer, the client gives up', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'order.close', fault: 'timeout' });
      const o = await create('to1');
      await assert.rejects(send(CLOSE, { prepayId: o.prepayId }, AbortSignal.timeout(200)), (err: Error) => err.name === 'TimeoutError');
      // The held request never ran: the order is still open and can be closed now.
      assert.equal((await call(CLOSE, { prepayId: o.prepayId })).data, true);
    });

    it('reset: the connection is cut', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'certificates', fault: 'reset' });
      await assert.rejects(send('/binancepay/openapi/certificates', {}), (err: Error) => err instanceof TypeError && /fetch failed/.test(err.message));
      assert.equal((await call('/binancepay/openapi/certificates', {})).status, 'SUCCESS');
    });

    it('decline on the checkout page: the payment fails, the order ends in ERROR, no notification', async () => {
      const o = await create('dec1');
      await addFault(sandbox, { provider: 'binance', operation: 'checkout.pay', fault: 'decline' });
      const res = await fetch(`${o.checkoutUrl}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'confirm=1',
        redirect: 'manual',
      });
      assert.equal(res.status, 303);
      const q = (await call(QUERY, { prepayId: o.prepayId })).data;
      assert.equal(q.status, 'ERROR');
      assert.equal(q.transactionId, null);
      // Through the control API too (e2e tests drive the payer this way).
      const p = await create('dec2');
      await addFault(sandbox, { provider: 'binance', operation: 'checkout.pay', fault: 'decline' });
      const ctl = (await (await payByControl(p.prepayId)).json()) as { order: { status: string; failureReason: string } };
      assert.equal(ctl.order.status, 'ERROR');
      assert.match(ctl.order.failureReason, /decline/);
      await sandbox.ctx.webhooks.idle();
      assert.equal(received.length, 0);
    });

    it('decline on a refund: accepted, then rejected (REFUND_FAIL, REFUND_REJECTED), order unchanged', async () => {
      const o = await create('decr1');
      await payByControl(o.prepayId);
      await addFault(sandbox, { provider: 'binance', operation: 'order.refund', fault: 'decline' });
      const r = await call(REFUND, { refundRequestId: 'x1', prepayId: o.prepayId, refundAmount: '1.00' });
      assert.equal(r.status, 'SUCCESS');
      assert.equal((await call(REFUND_QUERY, { refundRequestId: 'x1' })).data.refundStatus, 'REFUND_FAIL');
      assert.equal((await call(QUERY, { prepayId: o.prepayId })).data.status, 'PAID');
      await sandbox.ctx.webhooks.idle();
      assert.deepEqual(statuses(), ['PAY_SUCCESS', 'REFUND_REJECTED']);
    });
  });

  describe('notifications', () => {
    const pem = () => sandbox.emulators.binance.keys.certificate.certPublic;
    const verifies = (r: Received) => {
      try {
        verifyNotification({ rawBody: r.body, headers: r.headers as Record<string, string>, publicKeyPem: pem() });
        return true;
      } catch (err) {
        assert.ok(isAppError(err, 'signature_invalid'));
        return false;
      }
    };

    it('duplicate: the same notification arrives twice, each validly signed', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_duplicate' });
      await payByControl((await create('dup1')).prepayId);
      await sandbox.ctx.webhooks.idle();
      assert.equal(received.length, 2);
      assert.equal(received[0]!.body, received[1]!.body);
      assert.ok(received.every(verifies));
    });

    it('delay: nothing is sent at once, then it arrives', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_delay', ms: 400 });
      await payByControl((await create('del1')).prepayId);
      assert.equal(sandbox.ctx.webhooks.deliveries[0]!.attempts.length, 0);
      await sandbox.ctx.webhooks.idle();
      assert.deepEqual(statuses(), ['PAY_SUCCESS']);
    });

    it('reorder: a later notification overtakes the held one', async () => {
      const a = await create('ord1');
      const b = await create('ord2');
      await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_reorder' });
      await payByControl(a.prepayId);
      assert.equal((await call(CLOSE, { prepayId: b.prepayId })).data, true);
      await sandbox.ctx.webhooks.idle();
      assert.deepEqual(received.map((r) => [JSON.parse(r.body).bizIdStr, JSON.parse(r.body).bizStatus]), [
        [b.prepayId, 'PAY_CLOSED'],
        [a.prepayId, 'PAY_SUCCESS'],
      ]);
    });

    it('drop: the notification never comes; the order is still PAID when queried', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_drop' });
      const o = await create('drop1');
      await payByControl(o.prepayId);
      await sandbox.ctx.webhooks.idle();
      assert.equal(received.length, 0);
      assert.equal(sandbox.ctx.webhooks.deliveries[0]!.state, 'dropped');
      assert.equal((await call(QUERY, { prepayId: o.prepayId })).data.status, 'PAID');
    });

    it('forge: signed with another key under Binance\'s serial, so it does not verify', async () => {
      await addFault(sandbox, { provider: 'binance', operation: 'PAY_SUCCESS', fault: 'webhook_forge' });
      await payByControl((await create('forge1')).prepayId);
      await payByControl((await create('forge2')).prepayId);
      await sandbox.ctx.webhooks.idle();
      assert.equal(received.length, 2);
      const [forged, genuine] = received;
      assert.equal(forged!.headers['binancepay-certificate-sn'], genuine!.headers['binancepay-certificate-sn']);
      assert.equal(verifies(forged!), false);
      assert.equal(verifies(genuine!), true);
    });
  });
});
