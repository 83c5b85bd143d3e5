import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderEmulator, ProviderErrorResponse, SandboxContext } from '../context.ts';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { checkoutPage, messagePage, notFoundPage, qrSvg } from './checkout.ts';
import { BinanceFailure, GATEWAY_ERROR, success } from './codes.ts';
import { BinanceNotifier, NotificationKeys, type NotificationKeyData } from './notifications.ts';
import { checkShape } from '../persistence/replace.ts';
import { BinanceOrders, OrderStateConflict } from './orders.ts';
import { BinanceRefunds } from './refunds.ts';
import { BinanceStore, orderSnapshot, type Merchant, type Order } from './state.ts';
import { verifySignedRequest } from './verify.ts';

/**
 * The emulated Binance Pay merchant API (shared/providers/binance-pay.md), at the same paths as
 * https://bpay.binanceapi.com, plus the web checkout page a payer sees and control actions under
 * /__sandbox/binance that drive the payer without HTML.
 *
 * Operation names (fault matching; webhook faults match on bizStatus: PAY_SUCCESS, PAY_CLOSED,
 * REFUND_SUCCESS, REFUND_REJECTED):
 */
export const BINANCE_OPERATIONS = [
  'order.create',
  'order.query',
  'order.close',
  'order.refund',
  'order.refund.query',
  'certificates',
  'checkout.pay',
] as const;
export type BinanceOperation = (typeof BINANCE_OPERATIONS)[number];

const API: Record<Exclude<BinanceOperation, 'checkout.pay'>, string> = {
  'order.create': '/binancepay/openapi/v3/order',
  'order.query': '/binancepay/openapi/v2/order/query',
  'order.close': '/binancepay/openapi/order/close',
  'order.refund': '/binancepay/openapi/order/refund',
  'order.refund.query': '/binancepay/openapi/order/refund/query',
  certificates: '/binancepay/openapi/certificates',
};

const sandboxRoute = (operation: BinanceOperation) => ({ sandbox: { provider: 'binance' as const, operation } });

const isJson = (contentType: string | undefined) => /^application\/json\s*(;|$)/i.test(contentType ?? '');

export class BinanceEmulator implements ProviderEmulator {
  readonly provider = 'binance' as const;
  readonly store = new BinanceStore();
  #keys: NotificationKeys | null = null;
  readonly #notifier: BinanceNotifier;
  readonly #orders: BinanceOrders;
  readonly #refunds: BinanceRefunds;

  constructor(private readonly ctx: SandboxContext) {
    this.store.addMerchant(SANDBOX_CREDENTIALS.binance.apiKey, SANDBOX_CREDENTIALS.binance.secretKey);
    this.#notifier = new BinanceNotifier(ctx, () => this.keys, (n) => this.store.skippedNotifications.push({ ...n, at: ctx.now() }));
    this.#orders = new BinanceOrders(ctx, this.store, this.#notifier);
    this.#refunds = new BinanceRefunds(ctx, this.store, this.#orders, this.#notifier);
  }

