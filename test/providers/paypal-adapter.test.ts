import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError, type AppError } from '../../src/errors.ts';
import type { Call, CheckoutRequest, PaymentRefs, Snapshot } from '../../src/ports/payments.ts';
import { PaypalProvider, createPaypalProvider } from '../../src/providers/paypal/adapter.ts';
import { PaypalClient } from '../../src/providers/paypal/client.ts';
import { paypalError } from '../../src/providers/paypal/errors.ts';
import { PaypalCertificateCache } from '../../src/providers/paypal/webhook-signature.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';

/** The PayPal adapter against the PayPal emulator, over real HTTP. */

const creds = SANDBOX_CREDENTIALS.paypal;

function provider(sandbox: Sandbox, intent: 'AUTHORIZE' | 'CAPTURE', opts: { timeoutMs?: number; clientSecret?: string } = {}): PaypalProvider {
  return createPaypalProvider({
    baseUrl: sandbox.url,
    clientId: creds.clientId,
    clientSecret: opts.clientSecret ?? creds.clientSecret,
    webhookId: creds.webhookId,
    intent,
    brandName: 'LeadsCalendar',
    trustedCertOrigins: [sandbox.url],
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

function checkoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    paymentId: randomUUID(),
    eventId: randomUUID(),
    description: 'Event booking: Team sync, 2 June 10:00',
    price: { minor: 2500n, currency: 'USD' },
    expiresAt: new Date(Date.now() + 3600_000),
    returnUrl: 'https://app.example/paypal/return',
    cancelUrl: 'https://app.example/paypal/cancel',
    notifyUrl: 'https://app.example/webhooks/paypal',
    ...overrides,
  };
}

const key = (paymentId: string, op: string): Call => ({ idempotencyKey: `${paymentId}-${op}` });

async function control(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const state = async (sandbox: Sandbox): Promise<any> => (await control(sandbox, 'GET', '/__sandbox/state')).paypal;
const approve = (sandbox: Sandbox, orderId: string, funding: 'ok' | 'declined' | 'pending' | 'denied' = 'ok') =>
  control(sandbox, 'POST', `/__sandbox/paypal/orders/${orderId}/approve`, { funding });

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** A checkout the payer approved (funding as asked), and the refs the app would hold. */
async function approvedPayment(sandbox: Sandbox, p: PaypalProvider, funding: 'ok' | 'declined' | 'pending' | 'denied' = 'ok') {
  const req = checkoutRequest();
  const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
  await approve(sandbox, checkout.ref, funding);
  const refs: PaymentRefs = { paymentId: req.paymentId, ref: checkout.ref, merchantRef: checkout.merchantRef, authorizationRef: null, captureRef: null };
  return { req, checkout, refs };
}

const withSnap = (refs: PaymentRefs, s: Snapshot): PaymentRefs => ({ ...refs, authorizationRef: s.authorizationRef, captureRef: s.captureRef });

describe('PayPal adapter against the emulator', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await withSandbox();
  });
  after(async () => {
    await sandbox.close();
  });

  it('creates an order: redirect to PayPal, our id as custom_id and invoice_id, the price as charge', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const req = checkoutRequest({ description: `  ${'x'.repeat(200)}  ` });
    const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
    assert.equal(checkout.merchantRef, req.paymentId);
    assert.deepEqual(checkout.charge, req.price);
    assert.equal(checkout.rate, null);
    assert.equal(checkout.expiresAt, req.expiresAt);
    assert.equal(checkout.action.type, 'redirect');
    assert.ok(checkout.action.type === 'redirect' && checkout.action.url.includes(checkout.ref));
    const order = (await state(sandbox)).orders.find((o: any) => o.id === checkout.ref);
    assert.equal(order.intent, 'CAPTURE');
    assert.equal(order.purchase_units[0].custom_id, req.paymentId);
    assert.equal(order.purchase_units[0].invoice_id, req.paymentId);
    assert.equal(order.purchase_units[0].description, 'x'.repeat(127));
    assert.deepEqual(order.purchase_units[0].amount, { currency_code: 'USD', value: '25.00' });

    const snap = await p.fetch({ paymentId: req.paymentId, ref: checkout.ref, merchantRef: req.paymentId, authorizationRef: null, captureRef: null }, key(req.paymentId, 'fetch'));
    assert.equal(snap.status, 'open');
    assert.equal(snap.merchantRef, req.paymentId);
    assert.deepEqual(snap.amount, { minor: 2500n, currency: 'USD' });
  });

  it('a repeated create with the same key returns the same order (PayPal-Request-Id)', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const req = checkoutRequest();
    const a = await p.createCheckout(req, key(req.paymentId, 'create'));
    const b = await p.createCheckout(req, key(req.paymentId, 'create'));
    assert.equal(a.ref, b.ref);
    const orders = (await state(sandbox)).orders.filter((o: any) => o.purchase_units[0].custom_id === req.paymentId);
    assert.equal(orders.length, 1);
  });

  it('AUTHORIZE: approval is not yet given → open; approved → authorized; capture → captured; refund → refunded; replays move no money twice', async () => {
    const p = provider(sandbox, 'AUTHORIZE');
    assert.equal(p.holdsFunds, true);
    const req = checkoutRequest();
    const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
    let refs: PaymentRefs = { paymentId: req.paymentId, ref: checkout.ref, merchantRef: checkout.merchantRef, authorizationRef: null, captureRef: null };

    assert.equal((await p.completeApproval(refs, key(req.paymentId, 'complete'))).status, 'open');
    await approve(sandbox, checkout.ref);
    assert.equal((await p.fetch(refs, key(req.paymentId, 'fetch'))).status, 'approved');

    const authorized = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    assert.equal(authorized.status, 'authorized');
    assert.ok(authorized.authorizationRef);
    assert.equal(authorized.captureRef, null);
    assert.deepEqual(authorized.amount, req.price);
    const again = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    assert.equal(again.authorizationRef, authorized.authorizationRef);
    refs = withSnap(refs, authorized);

    const captured = await p.capture(refs, key(req.paymentId, 'capture'));
    assert.equal(captured.status, 'captured');
    assert.ok(captured.captureRef);
    const capturedAgain = await p.capture(refs, key(req.paymentId, 'capture'));
    assert.equal(capturedAgain.captureRef, captured.captureRef);
    refs = withSnap(refs, captured);

    const refunded = await p.refund(refs, req.price, '  Event cancelled by the organiser  ', key(req.paymentId, 'refund'));
    assert.equal(refunded.status, 'refunded');
    assert.ok(refunded.refundRef);
    const refundedAgain = await p.refund(refs, req.price, 'Event cancelled by the organiser', key(req.paymentId, 'refund'));
    assert.equal(refundedAgain.refundRef, refunded.refundRef);
    // A different key after a full refund: CAPTURE_FULLY_REFUNDED is success, not a second refund.
    const third = await p.refund(refs, req.price, 'again', key(req.paymentId, 'refund-2'));
    assert.equal(third.status, 'refunded');

    const s = await state(sandbox);
    assert.equal(s.authorizations.filter((a: any) => a.supplementary_data.related_ids.order_id === checkout.ref).length, 1);
    assert.equal(s.captures.filter((c: any) => c.supplementary_data.related_ids.order_id === checkout.ref).length, 1);
    const refunds = s.refunds.filter((r: any) => r.links.some((l: any) => l.rel === 'up' && l.href.endsWith(captured.captureRef!)));
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].note_to_payer, 'Event cancelled by the organiser');
    assert.equal(refunds[0].custom_id, req.paymentId);
  });

  it('CAPTURE: approved → captured at completeApproval; capture() is not for this intent', async () => {
    const p = provider(sandbox, 'CAPTURE');
    assert.equal(p.holdsFunds, false);
    const { refs, req } = await approvedPayment(sandbox, p);
    const snap = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    assert.equal(snap.status, 'captured');
    assert.ok(snap.captureRef);
    assert.equal(snap.merchantRef, req.paymentId);
    const again = await p.completeApproval(refs, key(req.paymentId, 'complete-2'));
    assert.equal(again.captureRef, snap.captureRef);
    assert.equal((await rejection(p.capture(withSnap(refs, snap), key(req.paymentId, 'capture')))).kind, 'invalid_request');
    assert.equal((await rejection(p.release(withSnap(refs, snap), key(req.paymentId, 'release')))).kind, 'conflict');
  });

  it('an order is completed with its own intent, even after PAYPAL_INTENT changed', async () => {
    const before = provider(sandbox, 'AUTHORIZE');
    const req = checkoutRequest();
    const checkout = await before.createCheckout(req, key(req.paymentId, 'create'));
    const refs: PaymentRefs = { paymentId: req.paymentId, ref: checkout.ref, merchantRef: checkout.merchantRef, authorizationRef: null, captureRef: null };
    await approve(sandbox, checkout.ref);
    const after = provider(sandbox, 'CAPTURE');
    const snap = await after.completeApproval(refs, key(req.paymentId, 'complete'));
    assert.equal(snap.status, 'authorized', 'held as the order asked, not captured as today’s setting says');
    const captured = await after.capture(withSnap(refs, snap), key(req.paymentId, 'capture'));
    assert.equal(captured.status, 'captured');
  });

  it('a declined instrument → declined, with PayPal\'s issue and debug id', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { refs, req } = await approvedPayment(sandbox, p, 'declined');
    const err = await rejection(p.completeApproval(refs, key(req.paymentId, 'complete')));
    assert.equal(err.kind, 'declined');
    assert.equal(err.provider, 'paypal');
    assert.equal(err.httpStatus, 422);
    assert.equal(err.providerCode, 'INSTRUMENT_DECLINED');
    assert.ok(err.debugId);
    assert.match(err.message, /PayPal/);
  });

  it('a pending capture → pending with its reason; resolved → captured', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { refs, req } = await approvedPayment(sandbox, p, 'pending');
    const pending = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    assert.equal(pending.status, 'pending');
    assert.equal(pending.reason, 'ECHECK');
    assert.equal((await rejection(p.release(withSnap(refs, pending), key(req.paymentId, 'release')))).kind, 'conflict');
    await control(sandbox, 'POST', `/__sandbox/paypal/captures/${pending.captureRef}/resolve`, { outcome: 'complete' });
    const done = await p.fetch(refs, key(req.paymentId, 'fetch'));
    assert.equal(done.status, 'captured');
    assert.equal(done.reason, null);
  });

  it('a capture denied after review → declined', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { refs, req } = await approvedPayment(sandbox, p, 'pending');
    const pending = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    await control(sandbox, 'POST', `/__sandbox/paypal/captures/${pending.captureRef}/resolve`, { outcome: 'deny' });
    assert.equal((await p.fetch(refs, key(req.paymentId, 'fetch'))).status, 'declined');
  });

  it('release: voids a hold (and again is still voided); an unpaid order is returned as it is', async () => {
    const p = provider(sandbox, 'AUTHORIZE');
    const { refs, req } = await approvedPayment(sandbox, p);
    const authorized = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    const voided = await p.release(withSnap(refs, authorized), key(req.paymentId, 'release'));
    assert.equal(voided.status, 'voided');
    assert.equal((await p.release(withSnap(refs, authorized), key(req.paymentId, 'release'))).status, 'voided');
    const auth = (await state(sandbox)).authorizations.find((a: any) => a.id === authorized.authorizationRef);
    assert.equal(auth.status, 'VOIDED');
    // Capturing a voided hold: PayPal refuses the money movement.
    assert.equal((await rejection(p.capture(withSnap(refs, authorized), key(req.paymentId, 'capture')))).kind, 'declined');

    const open = checkoutRequest();
    const c = await p.createCheckout(open, key(open.paymentId, 'create'));
    const snap = await p.release({ paymentId: open.paymentId, ref: c.ref, merchantRef: open.paymentId, authorizationRef: null, captureRef: null }, key(open.paymentId, 'release'));
    assert.equal(snap.status, 'open');
  });

  it('an unknown order → not_found', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const err = await rejection(p.fetch({ paymentId: randomUUID(), ref: 'NOSUCHORDER000000', merchantRef: 'x', authorizationRef: null, captureRef: null }, { idempotencyKey: 'k' }));
    assert.equal(err.kind, 'not_found');
    assert.equal(err.httpStatus, 404);
  });
});

