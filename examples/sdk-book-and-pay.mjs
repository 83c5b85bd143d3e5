// Books an event and pays for it with the SDK, against an instance in sandbox mode: create the
// event, start a Binance Pay payment, let the sandbox's payer pay, and wait until the event is on
// the calendar. The API key comes from the environment (Settings → Developers, or
// POST /api/v1/api-keys); never write one into your code.
// Run: LEADSCALENDAR_URL=http://localhost:3000 SANDBOX_URL=http://localhost:4010 \
//      LEADSCALENDAR_API_KEY=lc_test_… node examples/sdk-book-and-pay.mjs
import { LeadsCalendar } from '@leadscalendar/sdk';

const lc = new LeadsCalendar({
  mode: 'sandbox',
  baseUrl: process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000',
  apiKey: process.env.LEADSCALENDAR_API_KEY,
  sandboxUrl: process.env.SANDBOX_URL ?? 'http://localhost:4010',
});

// A week ahead, 10:00–10:30 in Zurich (wall-clock times in the event's own time zone).
const day = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
const { event } = await lc.events.create({ title: 'SDK consultation', timeZone: 'Europe/Zurich', start: `${day}T10:00`, end: `${day}T10:30` });
console.log(`event ${event.id} is ${event.state}, price ${event.price.amount} ${event.price.currency}`);

const payment = await lc.payments.create(event.id, { provider: 'binance' });
console.log(`payment ${payment.id} is ${payment.status}: ${payment.charge.value} ${payment.charge.currency} for ${payment.amount.value} ${payment.amount.currency}`);

// In sandbox mode the SDK can act as the payer; in live mode the person pays at Binance.
await lc.sandbox.drivePayment(payment.id, 'completed');
const captured = await lc.sandbox.waitForPayment(payment.id, ['captured']);
console.log(`payment ${captured.id} is ${captured.status}`);

// The event is confirmed once it is on the Google Calendar: a moment after the payment.
let booked = await lc.events.get(event.id);
for (let i = 0; i < 100 && booked.state === 'paid'; i++) {
  await new Promise((r) => setTimeout(r, 200));
  booked = await lc.events.get(event.id);
}
console.log(`event ${booked.id} is ${booked.state}: ${booked.timeline.filter((t) => t.subject === 'event').map((t) => t.to).join(' → ')}`);
await lc.close();
