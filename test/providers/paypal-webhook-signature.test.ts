import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError } from '../../src/errors.ts';
import { PaypalCertificateCache, verifyPaypalWebhook } from '../../src/providers/paypal/webhook-signature.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { HookReceiver, PaypalTestClient } from '../sandbox/paypal-support.ts';

// The verifier against the emulator's deliveries. The offline checks (PayPal's own signed
// vectors, every refusal, the certificate cache) are in paypal-webhook-signature-offline.test.ts.

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
