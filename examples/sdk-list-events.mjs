// Lists every event of the API key's owner with the SDK: iterating a list fetches the pages as the
// loop needs them (here two events a page), so no cursor handling is needed.
// Run: LEADSCALENDAR_URL=http://localhost:3000 LEADSCALENDAR_API_KEY=lc_test_… node examples/sdk-list-events.mjs
import { LeadsCalendar } from '@leadscalendar/sdk';

const lc = new LeadsCalendar({
  mode: 'sandbox',
  baseUrl: process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000',
  apiKey: process.env.LEADSCALENDAR_API_KEY,
  // Each page is one request: this counts them.
  onResponse: (r) => r.path.startsWith('/api/v1/events?') && console.log(`page ${++pages}: HTTP ${r.status}`),
});
let pages = 0;

let n = 0;
for await (const event of lc.events.list({ limit: 2 })) {
  n += 1;
  console.log(`${event.id} ${event.state} ${event.title}`);
}
console.log(`${n} event(s)`);

// Filters narrow the list; the first page alone is an await away.
const { items, nextCursor } = await lc.events.list({ state: 'pending_payment', limit: 100 });
console.log(`pending payment: ${items.length}${nextCursor ? ' and more' : ''}`);
await lc.close();
