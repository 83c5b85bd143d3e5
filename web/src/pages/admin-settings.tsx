// The admin section of Settings: the instance settings form and the payments-per-day chart.
// Loaded on demand (settings.tsx imports it only for admins), so nobody else downloads it.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type AdminSettings, type InstanceSettings, type PaymentsPerDay, type Provider } from '../api.ts';
import { focusFirstError, problemText } from '../errors.ts';
import { day, list, money, shortDay, when } from '../format.ts';
import { PROVIDER, t } from '../strings.ts';

type Field = 'price' | 'providers' | 'intent' | 'window' | 'rate';
type Errors = Partial<Record<Field, string>>;

const FIELD_OF: Record<keyof InstanceSettings, Field> = {
  priceMinor: 'price',
  providers: 'providers',
  paypalIntent: 'intent',
  paymentWindowMinutes: 'window',
  binanceUsdtRate: 'rate',
};
/** The element each field's error moves focus to. */
const FIELD_INPUT: Record<Field, string> = { price: 'admin-price', providers: 'admin-provider-paypal', intent: 'admin-intent-AUTHORIZE', window: 'admin-window', rate: 'admin-rate' };
const FIELD_ORDER: Field[] = ['price', 'providers', 'intent', 'window', 'rate'];
const PROVIDERS: Provider[] = ['paypal', 'binance'];
const DAYS = 30;

// The API's bounds (src/domain/instance-settings.ts), checked here first so each error shows at once.
const PRICE = /^\d{1,5}(?:\.\d{1,2})?$/;
const RATE = /^(?:0|[1-9]\d{0,8})(?:\.\d{1,8})?$/;
const MAX_PRICE_MINOR = 1_000_000;
const MAX_WINDOW = 7 * 24 * 60;

const dollars = (minor: number) => (minor / 100).toFixed(2);
const toMinor = (v: string) => Math.round(Number(v) * 100);

interface Draft {
  price: string;
  providers: Provider[];
  intent: InstanceSettings['paypalIntent'];
  window: string;
  rate: string;
}

const draftOf = (s: InstanceSettings): Draft => ({
  price: dollars(s.priceMinor),
  providers: s.providers,
  intent: s.paypalIntent,
  window: String(s.paymentWindowMinutes),
  rate: s.binanceUsdtRate,
});

function check(d: Draft): Errors {
  const e: Errors = {};
  const p = d.price.trim();
  if (!PRICE.test(p) || toMinor(p) < 1 || toMinor(p) > MAX_PRICE_MINOR) e.price = t.admin.errors.price;
  if (!d.providers.length) e.providers = t.admin.errors.providers;
  const w = Number(d.window.trim());
  if (!/^\d+$/.test(d.window.trim()) || w < 1 || w > MAX_WINDOW) e.window = t.admin.errors.window;
  if (!RATE.test(d.rate.trim()) || !/[1-9]/.test(d.rate)) e.rate = t.admin.errors.rate;
  return e;
}

/** A problem's field errors in the form's words; the server's own sentence when there is no better one. */
function fromProblem(err: ApiError): Errors {
  const e: Errors = {};
  for (const fe of err.problem?.errors ?? []) {
    const name = fe.path.split('/')[1] as keyof InstanceSettings;
    const f = FIELD_OF[name];
    if (!f || e[f]) continue;
    e[f] = f === 'rate' && fe.code === 'out_of_range' ? t.admin.errors.rateTooSmall : t.admin.errors[f];
  }
  return e;
}

/** A history value in words: "2.50 USD", "PayPal and Binance Pay", "45 min". */
function valueWords(setting: string, v: string): string {
  switch (setting) {
    case 'priceMinor':
      return money(dollars(Number(v)), 'USD');
    case 'providers':
      return list(v.split(',').map((p) => PROVIDER[p as Provider] ?? p));
    case 'paypalIntent':
      return t.admin.intentShort[v] ?? v;
    case 'paymentWindowMinutes':
      return t.admin.minutes(Number(v));
    default:
      return v;
  }
}

