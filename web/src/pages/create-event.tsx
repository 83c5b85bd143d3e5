import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, ApiError, type Calendar, type EventWithHistory, type Preview } from '../api.ts';
import { config } from '../config.ts';
import { focusFirstError, problemText } from '../errors.ts';
import { addDays, browserZone, dateTime, day, money, time, weekdayName, zoneOffset } from '../format.ts';
import { customDays, customRule, DAYS, describe, presets, weekdayOf, type Custom, type Freq } from '../recurrence.ts';
import { navigate } from '../router.ts';
import { t } from '../strings.ts';

type Field = 'title' | 'start' | 'end' | 'timeZone' | 'repeat' | 'guests' | 'calendarId' | 'location' | 'description';
type Errors = Partial<Record<Field, string>>;
const FIELD_ORDER: Field[] = ['title', 'start', 'end', 'timeZone', 'repeat', 'guests', 'location', 'calendarId', 'description'];
/** The element each field's error points to, to move the focus there. */
const FIELD_INPUT: Record<Field, string> = {
  title: 'title', start: 'start-date', end: 'end-date', timeZone: 'timeZone', repeat: 'repeat', guests: 'guests', calendarId: 'calendarId', location: 'location', description: 'description',
};
const EMAIL = /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/;

const pad = (n: number) => String(n).padStart(2, '0');
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localTime = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

function defaults() {
  const start = new Date();
  start.setHours(start.getHours() + 1, 0, 0, 0);
  const end = new Date(start.getTime() + 3600_000);
  return { startDate: localDate(start), startTime: localTime(start), endDate: localDate(end), endTime: localTime(end) };
}

/**
 * The form's values for booking `e` again ("Book again" on an event that can no longer be paid):
 * the same details, the same times of day and length; the same dates while they are still ahead,
 * else from the default day on.
 */
function again(e: EventWithHistory, d: ReturnType<typeof defaults>) {
  const startDate = e.start.slice(0, 10);
  // All-day ends are exclusive; the form shows the last day.
  const endDate = e.allDay ? addDays(e.end.slice(0, 10), -1) : e.end.slice(0, 10);
  const span = Math.round((Date.parse(endDate) - Date.parse(startDate)) / 86_400_000);
  const ahead = Date.parse(e.startUtc) > Date.now();
  const from = ahead ? startDate : d.startDate;
  return {
    startDate: from,
    endDate: addDays(from, span),
    startTime: e.allDay ? d.startTime : e.start.slice(11, 16),
    endTime: e.allDay ? d.endTime : e.end.slice(11, 16),
    span,
  };
}

/** The API's field path (body/start, body/attendees/2/email) → the form's field. */
function fieldOf(path: string): Field | null {
  const [, name] = path.split('/');
  switch (name) {
    case 'title': case 'start': case 'end': case 'timeZone': case 'calendarId': case 'location': case 'description':
      return name;
    case 'allDay': return 'start';
    case 'recurrence': return 'repeat';
    case 'attendees': return 'guests';
    default: return null;
  }
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [JSON.stringify(value)]);
  return v;
}

