// LeadsCalendar web interface: a small client of the public API (/api/v1). No framework, no
// build step; every call sends the session's CSRF token.
const root = document.getElementById('app');
let me = null;
// The server's clock minus this one's (from each answer's Date header): countdowns to the server's
// deadlines must not depend on how this computer's clock is set.
let clockOffset = 0;
const serverNow = () => Date.now() + clockOffset;

const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
};

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(me ? { 'x-csrf-token': me.csrfToken } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  // The header has whole seconds: half a second is added back, and a difference below the header's
  // precision is taken as none.
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isFinite(date)) {
    const skew = date + 500 - Date.now();
    clockOffset = Math.abs(skew) > 1500 ? skew : 0;
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(data?.detail ?? `HTTP ${res.status}`);
    err.problem = data;
    throw err;
  }
  return data;
}

// The server writes the labels beside the script, from the one list of event states.
const STATE_LABEL = JSON.parse(document.getElementById('lc-state-labels')?.textContent ?? '{}');
const PAYMENT_STATE_LABEL = JSON.parse(document.getElementById('lc-payment-state-labels')?.textContent ?? '{}');

function connectionBanner() {
  const g = me.google;
  if (g.status === 'active') return h('p', { class: 'small', id: 'google-status' }, `Signed in as ${me.user.email}. Google Calendar connected.`);
  const text =
    g.status === 'needs_reconnect'
      ? 'Google no longer accepts LeadsCalendar’s access to your calendar. Events you paid for wait until you reconnect.'
      : 'Your Google Calendar is not connected.';
  return h('div', { class: 'error', id: 'google-status', 'data-status': g.status }, text, ' ', h('a', { class: 'button', href: g.reconnectUrl }, 'Reconnect Google'));
}

function errorBox(err) {
  const p = err.problem;
  const items = (p?.errors ?? []).map((e) => h('li', {}, `${e.path}: ${e.message}`));
  return h('div', { class: 'error', role: 'alert' }, err.message, items.length ? h('ul', {}, items) : null);
}

