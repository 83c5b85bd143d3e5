import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { isAppError, type AppError } from '../../src/errors.ts';
import type { Call, Notice, PaymentRefs, RawNotification } from '../../src/ports/payments.ts';
import { PaypalProvider, createPaypalProvider } from '../../src/providers/paypal/adapter.ts';
import { PaypalClient } from '../../src/providers/paypal/client.ts';
import { PaypalCertificateCache } from '../../src/providers/paypal/webhook-signature.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { paypalSignedVectors, specsSkip, type PaypalSignedVector as Vector } from '../support/specs.ts';
import { HookReceiver, type ReceivedHook } from '../sandbox/paypal-support.ts';

/** Notifications: deliveries the emulator really signs and sends, PayPal's own signed vectors, forgeries. */

const creds = SANDBOX_CREDENTIALS.paypal;

function provider(sandbox: Sandbox, intent: 'AUTHORIZE' | 'CAPTURE'): PaypalProvider {
  return createPaypalProvider({
    baseUrl: sandbox.url,
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    webhookId: creds.webhookId,
    intent,
    brandName: 'LeadsCalendar',
    trustedCertOrigins: [sandbox.url],
  });
}

const key = (paymentId: string, op: string): Call => ({ idempotencyKey: `${paymentId}-${op}` });
const raw = (hook: ReceivedHook, receivedAt = new Date()): RawNotification => ({ body: hook.body, headers: hook.headers, receivedAt });

async function control(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function signatureFailure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isAppError(err, 'signature_invalid'), `expected signature_invalid, got ${String(err)}`);
    return (err as AppError).providerCode!;
  }
  assert.fail('the notification was accepted');
}