export function CreateEvent({ me, setMe }: PageProps) {
  const init = useMemo(defaults, []);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [location, setLocation] = useState('');
  const [startDate, setStartDate] = useState(init.startDate);
  const [startTime, setStartTime] = useState(init.startTime);
  const [endDate, setEndDate] = useState(init.endDate);
  const [endTime, setEndTime] = useState(init.endTime);
  const [allDay, setAllDay] = useState(false);
  const [timeZone, setTimeZone] = useState(browserZone());
  const [repeat, setRepeat] = useState('none');
  const [custom, setCustom] = useState<Custom>({ freq: 'WEEKLY', interval: 1, days: [], ends: 'never', until: '', count: 10 });
  const [guests, setGuests] = useState<string[]>([]);
  const [guestDraft, setGuestDraft] = useState('');
  const [calendars, setCalendars] = useState<Calendar[] | null>(null);
  const [calendarId, setCalendarId] = useState('primary');
  const [calendarError, setCalendarError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  // Booking again: the event whose details fill the form (?from=<id>), and its repeat lines when no preset says them.
  const [source, setSource] = useState<string | null>(null);
  const [kept, setKept] = useState<string[] | null>(null);
  const [wantedCalendar, setWantedCalendar] = useState<string | null>(null);

  const zones = useMemo(() => {
    const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [browserZone()];
    return all.includes('UTC') ? all : [...all, 'UTC'];
  }, []);
  const zoneSet = useMemo(() => new Set(zones), [zones]);

  useEffect(() => {
    if (me.google.status !== 'active') return;
    api.calendars().then(
      (r) => {
        setCalendars(r.calendars);
        const primary = r.calendars.find((c) => c.primary) ?? r.calendars[0];
        if (primary) setCalendarId(primary.id);
      },
      async (err) => {
        // Google may have stopped honouring the grant: the page then says so, with the reconnect link.
        const fresh = await api.me().catch(() => null);
        if (fresh && fresh.google.status !== 'active') setMe(fresh);
        else setCalendarError(problemText(err));
      },
    );
  }, [me.google.status]);

  useEffect(() => {
    const from = new URLSearchParams(window.location.search).get('from');
    if (!from || !/^[0-9a-f-]{36}$/i.test(from)) return;
    let live = true;
    // An event that cannot be read (another person's, deleted) leaves the form as it is.
    api.event(from).then((e) => {
      if (!live) return;
      const v = again(e, init);
      setTitle(e.title);
      setDescription(e.description ?? '');
      setLocation(e.location ?? '');
      setAllDay(e.allDay);
      setTimeZone(e.timeZone);
      setStartDate(v.startDate);
      setEndDate(v.endDate);
      setStartTime(v.startTime);
      setEndTime(v.endTime);
      span.current = v.span;
      setGuests(e.attendees.map((a) => a.email.toLowerCase()));
      setWantedCalendar(e.calendarId);
      const preset = e.recurrence.length === 1 ? presets(v.startDate).find((o) => o.rule === e.recurrence[0]) : undefined;
      if (preset) setRepeat(preset.value);
      else if (e.recurrence.length) {
        setKept(e.recurrence);
        setRepeat('kept');
      }
      setSource(e.title);
    }, () => {});
    return () => void (live = false);
  }, []);

  // The same calendar as before, once the list (loaded meanwhile) shows it is still writable.
  useEffect(() => {
    if (wantedCalendar && calendars?.some((c) => c.id === wantedCalendar)) setCalendarId(wantedCalendar);
  }, [calendars, wantedCalendar]);

  const options = presets(startDate || init.startDate);
  if (kept) options.splice(-1, 0, { value: 'kept', rule: kept[0]! });
  const rule = repeat === 'kept' ? (kept?.[0] ?? null) : repeat === 'custom' ? customRule(custom, allDay, weekdayOf(startDate || init.startDate)) : (options.find((o) => o.value === repeat)?.rule ?? null);
  const start = allDay ? startDate : `${startDate}T${startTime}`;
  const end = allDay ? (endDate ? addDays(endDate, 1) : '') : `${endDate}T${endTime}`;
  const schedule = { timeZone, allDay, start, end, recurrence: repeat === 'kept' && kept ? kept : rule ? [rule] : [] };
  const complete = Boolean(startDate && endDate && (allDay || (startTime && endTime)) && zoneSet.has(timeZone));

  // The next occurrences, from the server (it knows the zone rules), as the person edits.
  const previewFor = useDebounced(complete && rule ? schedule : null, 300);
  useEffect(() => {
    if (!previewFor) return setPreview(null);
    let live = true;
    api.preview({ ...previewFor, count: 5 }).then((p) => live && setPreview(p), () => live && setPreview(null));
    return () => void (live = false);
  }, [JSON.stringify(previewFor)]);

  // Busy times in the chosen calendar: a warning before paying, never a refusal.
  const checkFor = useDebounced(complete && me.google.status === 'active' ? { ...schedule, calendarId } : null, 500);
  useEffect(() => {
    if (!checkFor) return setConflict(null);
    let live = true;
    api.availability(checkFor).then(
      (a) => {
        if (!live) return;
        const c = a.conflicts.slice(0, 3).map((x) => `${dateTime(x.busy.start, timeZone)}–${time(x.busy.end, timeZone)}`);
        setConflict(c.length ? t.create.busy(c.join(', ')) : null);
      },
      () => live && setConflict(null),
    );
    return () => void (live = false);
  }, [JSON.stringify(checkFor)]);

  // The end keeps its distance in days from the start, as in Google Calendar. Kept as a number:
  // a date typed key by key passes through other dates (year 0002…) on its way.
  const span = useRef(0);
  const days = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
  const validDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= '1970-01-01';
  const onStartDate = (v: string) => {
    setStartDate(v);
    if (validDate(v)) setEndDate(addDays(v, span.current));
  };
  const onEndDate = (v: string) => {
    setEndDate(v);
    if (validDate(v) && validDate(startDate)) span.current = Math.max(0, days(startDate, v));
  };

  const addGuest = (raw: string): boolean => {
    const v = raw.trim().replace(/[,;]$/, '').trim();
    if (!v) return true;
    if (!EMAIL.test(v)) {
      setErrors((e) => ({ ...e, guests: t.errors.email(v) }));
      return false;
    }
    setGuests((g) => (g.includes(v.toLowerCase()) ? g : [...g, v.toLowerCase()]));
    setGuestDraft('');
    setErrors((e) => ({ ...e, guests: undefined }));
    return true;
  };

  const check = (): Errors => {
    const e: Errors = {};
    if (!title.trim()) e.title = t.errors.title;
    if (!startDate || (!allDay && !startTime)) e.start = t.errors.start;
    if (!endDate || (!allDay && !endTime)) e.end = t.errors.end;
    else if (!e.start && (allDay ? endDate < startDate : `${endDate}T${endTime}` <= `${startDate}T${startTime}`)) e.end = t.errors.endBeforeStart;
    if (!zoneSet.has(timeZone)) e.timeZone = t.errors.timeZone;
    if (guestDraft.trim() && !EMAIL.test(guestDraft.trim())) e.guests = t.errors.email(guestDraft.trim());
    return e;
  };

  const fromProblem = (err: ApiError): Errors => {
    const e: Errors = {};
    for (const fe of err.problem?.errors ?? []) {
      const f = fieldOf(fe.path);
      if (!f || e[f]) continue;
      e[f] = words(f, fe.code, fe.message);
    }
    return e;
  };
  const words = (f: Field, code: string, message: string): string => {
    switch (code) {
      case 'required': return f === 'title' ? t.errors.title : f === 'end' ? t.errors.end : f === 'start' ? t.errors.start : message;
      case 'end_not_after_start': return t.errors.endBeforeStart;
      case 'start_in_past': return t.errors.past;
      case 'nonexistent_local_time':
        return t.errors.nonexistent(allDay ? day(startDate) : `${startTime} on ${day(f === 'end' ? endDate : startDate)}`, timeZone);
      case 'invalid_time_zone': return t.errors.timeZone;
      case 'invalid_recurrence': case 'unsupported_recurrence': return t.errors.recurrence;
      case 'recurrence_too_large': case 'recurrence_too_complex': return t.errors.tooMany;
      case 'no_occurrences': return t.errors.noOccurrence;
      default: return f === 'guests' ? t.errors.email(message) : message.charAt(0).toUpperCase() + message.slice(1);
    }
  };

  const focusFirst = (e: Errors) => focusFirstError(FIELD_ORDER, FIELD_INPUT, e);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy) return;
    setFormError(null);
    if (guestDraft.trim() && !addGuest(guestDraft)) return focusFirst({ guests: 'x' });
    const e = check();
    setErrors(e);
    if (Object.keys(e).length) return focusFirst(e);
    setBusy(true);
    try {
      const created = await api.createEvent({
        title: title.trim(),
        calendarId,
        ...schedule,
        ...(description.trim() ? { description } : {}),
        ...(location.trim() ? { location: location.trim() } : {}),
        ...(guests.length ? { attendees: guests.map((email) => ({ email })) } : {}),
      });
      navigate(`/app/events/${created.event.id}`);
    } catch (err) {
      const fe = err instanceof ApiError ? fromProblem(err) : {};
      if (Object.keys(fe).length) {
        setErrors(fe);
        focusFirst(fe);
      } else setFormError(problemText(err));
      setBusy(false);
    }
  };

  const err = (f: Field) =>
    errors[f] ? (
      <p class="field-error" id={`${f}-error`} role="alert">
        {errors[f]}
      </p>
    ) : null;
  const a11y = (f: Field, hint?: string) => ({
    'aria-invalid': errors[f] ? true : undefined,
    'aria-describedby': [errors[f] ? `${f}-error` : '', hint ?? ''].filter(Boolean).join(' ') || undefined,
  });
  const clear = (f: Field) => errors[f] && setErrors((e) => ({ ...e, [f]: undefined }));
  const price = money(config.price.amount, config.price.currency);

  if (me.google.status !== 'active')
    return (
      <>
        <h1>{t.create.title}</h1>
        <p>{t.create.needsGoogle}</p>
      </>
    );
  if (calendars && calendars.length === 0)
    return (
      <>
        <h1>{t.create.title}</h1>
        <p class="error" role="alert">{t.create.noCalendar}</p>
      </>
    );

  const label: Record<string, string> = {
    none: 'Does not repeat',
    custom: 'Custom…',
  };
  for (const o of options) if (o.rule) label[o.value] = describe(o.rule) ?? (o.value === 'kept' ? t.next.keptRepeat : o.value);

  return (
    <form id="create-event" class="event-form" onSubmit={submit} noValidate>
      <h1>{t.create.title}</h1>
      {source ? <p class="note" id="booking-again" role="status">{t.next.fromEvent(source)}</p> : null}
      <div class="field">
        <label for="title" class="visually-hidden">{t.create.titleLabel}</label>
        <input id="title" class="title-input" placeholder={t.create.titlePlaceholder} maxLength={200} value={title} {...a11y('title')}
          onInput={(e) => { setTitle((e.target as HTMLInputElement).value); clear('title'); }} />
        {err('title')}
      </div>

      <fieldset class="when-row">
        <legend class="visually-hidden">{t.event.when}</legend>
        <div class="field">
          <label for="start-date">{t.create.date}</label>
          <input id="start-date" type="date" value={startDate} {...a11y('start')} onInput={(e) => { onStartDate((e.target as HTMLInputElement).value); clear('start'); }} />
        </div>
        {allDay ? null : (
          <div class="field">
            <label for="start-time">{t.create.startTime}</label>
            <input id="start-time" type="time" value={startTime} {...a11y('start')} onInput={(e) => { setStartTime((e.target as HTMLInputElement).value); clear('start'); }} />
          </div>
        )}
        <span class="to" aria-hidden="true">{t.create.to}</span>
        <div class="field">
          <label for="end-date">{t.create.endDate}</label>
          <input id="end-date" type="date" value={endDate} min={startDate} {...a11y('end')} onInput={(e) => { onEndDate((e.target as HTMLInputElement).value); clear('end'); }} />
        </div>
        {allDay ? null : (
          <div class="field">
            <label for="end-time">{t.create.endTime}</label>
            <input id="end-time" type="time" value={endTime} {...a11y('end')} onInput={(e) => { setEndTime((e.target as HTMLInputElement).value); clear('end'); }} />
          </div>
        )}
      </fieldset>
      {err('start')}
      {err('end')}

      <div class="row">
        <label class="switch" for="all-day">
          <input id="all-day" type="checkbox" role="switch" checked={allDay} onChange={(e) => setAllDay((e.target as HTMLInputElement).checked)} />
          <span>{t.create.allDay}</span>
        </label>
      </div>

      <div class="field">
        <label for="timeZone">{t.create.timeZone}</label>
        <input id="timeZone" list="tz-list" autocomplete="off" spellcheck={false} value={timeZone} {...a11y('timeZone', 'tz-hint')}
          onInput={(e) => { setTimeZone((e.target as HTMLInputElement).value.trim()); clear('timeZone'); }} />
        <datalist id="tz-list">
          {zones.map((z) => (
            <option key={z} value={z} label={`(${zoneOffset(z)}) ${z.replace(/_/g, ' ')}`} />
          ))}
        </datalist>
        <p class="hint" id="tz-hint">{zoneSet.has(timeZone) ? `(${zoneOffset(timeZone)}) ${timeZone.replace(/_/g, ' ')}. ` : ''}{t.create.timeZoneHint}</p>
        {err('timeZone')}
      </div>

      <div class="field">
        <label for="repeat">{t.create.repeat}</label>
        <select id="repeat" value={repeat} {...a11y('repeat')} onChange={(e) => { setRepeat((e.target as HTMLSelectElement).value); clear('repeat'); }}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>{label[o.value]}</option>
          ))}
        </select>
        {repeat === 'custom' ? <CustomRepeat value={custom} onChange={setCustom} weekday={weekdayOf(startDate || init.startDate)} /> : null}
        {err('repeat')}
        {rule ? (
          <div class="preview" id="preview" aria-live="polite">
            <p class="rule-words"><strong>{describe(rule) ?? ''}</strong></p>
            {preview?.occurrences.length ? (
              <>
                <p class="muted">{t.create.next}</p>
                <ul>
                  {preview.occurrences.map((o) => (
                    <li key={o.start} data-start={o.date ?? o.start}>
                      {o.date ? day(o.date, 'full') : dateTime(o.startUtc, preview.timeZone, { withWeekday: true })}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
        ) : null}
      </div>

      {conflict ? (
        <p class="warning" id="conflict-warning" role="status">{conflict}</p>
      ) : null}

      <div class="field">
        <label for="guests">{t.create.guests}</label>
        {guests.length ? (
          <ul class="chips" aria-label={t.create.guests}>
            {guests.map((g) => (
              <li key={g}>
                {g}
                <button type="button" class="chip-x" aria-label={t.create.removeGuest(g)} onClick={() => setGuests((x) => x.filter((y) => y !== g))}>×</button>
              </li>
            ))}
          </ul>
        ) : null}
        <input id="guests" type="email" autocomplete="off" value={guestDraft} {...a11y('guests', 'guests-hint')}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            if (/[,;]$/.test(v)) addGuest(v);
            else { setGuestDraft(v); clear('guests'); }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') { e.preventDefault(); addGuest(guestDraft); }
            else if (e.key === 'Backspace' && !guestDraft && guests.length) setGuests((g) => g.slice(0, -1));
          }}
          onBlur={() => guestDraft.trim() && addGuest(guestDraft)} />
        <p class="hint" id="guests-hint">{t.create.guestsHint}</p>
        {err('guests')}
      </div>

      <div class="field">
        <label for="location">{t.create.location}</label>
        <input id="location" maxLength={500} value={location} {...a11y('location')} onInput={(e) => { setLocation((e.target as HTMLInputElement).value); clear('location'); }} />
        {err('location')}
      </div>

      <div class="field">
        <label for="calendarId">{t.create.calendar}</label>
        <select id="calendarId" value={calendarId} {...a11y('calendarId')} onChange={(e) => setCalendarId((e.target as HTMLSelectElement).value)}>
          {(calendars ?? []).map((c) => (
            <option key={c.id} value={c.id}>{c.primary ? t.create.primary(c.summary) : c.summary}</option>
          ))}
        </select>
        {calendarError ? <p class="field-error">{calendarError}</p> : null}
        {err('calendarId')}
      </div>

      <div class="field">
        <label for="description">{t.create.description}</label>
        <textarea id="description" rows={3} maxLength={4000} value={description} {...a11y('description')} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} />
        {err('description')}
      </div>

      <div class="submit-row">
        {formError ? <p class="error" role="alert">{formError}</p> : null}
        <button type="submit" class="big" disabled={busy || calendars === null}>{t.create.submit(price)}</button>
      </div>
    </form>
  );
}

