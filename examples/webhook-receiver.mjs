// A webhook receiver that verifies LeadsCalendar's signature before trusting a delivery, and the
// round trip that shows it working in sandbox mode: register the receiver as an endpoint, book an
// event, verify the `event.created` delivery; then a tampered and a stale delivery are refused.
// Run: LEADSCALENDAR_URL=http://localhost:3000 node examples/webhook-receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { bookEvent, signIn } from './lib/sandbox-session.mjs';

const TOLERANCE_SECONDS = 300;

/**
 * Verifies `LeadsCalendar-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` over the raw body (the bytes as
 * received, never a re-serialised parse) with any of your secrets. Returns the reason on failure.
 */
export function verify(rawBody, header, secrets, now = Math.floor(Date.now() / 1000)) {
  const parts = (header ?? '').split(',').map((p) => p.split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const sent = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => Buffer.from(v, 'hex'));
  if (!Number.isInteger(t) || sent.length === 0) return 'malformed';
  if (Math.abs(now - t) > TOLERANCE_SECONDS) return 'stale';
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
    if (sent.some((s) => timingSafeEqual(s, expected))) return 'ok';
  }
  return 'mismatch';
}

const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';
let secret;
let resolveDelivery;
const delivered = new Promise((resolve) => (resolveDelivery = resolve));

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = req.headers['leadscalendar-signature'];
    if (verify(raw, header, [secret]) !== 'ok') return res.writeHead(400).end('bad signature');
    // Answer 2xx quickly; do the work afterwards (a slow answer counts as a failure and is retried).
    res.writeHead(204).end();
    resolveDelivery({ raw, header, event: JSON.parse(raw) });
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/leadscalendar`;

const session = await signIn(base);
const endpoint = await session.api('POST', '/api/v1/webhook-endpoints', { url, description: 'docs example', types: ['event.created'] });
secret = endpoint.secret; // shown only in this answer: keep it in your secret store
console.log(`endpoint ${endpoint.id} receives ${endpoint.types.join(', ')}`);

const booked = await bookEvent(session, 'Webhook demo');
const { raw, header, event } = await delivered;
console.log(`verified ${event.type} ${event.id} about event ${event.data.id} (${event.data.state})`);
console.log(`booked event ${booked.id}: ${event.data.id === booked.id ? 'same' : 'different'}`);

console.log(`tampered: ${verify(raw.replace('pending_payment', 'confirmed'), header, [secret])}`);
console.log(`stale: ${verify(raw, header, [secret], Math.floor(Date.now() / 1000) + TOLERANCE_SECONDS + 1)}`);

await session.request(`${base}/api/v1/webhook-endpoints/${endpoint.id}`, { method: 'DELETE', headers: { 'x-csrf-token': session.me.csrfToken } });
server.close();
