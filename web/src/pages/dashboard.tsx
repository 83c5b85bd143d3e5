import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, type Event, type EventListItem, type EventState } from '../api.ts';
import { chipsByDay, daysOf, isDate, startOf, step, today, VIEWS, type Chip, type View } from '../calendar.ts';
import { problemText } from '../errors.ts';
import { addDays, browserZone, dateTime, day, locale, time } from '../format.ts';
import { usePages } from '../paging.ts';
import { navigate, useQuery } from '../router.ts';
import { STATE_LABEL, STATE_SHORT, t } from '../strings.ts';

const STATES = Object.keys(STATE_LABEL) as EventState[];
/** Pages of 100 a calendar view loads at most: a week or month with more events says so. */
const MAX_CALENDAR_PAGES = 10;

export function when(e: Event): string {
  if (!e.allDay) return dateTime(e.startUtc, e.timeZone);
  const last = addDays(e.end, -1);
  return last === e.start ? `${day(e.start)} (${t.dashboard.allDay})` : `${day(e.start)} – ${day(last)} (${t.dashboard.allDay})`;
}

/** What the address says the dashboard shows: the view, its date, the status filter. */
function readQuery(q: URLSearchParams) {
  const v = q.get('view') as View | null;
  const state = q.get('state') as EventState | null;
  return {
    view: v && VIEWS.includes(v) ? v : ('list' as View),
    date: isDate(q.get('date')) ? q.get('date')! : today(),
    state: state && STATES.includes(state) ? state : ('' as const),
  };
}

function href(view: View, date: string, state: EventState | '') {
  const q = new URLSearchParams();
  if (view !== 'list') q.set('view', view);
  if (view !== 'list' && date !== today()) q.set('date', date);
  if (state) q.set('state', state);
  const s = q.toString();
  return `/app${s ? `?${s}` : ''}`;
}

export function Dashboard(_: PageProps) {
  const { view, date, state } = readQuery(useQuery());
  return (
    <>
      <div class="page-head">
        <h1>{t.dashboard.title}</h1>
        <a class="button" href="/app/new">
          {t.dashboard.create}
        </a>
      </div>
      <p>
        <a href="/app/payments">{t.dashboard.payments}</a>
      </p>
      <div class="toolbar">
        <div class="segmented" role="group" aria-label={t.dashboard.viewLabel} id="view-switch">
          {VIEWS.map((v) => (
            <button key={v} type="button" class="secondary" aria-pressed={v === view} data-view={v} onClick={() => navigate(href(v, date, state))}>
              {t.dashboard.views[v]}
            </button>
          ))}
        </div>
        <p class="filter">
          <label for="state-filter">{t.dashboard.filter}</label>
          <select id="state-filter" value={state} onChange={(e) => navigate(href(view, date, (e.target as HTMLSelectElement).value as EventState | ''), { replace: true })}>
            <option value="">{t.dashboard.all}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </p>
      </div>
      {view === 'list' ? <EventList key={state} state={state} /> : <CalendarView key={`${view}${date}${state}`} view={view} date={date} state={state} />}
    </>
  );
}

function EventList({ state }: { state: EventState | '' }) {
  const { items: events, cursor, busy, error, more } = usePages((cursor) =>
    api.events({ state: state || undefined, cursor: cursor ?? undefined }).then((p) => ({ items: p.events as Event[], nextCursor: p.nextCursor })),
  );

  return (
    <section id="events" aria-labelledby="events-title" aria-busy={busy}>
      <h2 id="events-title" class="visually-hidden">
        {t.dashboard.title}
      </h2>
      {events === null ? (
        error ? null : <p class="muted">{t.loading}</p>
      ) : events.length === 0 && !state ? (
        <div class="card empty">
          <p>{t.dashboard.empty}</p>
          <p>
            <a class="button" href="/app/new">
              {t.dashboard.createFirst}
            </a>
          </p>
        </div>
      ) : events.length === 0 ? (
        <p class="muted">{t.dashboard.emptyFiltered}</p>
      ) : (
        <ul class="event-list">
          {events.map((e) => (
            <li key={e.id} data-state={e.state}>
              <a class="title" href={`/app/events/${e.id}`}>
                {e.title}
              </a>
              <span class="when">{when(e)}</span>
              <span class={`state state-${e.state}`}>{STATE_LABEL[e.state]}</span>
            </li>
          ))}
        </ul>
      )}
      <Failure error={error} />
      {cursor ? (
        <p>
          <button type="button" class="secondary" id="more-events" disabled={busy} onClick={more}>
            {t.dashboard.more}
          </button>
        </p>
      ) : null}
    </section>
  );
}

const Failure = ({ error }: { error: string | null }) =>
  error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;