function CustomRepeat({ value, onChange, weekday }: { value: Custom; onChange: (c: Custom) => void; weekday: number }) {
  const set = (patch: Partial<Custom>) => onChange({ ...value, ...patch });
  const days = customDays(value, weekday);
  return (
    <fieldset class="custom" id="custom-repeat">
      <legend>{t.create.custom.legend}</legend>
      <div class="row">
        <label for="interval">{t.create.custom.every}</label>
        <input id="interval" type="number" min={1} max={99} class="narrow" value={value.interval}
          onInput={(e) => set({ interval: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) })} />
        <label for="freq" class="visually-hidden">{t.create.custom.unit}</label>
        <select id="freq" value={value.freq} onChange={(e) => set({ freq: (e.target as HTMLSelectElement).value as Freq })}>
          {(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as Freq[]).map((f) => (
            <option key={f} value={f}>{t.create.custom.units[f]}</option>
          ))}
        </select>
      </div>
      {value.freq === 'WEEKLY' ? (
        <fieldset class="days">
          <legend>{t.create.custom.on}</legend>
          {DAYS.map((d, i) => (
            <label key={d} class="day-toggle">
              <input type="checkbox" checked={days.includes(d)} aria-label={weekdayName(i)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const next = on ? [...days, d] : days.filter((x) => x !== d);
                  set({ days: next.length ? next : days });
                }} />
              <span aria-hidden="true">{weekdayName(i, 'short')}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      <fieldset class="ends">
        <legend>{t.create.custom.ends}</legend>
        <label class="radio"><input type="radio" name="ends" checked={value.ends === 'never'} onChange={() => set({ ends: 'never' })} /> {t.create.custom.never}</label>
        <div class="row">
          <label class="radio"><input type="radio" name="ends" checked={value.ends === 'on'} onChange={() => set({ ends: 'on' })} /> {t.create.custom.onDate}</label>
          <label for="until" class="visually-hidden">{t.create.custom.endDate}</label>
          <input id="until" type="date" value={value.until} onInput={(e) => set({ until: (e.target as HTMLInputElement).value, ends: 'on' })} />
        </div>
        <div class="row">
          <label class="radio"><input type="radio" name="ends" checked={value.ends === 'after'} onChange={() => set({ ends: 'after' })} /> {t.create.custom.after}</label>
          <label for="count" class="visually-hidden">{t.create.custom.count}</label>
          <input id="count" type="number" min={1} max={730} class="narrow" value={value.count} onInput={(e) => set({ count: Number((e.target as HTMLInputElement).value) || 1, ends: 'after' })} />
          <span>{t.create.custom.times}</span>
        </div>
      </fieldset>
    </fieldset>
  );
}
