// LeadsCalendar web interface: a small client of the public API (/api/v1). No framework, no
// build step; every call sends the session's CSRF token.
const root = document.getElementById('app');
let me = null;

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

async function eventView() {
  const id = location.pathname.split('/').pop();
  const render = async () => {
    const e = await api('GET', `/api/v1/events/${id}`);
    root.replaceChildren(
      h('h1', {}, e.title),
      connectionBanner(),
      h('p', { id: 'state', 'data-state': e.state }, h('strong', {}, STATE_LABEL[e.state] ?? e.state)),
      e.failureReason ? h('p', { class: 'error' }, e.failureReason) : '',
      e.google.htmlLink ? h('p', {}, h('a', { href: e.google.htmlLink, id: 'google-link' }, 'Open in Google Calendar')) : '',
      h('p', {}, e.allDay ? `${e.start} → ${e.end} (all day)` : `${e.start.replace('T', ' ')} → ${e.end.replace('T', ' ')}`, ` · ${e.timeZone}`),
      e.recurrence.length ? h('p', { class: 'small' }, e.recurrence.join(' · ')) : '',
      h('p', {}, `Price: ${e.price.amount} ${e.price.currency}`),
      h('h2', {}, 'History'),
      h('ol', { class: 'small' }, e.transitions.map((t) => h('li', {}, `${new Date(t.at).toLocaleString()}: ${t.to} — ${t.reason}`))),
      h('p', {}, h('a', { href: '/app' }, '← All events')),
    );
    return e.state;
  };
  // Live status: poll while something is still to happen.
  const tick = async () => {
    const state = await render();
    if (state === 'pending_payment' || state === 'paid') setTimeout(tick, 1500);
  };
  await tick();
}

(async () => {
  try {
    me = await api('GET', '/api/v1/me');
    await (root.dataset.view === 'event' ? eventView() : home());
  } catch (err) {
    root.replaceChildren(errorBox(err));
  }
})();
