// Shared by the payment samples: sign in through the sandbox's emulated Google consent page (the
// same steps as book-in-sandbox.mjs), then call /api/v1 with the session cookie and the CSRF
// header. Sandbox mode only: a real Google account cannot be driven like this.

/** Signs `email` in and returns helpers bound to that session. */
export async function signIn(base, email = 'ada.tester@example.com') {
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
  const me = await (await request(`${base}/api/v1/me`)).json();
  if (!me.csrfToken) throw new Error(`sign-in failed: ${JSON.stringify(me)}`);

  /** One API call; a problem document becomes an Error naming its code and request id. */
  async function api(method, path, body) {
    const r = await request(`${base}${path}`, {
      method,
      headers: body === undefined ? { 'x-csrf-token': me.csrfToken } : { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const out = await r.json();
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${out.code}: ${out.detail} (requestId ${out.requestId})`);
    return out;
  }

  return { me, request, api };
}

/** Books a 30-minute event a week ahead (it starts in pending_payment). */
export async function bookEvent(session, title) {
  const day = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const { event } = await session.api('POST', '/api/v1/events', {
    title,
    calendarId: 'primary',
    start: `${day}T10:00`,
    end: `${day}T10:30`,
    timeZone: 'Europe/Zurich',
    sendUpdates: 'none',
  });
  return event;
}

/** Reads `path` every half second until `done(answer)` holds; gives up after `seconds`. */
export async function waitFor(session, path, done, seconds = 20) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const answer = await session.api('GET', path);
    if (done(answer)) return answer;
    if (Date.now() > until) throw new Error(`gave up waiting on ${path}: ${JSON.stringify(answer).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
