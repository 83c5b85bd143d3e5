import { DateTime } from 'luxon';
import type { EventRecord } from '../../db/repos/events.ts';
import type { PaymentRecord } from '../../db/repos/payments.ts';
import { formatMinor } from '../../domain/money.ts';
import type { MailAttachment } from '../../ports/mail.ts';
import { eventIcs } from './ics.ts';

/**
 * What each mail says, from the records alone: pure, no I/O. Every mail has a plain-text part and
 * a simple HTML part; every value from a person (title, location, reasons…) is escaped in the HTML.
 */

export type MailKind = 'confirmation' | 'money_returned' | 'payment_reminder' | 'webhook_endpoint_disabled';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
}

export interface MailLinks {
  /** The event's page in LeadsCalendar. */
  eventPage: string;
}

const PROVIDER_NAMES: Record<PaymentRecord['provider'], string> = { paypal: 'PayPal', binance: 'Binance Pay' };

/** One block of the mail: a heading-less paragraph, or label/value rows. */
type Block = { p: string } | { rows: [string, string][] } | { link: [string, string] };

export function confirmationMail(e: EventRecord, p: PaymentRecord | null, links: MailLinks): MailContent {
  const blocks: Block[] = [
    { p: `Your event “${e.title}” is booked and on your Google Calendar.` },
    { rows: eventRows(e) },
    { link: ['Open the event in LeadsCalendar', links.eventPage] },
  ];
  if (e.googleHtmlLink) blocks.push({ link: ['Open in Google Calendar', e.googleHtmlLink] });
  if (p) blocks.push({ p: 'Receipt' }, { rows: receiptRows(p) });
  blocks.push({ p: 'The attached invitation.ics adds the event to any other calendar.' });
  return {
    subject: `Booked: ${e.title} — ${when(e)}`,
    ...render(`Booked: ${e.title}`, blocks),
    attachments: [{ filename: 'invitation.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: eventIcs({ event: e, url: links.eventPage }) }],
  };
}

export function moneyReturnedMail(e: EventRecord, p: PaymentRecord, why: string, links: MailLinks): MailContent {
  const voided = p.state === 'voided';
  const amount = paidAmount(p);
  const what = voided ? `The hold of ${amount} on your ${PROVIDER_NAMES[p.provider]} payment was released: no money was taken.` : `Your ${PROVIDER_NAMES[p.provider]} payment of ${amount} was refunded.`;
  const rows: [string, string][] = [['Event', e.title], ['When', when(e)], ['Why', why], ...receiptRows(p)];
  if (p.refundRef) rows.push(['Refund reference', p.refundRef]);
  return {
    subject: `${voided ? 'Payment released' : 'Refunded'}: ${e.title}`,
    ...render(voided ? 'Your payment hold was released' : 'Your payment was refunded', [{ p: what }, { rows }, { link: ['Open the event in LeadsCalendar', links.eventPage] }]),
    attachments: [],
  };
}

export function reminderMail(e: EventRecord, links: MailLinks): MailContent {
  // Named by its IANA zone, as the event's times are: ICU's zone names vary with the machine.
  const deadline = `${DateTime.fromJSDate(e.pendingUntil, { zone: e.timeZone }).toFormat('cccc d LLLL yyyy, HH:mm')} (${e.timeZone})`;
  const price = `${formatMinor(e.priceMinor, e.priceCurrency)} ${e.priceCurrency}`;
  return {
    subject: `Pay by ${deadline} to keep “${e.title}”`,
    ...render('Your booking is waiting for payment', [
      { p: `Your event “${e.title}” is not paid yet. Pay ${price} before ${deadline}, or the booking expires and is not added to your calendar.` },
      { rows: eventRows(e) },
      { link: ['Pay now', links.eventPage] },
      { p: 'Already paid? Then nothing more is needed; this reminder crossed your payment.' },
    ]),
    attachments: [],
  };
}

/** An integrator's endpoint kept failing for the whole retry window: it is switched off until they switch it on. */
export function webhookEndpointDisabledMail(
  endpoint: { url: string; description: string; disabledReason: string | null },
  links: { webhooksPage: string },
): MailContent {
  const rows: [string, string][] = [['Endpoint', endpoint.url]];
  if (endpoint.description) rows.push(['Description', endpoint.description]);
  if (endpoint.disabledReason) rows.push(['Why', endpoint.disabledReason]);
  return {
    subject: `Webhook endpoint disabled: ${endpoint.url}`,
    ...render('Your webhook endpoint was disabled', [
      { p: 'Every delivery to this webhook endpoint failed for three days, so LeadsCalendar stopped sending to it. Events since then were not delivered.' },
      { rows },
      { p: 'Fix the receiver, then enable the endpoint again; the delivery log shows each attempt and its answer, and any delivery can be sent again from there.' },
      { link: ['Open your webhooks', links.webhooksPage] },
    ]),
    attachments: [],
  };
}

/** The event's time, in its own zone: `Monday 2 June 2031, 10:00–11:00 (Europe/London)`. */
export function when(e: Pick<EventRecord, 'allDay' | 'startLocal' | 'endLocal' | 'timeZone'>): string {
  const start = DateTime.fromISO(e.startLocal, { zone: e.timeZone });
  const end = DateTime.fromISO(e.endLocal, { zone: e.timeZone });
  if (e.allDay) {
    const last = end.minus({ days: 1 });
    const day = (d: DateTime) => d.toFormat('cccc d LLLL yyyy');
    return last <= start ? `${day(start)} (all day)` : `${day(start)} – ${day(last)} (all day)`;
  }
  const sameDay = start.hasSame(end, 'day');
  return `${start.toFormat('cccc d LLLL yyyy, HH:mm')}–${sameDay ? end.toFormat('HH:mm') : end.toFormat('cccc d LLLL yyyy, HH:mm')} (${e.timeZone})`;
}

function eventRows(e: EventRecord): [string, string][] {
  const rows: [string, string][] = [['When', when(e)]];
  if (e.recurrence.length) rows.push(['Repeats', e.recurrence.join('; ')]);
  if (e.location) rows.push(['Where', e.location]);
  if (e.attendees.length) rows.push(['Guests', e.attendees.map((a) => (a.displayName ? `${a.displayName} <${a.email}>` : a.email)).join(', ')]);
  if (e.description) rows.push(['Details', e.description]);
  return rows;
}

function paidAmount(p: PaymentRecord): string {
  return `${formatMinor(p.priceMinor, p.priceCurrency)} ${p.priceCurrency}`;
}

/** Amount, provider and the provider's references; for Binance Pay the crypto amount and the rate used. */
function receiptRows(p: PaymentRecord): [string, string][] {
  const rows: [string, string][] = [['Amount', paidAmount(p)], ['Paid with', PROVIDER_NAMES[p.provider]]];
  if (p.chargeMinor !== null && p.chargeCurrency && p.chargeCurrency !== p.priceCurrency) {
    rows.push(['Charged', `${formatMinor(p.chargeMinor, p.chargeCurrency)} ${p.chargeCurrency}`]);
    if (p.rate) rows.push(['Rate', `${p.rate} ${p.chargeCurrency} per ${p.priceCurrency}`]);
  }
  if (p.providerRef) rows.push([p.provider === 'binance' ? 'Binance Pay order (prepayId)' : 'PayPal order', p.providerRef]);
  if (p.provider === 'binance') rows.push(['Merchant trade number', p.merchantRef]);
  if (p.authorizationRef) rows.push(['PayPal authorization', p.authorizationRef]);
  if (p.captureRef) rows.push([p.provider === 'paypal' ? 'PayPal capture' : 'Transaction', p.captureRef]);
  rows.push(['LeadsCalendar payment', p.id]);
  return rows;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(title: string, blocks: Block[]): { text: string; html: string } {
  const text: string[] = [];
  const html: string[] = [];
  for (const b of blocks) {
    if ('p' in b) {
      text.push(b.p);
      html.push(`<p>${escapeHtml(b.p)}</p>`);
    } else if ('rows' in b) {
      const width = Math.max(...b.rows.map(([k]) => k.length));
      text.push(b.rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n'));
      html.push(`<table>${b.rows.map(([k, v]) => `<tr><th align="left" valign="top">${escapeHtml(k)}</th><td>${escapeHtml(v).replace(/\n/g, '<br>')}</td></tr>`).join('')}</table>`);
    } else {
      text.push(`${b.link[0]}: ${b.link[1]}`);
      // Only web links become anchors: a link from outside (Google's) cannot smuggle in a script URL.
      html.push(/^https?:\/\//i.test(b.link[1]) ? `<p><a href="${escapeHtml(b.link[1])}">${escapeHtml(b.link[0])}</a></p>` : `<p>${escapeHtml(`${b.link[0]}: ${b.link[1]}`)}</p>`);
    }
  }
  return {
    text: `${text.join('\n\n')}\n\n— LeadsCalendar\n`,
    html: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif">\n<h1 style="font-size:1.2em">${escapeHtml(title)}</h1>\n${html.join('\n')}\n<p>— LeadsCalendar</p></body></html>`,
  };
}