function eventForm(calendars) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const out = h('div', { id: 'form-result' });
  const preview = h('ul', { id: 'preview', class: 'small' });
  const form = h(
    'form',
    { id: 'create-event' },
    h('label', { for: 'title' }, 'Title'),
    h('input', { id: 'title', name: 'title', required: true, maxlength: '200' }),
    h('label', { for: 'calendarId' }, 'Calendar'),
    h('select', { id: 'calendarId', name: 'calendarId' }, calendars.map((c) => h('option', { value: c.id }, c.primary ? `${c.summary} (primary)` : c.summary))),
    h('label', {}, h('input', { type: 'checkbox', id: 'allDay', name: 'allDay', style: 'width:auto' }), ' All-day'),
    h('label', { for: 'start' }, 'Start'),
    h('input', { id: 'start', name: 'start', type: 'datetime-local', required: true }),
    h('label', { for: 'end' }, 'End'),
    h('input', { id: 'end', name: 'end', type: 'datetime-local', required: true }),
    h('label', { for: 'timeZone' }, 'Time zone'),
    h('input', { id: 'timeZone', name: 'timeZone', value: tz, required: true }),
    h('label', { for: 'repeat' }, 'Repeats'),
    h('select', { id: 'repeat', name: 'repeat' },
      h('option', { value: '' }, 'Does not repeat'),
      h('option', { value: 'RRULE:FREQ=DAILY' }, 'Daily'),
      h('option', { value: 'RRULE:FREQ=WEEKLY' }, 'Weekly'),
      h('option', { value: 'RRULE:FREQ=MONTHLY' }, 'Monthly'),
      h('option', { value: 'custom' }, 'Custom rule…')),
    h('input', { id: 'rrule', name: 'rrule', placeholder: 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10', hidden: true }),
    preview,
    h('label', { for: 'description' }, 'Description'),
    h('textarea', { id: 'description', name: 'description', rows: '3' }),
    h('p', {}, h('button', { type: 'submit' }, 'Create event')),
  );
  const fields = () => {
    const allDay = form.allDay.checked;
    const v = (x) => (allDay ? x.slice(0, 10) : x);
    const rule = form.repeat.value === 'custom' ? form.rrule.value.trim() : form.repeat.value;
    return { allDay, start: v(form.start.value), end: v(form.end.value), timeZone: form.timeZone.value.trim(), recurrence: rule ? [rule] : [] };
  };
  const refreshPreview = async () => {
    form.rrule.hidden = form.repeat.value !== 'custom';
    form.start.type = form.end.type = form.allDay.checked ? 'date' : 'datetime-local';
    preview.replaceChildren();
    const f = fields();
    if (!f.start || !f.recurrence.length) return;
    try {
      const r = await api('POST', '/api/v1/recurrence/preview', { start: f.start, timeZone: f.timeZone, allDay: f.allDay, recurrence: f.recurrence, count: 5 });
      const when = (o) => {
        if (o.date) return new Date(`${o.date}T12:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC', dateStyle: 'full' });
        const offset = o.start.endsWith('Z') ? '+00:00' : o.start.slice(-6);
        return `${new Date(o.startUtc).toLocaleString(undefined, { timeZone: f.timeZone, dateStyle: 'full', timeStyle: 'short' })} (UTC${offset})`;
      };
      preview.replaceChildren(h('li', { class: 'small' }, 'Next occurrences:'), ...r.occurrences.map((o) => h('li', { 'data-start': o.date ?? o.start }, when(o))));
    } catch (err) {
      preview.replaceChildren(h('li', { class: 'error' }, err.message));
    }
  };
  form.addEventListener('change', refreshPreview);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.replaceChildren();
    const f = fields();
    const body = { title: form.title.value, calendarId: form.calendarId.value, ...f, ...(form.description.value ? { description: form.description.value } : {}) };
    try {
      const r = await api('POST', '/api/v1/events', body);
      const warn = r.availability.conflicts.length
        ? h('p', { class: 'note', id: 'conflict-warning' }, `Heads up: this overlaps ${r.availability.conflicts.length} busy period(s) in your calendar.`)
        : null;
      out.replaceChildren(warn ?? '', h('p', {}, 'Created. ', h('a', { href: `/app/events/${r.event.id}` }, 'Open the event')));
      loadList();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  return h('section', {}, h('h2', {}, 'New event'), form, out);
}

const list = h('section', { id: 'events' });
const eventRow = (e) => h('tr', { 'data-state': e.state },
  h('td', {}, h('a', { href: `/app/events/${e.id}` }, e.title)),
  h('td', {}, e.allDay ? e.start : `${e.start.replace('T', ' ').slice(0, 16)} ${e.timeZone}`),
  h('td', { class: 'state' }, STATE_LABEL[e.state] ?? e.state));
async function loadList() {
  const { events, nextCursor } = await api('GET', '/api/v1/events');
  if (!events.length) return list.replaceChildren(h('h2', {}, 'Your events'), h('p', { class: 'small' }, 'No events yet.'));
  const tbody = h('tbody', {}, events.map(eventRow));
  // The API answers a page at a time; older events come on request, after the ones shown.
  let cursor = nextCursor;
  const more = h('button', { type: 'button', id: 'more-events', onclick: async () => {
    more.disabled = true;
    try {
      const page = await api('GET', `/api/v1/events?cursor=${encodeURIComponent(cursor)}`);
      tbody.append(...page.events.map(eventRow));
      cursor = page.nextCursor;
      if (!cursor) more.remove();
    } catch (err) {
      more.replaceWith(errorBox(err));
    } finally {
      more.disabled = false;
    }
  } }, 'Show older events');
  list.replaceChildren(h('h2', {}, 'Your events'), h('table', {}, tbody), cursor ? more : '');
}

async function home() {
  let calendars = [];
  let calendarError = null;
  if (me.google.status === 'active') {
    try {
      calendars = (await api('GET', '/api/v1/calendars')).calendars;
    } catch (err) {
      calendarError = errorBox(err);
    }
  }
  // The API lists only the calendars LeadsCalendar can write to: the picker offers nothing else.
  const noCalendar = me.google.status === 'active' && !calendarError && calendars.length === 0
    ? h('p', { class: 'error', role: 'alert' }, 'None of your Google calendars can receive events from LeadsCalendar: it can add events only to calendars you own.')
    : null;
  root.replaceChildren(
    h('h1', {}, 'Your events'),
    connectionBanner(),
    calendarError ?? noCalendar ?? '',
    me.google.status === 'active' && !calendarError && !noCalendar ? eventForm(calendars) : '',
    list,
  );
  await loadList();
}

// ── The event page: its state, paying for it, and the outcome ─────────────────────────────────

const FINAL_EVENT_STATES = ['confirmed', 'failed', 'expired', 'cancelled'];
const OPEN_PAYMENT = ['created', 'approved', 'pending'];
const PROVIDER_NAME = { paypal: 'PayPal', binance: 'Binance Pay' };
const POLL_MS = 2000;

/** Audit entry ids are decimal strings of any length: compared as numbers, not as text. */
const byId = (a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** One audit entry in words: when (in the reader's locale), what, why, and the provider's reference. */
function timelineItem(t) {
  const what = t.subject === 'event'
    ? `Event: ${STATE_LABEL[t.to] ?? 'changed'}`
    : `${PROVIDER_NAME[t.provider] ?? 'Payment'} payment: ${PAYMENT_STATE_LABEL[t.to] ?? 'changed'}`;
  return h('li', { 'data-subject': t.subject, 'data-to': t.to },
    h('time', { datetime: t.at }, new Date(t.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })),
    ' — ', h('strong', {}, what),
    t.reason ? ` — ${t.reason}` : '',
    t.providerReference ? h('span', { class: 'reference' }, ` (reference ${t.providerReference})`) : '');
}

/** Decimal text without the trailing zeros past `min` places: "1.00000000" → "1.00", and "1.00000000" with min 0 → "1". */
function trimDecimal(text, min = 2) {
  const [whole, frac = ''] = String(text).split('.');
  const kept = frac.replace(/0+$/, '').padEnd(min, '0');
  return kept ? `${whole}.${kept}` : whole;
}

/** Time left as mm:ss (minutes keep counting past 59: a countdown, not a clock). */
function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// The QR code arrives as SVG text drawn by our own server. It is still parsed as an image and
// rebuilt from a short list of drawing elements and attributes: nothing from the string can run or
// load anything, whatever it holds.
const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ELEMENTS = new Set(['svg', 'g', 'path', 'rect']);
const SVG_ATTRIBUTES = new Set(['viewBox', 'width', 'height', 'shape-rendering', 'fill', 'stroke', 'stroke-width', 'd', 'x', 'y', 'transform']);
function safeSvg(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const source = doc.documentElement;
  if (source.namespaceURI !== SVG_NS || source.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const copy = (node) => {
    if (node.namespaceURI !== SVG_NS || !SVG_ELEMENTS.has(node.localName)) return null;
    const el = document.createElementNS(SVG_NS, node.localName);
    for (const a of node.attributes) if (!a.namespaceURI && SVG_ATTRIBUTES.has(a.name)) el.setAttribute(a.name, a.value);
    for (const child of node.children) {
      const c = copy(child);
      if (c) el.append(c);
    }
    return el;
  };
  return copy(source);
}

/** The words for how things stand, once no payment is waiting for the payer. Null: nothing to say. */
/** The payment's money went back (or was taken back): its reason explains the event's end. */
const moneyMoved = (p) => Boolean(p && ['voiding', 'voided', 'refunding', 'refunded', 'reversed'].includes(p.status));

function outcome(e, p, payable) {
  const who = p ? PROVIDER_NAME[p.provider] : null;
  const paidWith = who ? ` with ${who}` : '';
  const moneyBack = {
    voiding: 'The PayPal hold is being released.',
    voided: 'The PayPal hold was released: no money was taken.',
    refunding: 'Your payment is being refunded.',
    refunded: 'Your payment was refunded.',
    reversed: 'The payment was taken back by the provider or your bank.',
  }[p?.status] ?? null;
  const joined = (...parts) => parts.filter(Boolean).join(' ');
  switch (e.state) {
    case 'paid':
      return {
        tone: 'ok',
        text: p?.status === 'authorized' && e.google.onCalendarAt
          ? `The event is on your Google Calendar. PayPal holds ${p.amount.value} ${p.amount.currency}, and the booking is confirmed once PayPal completes the payment.`
          : p?.status === 'authorized'
            ? `PayPal holds ${p.amount.value} ${p.amount.currency} for this event. LeadsCalendar is adding it to your Google Calendar and takes the money once it is there.`
            : `Paid${paidWith}. LeadsCalendar is adding the event to your Google Calendar.`,
      };
    case 'confirmed':
      return { tone: 'ok', text: `Paid${paidWith} and added to your Google Calendar.` };
    case 'failed':
      return { tone: 'bad', text: joined('The booking failed, so the event is not on your Google Calendar.', moneyBack) };
    case 'expired':
      return { tone: 'bad', text: joined('The event was not paid in time, so it was not booked. Create it again to book it.', moneyBack) };
    case 'cancelled':
      return { tone: 'bad', text: joined('The event is cancelled.', moneyBack) };
  }
  // Waiting for payment: what became of the last try. An order that could not be created (`error`)
  // was reported where the payer asked for it, once.
  if (!p || OPEN_PAYMENT.includes(p.status) || p.status === 'error') return null;
  const text = {
    declined: 'The payment was declined; you can try again.',
    cancelled: 'The payment was cancelled; you can pay again.',
    expired: payable ? `The ${who} order expired before it was paid; you can start again.` : `The ${who} order expired before it was paid.`,
    review: 'The payment needs a manual check, so the event is not booked.',
    authorized: 'Payment received. LeadsCalendar is adding the event to your Google Calendar.',
    captured: 'Payment received. LeadsCalendar is adding the event to your Google Calendar.',
  }[p.status] ?? moneyBack;
  return text ? { tone: ['authorized', 'captured'].includes(p.status) ? 'ok' : 'bad', text } : null;
}

async function eventView() {
  const id = location.pathname.split('/').pop();
  let event = null;
  let payments = [];
  // A poll answered after the page itself learnt something newer (the order it just created) is old news: dropped.
  let seen = 0;
  /** Ids of payments whose countdown reached zero here, before the server says so. */
  const runOut = new Set();

  // Each part of the page is rebuilt only when what it shows changes: the polling below must not
  // reset a button being pressed, an error being read or the QR code being scanned.
  const parts = new Map();
  const patch = (el, sig, build) => {
    if (parts.get(el) === sig) return;
    parts.set(el, sig);
    el.replaceChildren(...[build()].flat().filter((c) => c !== null && c !== undefined && c !== ''));
  };
  const el = {
    title: h('div'),
    banner: h('div'),
    // Changes come from the polling, not from the reader's action: said politely as they happen.
    state: h('p', { id: 'state', 'aria-live': 'polite' }),
    outcome: h('div', { id: 'outcome', 'aria-live': 'polite' }),
    google: h('div'),
    details: h('div'),
    pay: h('section', { id: 'pay' }),
    actions: h('section', { id: 'event-actions' }),
    refresh: h('div', { id: 'refresh-status' }),
    history: h('section'),
  };
  root.replaceChildren(...Object.values(el), h('p', {}, h('a', { href: '/app' }, '← All events')));
  patch(el.banner, 'once', () => connectionBanner());

  const latest = () => payments.at(-1) ?? null;
  // The server refuses payments after the event's deadline: past it, nothing offers to pay.
  const payable = () => event?.state === 'pending_payment' && Date.parse(event.pendingUntil) > serverNow();
  const open = () => {
    const p = latest();
    return p && OPEN_PAYMENT.includes(p.status) ? p : null;
  };

  // ── Paying ──
  const payError = h('div');
  const payButtons = {
    paypal: h('button', { type: 'button', id: 'pay-paypal', onclick: () => pay('paypal') }, 'Pay with PayPal'),
    binance: h('button', { type: 'button', id: 'pay-binance', onclick: () => pay('binance') }, 'Pay with Binance Pay'),
  };
  const checkout = h('div', { id: 'checkout' });
  let countdownTimer = null;
  const pay = async (provider) => {
    const buttons = Object.values(payButtons);
    for (const b of buttons) b.disabled = true;
    payError.replaceChildren(h('p', { class: 'small', role: 'status' }, provider === 'paypal' ? 'Opening PayPal…' : 'Creating the Binance Pay order…'));
    try {
      const p = await api('POST', `/api/v1/events/${id}/payments`, { provider });
      if (provider === 'paypal') {
        if (p.nextAction?.type !== 'redirect') throw new Error('PayPal did not give an approval page; try again.');
        // The buttons stay disabled: the browser is on its way to PayPal.
        location.assign(p.nextAction.url);
        return;
      }
      payments = [...payments.filter((x) => x.id !== p.id), p];
      seen++;
      payError.replaceChildren();
      render();
      for (const b of buttons) b.disabled = false;
    } catch (err) {
      payError.replaceChildren(errorBox(err));
      for (const b of buttons) b.disabled = false;
    }
  };

  const checkoutPanel = (p) => {
    clearInterval(countdownTimer);
    if (!p) return [];
    const who = PROVIDER_NAME[p.provider];
    if (p.status === 'pending') return h('p', { class: 'note' }, `${who} is processing the payment. This page updates when it is done.`);
    if (p.status === 'approved') return h('p', { class: 'note' }, 'You approved the payment at PayPal. LeadsCalendar is completing it.');
    if (runOut.has(p.id) || Date.parse(p.expiresAt) <= serverNow()) {
      // Starting again is offered only while the event itself can still be paid.
      return h('div', { class: 'note', 'data-expired': '' },
        h('p', {}, `This ${who} order expired before it was paid.`),
        payable() ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => pay(p.provider) }, 'Start again')) : '');
    }
    if (p.nextAction?.type === 'redirect') {
      return h('p', { class: 'note' }, 'Your PayPal payment is not finished. ', h('a', { href: p.nextAction.url }, 'Continue at PayPal'));
    }
    if (p.nextAction?.type === 'scan') {
      const svg = safeSvg(p.nextAction.qrSvg);
      if (svg) {
        svg.setAttribute('role', 'img');
        svg.setAttribute('aria-label', 'QR code of the Binance Pay order');
      }
      const countdown = h('strong', { id: 'countdown' });
      const tickDown = () => {
        const left = Date.parse(p.expiresAt) - serverNow();
        countdown.textContent = mmss(left);
        if (left <= 0) {
          clearInterval(countdownTimer);
          runOut.add(p.id);
          setTimeout(render);
        }
      };
      tickDown();
      countdownTimer = setInterval(tickDown, 1000);
      return h('div', { class: 'scan' },
        h('h3', {}, 'Your Binance Pay order'),
        svg ? h('figure', { class: 'qr' }, svg, h('figcaption', { class: 'small' }, 'Scan with the Binance app.')) : h('p', { class: 'small' }, 'The QR code cannot be shown here; use the checkout link.'),
        p.charge ? h('p', { id: 'charge' }, 'Amount: ', h('strong', {}, `${trimDecimal(p.charge.value)} ${p.charge.currency}`),
          p.rate ? ` at ${trimDecimal(p.rate, 0)} ${p.charge.currency} per ${p.amount.currency}` : '') : '',
        h('p', {}, h('a', { class: 'button', id: 'binance-checkout', href: p.nextAction.checkoutUrl }, 'Open Binance Pay checkout')),
        h('p', { class: 'small' }, 'The order expires in ', countdown, '.'));
    }
    return h('p', { class: 'small' }, `Preparing the order at ${who}…`);
  };

  // ── Cancelling ──
  const cancelArea = h('div');
  const cancelError = h('div');
  const askCancel = () => {
    cancelError.replaceChildren();
    cancelArea.replaceChildren(
      h('p', {}, 'Cancel this event? It will not be booked, and a payment still open is closed.'),
      h('p', {},
        h('button', { type: 'button', id: 'cancel-confirm', onclick: doCancel }, 'Yes, cancel the event'), ' ',
        h('button', { type: 'button', class: 'secondary', onclick: showCancel }, 'Keep the event')));
  };
  const showCancel = () => cancelArea.replaceChildren(h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'cancel-event', onclick: askCancel }, 'Cancel event')));
  const doCancel = async (e) => {
    e.target.disabled = true;
    cancelError.replaceChildren();
    try {
      await api('POST', `/api/v1/events/${id}/cancel`);
    } catch (err) {
      cancelError.replaceChildren(errorBox(err));
      e.target.disabled = false;
      return;
    }
    // Cancelled; the page shows it with the next refresh (a failed one is retried by the polling).
    await refresh().catch(() => {});
  };
  showCancel();

  // ── Rendering ──
  function render() {
    const e = event;
    const p = latest();
    const waiting = e.state === 'pending_payment';
    const canPay = payable();
    patch(el.title, e.title, () => h('h1', {}, e.title));
    el.state.dataset.state = e.state;
    patch(el.state, e.state, () => h('strong', {}, STATE_LABEL[e.state] ?? e.state));
    const said = outcome(e, p, canPay);
    // One reason, the one that explains the outcome: the event's failure, else the last payment's.
    const reason = e.state === 'failed' ? e.failureReason : e.state === 'cancelled' && !moneyMoved(p) ? null : p?.reason ?? null;
    const reasons = said && reason ? [reason] : [];
    el.outcome.dataset.payment = p?.status ?? '';
    patch(el.outcome, JSON.stringify([said, reasons]), () => said
      ? h('div', { class: said.tone === 'ok' ? 'outcome ok' : 'error' }, h('p', {}, said.text), reasons.map((r) => h('p', { class: 'small reason' }, `Details: ${r}`)))
      : []);
    // Only while the event is meant to be there: a failed or cancelled one was taken off the calendar.
    const link = ['paid', 'confirmed'].includes(e.state) ? e.google.htmlLink : null;
    patch(el.google, link ?? '', () => link ? h('p', {}, h('a', { href: link, id: 'google-link' }, 'Open in Google Calendar')) : '');
    patch(el.details, JSON.stringify([e.start, e.end, e.timeZone, e.recurrence, e.price]), () => [
      h('p', {}, e.allDay ? `${e.start} → ${e.end} (all day)` : `${e.start.replace('T', ' ')} → ${e.end.replace('T', ' ')}`, ` · ${e.timeZone}`),
      e.recurrence.length ? h('p', { class: 'small' }, e.recurrence.join(' · ')) : '',
      h('p', { id: 'price' }, `Price: ${e.price.amount} ${e.price.currency}`),
    ]);
    const o = waiting ? open() : null;
    patch(el.pay, `${waiting}|${canPay}`, () => !waiting ? [] : canPay ? [
      h('h2', {}, 'Payment'),
      h('p', {}, `Pay ${e.price.amount} ${e.price.currency} with PayPal, or its equivalent in USDT with Binance Pay, by ${new Date(e.pendingUntil).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}.`),
      h('p', { class: 'pay-buttons' }, payButtons.paypal, ' ', payButtons.binance),
      payError,
      checkout,
    ] : [
      h('h2', {}, 'Payment'),
      checkout,
      h('p', { class: 'note', id: 'too-late' }, 'The time to pay for this event is over, so it will not be booked. ', h('a', { href: '/app' }, 'Create it again'), ' to book it.'),
    ]);
    if (!waiting) clearInterval(countdownTimer);
    const expiredHere = o && (runOut.has(o.id) || Date.parse(o.expiresAt) <= serverNow());
    patch(checkout, o ? `${o.id}|${o.status}|${o.nextAction?.type ?? ''}|${expiredHere}|${canPay}` : '', () => checkoutPanel(o));
    patch(el.actions, waiting ? 'cancel' : '', () => waiting ? [cancelArea, cancelError] : []);
    patch(el.history, e.timeline.map((t) => t.id).join(), () => [
      h('h2', {}, 'History'),
      h('ol', { class: 'small', id: 'timeline' }, e.timeline.map(timelineItem)),
    ]);
  }

  async function refresh() {
    const asked = ++seen;
    const [e, list] = await Promise.all([api('GET', `/api/v1/events/${id}`), api('GET', `/api/v1/events/${id}/payments`)]);
    if (asked !== seen) return;
    event = e;
    payments = list.payments;
    render();
  }

  // Live status: the event's stream (Server-Sent Events) while it is open. Polling only while it
  // is not (unsupported, refused, reconnecting), while something can still happen, and not while
  // the page is out of sight.
  let timer = null;
  let busy = false;
  let live = false;
  const final = () => FINAL_EVENT_STATES.includes(event.state);
  const poll = () => {
    if (!live && !timer && !busy && !document.hidden && !final()) timer = setTimeout(tick, POLL_MS);
  };
  const tick = async () => {
    clearTimeout(timer);
    timer = null;
    if (busy) return;
    busy = true;
    try {
      await refresh();
      patch(el.refresh, '', () => []);
    } catch (err) {
      if (!event) throw err;
      patch(el.refresh, err.message, () => h('p', { class: 'small' }, `Could not refresh this page (${err.message}); trying again.`));
    } finally {
      busy = false;
    }
    poll();
  };

  // What the page holds, from a stream message; a poll already on its way is older news.
  const fromStream = (e, list) => {
    seen++;
    event = e;
    payments = list;
    render();
    patch(el.refresh, '', () => []);
  };
  let reopenMs = 0;
  let stream = null;
  let reopen = null;
  const subscribe = () => {
    clearTimeout(reopen);
    if (!('EventSource' in window) || stream || document.hidden) return;
    // Resumes after what the page already shows (the first load, or the polls in between).
    const after = event.timeline.length ? [...event.timeline].sort(byId).at(-1).id : null;
    stream = new EventSource(`/api/v1/events/${id}/stream${after ? `?lastEventId=${encodeURIComponent(after)}` : ''}`);
    stream.addEventListener('open', () => {
      live = true;
      reopenMs = 0;
      clearTimeout(timer);
      timer = null;
    });
    stream.addEventListener('snapshot', (m) => {
      const d = JSON.parse(m.data);
      fromStream(d.event, d.payments);
    });
    stream.addEventListener('change', (m) => {
      const d = JSON.parse(m.data);
      const known = event.timeline.some((t) => t.id === d.entry.id);
      fromStream({ ...d.event, timeline: known ? event.timeline : [...event.timeline, d.entry].sort(byId) }, d.payments);
    });
    stream.addEventListener('error', () => {
      live = false;
      // A dropped stream is reopened by EventSource itself (with Last-Event-ID); a refused one
      // (limits, a server stopping) is closed for good, so a new one is tried later. Polling
      // keeps the page current meanwhile.
      if (stream.readyState === EventSource.CLOSED) {
        stream = null;
        reopenMs = Math.min(60_000, (reopenMs || 2500) * 2);
        reopen = setTimeout(subscribe, reopenMs);
      }
      poll();
    });
  };
  // A page out of sight holds no stream: a browser speaking HTTP/1.1 has about six connections
  // per site, and background tabs must not take them all. Back in sight, the stream resumes
  // after the last entry shown.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      stream?.close();
      stream = null;
      live = false;
      clearTimeout(timer);
      timer = null;
    } else if (event) {
      subscribe();
      if (!live && !timer && !busy && !final()) tick();
    }
  });
  await tick();
  subscribe();
}

(async () => {
  try {
    me = await api('GET', '/api/v1/me');
    await (root.dataset.view === 'event' ? eventView() : home());
  } catch (err) {
    root.replaceChildren(errorBox(err));
  }
})();
