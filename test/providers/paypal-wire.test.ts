import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckoutRequest } from '../../src/ports/payments.ts';
import { buildCreateOrderRequest, buildRefundRequest } from '../../src/providers/paypal/adapter.ts';
import { orderToSnapshot } from '../../src/providers/paypal/mapping.ts';
import type { CaptureAuthorizationRequest, Order } from '../../src/providers/paypal/wire.ts';
import { readSpecJson, specsSkip } from '../support/specs.ts';

/**
 * Our request bodies against PayPal's official OpenAPI files: every field name exists where we put
 * it, every enum value and length is allowed, every required field is there. And every status the
 * specs list maps to one of ours.
 */

type Schema = Record<string, any>;

function resolver(spec: Schema) {
  const resolve = (s: Schema): Schema => {
    let out = s;
    while (out.$ref) out = { ...spec.components.schemas[String(out.$ref).replace('#/components/schemas/', '')], ...omit(out, '$ref') };
    if (out.allOf) {
      const parts = (out.allOf as Schema[]).map(resolve);
      out = {
        ...omit(out, 'allOf'),
        type: 'object',
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), out.properties ?? {}),
        required: [...parts.flatMap((p) => p.required ?? []), ...(out.required ?? [])],
      };
    }
    return out;
  };
  return resolve;
}

const omit = (o: Schema, k: string): Schema => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

/** Every problem of `value` against `schema`, as JSON pointers with what is wrong. */
function check(spec: Schema, schema: Schema, value: unknown, at = ''): string[] {
  const s = resolver(spec)(schema);
  const problems: string[] = [];
  if (Array.isArray(value)) {
    if (s.type !== 'array') return [`${at}: an array where the spec has ${s.type}`];
    if (s.minItems !== undefined && value.length < s.minItems) problems.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) problems.push(`${at}: more than ${s.maxItems} items`);
    value.forEach((v, i) => problems.push(...check(spec, s.items, v, `${at}/${i}`)));
    return problems;
  }
  if (typeof value === 'object' && value !== null) {
    if (s.type !== 'object' && !s.properties) return [`${at}: an object where the spec has ${s.type}`];
    const props = s.properties ?? {};
    for (const [k, v] of Object.entries(value)) {
      if (!(k in props)) problems.push(`${at}/${k}: not a field of the spec`);
      else problems.push(...check(spec, props[k], v, `${at}/${k}`));
    }
    for (const r of s.required ?? []) if (!(r in value)) problems.push(`${at}/${r}: required by the spec, missing`);
    return problems;
  }
  if (typeof value === 'string') {
    if (s.type && s.type !== 'string') problems.push(`${at}: a string where the spec has ${s.type}`);
    if (s.enum && !s.enum.includes(value)) problems.push(`${at}: ${value} is not one of ${s.enum.join(', ')}`);
    if (s.maxLength !== undefined && value.length > s.maxLength) problems.push(`${at}: longer than ${s.maxLength}`);
    if (s.minLength !== undefined && value.length < s.minLength) problems.push(`${at}: shorter than ${s.minLength}`);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) problems.push(`${at}: does not match ${s.pattern}`);
    return problems;
  }
  if (typeof value === 'boolean' && s.type !== 'boolean') problems.push(`${at}: a boolean where the spec has ${s.type}`);
  return problems;
}

function requestSchema(spec: Schema, path: string): Schema {
  return spec.paths[path].post.requestBody.content['application/json'].schema;
}

const checkout: CheckoutRequest = {
  paymentId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
  eventId: '0f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
  description: `Event booking: Team sync, 2 June 10:00 ${'é'.repeat(200)}`,
  price: { minor: 123456n, currency: 'USD' },
  expiresAt: new Date('2026-06-01T10:00:00Z'),
  returnUrl: 'https://leadscalendar.example/paypal/return?payment=3f2b8c1e',
  cancelUrl: 'https://leadscalendar.example/paypal/cancel?payment=3f2b8c1e',
  notifyUrl: 'https://leadscalendar.example/webhooks/paypal',
};

describe('PayPal wire bodies against the official OpenAPI files', { skip: specsSkip() }, () => {
  const orders = specsSkip() ? {} : readSpecJson('paypal', 'checkout_orders_v2.json');
  const payments = specsSkip() ? {} : readSpecJson('paypal', 'payments_payment_v2.json');

  it('create order: both intents', () => {
    for (const intent of ['CAPTURE', 'AUTHORIZE'] as const) {
      const body = buildCreateOrderRequest(checkout, intent, 'LeadsCalendar');
      assert.deepEqual(check(orders, requestSchema(orders, '/v2/checkout/orders'), body), []);
      assert.equal(body.purchase_units[0]!.amount.value, '1234.56');
    }
  });

  it('the walker itself finds a misspelt field, a wrong enum and a too long text', () => {
    const body: any = buildCreateOrderRequest(checkout, 'CAPTURE', 'LeadsCalendar');
    body.purchase_units[0].customId = 'x';
    body.payment_source.paypal.experience_context.user_action = 'PAYLATER';
    body.purchase_units[0].invoice_id = 'x'.repeat(128);
    const problems = check(orders, requestSchema(orders, '/v2/checkout/orders'), body);
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  it('capture an authorization, refund a capture', () => {
    const capture: CaptureAuthorizationRequest = { final_capture: true };
    assert.deepEqual(check(payments, requestSchema(payments, '/v2/payments/authorizations/{authorization_id}/capture'), capture), []);
    const refund = buildRefundRequest(checkout.paymentId, { minor: 2500n, currency: 'JPY' }, ` ${'Event cancelled. '.repeat(30)} `);
    assert.deepEqual(check(payments, requestSchema(payments, '/v2/payments/captures/{capture_id}/refund'), refund), []);
    assert.equal(refund.amount!.value, '2500');
  });

  it('every order, authorization and capture status in the specs maps to one of ours', () => {
    const enumOf = (spec: Schema, name: string): string[] => {
      const s = spec.components.schemas[name];
      return s.enum ?? s.properties.status.enum;
    };
    const amount = { currency_code: 'USD', value: '10.00' };
    for (const status of enumOf(orders, 'order_status').filter((s) => s !== 'COMPLETED')) {
      orderToSnapshot({ id: 'O', status, purchase_units: [{ amount }] });
    }
    for (const status of enumOf(payments, 'authorization_status')) {
      const captured = status === 'CAPTURED' || status === 'PARTIALLY_CAPTURED';
      const order: Order = {
        id: 'O',
        status: 'COMPLETED',
        purchase_units: [{ amount, payments: { authorizations: [{ id: 'A', status, amount }], ...(captured ? { captures: [{ id: 'C', status: 'COMPLETED', amount }] } : {}) } }],
      };
      orderToSnapshot(order);
    }
    for (const status of enumOf(payments, 'capture_status')) {
      orderToSnapshot({ id: 'O', status: 'COMPLETED', purchase_units: [{ amount, payments: { captures: [{ id: 'C', status, amount }] } }] });
    }
  });
});
