// Pay for an event with Binance Pay, end to end in sandbox mode: book an event, start a Binance Pay
// payment (priced in USDT), let the sandbox's test payer pay it, and wait until Binance's signed
// notification has confirmed the event on the (emulated) Google Calendar.
// Run: LEADSCALENDAR_URL=http://localhost:3000 SANDBOX_URL=http://127.0.0.1:4010 node examples/pay-with-binance.mjs
import { bookEvent, signIn, waitFor } from './lib/sandbox-session.mjs';

const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';
const sandbox = process.env.SANDBOX_URL ?? 'http://127.0.0.1:4010';

const session = await signIn(base);
const event = await bookEvent(session, 'Intro call (Binance Pay)');
console.log(`event ${event.id} is ${event.state}, price ${event.price.amount} ${event.price.currency}`);

// 1. Start the payment: LeadsCalendar creates the Binance Pay order, priced in USDT.
let payment = await session.api('POST', `/api/v1/events/${event.id}/payments`, { provider: 'binance' });
const action = payment.nextAction;
console.log(`payment ${payment.id} is ${payment.status}: ${payment.charge.value} ${payment.charge.currency} for ${payment.amount.value} ${payment.amount.currency} (rate ${payment.rate})`);
console.log(`next: ${action.type} the QR code (${action.qrSvg.startsWith('<svg') ? 'SVG included' : 'no SVG'}) or open ${action.checkoutUrl}`);

// 2. The payer pays in the Binance app. In the sandbox the control API pays for them; Binance
//    then posts a signed PAY_SUCCESS notification to LeadsCalendar's /webhooks/binance.
const paid = await fetch(`${sandbox}/__sandbox/binance/orders/${payment.providerReference.orderId}/pay`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{}',
}).then((r) => r.json());
console.log(`Binance Pay order ${paid.order.prepayId} is ${paid.order.status}`);

// 3. The notification is verified and queued; the order is read back from Binance Pay, the event
//    becomes paid, a job puts it on Google Calendar, and it is confirmed.
const done = await waitFor(session, `/api/v1/events/${event.id}`, (e) => e.state === 'confirmed' || e.state === 'failed');
console.log(`event ${done.id} is ${done.state}: ${done.timeline.filter((t) => t.subject === 'event').map((t) => t.to).join(' → ')}`);

payment = await session.api('GET', `/api/v1/payments/${payment.id}`);
console.log(`payment ${payment.id} is ${payment.status}, merchantTradeNo ${payment.providerReference.merchantReference}`);
