// Sign in with the sandbox's emulated Google (as a browser would), then create an event through
// the public API with the session cookie and the CSRF header. Sandbox mode only.
// Run: LEADSCALENDAR_URL=http://localhost:3000 node examples/book-in-sandbox.mjs
const base = process.env.LEADSCALENDAR_URL ?? 'http://localhost:3000';
const email = process.env.TEST_USER_EMAIL ?? 'ada.tester@example.com';

// A tiny cookie jar: LeadsCalendar's session cookie is all we need to keep.
const jar = new Map();
async function request(url, init = {}) {
  const headers = { ...init.headers };
  if (url.startsWith(base) && jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  if (url.startsWith(base)) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }
  return res;
}

// 1. Sign in: /auth/google/start → Google's consent page → back to /auth/google/callback → /app.
let res = await request(`${base}/auth/google/start?loginHint=${encodeURIComponent(email)}`);
for (let hop = 0; hop < 10 && res.status >= 300 && res.status < 400; hop++) {
  const next = new URL(res.headers.get('location'), base).toString();
  res = await request(next);
  if (res.status === 200 && !next.startsWith(base)) {
    // The emulated consent page: keep every permission ticked and press "Allow".
    const html = await res.text();
    const form = new URLSearchParams({ request: html.match(/name="request" value="([^"]+)"/)[1], email, decision: 'allow' });
    for (const [, scope] of html.matchAll(/name="scope" value="([^"]+)" checked/g)) form.append('scope', scope);
    const action = new URL(html.match(/<form method="post" action="([^"]+)"/)[1], next).toString();
    res = await request(action, { method: 'POST', body: form });
  }
}
if (!res.headers.get('location')?.endsWith('/app') && res.status !== 200) throw new Error(`sign-in ended with HTTP ${res.status}`);

// 2. Who am I? The answer carries the CSRF token that every POST must send back.
const me = await (await request(`${base}/api/v1/me`)).json();
console.log(`signed in as ${me.user.email}; Google connection: ${me.google.status}`);

// 3. Create an event on the primary calendar, a week from today (a booking must lie ahead).
const day = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
res = await request(`${base}/api/v1/events`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
  body: JSON.stringify({
    title: 'Intro call',
    calendarId: 'primary',
    start: `${day}T10:00`,
    end: `${day}T10:30`,
    timeZone: 'Europe/Zurich',
    attendees: [{ email: 'guest@example.com' }],
    sendUpdates: 'none',
  }),
});
const created = await res.json();
if (res.status !== 201) throw new Error(`${created.kind}: ${created.detail} (requestId ${created.requestId})`);
const { event, availability } = created;
console.log(`event ${event.id} is ${event.state}, price ${event.price.amount} ${event.price.currency}`);
console.log(`starts ${event.startUtc} (UTC); Google event id ${event.google.eventId}`);
console.log(`free/busy: ${availability.conflicts.length} conflict(s) in ${availability.checked} occurrence(s) checked`);
console.log(`payment due by ${event.pendingUntil} (pendingUntil)`);