export function AdminSettingsSection() {
  const [view, setView] = useState<AdminSettings | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [chart, setChart] = useState<PaymentsPerDay | null>(null);

  useEffect(() => {
    api.adminSettings().then(
      (v) => {
        setView(v);
        setDraft(draftOf(v.settings));
      },
      (err) => setLoadError(problemText(err)),
    );
    api.paymentsPerDay(DAYS).then(setChart, (err) => setLoadError(problemText(err)));
  }, []);

  if (loadError)
    return (
      <section class="card" aria-labelledby="admin">
        <h2 id="admin">{t.admin.title}</h2>
        <p class="error" role="alert">
          {t.admin.loadFailed} {loadError}
        </p>
      </section>
    );
  if (!view || !draft)
    return (
      <section class="card" aria-labelledby="admin" aria-busy="true">
        <h2 id="admin">{t.admin.title}</h2>
        <p class="muted">{t.loading}</p>
      </section>
    );

  const set = (patch: Partial<Draft>, f: Field) => {
    setDraft({ ...draft, ...patch });
    setSaid(null);
    if (errors[f]) setErrors({ ...errors, [f]: undefined });
  };
  const focusFirst = (e: Errors) => focusFirstError(FIELD_ORDER, FIELD_INPUT, e);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy) return;
    setFormError(null);
    setSaid(null);
    const e = check(draft);
    setErrors(e);
    if (Object.keys(e).length) return focusFirst(e);
    setBusy(true);
    try {
      const before = view.changes[0]?.at;
      const saved = await api.saveAdminSettings({
        priceMinor: toMinor(draft.price.trim()),
        providers: PROVIDERS.filter((p) => draft.providers.includes(p)),
        paypalIntent: draft.intent,
        paymentWindowMinutes: Number(draft.window.trim()),
        binanceUsdtRate: draft.rate.trim(),
      });
      setView(saved);
      setDraft(draftOf(saved.settings));
      setSaid(saved.changes[0]?.at !== before ? t.admin.saved : t.admin.unchanged);
    } catch (err) {
      const fe = err instanceof ApiError ? fromProblem(err) : {};
      if (Object.keys(fe).length) {
        setErrors(fe);
        focusFirst(fe);
      } else setFormError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  const err = (f: Field) =>
    errors[f] ? (
      <p class="field-error" id={`admin-${f}-error`}>
        {errors[f]}
      </p>
    ) : null;
  const a11y = (f: Field, hint: string) => ({
    'aria-invalid': errors[f] ? true : undefined,
    'aria-describedby': [errors[f] ? `admin-${f}-error` : '', hint].filter(Boolean).join(' '),
  });
  const d = view.defaults;

  return (
    <section class="card admin" aria-labelledby="admin">
      <h2 id="admin">{t.admin.title}</h2>
      <p class="muted">{t.admin.lead}</p>
      <form id="admin-settings" noValidate onSubmit={submit}>
        <div class="field">
          <label for="admin-price">{t.admin.price}</label>
          <input id="admin-price" inputMode="decimal" autocomplete="off" value={draft.price} {...a11y('price', 'admin-price-hint')}
            onInput={(e) => set({ price: (e.target as HTMLInputElement).value }, 'price')} />
          <p class="hint" id="admin-price-hint">{t.admin.priceHint(money(dollars(d.priceMinor), 'USD'))}</p>
          {err('price')}
        </div>

        <fieldset class="field" aria-describedby={[errors.providers ? 'admin-providers-error' : '', 'admin-providers-hint'].filter(Boolean).join(' ')}>
          <legend>{t.admin.providers}</legend>
          {PROVIDERS.map((p) => (
            <label class="check-row" key={p} for={`admin-provider-${p}`}>
              <input id={`admin-provider-${p}`} type="checkbox" aria-invalid={errors.providers ? true : undefined} checked={draft.providers.includes(p)}
                onChange={(e) => set({ providers: (e.target as HTMLInputElement).checked ? [...draft.providers, p] : draft.providers.filter((x) => x !== p) }, 'providers')} />
              <span>{PROVIDER[p]}</span>
            </label>
          ))}
          <p class="hint" id="admin-providers-hint">{t.admin.providersHint} {t.admin.defaultHint} {list(d.providers.map((p) => PROVIDER[p]))}.</p>
          {err('providers')}
        </fieldset>

        <fieldset class="field" aria-describedby={[errors.intent ? 'admin-intent-error' : '', 'admin-intent-hint'].filter(Boolean).join(' ')}>
          <legend>{t.admin.intent}</legend>
          {(['AUTHORIZE', 'CAPTURE'] as const).map((i) => (
            <label class="check-row" key={i} for={`admin-intent-${i}`}>
              <input id={`admin-intent-${i}`} type="radio" name="admin-intent" value={i} checked={draft.intent === i} onChange={() => set({ intent: i }, 'intent')} />
              <span>{i === 'AUTHORIZE' ? t.admin.intentAuthorize : t.admin.intentCapture}</span>
            </label>
          ))}
          <p class="hint" id="admin-intent-hint">{t.admin.defaultHint} {t.admin.intentShort[d.paypalIntent]}.</p>
          {err('intent')}
        </fieldset>

        <div class="field">
          <label for="admin-window">{t.admin.window}</label>
          <input id="admin-window" inputMode="numeric" autocomplete="off" value={draft.window} {...a11y('window', 'admin-window-hint')}
            onInput={(e) => set({ window: (e.target as HTMLInputElement).value }, 'window')} />
          <p class="hint" id="admin-window-hint">{t.admin.windowHint(d.paymentWindowMinutes)}</p>
          {err('window')}
        </div>

        <div class="field">
          <label for="admin-rate">{t.admin.rate}</label>
          <input id="admin-rate" inputMode="decimal" autocomplete="off" spellcheck={false} value={draft.rate} {...a11y('rate', 'admin-rate-hint')}
            onInput={(e) => set({ rate: (e.target as HTMLInputElement).value }, 'rate')} />
          <p class="hint" id="admin-rate-hint">{t.admin.rateHint(d.binanceUsdtRate)}</p>
          {err('rate')}
        </div>

        <p class="actions">
          <button type="submit" disabled={busy}>{busy ? t.admin.saving : t.admin.save}</button>
        </p>
        {/* Announced when it changes: the outcome of a save, or what kept it from working. */}
        <div aria-live="polite" id="admin-status">
          {said ? <p class="ok-note">{said}</p> : null}
          {formError ? <p class="error">{formError}</p> : null}
        </div>
      </form>

      <details class="changes">
        <summary>{t.admin.changes}</summary>
        {view.changes.length ? (
          <ul>
            {view.changes.map((c) => (
              <li key={`${c.at}-${c.setting}`}>{t.admin.change(c.by, t.admin.settingName[c.setting] ?? c.setting, valueWords(c.setting, c.from), valueWords(c.setting, c.to), when(c.at))}</li>
            ))}
          </ul>
        ) : (
          <p class="muted">{t.admin.noChanges}</p>
        )}
      </details>

      {chart ? <PaymentsChart days={chart.days} /> : <p class="muted">{t.loading}</p>}
    </section>
  );
}