describe('PayPal client: token, deadlines and errors', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await withSandbox();
  });
  after(async () => {
    await sandbox.close();
  });

  const refsOf = (paymentId: string, ref: string): PaymentRefs => ({ paymentId, ref, merchantRef: paymentId, authorizationRef: null, captureRef: null });

  it('asks for one token for many calls, and a new one after PayPal forgets it (401 → renew → retry once)', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const before = (await state(sandbox)).tokenRequests;
    const req = checkoutRequest();
    const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
    for (let i = 0; i < 3; i++) await p.fetch(refsOf(req.paymentId, checkout.ref), key(req.paymentId, 'fetch'));
    assert.equal((await state(sandbox)).tokenRequests - before, 1);

    await control(sandbox, 'POST', '/__sandbox/paypal/tokens/expire');
    assert.equal((await p.fetch(refsOf(req.paymentId, checkout.ref), key(req.paymentId, 'fetch'))).status, 'open');
    await p.fetch(refsOf(req.paymentId, checkout.ref), key(req.paymentId, 'fetch'));
    assert.equal((await state(sandbox)).tokenRequests - before, 2);
  });

  it('refused merchant credentials → unauthorized, and the secret is not in the message', async () => {
    const secret = 'not-the-secret-4242';
    const p = provider(sandbox, 'CAPTURE', { clientSecret: secret });
    const req = checkoutRequest();
    const err = await rejection(p.createCheckout(req, key(req.paymentId, 'create')));
    assert.equal(err.kind, 'unauthorized');
    assert.equal(err.providerCode, 'invalid_client');
    assert.ok(!err.message.includes(secret));
    assert.ok(!err.message.includes(Buffer.from(`${creds.clientId}:${secret}`).toString('base64')));
  });

  it('429 → rate_limited with Retry-After; 500 and 503 → provider_unavailable', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const req = checkoutRequest();
    const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
    const refs = refsOf(req.paymentId, checkout.ref);

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'http_error', status: 429, retryAfterSeconds: 7 });
    const limited = await rejection(p.fetch(refs, key(req.paymentId, 'fetch')));
    assert.equal(limited.kind, 'rate_limited');
    assert.equal(limited.retryAfterMs, 7000);
    assert.equal(limited.retryable, true);

    for (const status of [500, 503]) {
      await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'http_error', status });
      const down = await rejection(p.fetch(refs, key(req.paymentId, 'fetch')));
      assert.equal(down.kind, 'provider_unavailable');
      assert.equal(down.httpStatus, status);
      assert.ok(down.debugId);
      assert.equal(down.retryable, true);
    }

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.create', fault: 'http_error', status: 503 });
    const other = checkoutRequest();
    assert.equal((await rejection(p.createCheckout(other, key(other.paymentId, 'create')))).kind, 'provider_unavailable');
    // After the failure, the same key still creates exactly one order.
    await p.createCheckout(other, key(other.paymentId, 'create'));
    await p.createCheckout(other, key(other.paymentId, 'create'));
    assert.equal((await state(sandbox)).orders.filter((o: any) => o.purchase_units[0].custom_id === other.paymentId).length, 1);
  });

  it('a refund PayPal refuses for its age → declined', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { refs, req } = await approvedPayment(sandbox, p);
    const captured = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    await addFault(sandbox, { provider: 'paypal', operation: 'captures.refund', fault: 'http_error', status: 422, reason: 'REFUND_TIME_LIMIT_EXCEEDED' });
    const err = await rejection(p.refund(withSnap(refs, captured), req.price, 'late', key(req.paymentId, 'refund')));
    assert.equal(err.kind, 'declined');
    assert.equal(err.providerCode, 'REFUND_TIME_LIMIT_EXCEEDED');
  });

  it('no answer → provider_unavailable within the deadline; a dropped connection too; the caller can abort', async () => {
    const p = provider(sandbox, 'CAPTURE', { timeoutMs: 500 });
    const req = checkoutRequest();
    const checkout = await p.createCheckout(req, key(req.paymentId, 'create'));
    const refs = refsOf(req.paymentId, checkout.ref);

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'timeout' });
    const started = Date.now();
    const slow = await rejection(p.fetch(refs, key(req.paymentId, 'fetch')));
    assert.equal(slow.kind, 'provider_unavailable');
    assert.match(slow.message, /deadline/);
    assert.ok(Date.now() - started < 5000, 'gave up long after the deadline');

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'reset' });
    assert.equal((await rejection(p.fetch(refs, key(req.paymentId, 'fetch')))).kind, 'provider_unavailable');

    await addFault(sandbox, { provider: 'paypal', operation: 'orders.get', fault: 'timeout' });
    const caller = new AbortController();
    const patient = provider(sandbox, 'CAPTURE', { timeoutMs: 60_000 });
    setTimeout(() => caller.abort(), 100);
    assert.equal((await rejection(patient.fetch(refs, { idempotencyKey: 'k', signal: caller.signal }))).kind, 'provider_unavailable');

    // The token request is under the same deadline.
    await addFault(sandbox, { provider: 'paypal', operation: 'oauth.token', fault: 'timeout' });
    const fresh = provider(sandbox, 'CAPTURE', { timeoutMs: 500 });
    const noToken = await rejection(fresh.fetch(refs, key(req.paymentId, 'fetch')));
    assert.equal(noToken.kind, 'provider_unavailable');
    assert.match(noToken.message, /access token/);
  });

  it('sends PayPal-Request-Id on money moves but not on void, and asks for the full representation', async () => {
    const seen: { method: string; path: string; requestId: string | null; prefer: string | null }[] = [];
    const recording: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const h = new Headers(init?.headers);
      seen.push({ method: init?.method ?? 'GET', path: url.pathname, requestId: h.get('paypal-request-id'), prefer: h.get('prefer') });
      return fetch(input, init);
    };
    const client = new PaypalClient({ baseUrl: sandbox.url, clientId: creds.clientId, clientSecret: creds.clientSecret, fetch: recording });
    const p = new PaypalProvider({
      client,
      intent: 'AUTHORIZE',
      brandName: 'LeadsCalendar',
      webhookId: creds.webhookId,
      certificates: new PaypalCertificateCache({ fetch: (u, i) => fetch(u, i), trustedOrigins: [sandbox.url] }),
      trustedCertOrigins: [sandbox.url],
    });
    const { refs, req } = await approvedPayment(sandbox, p);
    const a = await p.completeApproval(refs, key(req.paymentId, 'complete'));
    const v = await p.release(withSnap(refs, a), key(req.paymentId, 'release'));
    assert.equal(v.status, 'voided');
    const post = (suffix: string) => seen.find((s) => s.method === 'POST' && s.path.endsWith(suffix))!;
    assert.equal(post('/v2/checkout/orders').requestId, `${req.paymentId}-create`);
    assert.equal(post('/v2/checkout/orders').prefer, 'return=representation');
    assert.equal(post('/authorize').requestId, `${req.paymentId}-complete`);
    assert.equal(post('/void').requestId, null);
    assert.equal(seen.filter((s) => s.path.endsWith('/oauth2/token')).length, 1);
  });
});