  /** Binance's notification signing key. */
  get keys(): NotificationKeys {
    if (!this.#keys) throw new Error('Binance emulator used before initKeys()');
    return this.#keys;
  }

  /** Restores the notification key from the data folder, or makes one; returns what to store. */
  async initKeys(saved: unknown): Promise<NotificationKeyData> {
    this.#keys = new NotificationKeys(saved ? checkShape('keys.binance', saved, { privateKeyPem: 'string', forgedKeyPem: 'string' }) : undefined);
    return this.#keys.toData();
  }

  dump(): unknown {
    return this.store.dump();
  }

  restore(data: unknown): void {
    this.store.restore(data);
  }

  /** Accepts another merchant key pair (e.g. the official FAQ vector's secret). */
  addApiKey(apiKey: string, secretKey: string): Merchant {
    return this.store.addMerchant(apiKey, secretKey);
  }

  async register(app: FastifyInstance): Promise<void> {
    await app.register(async (api) => this.#registerApi(api), { prefix: '/binancepay' });
    this.#registerCheckout(app);
    this.#registerControl(app);
  }

  /**
   * An injected HTTP error. Binance documents no 429 and no HTTP statuses at all, so this answer is
   * synthetic: Binance's FAIL envelope with the unknown-error code 400000, under the fault's status.
   * On the checkout page the payer's browser gets an HTML error page instead.
   */
  errorResponse(operation: string, status: number, reason?: string): ProviderErrorResponse {
    const message = reason ?? (status === 429 ? 'Too many requests; try again later.' : 'An unknown error occurred while processing the request.');
    if (operation === 'checkout.pay') {
      return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: messagePage('Binance Pay is unavailable', message) };
    }
    return { status, body: { status: 'FAIL', code: '400000', errorMessage: message } };
  }

  snapshot() {
    return {
      certificate: { certSerial: this.keys.certificate.certSerial },
      merchants: [...this.store.merchants.values()].map((m) => ({ apiKey: m.apiKey, merchantId: m.merchantId })),
      ...this.store.snapshot(),
    };
  }

  reset(): void {
    this.store.clear();
  }

  // ── merchant API ──────────────────────────────────────────────────────────────────────────

  #registerApi(api: FastifyInstance) {
    const gateway = (reply: FastifyReply) => reply.status(400).send(GATEWAY_ERROR);
    api.setErrorHandler((err: { statusCode?: number; code?: string }, _req, reply) => {
      if (err.statusCode === 415) return gateway(reply);
      const failure =
        err.statusCode === 413 ? new BinanceFailure('400104', 'The request body is too large.') : new BinanceFailure('400000');
      return reply.status(failure.httpStatus).send(failure.envelope());
    });
    // A wrong path is refused by Binance's CDN before the API (FAQ: "403 ERROR").
    api.setNotFoundHandler((_req, reply) =>
      reply
        .status(403)
        .header('x-cache', 'Error from cloudfront')
        .type('text/html; charset=utf-8')
        .send('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"><HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1><H2>The request could not be satisfied.</H2></BODY></HTML>'),
    );

    const handlers: Record<keyof typeof API, (m: Merchant, body: unknown, req: FastifyRequest) => unknown> = {
      'order.create': (m, body) => this.#orders.createResult(this.#orders.create(m, body)),
      'order.query': (m, body) => this.#orders.queryResult(this.#orders.find(m, body)),
      'order.close': (m, body) => {
        this.#orders.close(m, body);
        return true;
      },
      'order.refund': (m, body, req) => this.#refunds.refund(m, body, { declined: req.sandboxDeclined === true }),
      'order.refund.query': (m, body) => this.#refunds.query(m, body),
      certificates: () => [this.keys.certificate],
    };

    for (const [operation, path] of Object.entries(API) as [keyof typeof API, string][]) {
      const url = path.slice('/binancepay'.length);
      api.post(url, { config: sandboxRoute(operation) }, async (req, reply) => {
        // Gateway rules first (FAQ, 100001001): JSON content-type and a body.
        if (!isJson(req.headers['content-type']) || req.rawBody === undefined || req.rawBody.length === 0) return gateway(reply);
        const verified = verifySignedRequest(
          { headers: req.headers, rawBody: req.rawBody },
          {
            secretFor: (k) => this.store.merchants.get(k)?.secretKey,
            now: this.ctx.now(),
            windowMs: this.ctx.settings.binanceTimestampWindowMs,
          },
        );
        try {
          if (!verified.ok) throw verified.failure;
          if (req.jsonError) throw new BinanceFailure('400008', 'The request body is not valid JSON.');
          const merchant = this.store.merchants.get(verified.apiKey)!;
          return reply.send(success(handlers[operation](merchant, req.body, req)));
        } catch (err) {
          if (!(err instanceof BinanceFailure)) throw err;
          return reply.status(err.httpStatus).send(err.envelope());
        }
      });
      api.route({ method: ['GET', 'PUT', 'PATCH', 'DELETE'], url, handler: async (_req, reply) => gateway(reply) });
    }
  }

  // ── the payer's pages ─────────────────────────────────────────────────────────────────────

  #registerCheckout(app: FastifyInstance) {
    type Tok = { Params: { token: string } };
    const orderOf = (token: string) => {
      const o = this.store.byCheckoutToken(token);
      return o ? this.#orders.refresh(o) : undefined;
    };
    const html = (reply: FastifyReply, status: number, page: string) => reply.status(status).type('text/html; charset=utf-8').send(page);

