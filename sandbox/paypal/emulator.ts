import type { FastifyInstance } from 'fastify';
import type { ProviderEmulator, ProviderErrorResponse, SandboxContext } from '../context.ts';
import { registerApprovalPage } from './approval.ts';
import { registerPaypalControlRoutes } from './control.ts';
import { PaypalApiError, errorBody, newDebugId } from './errors.ts';
import { PaypalLedger } from './ledger.ts';
import { Renderer } from './render.ts';
import { paypalRoutes } from './routes.ts';
import { WebhookSigner, type WebhookKeyData } from './signing.ts';
import { checkShape } from '../persistence/replace.ts';
import { PaypalState } from './state.ts';
import { PaypalWebhooks } from './webhooks.ts';

/**
 * The emulated PayPal (api-m.sandbox.paypal.com + the www checkout page): OAuth, Orders v2,
 * Payments v2, signed webhooks and their postback check, an approval page for the test buyer and
 * /__sandbox/paypal control actions. Facts: shared/providers/paypal.md; contracts: the official
 * OpenAPI files (checked by test/sandbox/paypal-schema.test.ts).
 */

/** Operation names for fault matching (webhook faults match on the event type instead). */
export const PAYPAL_OPERATIONS = [
  'oauth.token',
  'orders.create',
  'orders.get',
  'orders.authorize',
  'orders.capture',
  'authorizations.get',
  'authorizations.capture',
  'authorizations.void',
  'captures.get',
  'captures.refund',
  'refunds.get',
  'webhooks.verify',
  'checkout.approve',
] as const;
export type PaypalOperation = (typeof PAYPAL_OPERATIONS)[number];

export { PAYPAL_EVENT_TYPES } from './webhooks.ts';
export { FUNDING_CHOICES, type Funding } from './state.ts';

export class PaypalEmulator implements ProviderEmulator {
  readonly provider = 'paypal' as const;
  readonly state = new PaypalState();
  readonly render: Renderer;
  readonly hooks: PaypalWebhooks;
  readonly ledger: PaypalLedger;
  #signer: WebhookSigner | null = null;

  constructor(private readonly ctx: SandboxContext) {
    this.render = new Renderer(this.state, () => ctx.baseUrl);
    this.hooks = new PaypalWebhooks(ctx, () => this.signer);
    this.ledger = new PaypalLedger(ctx, this.state, this.render, this.hooks);
  }

  /** The webhook signing key and certificate (kept across resets, and in the data folder). */
  get signer(): WebhookSigner {
    if (!this.#signer) throw new Error('PayPal emulator not registered yet: no signing certificate');
    return this.#signer;
  }

  /** Restores the webhook signing key and certificate, or makes them; returns what to store. */
  async initKeys(saved: unknown): Promise<WebhookKeyData> {
    this.#signer = saved
      ? WebhookSigner.fromData(checkShape('keys.paypal', saved, { certId: 'string', certPem: 'string', privateKeyPem: 'string', forgeryKeyPem: 'string' }))
      : await WebhookSigner.create();
    return this.#signer.toData();
  }

  async register(app: FastifyInstance): Promise<void> {
    const deps = { ctx: this.ctx, state: this.state, render: this.render, ledger: this.ledger, hooks: this.hooks, signer: () => this.signer };
    await app.register(async (scope) => {
      await paypalRoutes(scope, deps);
      registerApprovalPage(scope, this.ledger);
    });
    registerPaypalControlRoutes(app, { ...deps, certPem: () => this.signer.certPem });
  }

  errorResponse(operation: string, status: number, reason?: string): ProviderErrorResponse {
    const debugId = newDebugId();
    const headers = { 'paypal-debug-id': debugId, 'content-type': 'application/json' };
    if (operation === 'oauth.token' && (status === 400 || status === 401)) {
      return status === 401
        ? { status, headers, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } }
        : { status, headers, body: { error: 'invalid_request', error_description: reason ?? 'Invalid request' } };
    }
    const details = reason ? [{ issue: reason }] : [];
    return { status, headers, body: errorBody(operation, status, debugId, details) };
  }

  snapshot(): unknown {
    const { state, render } = this;
    return {
      orders: [...state.orders.values()].map((o) => render.order(o)),
      authorizations: [...state.authorizations.values()].map((a) => render.authorization(a, true)),
      captures: [...state.captures.values()].map((c) => render.capture(c, true)),
      refunds: [...state.refunds.values()].map((r) => render.refund(r)),
      tokenRequests: state.tokenRequests,
      activeTokens: state.tokens.size,
      webhookEvents: this.hooks.events,
      webhookCertUrl: this.#signer ? this.hooks.certUrl() : null,
    };
  }

  dump(): unknown {
    return { ...this.state.dump(), webhooks: this.hooks.dump() };
  }

  restore(data: unknown): void {
    const { webhooks, ...state } = checkShape('paypal', data, { webhooks: 'object' });
    const hooks = checkShape('paypal.webhooks', webhooks, { events: 'array', transmissions: 'map', bodies: 'map' });
    this.state.restore(state);
    this.hooks.restore(hooks);
  }

  reset(): void {
    this.state.clear();
    this.hooks.reset();
  }
}

export { PaypalApiError };
