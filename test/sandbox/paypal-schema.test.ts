import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { specsSkip } from '../support/specs.ts';
import { PaypalSchemas } from './paypal-schemas.ts';
import { HookReceiver, PaypalTestClient, type Res } from './paypal-support.ts';

/**
 * Every JSON answer of the PayPal emulator that these tests receive is checked against the
 * response schema its operation declares in PayPal's official OpenAPI files.
 */
const SERVER_401_MESSAGE = 'Authentication failed due to invalid authentication credentials or a missing Authorization header.';
const SPEC_401_MESSAGE = 'Authentication failed due to missing authorization header, or invalid authentication credentials.';

describe('PayPal emulator responses match the official OpenAPI schemas', { skip: specsSkip() }, () => {
  let sandbox: Sandbox;
  let pp: PaypalTestClient;
  let schemas: PaypalSchemas;
  let receiver: HookReceiver;
  let checked = 0;

  before(async () => {
    schemas = new PaypalSchemas();
    receiver = await HookReceiver.start();
    sandbox = await withSandbox({ settings: { paypalWebhookUrl: receiver.url } });
    pp = new PaypalTestClient(sandbox);
    await pp.auth();
  });
  after(async () => {
    await sandbox.close();
    await receiver.close();
  });

  /** Asserts status and schema; returns the body. */
  function conforms(operationId: string, res: Res, status: number): any {
    assert.equal(res.status, status, `${operationId}: expected ${status}, got ${res.status} ${res.text}`);
    let body: any = res.body;
    if (status === 401) {
      // The specs fix the 401 message with an enum whose wording PayPal's servers do not use; the
      // real text is asserted here, and the rest of the body is checked against the schema.
      assert.equal(body.message, SERVER_401_MESSAGE);
      body = { ...body, message: SPEC_401_MESSAGE };
    }
    const validate = schemas.response(operationId, status);
    assert.ok(validate(body as unknown), `${operationId} ${status} does not match the spec:\n${schemas.errorsText(validate)}\n${JSON.stringify(res.body, null, 1)}`);
    if (status >= 400) assert.equal(body.debug_id, res.headers.get('paypal-debug-id'), 'debug_id equals PayPal-Debug-Id');
    checked++;
    return body;
  }

  it('orders: create (both shapes, minimal and representation, replay), get', async () => {
    const modern = conforms('orders.create', await pp.createOrder(), 201);
    assert.equal(modern.status, 'PAYER_ACTION_REQUIRED');
    const legacy = conforms('orders.create', await pp.createOrder({ legacy: true, headers: { prefer: 'return=representation' } }), 201);
    assert.equal(legacy.status, 'CREATED');
    const rid = { 'paypal-request-id': `schema-${Date.now()}` };
    conforms('orders.create', await pp.createOrder({ headers: rid }), 201);
    conforms('orders.create', await pp.createOrder({ headers: rid }), 200);
    conforms('orders.get', await pp.call('GET', `/v2/checkout/orders/${modern.id}`), 200);
    conforms('orders.get', await pp.call('GET', `/v2/checkout/orders/${legacy.id}`), 200);
  });

  it('orders: capture (minimal, representation), authorize, and their 422s', async () => {
    const unapproved = (await pp.createOrder()).body.id;
    conforms('orders.capture', await pp.call('POST', `/v2/checkout/orders/${unapproved}/capture`), 422);
    const id = await pp.approvedOrder('CAPTURE');
    conforms('orders.authorize', await pp.call('POST', `/v2/checkout/orders/${id}/authorize`), 422); // ACTION_DOES_NOT_MATCH_INTENT
    conforms('orders.capture', await pp.call('POST', `/v2/checkout/orders/${id}/capture`), 201);
    conforms('orders.capture', await pp.call('POST', `/v2/checkout/orders/${id}/capture`), 422); // ORDER_ALREADY_CAPTURED
    conforms('orders.get', await pp.call('GET', `/v2/checkout/orders/${id}`), 200);
    const id2 = await pp.approvedOrder('CAPTURE');
    conforms('orders.capture', await pp.call('POST', `/v2/checkout/orders/${id2}/capture`, { headers: { prefer: 'return=representation' } }), 201);
    const declined = await pp.approvedOrder('CAPTURE', 'declined');
    const body = conforms('orders.capture', await pp.call('POST', `/v2/checkout/orders/${declined}/capture`), 422);
    assert.equal(body.details[0].issue, 'INSTRUMENT_DECLINED');

    const auth = await pp.approvedOrder('AUTHORIZE');
    conforms('orders.authorize', await pp.call('POST', `/v2/checkout/orders/${auth}/authorize`), 201);
    conforms('orders.authorize', await pp.call('POST', `/v2/checkout/orders/${auth}/authorize`), 422); // ORDER_ALREADY_AUTHORIZED
    const auth2 = await pp.approvedOrder('AUTHORIZE');
    conforms('orders.authorize', await pp.call('POST', `/v2/checkout/orders/${auth2}/authorize`, { headers: { prefer: 'return=representation' } }), 201);
  });

  it('issues PayPal answers although the per-operation lists omit them still match the error schema', async () => {
    // Real PayPal answers these, but the spec's per-operation 422 lists do not name them:
    // INSTRUMENT_DECLINED on authorize, ACTION_DOES_NOT_MATCH_INTENT on capture. Checked against
    // the spec's generic 422 schema instead.
    const error422 = schemas.schema('checkout_orders_v2.json', 'error_422');
    const declined = await pp.approvedOrder('AUTHORIZE', 'declined');
    const a = await pp.call('POST', `/v2/checkout/orders/${declined}/authorize`);
    assert.equal(a.status, 422);
    assert.equal(a.body.details[0].issue, 'INSTRUMENT_DECLINED');
    assert.ok(error422(a.body), schemas.errorsText(error422));
    const auth = await pp.approvedOrder('AUTHORIZE');
    const c = await pp.call('POST', `/v2/checkout/orders/${auth}/capture`);
    assert.equal(c.status, 422);
    assert.equal(c.body.details[0].issue, 'ACTION_DOES_NOT_MATCH_INTENT');
    assert.ok(error422(c.body), schemas.errorsText(error422));
  });

  it('payments: authorization get/capture/void, capture get/refund, refund get, and their 422s', async () => {
    const order = await pp.approvedOrder('AUTHORIZE');
    const authorized = (await pp.call('POST', `/v2/checkout/orders/${order}/authorize`)).body;
    const authId = authorized.purchase_units[0].payments.authorizations[0].id;
    conforms('authorizations.get', await pp.call('GET', `/v2/payments/authorizations/${authId}`), 200);
    const capture = conforms(
      'authorizations.capture',
      await pp.call('POST', `/v2/payments/authorizations/${authId}/capture`, { body: { final_capture: true }, headers: { prefer: 'return=representation' } }),
      201,
    );
    conforms('authorizations.capture', await pp.call('POST', `/v2/payments/authorizations/${authId}/capture`, { body: {} }), 422);
    conforms('authorizations.void', await pp.call('POST', `/v2/payments/authorizations/${authId}/void`), 422); // PREVIOUSLY_CAPTURED

    const order2 = await pp.approvedOrder('AUTHORIZE');
    const auth2 = (await pp.call('POST', `/v2/checkout/orders/${order2}/authorize`)).body.purchase_units[0].payments.authorizations[0].id;
    conforms('authorizations.void', await pp.call('POST', `/v2/payments/authorizations/${auth2}/void`, { headers: { prefer: 'return=representation' } }), 200);
    conforms('authorizations.void', await pp.call('POST', `/v2/payments/authorizations/${auth2}/void`), 422); // PREVIOUSLY_VOIDED
    conforms('authorizations.capture', await pp.call('POST', `/v2/payments/authorizations/${auth2}/capture`), 422); // AUTHORIZATION_VOIDED

    const order3 = await pp.approvedOrder('AUTHORIZE');
    const auth3 = (await pp.call('POST', `/v2/checkout/orders/${order3}/authorize`)).body.purchase_units[0].payments.authorizations[0].id;
    conforms('authorizations.capture', await pp.call('POST', `/v2/payments/authorizations/${auth3}/capture`), 201); // minimal

    conforms('captures.get', await pp.call('GET', `/v2/payments/captures/${capture.id}`), 200);
    const refund = conforms(
      'captures.refund',
      await pp.call('POST', `/v2/payments/captures/${capture.id}/refund`, { body: { amount: { currency_code: 'USD', value: '0.40' }, note_to_payer: 'partial' }, headers: { prefer: 'return=representation' } }),
      201,
    );
    conforms('captures.refund', await pp.call('POST', `/v2/payments/captures/${capture.id}/refund`, { body: { amount: { currency_code: 'USD', value: '0.70' } } }), 422); // REFUND_AMOUNT_EXCEEDED
    conforms('captures.refund', await pp.call('POST', `/v2/payments/captures/${capture.id}/refund`, { body: {} }), 201); // the rest, minimal
    conforms('captures.refund', await pp.call('POST', `/v2/payments/captures/${capture.id}/refund`), 422); // CAPTURE_FULLY_REFUNDED
    conforms('captures.get', await pp.call('GET', `/v2/payments/captures/${capture.id}`), 200);
    conforms('refunds.get', await pp.call('GET', `/v2/payments/refunds/${refund.id}`), 200);
    conforms('orders.get', await pp.call('GET', `/v2/checkout/orders/${order}`), 200);
  });

  it('verify-webhook-signature answers per the notifications spec', async () => {
    const id = await pp.approvedOrder('CAPTURE');
    await sandbox.ctx.webhooks.idle();
    const hook = receiver.received.find((h) => JSON.parse(h.body.toString()).resource?.id === id);
    assert.ok(hook, 'CHECKOUT.ORDER.APPROVED delivered');
    const res = await pp.call('POST', '/v1/notifications/verify-webhook-signature', {
      body: {
        auth_algo: hook.headers['paypal-auth-algo'],
        cert_url: hook.headers['paypal-cert-url'],
        transmission_id: hook.headers['paypal-transmission-id'],
        transmission_sig: hook.headers['paypal-transmission-sig'],
        transmission_time: hook.headers['paypal-transmission-time'],
        webhook_id: SANDBOX_CREDENTIALS.paypal.webhookId,
        webhook_event: JSON.parse(hook.body.toString()),
      },
    });
    assert.equal(conforms('verify-webhook-signature.post', res, 200).verification_status, 'SUCCESS');
    const missing = await pp.call('POST', '/v1/notifications/verify-webhook-signature', { body: { auth_algo: 'SHA256withRSA' } });
    conforms('verify-webhook-signature.post', missing, 400);
  });

  it('errors: 400, 401, 404, 422 on create, injected 5xx, 429 and provider reasons', async () => {
    conforms('orders.create', await pp.call('POST', '/v2/checkout/orders', { body: { purchase_units: [] } }), 400);
    conforms('orders.create', await pp.call('POST', '/v2/checkout/orders', { raw: '{"intent":' }), 400);
    const long = 'x'.repeat(128);
    conforms('orders.create', await pp.call('POST', '/v2/checkout/orders', { body: { intent: 'CAPTURE', purchase_units: [{ custom_id: long, amount: { currency_code: 'USD', value: 'one' } }] } }), 400);
    conforms('orders.create', await pp.createOrder({ value: '1.001' }), 422);
    conforms('orders.create', await pp.call('POST', '/v2/checkout/orders', { body: { intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'XYZ', value: '1.00' } }] } }), 422);
    conforms('orders.get', await pp.call('GET', '/v2/checkout/orders/NOPE', { headers: { authorization: 'Bearer nope' } }), 401);
    conforms('orders.get', await pp.call('GET', '/v2/checkout/orders/0000000000000000X'), 404);
    conforms('authorizations.get', await pp.call('GET', '/v2/payments/authorizations/0000000000000000X'), 404);
    conforms('captures.get', await pp.call('GET', '/v2/payments/captures/0000000000000000X'), 404);
    conforms('refunds.get', await pp.call('GET', '/v2/payments/refunds/0000000000000000X'), 404);
    conforms('captures.get', await pp.call('GET', '/v2/payments/captures/X', { headers: { authorization: '' } }), 401);

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 500 });
    conforms('orders.create', await pp.createOrder(), 500);
    await addFault(sandbox, { provider: 'paypal', operation: 'captures.get', fault: 'http_error', status: 503 });
    conforms('captures.get', await pp.call('GET', '/v2/payments/captures/X'), 503);
    await addFault(sandbox, { provider: 'paypal', operation: 'captures.refund', fault: 'http_error', status: 422, reason: 'REFUND_TIME_LIMIT_EXCEEDED' });
    conforms('captures.refund', await pp.call('POST', '/v2/payments/captures/X/refund'), 422);

    // 429 is in no per-operation list; it must still be PayPal's error shape.
    await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'http_error', status: 429, retryAfterSeconds: 3 });
    const limited = await pp.call('GET', '/v2/checkout/orders/X');
    assert.equal(limited.status, 429);
    assert.equal(limited.body.name, 'RATE_LIMIT_REACHED');
    const generic = schemas.schema('notifications_webhooks_v1.json', 'error');
    assert.ok(generic(limited.body), schemas.errorsText(generic));
  });

  after(() => {
    assert.ok(checked > 40, `only ${checked} responses were schema-checked`);
  });
});
