/**
 * The end-to-end load: paid bookings driven through the public API and the Binance Pay emulator,
 * from a process of its own. Each booking: create the event, start a Binance Pay payment, pay the
 * order at the emulator (which notifies the app, signed); the app then verifies, inserts the
 * Google event and confirms. Confirmations are learnt from the app's own `event.confirmed` webhook,
 * whose `created` is the moment of the confirming transaction.
 *
 * Two phases, chosen by `rate`:
 *   - none: `bookings` bookings from `concurrency` workers as fast as they go (throughput);
 *   - a rate: bookings started at that many per second for `seconds` (latency, below saturation).
 * Input on stdin as JSON; result on stdout as JSON.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

interface Input {
  base: string;
  sandboxUrl: string;
  apiKey: string;
  bookings: number;
  concurrency: number;
  rate?: number;
  seconds?: number;
  /** Give up waiting for confirmations after this long. */
  settleMs: number;
}

let text = '';
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text) as Input;
const agent = new Agent({ connections: Math.max(8, input.concurrency * 2), keepAliveTimeout: 30_000 });

async function call<T>(url: string, method: 'GET' | 'POST' | 'DELETE', body?: unknown, auth = true): Promise<T> {
  const res = await request(url, {
    method,
    dispatcher: agent,
    headers: { ...(auth ? { authorization: `Bearer ${input.apiKey}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const textBody = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${textBody.slice(0, 300)}`);
  return (textBody ? JSON.parse(textBody) : null) as T;
}

// Confirmations, by event id: when the app confirmed (webhook `created`), when we heard.
const confirmed = new Map<string, number>();
const waiting = new Map<string, () => void>();
const receiver = createServer((req, res) => {
  let b = '';
  req.setEncoding('utf8').on('data', (c: string) => (b += c));
  req.on('end', () => {
    res.writeHead(204).end();
    const hook = JSON.parse(b) as { type: string; created: string; data: { id: string } };
    if (hook.type !== 'event.confirmed' || confirmed.has(hook.data.id)) return;
    confirmed.set(hook.data.id, Date.parse(hook.created));
    waiting.get(hook.data.id)?.();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const endpoint = await call<{ id: string }>(`${input.base}/api/v1/webhook-endpoints`, 'POST', {
  url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
  description: 'bench',
  types: ['event.confirmed'],
});

let counter = 0;
const errors: string[] = [];
/** One booking up to the payment; resolves with the event id and when the payer paid. */
async function book(): Promise<{ eventId: string; paidAt: number } | null> {
  const n = counter++;
  // Spread over the years so free/busy finds little to warn about.
  const day = new Date(Date.UTC(2033, 0, 1) + (n % 3000) * 86_400_000).toISOString().slice(0, 10);
  try {
    const { event } = await call<{ event: { id: string } }>(`${input.base}/api/v1/events`, 'POST', {
      title: `Bench ${n}`,
      timeZone: 'Europe/Paris',
      start: `${day}T09:00`,
      end: `${day}T09:30`,
    });
    const payment = await call<{ providerReference: { orderId: string } }>(`${input.base}/api/v1/events/${event.id}/payments`, 'POST', { provider: 'binance' });
    const paidAt = Date.now();
    await call(`${input.sandboxUrl}/__sandbox/binance/orders/${payment.providerReference.orderId}/pay`, 'POST', {}, false);
    return { eventId: event.id, paidAt };
  } catch (err) {
    errors.push((err as Error).message);
    return null;
  }
}

const started: { eventId: string; paidAt: number }[] = [];
const t0 = Date.now();
if (input.rate === undefined) {
  let left = input.bookings;
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (left-- > 0) {
        const b = await book();
        if (b) started.push(b);
      }
    }),
  );
} else {
  const total = Math.max(1, Math.round(input.rate * (input.seconds ?? 10)));
  const gapMs = 1000 / input.rate;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * gapMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(book().then((b) => void (b && started.push(b))));
  }
  await Promise.all(inFlight);
}
const sentAt = Date.now();

// Every booking paid is confirmed, or the wait gives up.
await Promise.race([
  Promise.all(started.map((b) => (confirmed.has(b.eventId) ? null : new Promise<void>((r) => waiting.set(b.eventId, r))))),
  new Promise((r) => setTimeout(r, input.settleMs)),
]);
const done = started.filter((b) => confirmed.has(b.eventId));
// What became of a few that were not confirmed: the figure is read with them.
const unconfirmed = await Promise.all(
  started
    .filter((b) => !confirmed.has(b.eventId))
    .slice(0, 3)
    .map((b) =>
      call<{ event: { state: string; timeline: { subject: string; to: string; reason?: string }[] } }>(`${input.base}/api/v1/events/${b.eventId}`, 'GET')
        .then((r) => `${b.eventId}: ${r.event.state} (${r.event.timeline.map((t) => `${t.subject} ${t.to}`).join(' → ')})`)
        .catch((err: Error) => `${b.eventId}: ${err.message}`),
    ),
);
const latencies = done.map((b) => confirmed.get(b.eventId)! - b.paidAt);
const lastConfirmed = Math.max(t0, ...done.map((b) => confirmed.get(b.eventId)!));
await call(`${input.base}/api/v1/webhook-endpoints/${endpoint.id}`, 'DELETE').catch(() => {});
receiver.close();
await agent.close();
process.stdout.write(
  JSON.stringify({
    attempted: counter,
    paid: started.length,
    confirmed: done.length,
    errors: errors.length,
    firstErrors: errors.slice(0, 3),
    unconfirmed,
    seconds: (lastConfirmed - t0) / 1000,
    sendSeconds: (sentAt - t0) / 1000,
    latenciesMs: latencies,
  }),
);