function CalendarView({ view, date, state }: { view: 'week' | 'month'; date: string; state: EventState | '' }) {
  const days = daysOf(view, date);
  const [events, setEvents] = useState<EventListItem[] | null>(null);
  const [partial, setPartial] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      // Every event that may happen in the days shown, with its occurrences there, page by page.
      const query = { state: state || undefined, from: startOf(days[0]!).toISOString(), to: startOf(addDays(days[days.length - 1]!, 1)).toISOString(), limit: '100' };
      const all: EventListItem[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await api.events({ ...query, cursor: cursor ?? undefined });
        all.push(...page.events);
        cursor = page.nextCursor;
      } while (cursor && ++pages < MAX_CALENDAR_PAGES);
      if (live) {
        setEvents(all);
        setPartial(cursor !== null);
        setError(null);
      }
    })().catch((err) => live && setError(problemText(err)));
    return () => void (live = false);
  }, []);

  const chips = chipsByDay(events ?? [], days);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const rangeTitle =
    view === 'month'
      ? new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date.slice(0, 7)}-15T12:00:00Z`))
      : new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).formatRange(new Date(`${first}T12:00:00Z`), new Date(`${last}T12:00:00Z`));
  const total = [...chips.values()].reduce((n, c) => n + c.length, 0);

  return (
    <section id="calendar" aria-labelledby="range-title" aria-busy={events === null && !error} data-view={view}>
      <div class="range-head">
        <h2 id="range-title" aria-live="polite">
          {rangeTitle}
        </h2>
        <nav class="range-nav" aria-label={t.dashboard.rangeNav}>
          <a class="button secondary" id="previous" href={href(view, step(view, date, -1), state)}>
            <span aria-hidden="true">‹</span> {t.dashboard.previous[view]}
          </a>
          <a class="button secondary" id="today" href={href(view, today(), state)}>
            {t.dashboard.today}
          </a>
          <a class="button secondary" id="next" href={href(view, step(view, date, 1), state)}>
            {t.dashboard.next[view]} <span aria-hidden="true">›</span>
          </a>
        </nav>
      </div>
      <Failure error={error} />
      {events === null ? (
        error ? null : <p class="muted">{t.loading}</p>
      ) : (
        <>
          {total === 0 ? <p class="muted">{t.dashboard.noEventsRange}</p> : null}
          {partial ? <p class="note">{t.dashboard.tooMany}</p> : null}
          {view === 'week' ? <Week days={days} chips={chips} title={rangeTitle} /> : <Month days={days} chips={chips} date={date} title={rangeTitle} />}
        </>
      )}
    </section>
  );
}

const dayName = (d: string) => day(d, 'full');

function ChipLink({ chip }: { chip: Chip }) {
  const { event } = chip;
  const at = chip.allDay ? t.dashboard.allDay : time(chip.start, browserZone());
  return (
    <a class={`cal-chip state-${event.state}`} href={`/app/events/${event.id}`} data-event={event.id}>
      <span class="cal-chip-time">{at}</span> <span class="cal-chip-title">{event.title}</span>{' '}
      <span class="cal-chip-state" aria-hidden="true">
        {STATE_SHORT[event.state]}
      </span>
      <span class="visually-hidden">, {STATE_LABEL[event.state]}</span>
    </a>
  );
}

function DayChips({ chips }: { chips: Chip[] }) {
  return chips.length ? (
    <ul class="cal-chips">
      {chips.map((c) => (
        <li key={`${c.event.id}${c.start}`}>
          <ChipLink chip={c} />
        </li>
      ))}
    </ul>
  ) : null;
}

/** A week: seven days side by side on a wide screen, one under the other on a narrow one. */
function Week({ days, chips, title }: { days: string[]; chips: Map<string, Chip[]>; title: string }) {
  const now = today();
  return (
    <ol class="week" aria-label={t.dashboard.weekCaption(title)}>
      {days.map((d) => {
        const list = chips.get(d) ?? [];
        return (
          <li key={d} class="day" data-date={d} aria-labelledby={`day-${d}`} aria-current={d === now ? 'date' : undefined}>
            <h3 class="day-name" id={`day-${d}`}>
              {dayName(d)}
              <span class="visually-hidden">, {t.dashboard.eventsOn(list.length)}</span>
            </h3>
            {list.length ? <DayChips chips={list} /> : <p class="muted day-empty">{t.dashboard.noEventsDay}</p>}
          </li>
        );
      })}
    </ol>
  );
}

/** A month: a table of its weeks. On a narrow screen the table scrolls within its labelled box, never the page. */
function Month({ days, chips, date, title }: { days: string[]; chips: Map<string, Chip[]>; date: string; title: string }) {
  const now = today();
  const month = date.slice(0, 7);
  const weeks: string[][] = [];
  for (let i = 0; i < days.length; i += 7) weeks.push(days.slice(i, i + 7));
  const weekday = (d: string, width: 'long' | 'short') => new Intl.DateTimeFormat(locale(), { weekday: width, timeZone: 'UTC' }).format(new Date(`${d}T12:00:00Z`));
  return (
    <>
      <p class="hint scroll-hint" id="month-hint">
        {t.dashboard.scrollHint}
      </p>
      <div class="month-scroll" role="region" aria-labelledby="month-caption" aria-describedby="month-hint" tabIndex={0}>
        <table class="month">
          <caption id="month-caption">{t.dashboard.monthCaption(title)}</caption>
          <thead>
            <tr>
              {weeks[0]!.map((d) => (
                <th key={d} scope="col">
                  <abbr title={weekday(d, 'long')}>{weekday(d, 'short')}</abbr>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {weeks.map((w) => (
              <tr key={w[0]}>
                {w.map((d) => {
                  const list = chips.get(d) ?? [];
                  return (
                    <td key={d} data-date={d} class={d.startsWith(month) ? undefined : 'outside'} aria-current={d === now ? 'date' : undefined}>
                      <div class="day-num">
                        <span aria-hidden="true">{Number(d.slice(8))}</span>
                        <span class="visually-hidden">
                          {dayName(d)}, {t.dashboard.eventsOn(list.length)}
                        </span>
                      </div>
                      <DayChips chips={list} />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