describe('PayPal notifications from the emulator', () => {
  let sandbox: Sandbox;
  let hooks: HookReceiver;
  before(async () => {
    sandbox = await withSandbox();
    hooks = await HookReceiver.start();
    await control(sandbox, 'PATCH', '/__sandbox/settings', { paypalWebhookUrl: hooks.url });
  });
  after(async () => {
    await sandbox.close();
    await hooks.close();
  });

  /** Runs `act`, waits until the emulator's deliveries settled, returns what arrived meanwhile. */
  async function delivered(act: () => Promise<unknown>): Promise<ReceivedHook[]> {
    const from = hooks.received.length;
    await act();
    await control(sandbox, 'POST', '/__sandbox/webhooks/idle');
    return hooks.received.slice(from);
  }

  const typeOf = (h: ReceivedHook): string => JSON.parse(h.body.toString('utf8')).event_type;
  const one = (hs: ReceivedHook[], type: string): ReceivedHook => {
    const found = hs.filter((h) => typeOf(h) === type);
    assert.equal(found.length, 1, `${type} among ${hs.map(typeOf).join(', ')}`);
    return found[0]!;
  };

  async function newPayment(p: PaypalProvider) {
    const paymentId = randomUUID();
    const checkout = await p.createCheckout(
      {
        paymentId,
        eventId: randomUUID(),
        description: 'Event booking',
        price: { minor: 1000n, currency: 'USD' },
        expiresAt: new Date(Date.now() + 3600_000),
        returnUrl: 'https://app.example/r',
        cancelUrl: 'https://app.example/c',
        notifyUrl: 'https://app.example/n',
      },
      key(paymentId, 'create'),
    );
    const refs: PaymentRefs = { paymentId, ref: checkout.ref, merchantRef: paymentId, authorizationRef: null, captureRef: null };
    return { paymentId, refs };
  }

  it('CAPTURE flow: APPROVED, CAPTURE.COMPLETED and REFUNDED verify and name our payment and order', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { paymentId, refs } = await newPayment(p);
    const approved = await delivered(() => control(sandbox, 'POST', `/__sandbox/paypal/orders/${refs.ref}/approve`, { funding: 'ok' }));
    const n1 = await p.readNotification(raw(one(approved, 'CHECKOUT.ORDER.APPROVED')));
    assert.deepEqual({ ...n1, providerEventId: undefined }, { providerEventId: undefined, providerType: 'CHECKOUT.ORDER.APPROVED', paymentId, ref: refs.ref, hint: 'pending' });
    assert.match(n1.providerEventId, /^WH-/);

    let captured: Awaited<ReturnType<PaypalProvider['completeApproval']>> | undefined;
    const capturedHooks = await delivered(async () => {
      captured = await p.completeApproval(refs, key(paymentId, 'complete'));
    });
    const n2 = await p.readNotification(raw(one(capturedHooks, 'PAYMENT.CAPTURE.COMPLETED')));
    assert.equal(n2.hint, 'captured');
    assert.equal(n2.paymentId, paymentId);
    assert.equal(n2.ref, refs.ref);
    assert.notEqual(n2.providerEventId, n1.providerEventId);

    const refunded = await delivered(() => p.refund({ ...refs, captureRef: captured!.captureRef }, { minor: 1000n, currency: 'USD' }, 'cancelled', key(paymentId, 'refund')));
    const n3 = await p.readNotification(raw(one(refunded, 'PAYMENT.CAPTURE.REFUNDED')));
    assert.equal(n3.hint, 'refunded');
    assert.equal(n3.paymentId, paymentId);
  });

  it('AUTHORIZE flow: AUTHORIZATION.CREATED → authorized, AUTHORIZATION.VOIDED → voided', async () => {
    const p = provider(sandbox, 'AUTHORIZE');
    const { paymentId, refs } = await newPayment(p);
    await control(sandbox, 'POST', `/__sandbox/paypal/orders/${refs.ref}/approve`, { funding: 'ok' });
    const created = await delivered(() => p.completeApproval(refs, key(paymentId, 'complete')));
    const n1 = await p.readNotification(raw(one(created, 'PAYMENT.AUTHORIZATION.CREATED')));
    assert.deepEqual([n1.hint, n1.paymentId, n1.ref], ['authorized', paymentId, refs.ref]);
    const voided = await delivered(() => p.release(refs, key(paymentId, 'release')));
    const n2 = await p.readNotification(raw(one(voided, 'PAYMENT.AUTHORIZATION.VOIDED')));
    assert.deepEqual([n2.hint, n2.paymentId, n2.ref], ['voided', paymentId, refs.ref]);
  });

  it('a pending capture: CAPTURE.PENDING → pending', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { paymentId, refs } = await newPayment(p);
    await control(sandbox, 'POST', `/__sandbox/paypal/orders/${refs.ref}/approve`, { funding: 'pending' });
    const hs = await delivered(() => p.completeApproval(refs, key(paymentId, 'complete')));
    const n = await p.readNotification(raw(one(hs, 'PAYMENT.CAPTURE.PENDING')));
    assert.deepEqual([n.hint, n.paymentId, n.ref], ['pending', paymentId, refs.ref]);
  });

  it('a reversal: the sandbox takes a capture back → REVERSED names the payment (PayPal asked) → reversed; fetch says reversed', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const { paymentId, refs } = await newPayment(p);
    await control(sandbox, 'POST', `/__sandbox/paypal/orders/${refs.ref}/approve`, { funding: 'ok' });
    const captured = await p.completeApproval(refs, key(paymentId, 'complete'));
    let answer: any;
    const hs = await delivered(async () => {
      answer = await control(sandbox, 'POST', `/__sandbox/paypal/captures/${captured.captureRef}/reverse`);
    });
    assert.equal(answer.capture.status, 'REFUNDED');
    assert.equal(answer.capture.status_details.reason, 'CHARGEBACK');
    const hook = one(hs, 'PAYMENT.CAPTURE.REVERSED');
    const event = JSON.parse(hook.body.toString('utf8'));
    assert.equal(event.resource_type, 'refund');
    assert.equal(event.resource.custom_id, undefined);
    const n = await p.readNotification(raw(hook));
    assert.deepEqual([n.hint, n.providerType, n.paymentId, n.ref], ['reversed', 'PAYMENT.CAPTURE.REVERSED', paymentId, refs.ref]);
    const snap = await p.fetch(refs, key(paymentId, 'fetch'));
    assert.equal(snap.status, 'reversed');
    assert.equal(snap.reason, 'CHARGEBACK');
    assert.equal(snap.refundRef, event.resource.id);
    // Only a completed capture can be reversed.
    const again = await fetch(`${sandbox.url}/__sandbox/paypal/captures/${captured.captureRef}/reverse`, { method: 'POST' });
    assert.equal(again.status, 409);
  });

  it('refuses a forged signature, a tampered body, a stale delivery, missing headers and a foreign certificate URL', async () => {
    const p = provider(sandbox, 'CAPTURE');
    await addFault(sandbox, { provider: 'paypal', operation: 'CHECKOUT.ORDER.APPROVED', fault: 'webhook_forge' });
    const { refs } = await newPayment(p);
    const hs = await delivered(() => control(sandbox, 'POST', `/__sandbox/paypal/orders/${refs.ref}/approve`, { funding: 'ok' }));
    const forged = one(hs, 'CHECKOUT.ORDER.APPROVED');
    assert.equal(await signatureFailure(p.readNotification(raw(forged))), 'signature_mismatch');

    const genuine = await delivered(() => p.completeApproval(refs, { idempotencyKey: `${refs.paymentId}-complete` }));
    const hook = one(genuine, 'PAYMENT.CAPTURE.COMPLETED');
    await p.readNotification(raw(hook)); // the untouched delivery verifies

    const tampered = Buffer.from(hook.body.toString('utf8').replace('"COMPLETED"', '"PENDING"'));
    assert.notDeepEqual(tampered, hook.body);
    assert.equal(await signatureFailure(p.readNotification({ ...raw(hook), body: tampered })), 'signature_mismatch');
    assert.equal(await signatureFailure(p.readNotification(raw(hook, new Date(Date.now() + 10 * 60_000)))), 'timestamp_outside_tolerance');
    const { 'paypal-transmission-sig': _sig, ...unsigned } = hook.headers;
    assert.equal(await signatureFailure(p.readNotification({ ...raw(hook), headers: unsigned })), 'missing_header');
    const elsewhere = { ...hook.headers, 'paypal-cert-url': 'https://evil.example/v1/notifications/certs/CERT-1' };
    assert.equal(await signatureFailure(p.readNotification({ ...raw(hook), headers: elsewhere })), 'cert_url_not_allowed');
    // Talking to the emulator, even PayPal's real certificate hosts are not trusted.
    const paypalHost = { ...hook.headers, 'paypal-cert-url': 'https://api.paypal.com/v1/notifications/certs/CERT-1' };
    assert.equal(await signatureFailure(p.readNotification({ ...raw(hook), headers: paypalHost })), 'cert_url_not_allowed');
  });

  it('refuses a correctly signed body that is not a PayPal event', async () => {
    const p = provider(sandbox, 'CAPTURE');
    const signer = sandbox.emulators.paypal.signer;
    const certUrl = (await control(sandbox, 'GET', '/__sandbox/paypal/webhook-certificate')).certUrl;
    for (const body of ['not json', '[1,2]', '{"resource":{}}']) {
      const headers = Object.fromEntries(
        Object.entries(signer.sign(body, { certUrl, webhookId: creds.webhookId, now: Date.now(), forged: false })).map(([k, v]) => [k.toLowerCase(), v]),
      );
      assert.equal(await signatureFailure(p.readNotification({ body: Buffer.from(body), headers, receivedAt: new Date() })), 'body_unreadable', body);
    }
  });
});


