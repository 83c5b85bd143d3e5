import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';

/** A small PayPal REST client for the sandbox tests: raw HTTP, nothing hidden. */

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export const basicAuth = (id: string = SANDBOX_CREDENTIALS.paypal.clientId, secret: string = SANDBOX_CREDENTIALS.paypal.clientSecret) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export async function requestToken(sandbox: Sandbox, authorization = basicAuth(), body = 'grant_type=client_credentials'): Promise<Res> {
  const res = await fetch(`${sandbox.url}/v1/oauth2/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

export class PaypalTestClient {
  token = '';
  constructor(readonly sandbox: Sandbox) {}

  async auth(): Promise<void> {
    const r = await requestToken(this.sandbox);
    if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
    this.token = r.body.access_token;
  }

  async call<T = any>(method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...opts.headers };
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.sandbox.url}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  }

  createOrder(opts: { intent?: 'CAPTURE' | 'AUTHORIZE'; value?: string; customId?: string; invoiceId?: string; legacy?: boolean; headers?: Record<string, string> } = {}) {
    const unit = {
      custom_id: opts.customId ?? 'evt_123',
      invoice_id: opts.invoiceId ?? `inv_${Math.random().toString(36).slice(2)}`,
      description: 'Calendar slot',
      amount: { currency_code: 'USD', value: opts.value ?? '1.00' },
    };
    const urls = { return_url: 'https://app.example/paypal/return', cancel_url: 'https://app.example/paypal/cancel' };
    const body = opts.legacy
      ? { intent: opts.intent ?? 'CAPTURE', purchase_units: [unit], application_context: { ...urls, brand_name: 'LeadsCalendar' } }
      : {
          intent: opts.intent ?? 'CAPTURE',
          purchase_units: [unit],
          payment_source: { paypal: { experience_context: { ...urls, user_action: 'PAY_NOW', shipping_preference: 'NO_SHIPPING', brand_name: 'LeadsCalendar' } } },
        };
    return this.call('POST', '/v2/checkout/orders', { body, headers: opts.headers });
  }

  /** The test buyer approves through the control API. */
  async approve(orderId: string, funding: 'ok' | 'declined' | 'pending' | 'denied' = 'ok') {
    const res = await fetch(`${this.sandbox.url}/__sandbox/paypal/orders/${orderId}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ funding }),
    });
    if (res.status !== 200) throw new Error(`approve: ${res.status} ${await res.text()}`);
    return res.json();
  }

  /** An approved order of the given intent, ready to capture or authorize. */
  async approvedOrder(intent: 'CAPTURE' | 'AUTHORIZE' = 'CAPTURE', funding: 'ok' | 'declined' | 'pending' | 'denied' = 'ok', extra: { customId?: string; invoiceId?: string } = {}) {
    const created = await this.createOrder({ intent, ...extra });
    await this.approve(created.body.id, funding);
    return created.body.id as string;
  }
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A webhook listener on a free port; `respond` picks each answer's status. */
export class HookReceiver {
  readonly received: ReceivedHook[] = [];
  respond: (n: number, hook: ReceivedHook) => number = () => 200;
  #server: Server;
  url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hook = { headers: req.headers, body: Buffer.concat(chunks) };
        this.received.push(hook);
        res.statusCode = this.respond(this.received.length, hook);
        res.end();
      });
    });
  }

  static async start(): Promise<HookReceiver> {
    const r = new HookReceiver();
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    r.url = `http://127.0.0.1:${(r.#server.address() as AddressInfo).port}/paypal/webhooks`;
    return r;
  }

  events(): any[] {
    return this.received.map((h) => JSON.parse(h.body.toString('utf8')));
  }

  clear(): void {
    this.received.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
