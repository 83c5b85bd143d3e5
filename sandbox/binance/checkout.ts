import QRCode from 'qrcode';
import { formatAmount } from './amount.ts';
import type { Order } from './state.ts';

/**
 * The sandbox's stand-in for pay.binance.com's web checkout: the order, a QR code (inline SVG of
 * qrContent, as the real page shows for the Binance app to scan) and plain forms for the test
 * payer. No scripts. Each button posts to the checkout URL + /pay, /fail or /expire.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 });
}

export async function checkoutPage(order: Order, urls: { checkoutUrl: string; qrContent: string }, now: number): Promise<string> {
  const amount = `${formatAmount(order.amountUnits)} ${order.currency}`;
  const open = order.status === 'INITIAL' || order.status === 'PENDING';
  const form = (action: string, label: string, cls: string) =>
    `<form method="post" action="${esc(`${urls.checkoutUrl}/${action}`)}"><input type="hidden" name="confirm" value="1"><button class="${cls}" type="submit">${esc(label)}</button></form>`;
  const body = open
    ? `<figure>${await qrSvg(urls.qrContent)}<figcaption>Scan with the Binance app (sandbox: use the buttons)</figcaption></figure>
<p>Expires ${esc(new Date(order.expireTime).toISOString())} (in ${Math.max(0, Math.round((order.expireTime - now) / 1000))} s)</p>
<div class="actions">
${form('pay', `Pay ${amount}`, 'pay')}
${form('fail', 'Payment fails (insufficient balance)', 'fail')}
${form('expire', 'Let the order expire', 'expire')}
</div>
${order.cancelUrl ? `<p><a href="${esc(order.cancelUrl)}">Cancel and return to the merchant</a></p>` : ''}`
    : `<p class="status" data-status="${esc(order.status)}">This order is <strong>${esc(order.status)}</strong>.</p>
${order.status === 'PAID' && order.returnUrl ? `<p><a href="${esc(order.returnUrl)}">Return to the merchant</a></p>` : ''}
${order.status !== 'PAID' && order.cancelUrl ? `<p><a href="${esc(order.cancelUrl)}">Return to the merchant</a></p>` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Binance Pay checkout (sandbox)</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem auto;max-width:32rem;color:#1e2329}h1{font-size:1.3rem}
.amount{font-size:1.6rem;font-weight:600}.actions form{display:inline-block;margin:.3rem}
button{font:inherit;padding:.6rem 1rem;border-radius:6px;border:1px solid #ccc;cursor:pointer}
button.pay{background:#fcd535;border-color:#f0b90b}figure{margin:1rem 0}svg{width:220px;height:220px}
.sandbox{background:#fff4ce;padding:.4rem .8rem;border-radius:4px}</style></head>
<body><p class="sandbox">LeadsCalendar sandbox: no real money moves.</p>
<h1>Binance Pay checkout</h1>
<p class="amount">${esc(amount)}</p>
<dl><dt>Order</dt><dd>${esc(order.merchantTradeNo)}</dd><dt>Description</dt><dd>${esc(order.description)}</dd>
<dt>prepayId</dt><dd>${esc(order.prepayId)}</dd></dl>
${body}
</body></html>`;
}

export function notFoundPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Binance Pay checkout (sandbox)</title></head><body><h1>Order not found</h1><p>This checkout link is unknown or was reset.</p></body></html>`;
}

export function messagePage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`;
}