describe('PayPal notifications: PayPal\'s own signed deliveries through readNotification', { skip: specsSkip() }, () => {
  const vectors = specsSkip() ? [] : paypalSignedVectors();

  /** A provider for PayPal's live or sandbox environment; nothing leaves this process. */
  function offlineProvider(v: Vector, baseUrl: string) {
    const certFetches: string[] = [];
    const apiCalls: string[] = [];
    const certificates = new PaypalCertificateCache({
      fetch: async (url) => {
        certFetches.push(url);
        return { ok: url === v.headers['paypal-cert-url'], status: 200, text: async () => v.certPem };
      },
    });
    const client = new PaypalClient({
      baseUrl,
      clientId: 'id',
      clientSecret: 'secret',
      fetch: async (input) => {
        const url = String(input);
        apiCalls.push(new URL(url).pathname);
        if (url.endsWith('/v1/oauth2/token')) return Response.json({ access_token: 'T', token_type: 'Bearer', expires_in: 32400 });
        return Response.json({ name: 'RESOURCE_NOT_FOUND', details: [{ issue: 'INVALID_RESOURCE_ID' }] }, { status: 404 });
      },
    });
    const p = new PaypalProvider({ client, intent: 'CAPTURE', brandName: 'x', webhookId: v.webhookId, certificates, trustedCertOrigins: [] });
    return { p, certFetches, apiCalls };
  }

  const environmentOf = (v: Vector) => (new URL(v.headers['paypal-cert-url']!).hostname.includes('sandbox') ? 'https://api-m.sandbox.paypal.com' : 'https://api-m.paypal.com');
  const sentAt = (v: Vector) => new Date(Date.parse(v.headers['paypal-transmission-time']!) + 5_000);

  it('every vector verifies on a clock set to its transmission time, and maps to a Notice', async () => {
    assert.equal(vectors.length, 9);
    const byType = new Map<string, Notice>();
    for (const v of vectors) {
      const { p, certFetches } = offlineProvider(v, environmentOf(v));
      const n = await p.readNotification({ body: v.body, headers: v.headers, receivedAt: sentAt(v) });
      const event = JSON.parse(v.body.toString('utf8'));
      assert.equal(n.providerEventId, event.id, v.name);
      assert.equal(n.providerType, event.event_type, v.name);
      assert.deepEqual(certFetches, [v.headers['paypal-cert-url']], v.name);
      byType.set(n.providerType, n);
    }
    assert.deepEqual(byType.get('PAYMENT.CAPTURE.COMPLETED'), { ...byType.get('PAYMENT.CAPTURE.COMPLETED'), hint: 'captured', ref: '1AB234567A1234567', paymentId: null });
    assert.equal(byType.get('PAYMENT.CAPTURE.PENDING')!.hint, 'pending');
    assert.equal(byType.get('PAYMENT.CAPTURE.DECLINED')!.hint, 'declined');
    assert.equal(byType.get('PAYMENT.CAPTURE.REFUNDED')!.hint, 'refunded');
    assert.equal(byType.get('PAYMENT.CAPTURE.REVERSED')!.hint, 'reversed');
    // v1 sale events are not ours (we use Orders v2): verified, then ignored.
    assert.equal(byType.get('PAYMENT.SALE.COMPLETED')!.hint, 'ignored');
    assert.equal(byType.get('PAYMENT.SALE.PENDING')!.hint, 'ignored');
  });

  it('a reversal that names only its capture is looked up at PayPal (unknown there → unaddressed notice)', async () => {
    const v = vectors.find((x) => x.name.includes('REVERSED'))!;
    const { p, apiCalls } = offlineProvider(v, environmentOf(v));
    const n = await p.readNotification({ body: v.body, headers: v.headers, receivedAt: sentAt(v) });
    assert.deepEqual(apiCalls, ['/v1/oauth2/token', '/v2/payments/captures/4L335234718889942']);
    assert.deepEqual([n.paymentId, n.ref], [null, null]);
  });

  it('a live-signed delivery is refused by a provider set up for PayPal\'s sandbox, and the reverse', async () => {
    for (const v of vectors) {
      const other = environmentOf(v) === 'https://api-m.paypal.com' ? 'https://api-m.sandbox.paypal.com' : 'https://api-m.paypal.com';
      const { p, certFetches } = offlineProvider(v, other);
      assert.equal(await signatureFailure(p.readNotification({ body: v.body, headers: v.headers, receivedAt: sentAt(v) })), 'cert_url_not_allowed', v.name);
      assert.deepEqual(certFetches, [], v.name);
    }
  });

  it('the real clock (years later) refuses them as stale', async () => {
    const v = vectors[0]!;
    const { p } = offlineProvider(v, environmentOf(v));
    assert.equal(await signatureFailure(p.readNotification({ body: v.body, headers: v.headers, receivedAt: new Date() })), 'timestamp_outside_tolerance');
  });
});
