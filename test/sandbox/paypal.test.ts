import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PAYPAL_OPERATIONS } from '../../sandbox/paypal/emulator.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { withSandbox } from '../support/sandbox.ts';
import { HookReceiver, PaypalTestClient, basicAuth, requestToken } from './paypal-support.ts';

describe('PayPal emulator', () => {
  let sandbox: Sandbox;
  let pp: PaypalTestClient;
  let receiver: HookReceiver;
  let clock = Date.parse('2025-06-01T12:00:00Z');

  before(async () => {
    receiver = await HookReceiver.start();
    sandbox = await withSandbox({ now: () => clock, settings: { paypalWebhookUrl: receiver.url } });
    pp = new PaypalTestClient(sandbox);
    await pp.auth();
  });
  after(async () => {
    await sandbox.close();
    await receiver.close();
  });
  beforeEach(() => receiver.clear());

  const events = async () => {
    await sandbox.ctx.webhooks.idle();
    return receiver.events();
  };

  describe('OAuth', () => {
    it('hands out the same bearer token until it expires, with a shrinking expires_in', async () => {
      const first = await requestToken(sandbox);
      assert.equal(first.status, 200);
      assert.equal(first.body.token_type, 'Bearer');
      assert.ok(first.headers.get('paypal-debug-id'));
      clock += 60_000;
      const second = await requestToken(sandbox);
      assert.equal(second.body.access_token, first.body.access_token);
      assert.equal(second.body.expires_in, first.body.expires_in - 60);
    });

    it('refuses wrong client credentials with invalid_client, and bad grants', async () => {
      const wrong = await requestToken(sandbox, basicAuth('sandbox-paypal-client', 'nope'));
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, { error: 'invalid_client', error_description: 'Client Authentication failed' });
      assert.equal((await requestToken(sandbox, 'Bearer x')).status, 401);
      const grant = await requestToken(sandbox, basicAuth(), 'grant_type=password');
      assert.equal(grant.status, 400);
      assert.equal(grant.body.error, 'unsupported_grant_type');
    });

    it('answers 401 AUTHENTICATION_FAILURE for missing, unknown and expired tokens', async () => {
      const missing = await pp.call('GET', '/v2/checkout/orders/X', { headers: { authorization: '' } });
      assert.equal(missing.status, 401);
      assert.equal(missing.body.name, 'AUTHENTICATION_FAILURE');
      // What PayPal's servers send, not the specs' enum text ("…due to missing authorization header, or …").
      assert.equal(missing.body.message, 'Authentication failed due to invalid authentication credentials or a missing Authorization header.');
      assert.equal(missing.body.debug_id, missing.headers.get('paypal-debug-id'));
      const unknown = await pp.call('GET', '/v2/checkout/orders/X', { headers: { authorization: 'Bearer A21AAunknown' } });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.message, 'Authentication failed due to invalid authentication credentials or a missing Authorization header.');

      const token = (await requestToken(sandbox)).body;
      clock += token.expires_in * 1000;
      const expired = await pp.call('GET', '/v2/checkout/orders/X');
      assert.equal(expired.status, 401);
      await pp.auth();
      assert.notEqual(pp.token, token.access_token, 'a fresh token after expiry');
      assert.equal((await pp.call('GET', '/v2/checkout/orders/X')).status, 404);
    });

    it('expires tokens on demand through the control API', async () => {
      await fetch(`${sandbox.url}/__sandbox/paypal/tokens/expire`, { method: 'POST' });
      assert.equal((await pp.call('GET', '/v2/checkout/orders/X')).status, 401);
      await pp.auth();
    });
  });

  describe('orders', () => {
    it('creates with experience_context (payer-action) or application_context (approve), links on the sandbox origin', async () => {
      const modern = await pp.createOrder();
      assert.equal(modern.status, 201);
      assert.equal(modern.body.status, 'PAYER_ACTION_REQUIRED');
      assert.equal(modern.body.links.find((l: any) => l.rel === 'payer-action').href, `${sandbox.url}/checkoutnow?token=${modern.body.id}`);
      const legacy = await pp.createOrder({ legacy: true });
      assert.equal(legacy.body.status, 'CREATED');
      assert.deepEqual(legacy.body.links.map((l: any) => l.rel), ['self', 'approve', 'update', 'capture']);
      for (const l of legacy.body.links) assert.ok(l.href.startsWith(sandbox.url));
      const full = await pp.call('GET', `/v2/checkout/orders/${legacy.body.id}`);
      assert.equal(full.body.purchase_units[0].amount.value, '1.00');
      assert.equal(full.body.purchase_units[0].reference_id, 'default');
    });

    it('validates like PayPal: 400 INVALID_REQUEST with field/location, 422 business issues', async () => {
      const missing = await pp.call('POST', '/v2/checkout/orders', { body: {} });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.name, 'INVALID_REQUEST');
      assert.deepEqual(
        missing.body.details.map((d: any) => [d.issue, d.field, d.location]),
        [
          ['MISSING_REQUIRED_PARAMETER', '/intent', 'body'],
          ['MISSING_REQUIRED_PARAMETER', '/purchase_units', 'body'],
        ],
      );
      const tooLong = await pp.createOrder({ customId: 'x'.repeat(128) });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.details[0].issue, 'INVALID_STRING_LENGTH');
      assert.equal(tooLong.body.details[0].field, "/purchase_units/@reference_id=='default'/custom_id");
      assert.equal((await pp.createOrder({ invoiceId: 'i'.repeat(127) })).status, 201);
      const syntax = await pp.createOrder({ value: '1,00' });
      assert.equal(syntax.body.details[0].issue, 'INVALID_PARAMETER_SYNTAX');
      const cases: [string, string][] = [
        ['1.001', 'DECIMAL_PRECISION'],
        ['0.00', 'CANNOT_BE_ZERO_OR_NEGATIVE'],
        ['-1.00', 'CANNOT_BE_ZERO_OR_NEGATIVE'],
        ['1000000000000000.00', 'MAX_VALUE_EXCEEDED'],
      ];
      for (const [value, issue] of cases) {
        const r = await pp.createOrder({ value });
        assert.equal(r.status, 422, value);
        assert.equal(r.body.name, 'UNPROCESSABLE_ENTITY');
        assert.equal(r.body.message, 'The requested action could not be performed, semantically incorrect, or failed business validation.');
        assert.equal(r.body.details[0].issue, issue, value);
        assert.equal(r.body.links[0].rel, 'information_link');
      }
      const currency = await pp.call('POST', '/v2/checkout/orders', { body: { intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'ABC', value: '1.00' } }] } });
      assert.equal(currency.body.details[0].issue, 'INVALID_CURRENCY_CODE');
      const mismatch = await pp.call('POST', '/v2/checkout/orders', {
        body: { intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'USD', value: '2.00', breakdown: { item_total: { currency_code: 'USD', value: '1.00' } } } }] },
      });
      assert.equal(mismatch.body.details[0].issue, 'AMOUNT_MISMATCH');
      const malformed = await pp.call('POST', '/v2/checkout/orders', { raw: '{"intent":"CAPTURE",' });
      assert.equal(malformed.body.details[0].issue, 'MALFORMED_REQUEST_JSON');
    });

    it("refuses out-of-order actions with PayPal's 422 issues", async () => {
      const issue = async (method: string, path: string) => {
        const r = await pp.call(method, path);
        assert.equal(r.status, 422, `${path}: ${r.text}`);
        return r.body.details[0].issue;
      };
      const created = (await pp.createOrder()).body.id;
      assert.equal(await issue('POST', `/v2/checkout/orders/${created}/capture`), 'ORDER_NOT_APPROVED');
      const capture = await pp.approvedOrder('CAPTURE');
      assert.equal(await issue('POST', `/v2/checkout/orders/${capture}/authorize`), 'ACTION_DOES_NOT_MATCH_INTENT');
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${capture}/capture`)).status, 201);
      assert.equal(await issue('POST', `/v2/checkout/orders/${capture}/capture`), 'ORDER_ALREADY_CAPTURED');
      const auth = await pp.approvedOrder('AUTHORIZE');
      assert.equal(await issue('POST', `/v2/checkout/orders/${auth}/capture`), 'ACTION_DOES_NOT_MATCH_INTENT');
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${auth}/authorize`)).status, 201);
      assert.equal(await issue('POST', `/v2/checkout/orders/${auth}/authorize`), 'ORDER_ALREADY_AUTHORIZED');
      const declined = await pp.approvedOrder('CAPTURE', 'declined');
      assert.equal(await issue('POST', `/v2/checkout/orders/${declined}/capture`), 'INSTRUMENT_DECLINED');
    });

    it('refuses a second payment with the same invoice_id (DUPLICATE_INVOICE_ID)', async () => {
      const a = await pp.approvedOrder('CAPTURE', 'ok', { invoiceId: 'inv-dup' });
      const b = await pp.approvedOrder('CAPTURE', 'ok', { invoiceId: 'inv-dup' });
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${a}/capture`)).status, 201);
      const second = await pp.call('POST', `/v2/checkout/orders/${b}/capture`);
      assert.equal(second.status, 422);
      assert.equal(second.body.details[0].issue, 'DUPLICATE_INVOICE_ID');
    });

    it('captures with custom_id/invoice_id, a fee breakdown, and the capture webhook', async () => {
      const id = await pp.approvedOrder('CAPTURE', 'ok', { customId: 'evt_42', invoiceId: 'inv-42' });
      const res = await pp.call('POST', `/v2/checkout/orders/${id}/capture`);
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'COMPLETED');
      const cap = res.body.purchase_units[0].payments.captures[0];
      assert.equal(cap.status, 'COMPLETED');
      assert.equal(cap.custom_id, 'evt_42');
      assert.equal(cap.invoice_id, 'inv-42');
      assert.deepEqual(cap.seller_receivable_breakdown, {
        gross_amount: { currency_code: 'USD', value: '1.00' },
        paypal_fee: { currency_code: 'USD', value: '0.52' },
        net_amount: { currency_code: 'USD', value: '0.48' },
      });
      assert.deepEqual(cap.links.map((l: any) => l.rel), ['self', 'refund', 'up']);
      const hooks = await events();
      assert.deepEqual(hooks.map((e) => e.event_type), ['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED']);
      const completed = hooks[1];
      assert.match(completed.id, /^WH-/);
      assert.equal(completed.event_version, '1.0');
      assert.equal(completed.resource_type, 'capture');
      assert.equal(completed.resource_version, '2.0');
      assert.equal(completed.resource.id, cap.id);
      assert.equal(completed.resource.custom_id, 'evt_42');
      assert.equal(completed.resource.invoice_id, 'inv-42');
      assert.equal(completed.resource.supplementary_data.related_ids.order_id, id);
      assert.deepEqual(completed.links.map((l: any) => l.rel), ['self', 'resend']);
    });
  });

  describe('PayPal-Request-Id and Prefer', () => {
    it('replays create, capture, authorization capture and refund with 200 and the first result', async () => {
      const rid = { 'paypal-request-id': `req-${Math.random()}` };
      const first = await pp.createOrder({ headers: rid });
      const again = await pp.createOrder({ headers: rid });
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const before = sandbox.emulators.paypal.state.orders.size;
      await pp.createOrder();
      await pp.createOrder();
      assert.equal(sandbox.emulators.paypal.state.orders.size, before + 2, 'without the header, each create is a new order');

      await pp.approve(first.body.id);
      const cap1 = await pp.call('POST', `/v2/checkout/orders/${first.body.id}/capture`, { headers: rid });
      const cap2 = await pp.call('POST', `/v2/checkout/orders/${first.body.id}/capture`, { headers: rid });
      assert.equal(cap1.status, 201);
      assert.equal(cap2.status, 200);
      const captureId = cap1.body.purchase_units[0].payments.captures[0].id;
      assert.equal(cap2.body.purchase_units[0].payments.captures[0].id, captureId);
      assert.equal(cap2.body.purchase_units[0].payments.captures.length, 1);

      const refundKey = { 'paypal-request-id': `refund-${Math.random()}` };
      const r1 = await pp.call('POST', `/v2/payments/captures/${captureId}/refund`, { body: { amount: { currency_code: 'USD', value: '0.25' } }, headers: refundKey });
      const r2 = await pp.call('POST', `/v2/payments/captures/${captureId}/refund`, { body: { amount: { currency_code: 'USD', value: '0.25' } }, headers: refundKey });
      assert.deepEqual([r1.status, r2.status], [201, 200]);
      assert.equal(r2.body.id, r1.body.id);
      assert.equal((await pp.call('GET', `/v2/payments/captures/${captureId}`)).body.status, 'PARTIALLY_REFUNDED');

      const order = await pp.approvedOrder('AUTHORIZE');
      const authId = (await pp.call('POST', `/v2/checkout/orders/${order}/authorize`)).body.purchase_units[0].payments.authorizations[0].id;
      const key = { 'paypal-request-id': `cap-${Math.random()}` };
      const c1 = await pp.call('POST', `/v2/payments/authorizations/${authId}/capture`, { body: { final_capture: true }, headers: key });
      const c2 = await pp.call('POST', `/v2/payments/authorizations/${authId}/capture`, { body: { final_capture: true }, headers: key });
      assert.deepEqual([c1.status, c2.status], [201, 200]);
      assert.equal(c2.body.id, c1.body.id);
      assert.deepEqual(Object.keys(c1.body).sort(), ['id', 'links', 'status'], 'minimal by default');
    });

    it('void answers 204, or 200 with Prefer: return=representation; it takes no request id', async () => {
      const voidOf = async (prefer?: string) => {
        const order = await pp.approvedOrder('AUTHORIZE');
        const authId = (await pp.call('POST', `/v2/checkout/orders/${order}/authorize`)).body.purchase_units[0].payments.authorizations[0].id;
        return { authId, res: await pp.call('POST', `/v2/payments/authorizations/${authId}/void`, { headers: { ...(prefer ? { prefer } : {}), 'paypal-request-id': 'ignored' } }) };
      };
      const minimal = await voidOf();
      assert.equal(minimal.res.status, 204);
      assert.equal(minimal.res.text, '');
      const again = await pp.call('POST', `/v2/payments/authorizations/${minimal.authId}/void`, { headers: { 'paypal-request-id': 'ignored' } });
      assert.equal(again.status, 422);
      assert.equal(again.body.details[0].issue, 'PREVIOUSLY_VOIDED');
      const full = await voidOf('return=representation');
      assert.equal(full.res.status, 200);
      assert.equal(full.res.body.status, 'VOIDED');
      const hooks = await events();
      assert.ok(hooks.some((e) => e.event_type === 'PAYMENT.AUTHORIZATION.CREATED' && e.resource.supplementary_data.related_ids.order_id));
      assert.equal(hooks.filter((e) => e.event_type === 'PAYMENT.AUTHORIZATION.VOIDED').length, 2);
    });
  });

  describe('payments', () => {
    it('authorize → capture (partial, then final) → refunds, with the right statuses and 422s', async () => {
      const order = await pp.approvedOrder('AUTHORIZE', 'ok', { customId: 'evt_auth' });
      const authz = (await pp.call('POST', `/v2/checkout/orders/${order}/authorize`)).body.purchase_units[0].payments.authorizations[0];
      assert.equal(authz.status, 'CREATED');
      assert.deepEqual(authz.links.map((l: any) => l.rel), ['self', 'capture', 'void', 'reauthorize', 'up']);
      const part = await pp.call('POST', `/v2/payments/authorizations/${authz.id}/capture`, { body: { amount: { currency_code: 'USD', value: '0.60' } }, headers: { prefer: 'return=representation' } });
      assert.equal(part.status, 201);
      assert.equal(part.body.custom_id, 'evt_auth');
      assert.equal((await pp.call('GET', `/v2/payments/authorizations/${authz.id}`)).body.status, 'PARTIALLY_CAPTURED');
      const over = await pp.call('POST', `/v2/payments/authorizations/${authz.id}/capture`, { body: { amount: { currency_code: 'USD', value: '0.60' } } });
      assert.equal(over.body.details[0].issue, 'MAX_CAPTURE_AMOUNT_EXCEEDED');
      const rest = await pp.call('POST', `/v2/payments/authorizations/${authz.id}/capture`, { body: { final_capture: true }, headers: { prefer: 'return=representation' } });
      assert.equal(rest.body.amount.value, '0.40');
      assert.equal((await pp.call('GET', `/v2/payments/authorizations/${authz.id}`)).body.status, 'CAPTURED');
      const voided = await pp.call('POST', `/v2/payments/authorizations/${authz.id}/void`);
      assert.equal(voided.body.details[0].issue, 'PREVIOUSLY_CAPTURED');

      const capId = part.body.id;
      const exceeded = await pp.call('POST', `/v2/payments/captures/${capId}/refund`, { body: { amount: { currency_code: 'USD', value: '0.61' } } });
      assert.equal(exceeded.body.details[0].issue, 'REFUND_AMOUNT_EXCEEDED');
      const r1 = await pp.call('POST', `/v2/payments/captures/${capId}/refund`, { body: { amount: { currency_code: 'USD', value: '0.10' } }, headers: { prefer: 'return=representation' } });
      assert.equal(r1.body.seller_payable_breakdown.total_refunded_amount.value, '0.10');
      assert.equal(r1.body.links.find((l: any) => l.rel === 'up').href, `${sandbox.url}/v2/payments/captures/${capId}`);
      const r2 = await pp.call('POST', `/v2/payments/captures/${capId}/refund`, { body: {} });
      assert.equal(r2.status, 201);
      assert.equal((await pp.call('GET', `/v2/payments/refunds/${r2.body.id}`)).body.amount.value, '0.50');
      assert.equal((await pp.call('GET', `/v2/payments/captures/${capId}`)).body.status, 'REFUNDED');
      const again = await pp.call('POST', `/v2/payments/captures/${capId}/refund`);
      assert.equal(again.body.details[0].issue, 'CAPTURE_FULLY_REFUNDED');
      const hooks = await events();
      const refunded = hooks.filter((e) => e.event_type === 'PAYMENT.CAPTURE.REFUNDED');
      assert.equal(refunded.length, 2);
      assert.equal(refunded[0].resource_type, 'refund');
    });

    it('a pending funding source: PENDING capture, refunds refused, then completed on review', async () => {
      const id = await pp.approvedOrder('CAPTURE', 'pending');
      const cap = (await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).body.purchase_units[0].payments.captures[0];
      assert.equal(cap.status, 'PENDING');
      assert.equal(cap.status_details.reason, 'ECHECK');
      assert.equal(cap.seller_receivable_breakdown, undefined);
      const refund = await pp.call('POST', `/v2/payments/captures/${cap.id}/refund`);
      assert.equal(refund.body.details[0].issue, 'PENDING_CAPTURE');
      const resolved = await fetch(`${sandbox.url}/__sandbox/paypal/captures/${cap.id}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'complete' }) });
      assert.equal((await resolved.json()).capture.status, 'COMPLETED');
      assert.deepEqual((await events()).map((e) => e.event_type), ['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.PENDING', 'PAYMENT.CAPTURE.COMPLETED']);
    });

    it('a risk-reviewed funding source: PENDING in the answer, then DENIED by webhook', async () => {
      const id = await pp.approvedOrder('CAPTURE', 'denied');
      const cap = (await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).body.purchase_units[0].payments.captures[0];
      assert.equal(cap.status, 'PENDING');
      await new Promise((r) => setImmediate(r));
      const hooks = await events();
      assert.deepEqual(hooks.map((e) => e.event_type), ['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.PENDING', 'PAYMENT.CAPTURE.DENIED']);
      assert.equal(hooks[2].resource.status, 'DECLINED');
      assert.equal((await pp.call('GET', `/v2/payments/captures/${cap.id}`)).body.status, 'DECLINED');
    });
  });

  describe('approval page (HTML forms)', () => {
    const post = (path: string, form: Record<string, string>) =>
      fetch(`${sandbox.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

    it('shows the order with plain forms and no scripts', async () => {
      const id = (await pp.createOrder()).body.id;
      const res = await fetch(`${sandbox.url}/checkoutnow?token=${id}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      const html = await res.text();
      assert.doesNotMatch(html, /<script/i);
      assert.match(html, /action="\/checkoutnow\/approve"/);
      assert.match(html, /action="\/checkoutnow\/cancel"/);
      assert.match(html, /1\.00 USD/);
      assert.equal((await fetch(`${sandbox.url}/checkoutnow?token=NOPE`)).status, 404);
    });

    it('approve redirects to return_url with token and PayerID; the order is APPROVED', async () => {
      const id = (await pp.createOrder()).body.id;
      const res = await post('/checkoutnow/approve', { token: id, funding: 'ok' });
      assert.equal(res.status, 303);
      const back = new URL(res.headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, 'https://app.example/paypal/return');
      assert.equal(back.searchParams.get('token'), id);
      assert.match(back.searchParams.get('PayerID')!, /^[2-9A-HJ-NP-Z]{13}$/);
      const order = await pp.call('GET', `/v2/checkout/orders/${id}`);
      assert.equal(order.body.status, 'APPROVED');
      assert.equal(order.body.payer.payer_id, back.searchParams.get('PayerID'));
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).status, 201);
      const approved = (await events()).find((e) => e.event_type === 'CHECKOUT.ORDER.APPROVED');
      assert.equal(approved.resource.id, id);
      assert.equal(approved.resource_type, 'checkout-order');
    });

    it('cancel redirects to cancel_url with the token and leaves the order unapproved', async () => {
      const id = (await pp.createOrder()).body.id;
      const res = await post('/checkoutnow/cancel', { token: id });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `https://app.example/paypal/cancel?token=${id}`);
      assert.equal((await pp.call('GET', `/v2/checkout/orders/${id}`)).body.status, 'PAYER_ACTION_REQUIRED');
    });

    it('a declining funding source makes capture answer INSTRUMENT_DECLINED; the buyer can come back and pay', async () => {
      const id = (await pp.createOrder()).body.id;
      await post('/checkoutnow/approve', { token: id, funding: 'declined' });
      const declined = await pp.call('POST', `/v2/checkout/orders/${id}/capture`);
      assert.equal(declined.status, 422);
      assert.equal(declined.body.details[0].issue, 'INSTRUMENT_DECLINED');
      assert.equal((await post('/checkoutnow/approve', { token: id, funding: 'ok' })).status, 303);
      assert.equal((await pp.call('POST', `/v2/checkout/orders/${id}/capture`)).status, 201);
      const done = await fetch(`${sandbox.url}/checkoutnow?token=${id}`);
      assert.doesNotMatch(await done.text(), /checkoutnow\/approve/, 'a completed order cannot be approved again');
    });
  });

  describe('control, snapshot and reset', () => {
    it('lists orders, records skipped webhooks when no URL is set, and reset keeps the certificate', async () => {
      const list = await (await fetch(`${sandbox.url}/__sandbox/paypal/orders`)).json();
      assert.ok(list.orders.length > 0);
      sandbox.ctx.settings.paypalWebhookUrl = null;
      try {
        const id = await pp.approvedOrder();
        const snap = sandbox.emulators.paypal.snapshot() as any;
        const ev = snap.webhookEvents.find((e: any) => e.resource_id === id);
        assert.equal(ev.skipped, 'paypalWebhookUrl is not set');
        assert.equal(ev.delivery, null);
      } finally {
        sandbox.ctx.settings.paypalWebhookUrl = receiver.url;
      }
      const certUrl = (sandbox.emulators.paypal.snapshot() as any).webhookCertUrl;
      await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
      const snap = sandbox.emulators.paypal.snapshot() as any;
      assert.deepEqual([snap.orders, snap.authorizations, snap.captures, snap.refunds], [[], [], [], []]);
      assert.equal(snap.webhookCertUrl, certUrl);
      const pem = await fetch(certUrl);
      assert.equal(pem.status, 200);
      assert.match(await pem.text(), /BEGIN CERTIFICATE/);
      await pp.auth();
    });

    it('exports its operation names', () => {
      assert.ok(PAYPAL_OPERATIONS.includes('orders.capture'));
      assert.equal(PAYPAL_OPERATIONS.length, 13);
    });
  });
});
