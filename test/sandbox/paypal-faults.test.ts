import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { HookReceiver, PaypalTestClient } from './paypal-support.ts';

/** Each fault switch, seen on the wire on a PayPal route or webhook. */
describe('PayPal emulator under faults', () => {
  let sandbox: Sandbox;
  let pp: PaypalTestClient;
  let receiver: HookReceiver;

  before(async () => {
    receiver = await HookReceiver.start();
    sandbox = await withSandbox({ settings: { paypalWebhookUrl: receiver.url }, webhooks: { retryDelayMs: () => 5, reorderWaitMs: 5_000 } });
    pp = new PaypalTestClient(sandbox);
    await pp.auth();
  });
  after(async () => {
    await sandbox.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.clear();
    receiver.respond = () => 200;
    sandbox.ctx.faults.clear();
  });

  const fired = (fault: string) => sandbox.ctx.faults.fired.filter((f) => f.provider === 'paypal' && f.fault === fault).length;
  const deliveries = async () => {
    await sandbox.ctx.webhooks.idle();
    return sandbox.ctx.webhooks.deliveries.filter((d) => d.provider === 'paypal');
  };

  describe('responses', () => {
    it('latency: the call still succeeds, after the fault fired', async () => {
      const before = fired('latency');
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'latency', ms: 30 });
      assert.equal((await pp.createOrder()).status, 201);
      assert.equal(fired('latency'), before + 1);
    });

    it('429 with Retry-After in PayPal error shape, once', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 429, retryAfterSeconds: 7 });
      const limited = await pp.createOrder();
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '7');
      assert.equal(limited.body.name, 'RATE_LIMIT_REACHED');
      assert.equal(limited.body.debug_id, limited.headers.get('paypal-debug-id'));
      assert.equal((await pp.createOrder()).status, 201, 'count 1: the retry passes');
    });

    it('500 and 503', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'http_error', status: 500 });
      await addFault(sandbox, { provider: 'paypal', operation: 'captures.get', fault: 'http_error', status: 503 });
      const a = await pp.call('GET', '/v2/checkout/orders/X');
      assert.deepEqual([a.status, a.body.name, a.body.message], [500, 'INTERNAL_SERVER_ERROR', 'An internal server error occurred.']);
      const b = await pp.call('GET', '/v2/payments/captures/X');
      assert.deepEqual([b.status, b.body.name, b.body.message], [503, 'SERVICE_UNAVAILABLE', 'Service Unavailable.']);
    });

    it('oauth.token faults keep the OAuth shape for 401', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'oauth.token', fault: 'http_error', status: 401 });
      const res = await fetch(`${sandbox.url}/v1/oauth2/token`, { method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, 'invalid_client');
    });

    it('timeout: no answer; the client gives up', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'timeout' });
      await assert.rejects(
        fetch(`${sandbox.url}/v2/checkout/orders/X`, { headers: { authorization: `Bearer ${pp.token}` }, signal: AbortSignal.timeout(300) }),
        (err: Error) => err.name === 'TimeoutError' || err.name === 'AbortError',
      );
      assert.equal((await pp.call('GET', '/v2/checkout/orders/X')).status, 404, 'next call answered');
    });

    it('reset: the connection is dropped', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.capture', fault: 'reset' });
      await assert.rejects(pp.call('POST', '/v2/checkout/orders/X/capture'), (err: Error) => err instanceof TypeError);
    });

    it('decline: capture answers INSTRUMENT_DECLINED once, though the buyer paid', async () => {
      const id = await pp.approvedOrder('CAPTURE', 'ok');
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.capture', fault: 'decline' });
      const declined = await pp.call('POST', `/v2/checkout/orders/${id}/capture`);
      assert.equal(declined.status, 422);
      assert.equal(declined.body.details[0].issue, 'INSTRUMENT_DECLINED');
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).status, 201);
    });

    it('decline on the approval page: the buyer approves a funding source that then declines', async () => {
      const id = (await pp.createOrder()).body.id;
      await addFault(sandbox, { provider: 'paypal', operation: 'checkout.approve', fault: 'decline' });
      const res = await fetch(`${sandbox.url}/checkoutnow/approve`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${id}&funding=ok`,
      });
      assert.equal(res.status, 303);
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).body.details[0].issue, 'INSTRUMENT_DECLINED');
    });
  });

  describe('webhooks', () => {
    const captureFlow = async () => {
      const id = await pp.approvedOrder('CAPTURE');
      await pp.call('POST', `/v2/checkout/orders/${id}/capture`);
      return id;
    };

    it('duplicate: the same event (same id) arrives twice', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'PAYMENT.CAPTURE.COMPLETED', fault: 'webhook_duplicate' });
      await captureFlow();
      await deliveries();
      const completed = receiver.events().filter((e) => e.event_type === 'PAYMENT.CAPTURE.COMPLETED');
      assert.equal(completed.length, 2);
      assert.equal(completed[0].id, completed[1].id);
    });

    it('delay: the event arrives, late', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'CHECKOUT.ORDER.APPROVED', fault: 'webhook_delay', ms: 50 });
      const before = fired('webhook_delay');
      const id = (await pp.createOrder()).body.id;
      await pp.approve(id);
      await deliveries();
      assert.equal(fired('webhook_delay'), before + 1);
      assert.equal(receiver.events()[0].resource.id, id);
    });

    it('reorder: a held event is overtaken by the next one', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'CHECKOUT.ORDER.APPROVED', fault: 'webhook_reorder' });
      await captureFlow();
      await deliveries();
      assert.deepEqual(receiver.events().map((e) => e.event_type), ['PAYMENT.CAPTURE.COMPLETED', 'CHECKOUT.ORDER.APPROVED']);
    });

    it('drop: the event is never sent', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'PAYMENT.CAPTURE.COMPLETED', fault: 'webhook_drop' });
      await captureFlow();
      const all = await deliveries();
      assert.deepEqual(receiver.events().map((e) => e.event_type), ['CHECKOUT.ORDER.APPROVED']);
      assert.equal(all.at(-1)!.state, 'dropped');
    });

    it('forge: the signature does not verify with PayPal postback either', async () => {
      await addFault(sandbox, { provider: 'paypal', operation: 'CHECKOUT.ORDER.APPROVED', fault: 'webhook_forge' });
      const id = (await pp.createOrder()).body.id;
      await pp.approve(id);
      await deliveries();
      const postback = async (h: (typeof receiver.received)[number]) =>
        (
          await pp.call('POST', '/v1/notifications/verify-webhook-signature', {
            body: {
              auth_algo: h.headers['paypal-auth-algo'],
              cert_url: h.headers['paypal-cert-url'],
              transmission_id: h.headers['paypal-transmission-id'],
              transmission_sig: h.headers['paypal-transmission-sig'],
              transmission_time: h.headers['paypal-transmission-time'],
              webhook_id: SANDBOX_CREDENTIALS.paypal.webhookId,
              webhook_event: JSON.parse(h.body.toString()),
            },
          })
        ).body.verification_status;
      assert.equal(await postback(receiver.received[0]!), 'FAILURE');
      receiver.clear();
      await pp.approve(id); // approving again sends a genuine event
      await deliveries();
      assert.equal(await postback(receiver.received[0]!), 'SUCCESS');
    });

    it('retries until the listener answers 2xx, each attempt freshly signed', async () => {
      receiver.respond = (n) => (n <= 2 ? 500 : 204);
      const id = (await pp.createOrder()).body.id;
      await pp.approve(id);
      const [d] = (await deliveries()).slice(-1);
      assert.equal(d!.state, 'delivered');
      assert.deepEqual(d!.attempts.map((a) => a.status), [500, 500, 204]);
      const ids = new Set(receiver.events().map((e) => e.id));
      assert.equal(ids.size, 1, 'the same event each time');
      const transmissions = new Set(receiver.received.map((h) => h.headers['paypal-transmission-id']));
      assert.equal(transmissions.size, 3);
    });
  });
});