type Outcome = 'succeeded' | 'failed' | 'expired' | 'refunded';
const OUTCOMES: Outcome[] = ['succeeded', 'failed', 'expired', 'refunded'];
const H = 100;

/**
 * Stacked bars, one per UTC day, drawn in SVG with no chart library. The picture is one image
 * (role="img") whose name gives the totals; the same numbers are a table one button away, and the
 * legend and axis labels are HTML, so text never scales with the drawing.
 */
function PaymentsChart({ days }: { days: PaymentsPerDay['days'] }) {
  const [table, setTable] = useState(false);
  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, days.reduce((n, d) => n + d[o], 0)])) as Record<Outcome, number>;
  const max = Math.max(1, ...days.map((d) => OUTCOMES.reduce((n, o) => n + d[o], 0)));
  const all = OUTCOMES.reduce((n, o) => n + totals[o], 0);
  const summary = all
    ? t.admin.chartSummary(days.length, list(OUTCOMES.map((o) => t.admin.outcomeCount(totals[o], t.admin.outcome[o]))))
    : t.admin.chartEmpty(days.length);
  const w = 10;
  return (
    <figure class="chart" aria-labelledby="chart-title">
      <h3 id="chart-title">{t.admin.chart}</h3>
      <p class="muted">{t.admin.chartLead(days.length)}</p>
      <ul class="legend">
        {OUTCOMES.map((o) => (
          <li key={o}>
            <span class={`swatch bar-${o}`} aria-hidden="true" />
            {t.admin.outcome[o]}: {totals[o]}
          </li>
        ))}
      </ul>
      <div class="chart-frame">
        <span class="axis-max" aria-hidden="true">{max}</span>
        <svg id="payments-chart" role="img" aria-label={summary} viewBox={`0 0 ${days.length * w} ${H}`} preserveAspectRatio="none" focusable="false">
          <line class="axis" x1="0" y1={H} x2={days.length * w} y2={H} vector-effect="non-scaling-stroke" />
          {days.map((d, i) => {
            let y = H;
            return (
              <g key={d.date}>
                {OUTCOMES.map((o) => {
                  if (!d[o]) return null;
                  const h = (d[o] / max) * H;
                  y -= h;
                  return <rect key={o} class={`bar-${o}`} x={i * w + 1.5} y={y} width={w - 3} height={h} vector-effect="non-scaling-stroke" />;
                })}
              </g>
            );
          })}
        </svg>
      </div>
      <p class="axis-dates" aria-hidden="true">
        <span>{day(days[0]!.date)}</span>
        <span>{day(days[days.length - 1]!.date)}</span>
      </p>
      <p>
        <button type="button" class="secondary" aria-expanded={table} aria-controls="chart-table" onClick={() => setTable(!table)}>
          {table ? t.admin.hideTable : t.admin.showTable}
        </button>
      </p>
      {/* Focusable: on a narrow screen the table may scroll sideways, and keyboards must reach that too. */}
      <div id="chart-table" class="table-scroll" hidden={!table} tabIndex={0} role="region" aria-labelledby="chart-title">
        <table>
          <caption class="visually-hidden">{t.admin.chart}</caption>
          <thead>
            <tr>
              <th scope="col">{t.admin.date}</th>
              {OUTCOMES.map((o) => (
                <th scope="col" key={o}>{t.admin.outcome[o]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <th scope="row">
                  <time dateTime={d.date}>{shortDay(d.date)}</time>
                </th>
                {OUTCOMES.map((o) => (
                  <td key={o}>{d[o]}</td>
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{t.admin.total}</th>
              {OUTCOMES.map((o) => (
                <td key={o}>{totals[o]}</td>
              ))}
            </tr>
          </tfoot>
        </table>
      </div>
    </figure>
  );
}
