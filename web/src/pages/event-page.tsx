import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.tsx';
import { api, ApiError, serverNow, type EventWithHistory, type Payment, type Provider, type TimelineEntry } from '../api.ts';
import { problemText } from '../errors.ts';
import { dateTime, mmss, money, number, when as at } from '../format.ts';
import { watchEvent, type Snapshot } from '../live.ts';
import { describe } from '../recurrence.ts';
import { PAYMENT_LABEL, PROVIDER, STATE_LABEL, t } from '../strings.ts';
import { when } from './dashboard.tsx';
import { safeSvg } from '../safe-svg.ts';

const FINAL = ['failed', 'expired', 'cancelled'];
const OPEN_PAYMENT = ['created', 'approved', 'pending'];
const MONEY_BACK = ['voiding', 'voided', 'refunding', 'refunded', 'reversed'];
/** Payments that ended without taking money (a released hold, voided, is told among MONEY_BACK). */
const NOTHING_TAKEN = ['expired', 'cancelled', 'declined', 'error'];
/** Payments that took money at some point: the event has a receipt (GET …/receipt). */
const TOOK_MONEY = ['captured', 'refunding', 'refunded', 'reversed'];
const OTHER: Record<Provider, Provider> = { paypal: 'binance', binance: 'paypal' };

/**
 * What became of the money of an event that is over, from its payments' states alone: the latest
 * payment whose money went back, else a manual check, else "none taken" when every payment ended
 * without money. Null when the payments do not settle it.
 */
export function moneyFate(ps: readonly Payment[]): string | null {
  const back = [...ps].reverse().find((x) => MONEY_BACK.includes(x.status));
  if (back) return t.outcome.money[back.status] ?? null;
  if (ps.some((x) => x.status === 'review')) return t.outcome.review;
  return ps.every((x) => NOTHING_TAKEN.includes(x.status)) ? t.next.nothingTaken : null;
}
const SLOW_MS = 60_000;

type Said = { tone: 'ok' | 'bad'; text: string } | null;

/** How things stand in words, once no payment is waiting for the payer. Null: nothing to say. */
export function outcome(e: EventWithHistory, p: Payment | null, payable: boolean, all: readonly Payment[] = p ? [p] : []): Said {
  const who = p ? PROVIDER[p.provider] : null;
  const withWho = who ? t.outcome.withWho(who) : '';
  const back = p ? (t.outcome.money[p.status] ?? null) : null;
  const fate = moneyFate(all);
  const joined = (...parts: (string | null)[]) => parts.filter(Boolean).join(' ');
  const amount = p ? money(p.amount.value, p.amount.currency) : '';
  switch (e.state) {
    case 'paid':
      return {
        tone: 'ok',
        text: p?.status === 'authorized' && e.google.onCalendarAt ? t.outcome.paidOnCalendarHeld(amount) : p?.status === 'authorized' ? t.outcome.held(amount) : t.outcome.paid(withWho),
      };
    case 'confirmed':
      return { tone: 'ok', text: t.outcome.confirmed(withWho) };
    case 'failed':
      return { tone: 'bad', text: joined(t.outcome.failed, fate) };
    case 'expired':
      return { tone: 'bad', text: joined(t.outcome.expired, fate) };
    case 'cancelled':
      return { tone: 'bad', text: joined(t.outcome.cancelled, fate) };
  }
  // Waiting for payment: what became of the last try. An order that could not be created (`error`)
  // was reported where the payer asked for it, once.
  if (!p || OPEN_PAYMENT.includes(p.status) || p.status === 'error') return null;
  const text: string | null =
    p.status === 'declined' ? t.outcome.declined
    : p.status === 'cancelled' ? t.outcome.payCancelled
    : p.status === 'expired' ? t.outcome.orderExpired(who!, payable)
    : p.status === 'review' ? t.outcome.review
    : p.status === 'authorized' || p.status === 'captured' ? t.outcome.received
    : back;
  return text ? { tone: p.status === 'authorized' || p.status === 'captured' ? 'ok' : 'bad', text } : null;
}

