import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhooks, WebhookVerificationError } from '../../sdk/src/index.ts';

/**
 * The receiver of our outgoing webhooks in a chaos run, as an integrator writes one: each delivery
 * is verified with the SDK (`webhooks.constructEvent`, the endpoint's secret, the raw body) and
 * refused with 400 when it does not check out; now and then it fails (503) so the app retries.
 * Only verified deliveries count as received: a webhook that arrived only with a bad signature is
 * lost as far as the integrator knows.
 */

export interface Receiver {
  /** The URL for endpoint `name`; its secret is given once the endpoint exists. */
  url(name: string): string;
  setSecret(name: string, secret: string): void;
  /** Ids of the webhook events received with a valid signature. */
  verified: Set<string>;
  /** Deliveries refused for their signature (or an endpoint the run never registered). */
  badSignatures: string[];
  /** Every delivery that reached the receiver, whatever it answered. */
  deliveries(): number;
  close(): Promise<void>;
}

/** `failures[n]` says whether the n-th delivery (mod its length) is answered 503: drawn from the run's seed. */
export async function startReceiver(failures: boolean[]): Promise<Receiver> {
  const secrets = new Map<string, string>();
  const verified = new Set<string>();
  const badSignatures: string[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = calls++;
      const name = decodeURIComponent(new URL(req.url ?? '/', 'http://receiver').pathname.replace(/^\/hooks\//, ''));
      const secret = secrets.get(name);
      const header = req.headers['leadscalendar-signature'];
      let id: string;
      try {
        if (!secret) throw new WebhookVerificationError(`no endpoint ${JSON.stringify(name)} registered by the run`);
        id = webhooks.constructEvent(Buffer.concat(chunks), typeof header === 'string' ? header : undefined, secret).id;
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        badSignatures.push(`${req.headers['leadscalendar-event-type'] ?? '?'} ${req.headers['leadscalendar-event-id'] ?? '?'} to ${name}: ${err.message}`);
        res.writeHead(400, { 'content-type': 'text/plain' }).end(err.message);
        return;
      }
      if (failures[n % failures.length]) {
        res.writeHead(503).end();
        return;
      }
      verified.add(id);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/hooks/${encodeURIComponent(name)}`,
    setSecret: (name, secret) => void secrets.set(name, secret),
    verified,
    badSignatures,
    deliveries: () => calls,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
