import type { PageProps } from '../app.tsx';
import { api, type PaymentListItem, type PaymentStatus, type Provider } from '../api.ts';
import { money, number, when } from '../format.ts';
import { usePages } from '../paging.ts';
import { navigate, useQuery } from '../router.ts';
import { PAYMENT_LABEL, PROVIDER, t } from '../strings.ts';

const STATUSES = Object.keys(PAYMENT_LABEL) as PaymentStatus[];
const PROVIDERS = Object.keys(PROVIDER) as Provider[];
const capital = (s: string) => s.charAt(0).toLocaleUpperCase() + s.slice(1);

/** The filters the address holds (?status=captured&provider=binance), so that links and Back keep them. */
function readQuery(q: URLSearchParams) {
  const status = q.get('status') as PaymentStatus | null;
  const provider = q.get('provider') as Provider | null;
  return { status: status && STATUSES.includes(status) ? status : '', provider: provider && PROVIDERS.includes(provider) ? provider : '' };
}

/** "My payments": every payment of the person's events, newest first, filtered on the server. */
export function Payments(_: PageProps) {
  const { status, provider } = readQuery(useQuery());
  const set = (change: Record<string, string>) => {
    const q = new URLSearchParams(Object.entries({ status, provider, ...change }).filter(([, v]) => v));
    const s = q.toString();
    navigate(`/app/payments${s ? `?${s}` : ''}`, { replace: true });
  };
  return (
    <>
      <h1>{t.payments.title}</h1>
      <p class="muted">{t.payments.lead}</p>
      <div class="toolbar">
        <p class="filter">
          <label for="payment-status">{t.payments.status}</label>
          <select id="payment-status" value={status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">{t.payments.anyStatus}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {capital(PAYMENT_LABEL[s])}
              </option>
            ))}
          </select>
        </p>
        <p class="filter">
          <label for="payment-provider">{t.payments.provider}</label>
          <select id="payment-provider" value={provider} onChange={(e) => set({ provider: (e.target as HTMLSelectElement).value })}>
            <option value="">{t.payments.anyProvider}</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {PROVIDER[p]}
              </option>
            ))}
          </select>
        </p>
      </div>
      <PaymentList key={`${status}|${provider}`} status={status} provider={provider} />
    </>
  );
}

function PaymentList({ status, provider }: { status: string; provider: string }) {
  const { items: payments, cursor, busy, error, more } = usePages((cursor) =>
    api.allPayments({ status: status || undefined, provider: provider || undefined, cursor: cursor ?? undefined }).then((p) => ({ items: p.payments, nextCursor: p.nextCursor })),
  );

  return (
    <section id="payments" aria-labelledby="payments-title" aria-busy={busy}>
      <h2 id="payments-title" class="visually-hidden">
        {t.payments.title}
      </h2>
      {payments === null ? (
        error ? null : <p class="muted">{t.loading}</p>
      ) : payments.length === 0 ? (
        <p class="muted">{status || provider ? t.payments.emptyFiltered : t.payments.empty}</p>
      ) : (
        <ul class="payment-list">
          {payments.map((p) => (
            <li key={p.id} data-payment={p.id} data-status={p.status}>
              <p class="amount">
                <strong>{money(p.amount.value, p.amount.currency)}</strong> · {PROVIDER[p.provider]}
              </p>
              {p.charge && p.rate ? (
                <p class="muted">{t.payments.charged(money(p.charge.value, p.charge.currency), number(p.rate), p.amount.currency)}</p>
              ) : null}
              <p>
                <span class={`pay-status pay-${p.status}`}>{capital(PAYMENT_LABEL[p.status])}</span> · <time dateTime={p.createdAt}>{when(p.createdAt)}</time>
              </p>
              <p>
                {t.payments.forEvent}: <a href={`/app/events/${p.eventId}`}>{p.eventTitle}</a>
              </p>
            </li>
          ))}
        </ul>
      )}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {cursor ? (
        <p>
          <button type="button" class="secondary" id="more-payments" disabled={busy} onClick={more}>
            {t.payments.more}
          </button>
        </p>
      ) : null}
    </section>
  );
}
