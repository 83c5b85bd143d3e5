// Refund a payment in full: POST /api/v1/payments/{id}/refund. The answer (202) shows the payment
// `refunding`; once the provider has returned the money it is `refunded`, and the confirmed event
// it paid for is cancelled and taken off Google Calendar.
// Run: PAYMENT_ID=<a captured payment of yours> LEADSCALENDAR_URL=http://localhost:3000 node examples/refund.mjs
import { signIn, waitFor } from './lib/sandbox-session.mjs';

const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';
const id = process.env.PAYMENT_ID;
if (!id) throw new Error('set PAYMENT_ID to the id of a captured payment (pay-with-binance.mjs prints one)');

const session = await signIn(base);

const refunding = await session.api('POST', `/api/v1/payments/${id}/refund`);
console.log(`payment ${refunding.id} is ${refunding.status}`);

// Asking again is harmless: the same refund is answered, never a second one.
const again = await session.api('POST', `/api/v1/payments/${id}/refund`);
console.log(`asked again: ${again.status}`);

const refunded = await waitFor(session, `/api/v1/payments/${id}`, (p) => p.status === 'refunded' || p.status === 'review');
console.log(`payment ${refunded.id} is ${refunded.status}, refund ${refunded.providerReference.refundId}`);

const event = await waitFor(session, `/api/v1/events/${refunded.eventId}`, (e) => e.state !== 'confirmed');
console.log(`event ${event.id} is ${event.state}: ${event.timeline.at(-1).reason}`);