describe('PayPal error table', () => {
  const err = (status: number, issue?: string, extra: Record<string, unknown> = {}) =>
    paypalError({ operation: 'capture order X', status, body: issue ? { name: 'N', details: [{ issue }], debug_id: 'dbg1' } : extra, retryAfter: null });

  it('maps statuses and issues to kinds', () => {
    const cases: [number, string | undefined, string][] = [
      [400, 'INVALID_PARAMETER_VALUE', 'invalid_request'],
      [401, 'INVALID_ACCOUNT_STATUS', 'unauthorized'],
      [403, 'PERMISSION_DENIED', 'forbidden'],
      [404, 'INVALID_RESOURCE_ID', 'not_found'],
      [409, 'RESOURCE_CONFLICT', 'conflict'],
      [409, 'PREVIOUS_REQUEST_IN_PROGRESS', 'provider_unavailable'],
      [422, 'INSTRUMENT_DECLINED', 'declined'],
      [422, 'TRANSACTION_REFUSED', 'declined'],
      [422, 'PAYER_CANNOT_PAY', 'declined'],
      [422, 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED', 'declined'],
      [422, 'AUTHORIZATION_VOIDED', 'declined'],
      [422, 'AUTHORIZATION_EXPIRED', 'declined'],
      [422, 'REFUND_NOT_ALLOWED', 'declined'],
      [422, 'ORDER_NOT_APPROVED', 'conflict'],
      [422, 'ORDER_ALREADY_CAPTURED', 'conflict'],
      [422, 'DECIMAL_PRECISION', 'invalid_request'],
      [429, undefined, 'rate_limited'],
      [500, undefined, 'provider_unavailable'],
      [503, undefined, 'provider_unavailable'],
    ];
    for (const [status, issue, kind] of cases) {
      const e = err(status, issue);
      assert.equal(e.kind, kind, `${status} ${issue}`);
      assert.equal(e.provider, 'paypal');
      assert.equal(e.httpStatus, status);
      if (issue) assert.equal(e.providerCode, issue);
      if (issue) assert.equal(e.debugId, 'dbg1');
      assert.match(e.message, /^PayPal .*capture order X/);
    }
    assert.equal(paypalError({ operation: 'get a token', status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } }).kind, 'unauthorized');
    assert.equal(paypalError({ operation: 'x', status: 429, body: {}, retryAfter: '3' }).retryAfterMs, 3000);
  });
});
