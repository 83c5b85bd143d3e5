// A webhook receiver that verifies each delivery with the SDK's webhooks.constructEvent, and the
// round trip that shows it working in sandbox mode: register the receiver, book an event, verify
// the `event.created` delivery; a tampered and a stale one are refused.
// Run: LEADSCALENDAR_URL=http://localhost:3000 LEADSCALENDAR_API_KEY=lc_test_… node examples/sdk-webhook-receiver.mjs
import { createServer } from 'node:http';
import { LeadsCalendar, webhooks, WebhookVerificationError } from '@leadscalendar/sdk';

const lc = new LeadsCalendar({
  mode: 'sandbox',
  baseUrl: process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000',
  apiKey: process.env.LEADSCALENDAR_API_KEY,
});

let secret; // from the endpoint's creation: keep it in your secret store
let resolveDelivery;
const delivered = new Promise((resolve) => (resolveDelivery = resolve));

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    // The raw body, as received: a parsed and re-serialised body does not match its signature.
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = req.headers['leadscalendar-signature'];
    let event;
    try {
      event = webhooks.constructEvent(raw, header, secret);
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      return res.writeHead(400).end(err.message);
    }
    // Answer 2xx quickly and work afterwards: a slow answer counts as a failure and is retried.
    res.writeHead(204).end();
    resolveDelivery({ raw, header, event });
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/leadscalendar`;

const endpoint = await lc.webhookEndpoints.create({ url, description: 'SDK receiver', types: ['event.created'] });
secret = endpoint.secret;
console.log(`endpoint ${endpoint.id} receives ${endpoint.types.join(', ')}`);

const day = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
const { event: booked } = await lc.events.create({ title: 'Webhook demo', timeZone: 'Europe/Zurich', start: `${day}T10:00`, end: `${day}T10:30` });
const { raw, header, event } = await delivered;
if (event.type === 'event.created') console.log(`verified ${event.type} ${event.id} about event ${event.data.id} (${event.data.state})`);
console.log(`booked event ${booked.id}: ${event.data.id === booked.id ? 'same' : 'different'}`);

const refused = (body, options) => {
  try {
    webhooks.constructEvent(body, header, secret, options);
    return 'accepted';
  } catch (err) {
    return err instanceof WebhookVerificationError ? `refused (${err.message})` : 'error';
  }
};
console.log(`tampered: ${refused(raw.replace('pending_payment', 'confirmed'))}`);
const sentAt = Number(/t=(\d+)/.exec(header)[1]);
console.log(`stale: ${refused(raw, { now: () => sentAt + 301 })}`);

await lc.webhookEndpoints.delete(endpoint.id);
server.close();
await lc.close();