    app.get<Tok>('/en/checkout/:token', async (req, reply) => {
      const order = orderOf(req.params.token);
      if (!order) return html(reply, 404, notFoundPage());
      reply.header('cache-control', 'no-store');
      return html(reply, 200, await checkoutPage(order, this.#orders.urls(order), this.ctx.now()));
    });
    app.get<Tok>('/en/checkout/:token/qr.svg', async (req, reply) => {
      const order = orderOf(req.params.token);
      if (!order) return html(reply, 404, notFoundPage());
      return reply.type('image/svg+xml').send(await qrSvg(this.#orders.urls(order).qrContent));
    });
    // What scanning the code or following universalUrl opens: the checkout page.
    app.get<{ Params: { code: string } }>('/qr/:code', async (req, reply) =>
      reply.redirect(`${this.ctx.baseUrl}/en/checkout/${encodeURIComponent(req.params.code.replace(/^dplk/, ''))}`, 302),
    );
    app.get<{ Querystring: { linkToken?: string } }>('/payment/secpay', async (req, reply) =>
      reply.redirect(`${this.ctx.baseUrl}/en/checkout/${encodeURIComponent(req.query.linkToken ?? '')}`, 302),
    );

    const act = (action: (o: Order, req: FastifyRequest) => Order, next: (o: Order) => string | null) =>
      async (req: FastifyRequest<Tok>, reply: FastifyReply) => {
        const order = orderOf(req.params.token);
        if (!order) return html(reply, 404, notFoundPage());
        try {
          action(order, req);
        } catch (err) {
          if (!(err instanceof OrderStateConflict)) throw err;
          return html(reply, 409, messagePage('This order cannot be paid', err.message));
        }
        return reply.redirect(next(order) ?? this.#orders.urls(order).checkoutUrl, 303);
      };
    const back = (o: Order) => (o.status === 'PAID' ? o.returnUrl : o.cancelUrl);
    app.post<Tok>('/en/checkout/:token/pay', { config: sandboxRoute('checkout.pay') },
      act((o, req) => this.#orders.pay(o, { declined: req.sandboxDeclined === true }), back));
    app.post<Tok>('/en/checkout/:token/fail', act((o) => this.#orders.fail(o, 'payment failed (payer: insufficient balance)'), back));
    app.post<Tok>('/en/checkout/:token/expire', act((o) => this.#orders.expire(o), back));
  }

  // ── control API ───────────────────────────────────────────────────────────────────────────

  #registerControl(app: FastifyInstance) {
    type Ref = { Params: { ref: string } };
    const base = '/__sandbox/binance';
    const view = (o: Order) => ({ order: { ...orderSnapshot(o), ...this.#orders.urls(o) } });
    const found = (ref: string) => {
      const o = this.store.byReference(ref);
      return o ? this.#orders.refresh(o) : undefined;
    };
    const action = (fn: (o: Order, req: FastifyRequest<Ref>) => Order) => async (req: FastifyRequest<Ref>, reply: FastifyReply) => {
      const order = found(req.params.ref);
      if (!order) return reply.status(404).send({ error: 'not_found', message: `no order with prepayId or merchantTradeNo ${req.params.ref}` });
      try {
        return view(fn(order, req));
      } catch (err) {
        if (!(err instanceof OrderStateConflict)) throw err;
        return reply.status(409).send({ error: 'conflict', message: err.message, ...view(order) });
      }
    };
    const bodyField = (req: FastifyRequest, k: string) => {
      const b = req.body as Record<string, unknown> | undefined;
      return typeof b?.[k] === 'string' ? (b[k] as string) : undefined;
    };

    app.get(`${base}/orders`, async () => ({ orders: [...this.store.orders.values()].map((o) => view(this.#orders.refresh(o)).order) }));
    app.get<Ref>(`${base}/orders/:ref`, action((o) => o));
    // The payer pays; a `decline` fault on checkout.pay makes the payment fail (order → ERROR).
    app.post<Ref>(`${base}/orders/:ref/pay`, { config: sandboxRoute('checkout.pay') },
      action((o, req) => {
        const payCurrency = bodyField(req, 'payCurrency');
        return this.#orders.pay(o, { declined: req.sandboxDeclined === true, ...(payCurrency ? { payCurrency } : {}) });
      }));
    app.post<Ref>(`${base}/orders/:ref/fail`, action((o, req) => this.#orders.fail(o, bodyField(req, 'reason') ?? 'payment failed (control API)')));
    app.post<Ref>(`${base}/orders/:ref/expire`, action((o) => this.#orders.expire(o)));
    app.post<Ref>(`${base}/orders/:ref/scan`, action((o) => this.#orders.markPending(o)));
    app.get(`${base}/certificate`, async () => this.keys.certificate);
    app.post(`${base}/api-keys`, async (req, reply) => {
      const apiKey = bodyField(req, 'apiKey');
      const secretKey = bodyField(req, 'secretKey');
      if (!apiKey || !/^[A-Za-z0-9]{1,128}$/.test(apiKey) || !secretKey) {
        return reply.status(400).send({ error: 'invalid_request', message: 'apiKey (letters and digits) and secretKey are required' });
      }
      const m = this.addApiKey(apiKey, secretKey);
      return reply.status(201).send({ apiKey: m.apiKey, merchantId: m.merchantId });
    });
  }
}