function timelineText(e: TimelineEntry): string {
  return e.subject === 'event' ? t.event.timelineEvent(STATE_LABEL[e.to]) : t.event.timelinePayment(PROVIDER[e.provider], PAYMENT_LABEL[e.to]);
}

export function EventPage({ id, me }: PageProps & { id: string }) {
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [trouble, setTrouble] = useState(false);
  const [payError, setPayError] = useState<string | null>(null);
  const [paying, setPaying] = useState<Provider | null>(null);
  const [cancelStep, setCancelStep] = useState<'idle' | 'ask' | 'busy'>('idle');
  const [cancelError, setCancelError] = useState<string | null>(null);
  const [refundAsked, setRefundAsked] = useState(false);
  const [now, setNow] = useState(serverNow());
  const [slow, setSlow] = useState(false);
  const watch = useRef<ReturnType<typeof watchEvent> | null>(null);
  const final = useRef(false);
  const refunding = useRef(false);

  useEffect(() => {
    const w = watchEvent(
      id,
      (s) => {
        final.current = FINAL.includes(s.event.state);
        setSnap(s);
        setLoadError(null);
      },
      (err) => {
        if (err === null) return setTrouble(false);
        setSnap((s) => {
          if (!s) setLoadError(problemText(err));
          else setTrouble(true);
          return s;
        });
      },
      // A confirmed event changes again only after a refund is asked for.
      { poll: () => !final.current && (snapState() !== 'confirmed' || refunding.current) },
    );
    watch.current = w;
    return () => w.stop();
  }, [id]);
  const snapRef = useRef<Snapshot | null>(null);
  snapRef.current = snap;
  const snapState = () => snapRef.current?.event.state;

  // One clock for the countdown and the deadlines.
  useEffect(() => {
    const timer = setInterval(() => setNow(serverNow()), 1000);
    return () => clearInterval(timer);
  }, []);

  const e = snap?.event ?? null;
  const payments = snap?.payments ?? [];
  const p = payments.at(-1) ?? null;
  const waiting = e?.state === 'pending_payment';
  const payable = Boolean(e && waiting && Date.parse(e.pendingUntil) > now);
  const open = waiting && p && OPEN_PAYMENT.includes(p.status) ? p : null;
  const inProgress = Boolean((open && open.status !== 'created') || e?.state === 'paid');
  // Money on its way (approved, processing, held or taken): offering to pay again would take it twice.
  const moneyComing = Boolean(p && ['approved', 'pending', 'authorized', 'captured'].includes(p.status));

  // Waiting too long for a provider or Google: say so, and offer to check now.
  const waitKey = `${e?.state}|${p?.id}|${p?.status}`;
  useEffect(() => {
    setSlow(false);
    if (!inProgress) return;
    const timer = setTimeout(() => setSlow(true), SLOW_MS);
    return () => clearTimeout(timer);
  }, [waitKey, inProgress]);

  const said = useMemo(() => (e ? outcome(e, p, payable, payments) : null), [e, p, payable, payments]);

  if (loadError) return (<><h1>{t.failed}</h1><p class="error" role="alert">{loadError}</p><p><a href="/app">{t.event.back}</a></p></>);
  if (!e) return <p class="muted">{t.loading}</p>;

  const pay = async (provider: Provider) => {
    setPaying(provider);
    setPayError(null);
    try {
      const created = await api.pay(id, provider);
      if (provider === 'paypal') {
        if (created.nextAction?.type !== 'redirect') throw new Error(t.event.noApproval);
        // The buttons stay disabled: the browser is on its way to PayPal.
        location.assign(created.nextAction.url);
        return;
      }
      watch.current?.invalidate();
      setSnap((s) => (s ? { ...s, payments: [...s.payments.filter((x) => x.id !== created.id), created] } : s));
      setPaying(null);
    } catch (err) {
      setPayError(err instanceof ApiError ? problemText(err) : err instanceof Error && err.message === t.event.noApproval ? err.message : problemText(err));
      setPaying(null);
    }
  };

  // An open checkout closed without starting another: the event keeps waiting, and the page offers to pay again.
  const cancelPayment = async (paymentId: string) => {
    setPayError(null);
    try {
      const cancelled = await api.cancelPayment(paymentId);
      watch.current?.invalidate();
      setSnap((s) => (s ? { ...s, payments: s.payments.map((x) => (x.id === cancelled.id ? cancelled : x)) } : s));
    } catch (err) {
      setPayError(problemText(err));
    }
  };

  const cancel = async () => {
    setCancelStep('busy');
    setCancelError(null);
    const refund = e.state === 'confirmed';
    try {
      await api.cancel(id);
      if (refund) {
        refunding.current = true;
        setRefundAsked(true);
      }
      setCancelStep('idle');
      await watch.current?.refresh().catch(() => {});
    } catch (err) {
      setCancelError(problemText(err));
      setCancelStep('ask');
    }
  };

  const reason = e.state === 'failed' ? e.failureReason : e.state === 'cancelled' && !(p && MONEY_BACK.includes(p.status)) ? null : (p?.reason ?? null);
  const link = ['paid', 'confirmed'].includes(e.state) ? e.google.htmlLink : null;
  const price = money(e.price.amount, e.price.currency);
  const rules = e.recurrence.map((r) => describe(r)).filter((x): x is string => Boolean(x));
  const canCancel = waiting || (e.state === 'confirmed' && !refundAsked);
  const hasReceipt = payments.some((x) => TOOK_MONEY.includes(x.status));
  const bookAgain = `/app/new?from=${encodeURIComponent(id)}`;
  // Google refused for want of a working grant: reconnecting (same account) comes first, and leads
  // back to the booking form filled in from this event.
  const reconnect =
    e.state === 'failed' && me.google.status !== 'active'
      ? `${me.google.reconnectUrl}&loginHint=${encodeURIComponent(me.user.email)}&returnTo=${encodeURIComponent(bookAgain)}`
      : null;
  // The last try ended without money while the event can still be paid: the same provider again, or the other.
  const retry = waiting && payable && !moneyComing && p && ['declined', 'cancelled', 'expired'].includes(p.status) ? p.provider : null;

  return (
    <>
      <p class="back"><a href="/app">← {t.event.back}</a></p>
      <h1>{e.title}</h1>
      <p id="state" data-state={e.state} aria-live="polite" class={`status-line state state-${e.state}`}>
        <strong>{STATE_LABEL[e.state]}</strong>
      </p>
      <div id="outcome" data-payment={p?.status ?? ''} aria-live="polite">
        {said ? (
          <div class={said.tone === 'ok' ? 'outcome ok' : 'outcome bad'}>
            {said.tone === 'ok' && e.state === 'confirmed' ? <span class="check" aria-hidden="true">✓</span> : null}
            <p>{said.text}</p>
            {reason ? <p class="muted reason">{t.event.reason(reason)}</p> : null}
          </div>
        ) : null}
      </div>
      {link || e.state === 'confirmed' || hasReceipt ? (
        <p class="next-steps" id="takeaways">
          {link ? <a class="button" href={link} id="google-link" target="_blank" rel="noopener">{t.event.googleLink}</a> : null}
          {e.state === 'confirmed' ? (
            <a class="button secondary" href={api.calendarFileUrl(id)} id="download-ics" download>{t.next.downloadIcs}</a>
          ) : null}
          {hasReceipt ? <a class="button secondary" href={`/app/events/${id}/receipt`} id="receipt-link">{t.next.receipt}</a> : null}
        </p>
      ) : null}
      {retry ? (
        <div class="next-steps" id="retry">
          <button type="button" id="retry-same" disabled={paying !== null} onClick={() => pay(retry)}>{t.next.tryAgain(PROVIDER[retry])}</button>
          <button type="button" class="secondary" id="retry-other" disabled={paying !== null} onClick={() => pay(OTHER[retry])}>{t.next.tryOther(PROVIDER[OTHER[retry]])}</button>
        </div>
      ) : null}
      {e.state === 'failed' || e.state === 'expired' ? (
        <div class="next-steps" id="next-step">
          {reconnect ? (
            <>
              <p>{t.next.reconnectLead}</p>
              <a class="button" href={reconnect} id="reconnect-google">{t.next.reconnect}</a>
            </>
          ) : (
            <p>{t.next.bookAgainLead}</p>
          )}
          <a class={reconnect ? 'button secondary' : 'button'} href={bookAgain} id="book-again">{t.next.bookAgain}</a>
        </div>
      ) : null}
      {refundAsked && e.state === 'confirmed' ? <p class="note" role="status">{t.event.refundAsked}</p> : null}

      <div class={waiting ? 'pay-layout' : undefined}>
        <section class="card summary" aria-labelledby="summary-title">
          <h2 id="summary-title" class="visually-hidden">{t.event.when}</h2>
          <dl>
            <dt>{t.event.when}</dt>
            <dd>{when(e)}</dd>
            {rules.length ? (<><dt>{t.event.repeats}</dt><dd>{rules.join('; ')}</dd></>) : null}
            {e.location ? (<><dt>{t.event.where}</dt><dd>{e.location}</dd></>) : null}
            {e.attendees.length ? (<><dt>{t.event.guests}</dt><dd>{e.attendees.map((a) => a.email).join(', ')}</dd></>) : null}
          </dl>
          <p id="price" class="price">{t.event.price(price)}</p>
        </section>

        {waiting ? (
          <section id="pay" class="card" aria-labelledby="pay-title">
            <h2 id="pay-title">{t.event.payTitle}</h2>
            {payable && !moneyComing ? (
              <>
                <p>{t.event.payLead(price, dateTime(e.pendingUntil, Intl.DateTimeFormat().resolvedOptions().timeZone))}</p>
                <div class="pay-choices">
                  <button type="button" class="pay-card" id="pay-paypal" disabled={paying !== null} onClick={() => pay('paypal')}>{t.event.payPaypal}</button>
                  <button type="button" class="pay-card" id="pay-binance" disabled={paying !== null} onClick={() => pay('binance')}>{t.event.payBinance}</button>
                </div>
                <div aria-live="polite">
                  {paying ? <p class="muted" role="status">{t.event.opening[paying]}</p> : null}
                  {payError ? <div class="error" role="alert"><p>{payError}</p></div> : null}
                </div>
              </>
            ) : null}
            <div id="checkout">
              <Checkout p={open} now={now} payable={payable} onRestart={pay} onCancel={cancelPayment} />
            </div>
            {inProgress ? <Waiting p={open} eventState={e.state} slow={slow} onCheck={() => watch.current?.refresh().catch(() => setTrouble(true))} /> : null}
            {!payable ? (
              <p class="note" id="too-late">{t.event.tooLate}<a href={bookAgain}>{t.event.createAgain}</a>{t.event.toBook}</p>
            ) : null}
          </section>
        ) : e.state === 'paid' ? (
          <Waiting p={null} eventState={e.state} slow={slow} onCheck={() => watch.current?.refresh().catch(() => setTrouble(true))} />
        ) : null}
      </div>

      {canCancel ? (
        <section id="event-actions">
          {cancelStep === 'idle' ? (
            <button type="button" class="secondary" id="cancel-event" onClick={() => setCancelStep('ask')}>
              {e.state === 'confirmed' ? t.event.cancelRefund : t.event.cancel}
            </button>
          ) : (
            <div class="confirm">
              <p>{e.state === 'confirmed' ? t.event.cancelRefundAsk(price) : t.event.cancelAsk}</p>
              <p class="actions">
                <button type="button" class="danger" id="cancel-confirm" disabled={cancelStep === 'busy'} onClick={cancel}>{t.event.cancelYes}</button>
                <button type="button" class="secondary" onClick={() => setCancelStep('idle')}>{t.event.cancelKeep}</button>
              </p>
            </div>
          )}
          {cancelError ? <div class="error" role="alert"><p>{cancelError}</p></div> : null}
        </section>
      ) : null}

      <div id="refresh-status" aria-live="polite">{trouble ? <p class="muted">{t.event.refreshFailed}</p> : null}</div>

      <section class="history" aria-labelledby="history-title">
        <h2 id="history-title">{t.event.history}</h2>
        <ol id="timeline" class="timeline">
          {e.timeline.map((entry) => (
            <li key={entry.id} data-subject={entry.subject} data-to={entry.to}>
              <time dateTime={entry.at}>{at(entry.at)}</time>
              <strong>{timelineText(entry)}</strong>
              <span class="why">{entry.reason}</span>
              {entry.subject === 'payment' && entry.providerReference ? <span class="muted ref">{t.event.timelineReference(entry.providerReference)}</span> : null}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

function Waiting({ p, eventState, slow, onCheck }: { p: Payment | null; eventState: string; slow: boolean; onCheck: () => void }) {
  const text = eventState === 'paid' ? t.event.addingToCalendar : p?.status === 'approved' ? t.event.approvedWaiting : p ? t.event.waitingFor(PROVIDER[p.provider]) : t.event.addingToCalendar;
  return (
    <div class="waiting" id="waiting" role="status">
      <span class="spinner" aria-hidden="true" />
      <p>{text}</p>
      {slow ? (
        <>
          <p class="muted">{t.event.slow}</p>
          <p><button type="button" class="secondary" onClick={onCheck}>{t.event.checkAgain}</button></p>
        </>
      ) : null}
    </div>
  );
}

function Checkout({ p, now, payable, onRestart, onCancel }: { p: Payment | null; now: number; payable: boolean; onRestart: (provider: Provider) => void; onCancel: (paymentId: string) => void }) {
  if (!p) return null;
  const who = PROVIDER[p.provider];
  if (p.status === 'pending' || p.status === 'approved') return null;
  const left = Date.parse(p.expiresAt) - now;
  if (left <= 0) {
    // Starting again is offered only while the event itself can still be paid.
    return (
      <div class="note" data-expired="">
        <p>{t.event.orderExpired(who)}</p>
        {payable ? <p><button type="button" class="secondary" onClick={() => onRestart(p.provider)}>{t.event.startAgain}</button></p> : null}
      </div>
    );
  }
  const action = p.nextAction;
  const cancel = (
    <button type="button" class="secondary" id="cancel-payment" onClick={() => onCancel(p.id)}>{t.event.cancelPayment}</button>
  );
  if (action?.type === 'redirect') {
    return (
      <div class="note">
        <p>{t.event.paypalUnfinished}<a href={action.url}>{t.event.continuePaypal}</a></p>
        <p>{cancel}</p>
      </div>
    );
  }
  if (action?.type === 'scan') {
    return (
      <div class="scan">
        <h3>{t.event.scanTitle}</h3>
        <Qr svg={action.qrSvg} />
        {p.charge ? (
          <p id="charge">
            {t.event.amount}<strong>{money(p.charge.value, p.charge.currency)}</strong>
            {p.rate ? t.event.rate(number(p.rate), p.charge.currency, p.amount.currency) : ''}
          </p>
        ) : null}
        <p><a class="button" id="binance-checkout" href={action.checkoutUrl}>{t.event.openBinance}</a></p>
        <p class={left <= 60_000 ? 'countdown soon' : 'countdown'}>{t.event.expiresIn}<strong id="countdown">{mmss(left)}</strong></p>
        <p>{cancel}</p>
      </div>
    );
  }
  return <p class="muted">{t.event.preparing(who)}</p>;
}

function Qr({ svg }: { svg: string }) {
  const box = useRef<HTMLElement>(null);
  const ok = useMemo(() => safeSvg(svg), [svg]);
  useEffect(() => {
    if (!box.current || !ok) return;
    const copy = ok.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('role', 'img');
    copy.setAttribute('aria-label', t.event.qrLabel);
    box.current.replaceChildren(copy);
  }, [ok]);
  if (!ok) return <p class="muted">{t.event.noQr}</p>;
  return (
    <figure class="qr">
      <span ref={box} />
      <figcaption class="muted">{t.event.scanCaption}</figcaption>
    </figure>
  );
}
