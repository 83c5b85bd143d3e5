// Pay for an event with PayPal, end to end in sandbox mode: book an event, start a PayPal payment,
// let the sandbox's test buyer approve it, follow PayPal's redirect back to LeadsCalendar, and wait
// until the event is confirmed on the (emulated) Google Calendar.
// Run: LEADSCALENDAR_URL=http://localhost:3000 SANDBOX_URL=http://127.0.0.1:4010 node examples/pay-with-paypal.mjs
import { bookEvent, signIn, waitFor } from './lib/sandbox-session.mjs';

const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';
const sandbox = process.env.SANDBOX_URL ?? 'http://127.0.0.1:4010';

const session = await signIn(base);
const event = await bookEvent(session, 'Intro call (PayPal)');
console.log(`event ${event.id} is ${event.state}, price ${event.price.amount} ${event.price.currency}`);

// 1. Start the payment: LeadsCalendar creates the PayPal order and says where to send the payer.
let payment = await session.api('POST', `/api/v1/events/${event.id}/payments`, { provider: 'paypal' });
console.log(`payment ${payment.id} is ${payment.status} (intent ${payment.intent}), PayPal order ${payment.providerReference.orderId}`);
console.log(`next: ${payment.nextAction.type} to ${payment.nextAction.url}`);

// 2. The payer approves on PayPal's page. In the sandbox the control API presses "Approve"
//    for them and answers the URL PayPal would send the browser back to.
const approval = await fetch(`${sandbox}/__sandbox/paypal/orders/${payment.providerReference.orderId}/approve`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ funding: 'ok' }),
}).then((r) => r.json());

// 3. The browser comes back. LeadsCalendar reads the order from PayPal (the query string is only a
//    hint), authorizes or captures it, and redirects to the event's page.
const back = await session.request(approval.redirectUrl);
console.log(`back from PayPal: HTTP ${back.status} to ${back.headers.get('location')}`);

// 4. A job puts the event on Google Calendar, then the hold is captured: the event is confirmed.
const done = await waitFor(session, `/api/v1/events/${event.id}`, (e) => e.state === 'confirmed' || e.state === 'failed');
console.log(`event ${done.id} is ${done.state}: ${done.timeline.filter((t) => t.subject === 'event').map((t) => t.to).join(' → ')}`);

payment = await session.api('GET', `/api/v1/payments/${payment.id}`);
const ref = payment.providerReference;
console.log(`payment ${payment.id} is ${payment.status}: ${payment.charge.value} ${payment.charge.currency}, authorization ${ref.authorizationId ?? '-'}, capture ${ref.captureId}`);
console.log(`payment history: ${payment.transitions.map((t) => t.to).join(' → ')}`);
