import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, ApiError, type Receipt } from '../api.ts';
import { config } from '../config.ts';
import { problemText } from '../errors.ts';
import { dateTime, day, money, number, when } from '../format.ts';
import { PROVIDER, t } from '../strings.ts';

/** The receipt of an event's payment, ready to print (the print stylesheet drops the page's chrome). */
export function ReceiptPage({ id }: PageProps & { id: string }) {
  const [r, setR] = useState<Receipt | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.receipt(id).then(setR, (err) => setError(err instanceof ApiError && err.problem?.code === 'receipt_not_available' ? t.receipt.none : problemText(err)));
  }, [id]);

  const back = <p class="back no-print"><a href={`/app/events/${id}`}>← {t.receipt.back}</a></p>;
  if (error)
    return (<>{back}<h1>{t.receipt.title}</h1><p class="note" role="alert">{error}</p></>);
  if (!r) return <p class="muted">{t.loading}</p>;

  const amount = money(r.amount.value, r.amount.currency);
  const charged = money(r.charged.value, r.charged.currency);
  const e = r.event;
  // The event's own time, in its zone (named when it is not the reader's).
  const on = e.allDay ? day(e.start) : dateTime(e.startUtc, e.timeZone);
  const refs = (['orderId', 'merchantReference', 'authorizationId', 'captureId', 'refundId'] as const).filter((k) => r.providerReference[k]);
  const refund = r.refund;

  return (
    <>
      {back}
      <article class="receipt card" id="receipt" data-status={r.status} aria-labelledby="receipt-title">
        <header class="receipt-head">
          <div>
            <p class="receipt-issuer">{t.receipt.issuer}</p>
            <h1 id="receipt-title">{t.receipt.title}</h1>
          </div>
          <p class={`receipt-status status-${r.status}`}><strong>{t.receipt.status[r.status]}</strong></p>
        </header>
        {config.mode === 'sandbox' ? <p class="note">{t.receipt.sandbox}</p> : null}

        <dl class="receipt-facts">
          <dt>{t.receipt.number}</dt>
          <dd id="receipt-number">{r.number}</dd>
          <dt>{t.receipt.paidAt}</dt>
          <dd><time dateTime={r.paidAt}>{when(r.paidAt)}</time></dd>
          <dt>{t.receipt.billedTo}</dt>
          <dd>{r.billedTo.name ? `${r.billedTo.name} <${r.billedTo.email}>` : r.billedTo.email}</dd>
          <dt>{t.receipt.paidWith}</dt>
          <dd>{PROVIDER[r.provider]}</dd>
        </dl>

        <table class="receipt-lines">
          <thead>
            <tr><th scope="col">{t.receipt.item}</th><th scope="col" class="num">{t.receipt.amount}</th></tr>
          </thead>
          <tbody>
            <tr><td>{t.receipt.event(e.title, on)}</td><td class="num">{amount}</td></tr>
          </tbody>
          <tfoot>
            <tr><th scope="row">{t.receipt.total}</th><td class="num" id="receipt-total"><strong>{amount}</strong></td></tr>
          </tfoot>
        </table>
        {r.rate ? <p id="receipt-charged">{t.receipt.charged(charged, `${number(r.rate)} ${r.charged.currency}`, `1 ${r.amount.currency}`)}</p> : null}

        {refund ? (
          <section class="receipt-refund" aria-labelledby="refund-title">
            <h2 id="refund-title">{t.receipt.refundTitle}</h2>
            <p id="receipt-refund">
              {refund.status === 'refunding'
                ? t.receipt.refundPending(money(refund.amount.value, refund.amount.currency), when(refund.requestedAt))
                : refund.status === 'reversed'
                  ? t.receipt.reversedLine(money(refund.amount.value, refund.amount.currency), when(refund.completedAt ?? refund.requestedAt))
                  : t.receipt.refundLine(money(refund.amount.value, refund.amount.currency), when(refund.completedAt ?? refund.requestedAt))}
            </p>
          </section>
        ) : null}

        <section aria-labelledby="refs-title">
          <h2 id="refs-title">{t.receipt.references}</h2>
          <dl class="receipt-facts refs">
            {refs.map((k) => (
              <Fragment key={k}>
                <dt>{t.receipt[k]}</dt>
                <dd><code>{r.providerReference[k]}</code></dd>
              </Fragment>
            ))}
          </dl>
        </section>
      </article>
      <p class="no-print"><button type="button" id="print-receipt" onClick={() => print()}>{t.receipt.print}</button></p>
    </>
  );
}
