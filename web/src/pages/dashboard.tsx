import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, type Event, type EventState } from '../api.ts';
import { problemText } from '../errors.ts';
import { dateTime, day, addDays } from '../format.ts';
import { STATE_LABEL, t } from '../strings.ts';

const STATES = Object.keys(STATE_LABEL) as EventState[];

export function when(e: Event): string {
  if (!e.allDay) return dateTime(e.startUtc, e.timeZone);
  const last = addDays(e.end, -1);
  return last === e.start ? `${day(e.start)} (${t.dashboard.allDay})` : `${day(e.start)} – ${day(last)} (${t.dashboard.allDay})`;
}

export function Dashboard(_: PageProps) {
  const [events, setEvents] = useState<Event[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [filter, setFilter] = useState<EventState | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async (from: string | null) => {
    setBusy(true);
    try {
      const page = await api.events(from);
      setEvents((prev) => [...(from ? (prev ?? []) : []), ...page.events]);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(null), []);

  const shown = events?.filter((e) => !filter || e.state === filter) ?? [];
  return (
    <>
      <div class="page-head">
        <h1>{t.dashboard.title}</h1>
        <a class="button" href="/app/new">
          {t.dashboard.create}
        </a>
      </div>
      {events && events.length > 0 ? (
        <p class="filter">
          <label for="state-filter">{t.dashboard.filter}</label>
          <select id="state-filter" value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value as EventState | '')}>
            <option value="">{t.dashboard.all}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </p>
      ) : null}
      <section id="events" aria-labelledby="events-title" aria-busy={busy}>
        <h2 id="events-title" class="visually-hidden">
          {t.dashboard.title}
        </h2>
        {events === null ? (
          error ? null : <p class="muted">{t.loading}</p>
        ) : events.length === 0 ? (
          <div class="card empty">
            <p>{t.dashboard.empty}</p>
            <p>
              <a class="button" href="/app/new">
                {t.dashboard.createFirst}
              </a>
            </p>
          </div>
        ) : (
          <>
            {shown.length === 0 ? <p class="muted">{t.dashboard.emptyFiltered}</p> : null}
            <ul class="event-list">
              {shown.map((e) => (
                <li key={e.id} data-state={e.state}>
                  <a class="title" href={`/app/events/${e.id}`}>
                    {e.title}
                  </a>
                  <span class="when">{when(e)}</span>
                  <span class={`state state-${e.state}`}>{STATE_LABEL[e.state]}</span>
                </li>
              ))}
            </ul>
          </>
        )}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {cursor ? (
          <p>
            <button type="button" class="secondary" id="more-events" disabled={busy} onClick={() => load(cursor)}>
              {t.dashboard.more}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}
