import type { FastifyInstance, FastifyReply } from 'fastify';
import { PaypalApiError } from './errors.ts';
import type { PaypalLedger } from './ledger.ts';
import { FUNDING_CHOICES, FUNDING_LABELS, type Funding, type OrderRecord } from './state.ts';

/**
 * The buyer's side: PayPal's approval page at /checkoutnow?token=<orderId> (the `approve` /
 * `payer-action` link). Plain HTML forms, no scripts: the test buyer approves with a funding source
 * (one pays, one declines, one stays pending, one is denied after review) or cancels.
 */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem;color:#1a1a1a}h1{font-size:1.4rem}
.box{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}label{display:block;margin:.4rem 0}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:20px;border:0;background:#ffc439;cursor:pointer}
button.secondary{background:#eee}.muted{color:#666;font-size:.9rem}</style>
</head><body><p class="muted">PayPal (LeadsCalendar sandbox)</p>${body}</body></html>`;
}

function orderSummary(o: OrderRecord): string {
  const lines = o.purchaseUnits
    .map((pu) => `<li>${esc(pu.description ?? pu.reference_id)}: <strong>${esc(pu.amount.value)} ${esc(pu.amount.currency_code)}</strong></li>`)
    .join('');
  return `<div class="box"><p>${esc(o.brandName ?? 'LeadsCalendar')} asks you to ${o.intent === 'CAPTURE' ? 'pay' : 'authorize'}:</p><ul>${lines}</ul>
<p class="muted">Order <code>${esc(o.id)}</code>, status ${esc(o.status)}</p></div>`;
}

function checkoutPage(o: OrderRecord): string {
  const canApprove = o.status === 'CREATED' || o.status === 'PAYER_ACTION_REQUIRED' || o.status === 'APPROVED';
  if (!canApprove) return page('PayPal Checkout', `<h1>This order is ${esc(o.status)}</h1>${orderSummary(o)}`);
  const choices = FUNDING_CHOICES.map(
    (f, i) => `<label><input type="radio" name="funding" value="${f}"${i === 0 ? ' checked' : ''}> ${esc(FUNDING_LABELS[f])}</label>`,
  ).join('\n');
  return page(
    'PayPal Checkout',
    `<h1>Pay with PayPal</h1>${orderSummary(o)}
<form method="post" action="/checkoutnow/approve">
<input type="hidden" name="token" value="${esc(o.id)}">
<fieldset><legend>Pay with</legend>
${choices}
</fieldset>
<p><button type="submit">${o.intent === 'CAPTURE' ? 'Complete Purchase' : 'Continue'}</button></p>
</form>
<form method="post" action="/checkoutnow/cancel">
<input type="hidden" name="token" value="${esc(o.id)}">
<p><button type="submit" class="secondary">Cancel and return to ${esc(o.brandName ?? 'merchant')}</button></p>
</form>`,
  );
}

function notFoundPage(reply: FastifyReply) {
  return reply.status(404).type('text/html; charset=utf-8').send(page('PayPal Checkout', '<h1>This checkout session does not exist or has expired.</h1>'));
}

export function registerApprovalPage(app: FastifyInstance, ledger: PaypalLedger) {
  const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).type('text/html; charset=utf-8').send(body);
  const orderOf = (token: unknown): OrderRecord | null => {
    try {
      return typeof token === 'string' && token ? ledger.order(token) : null;
    } catch {
      return null;
    }
  };

  app.get<{ Querystring: { token?: string } }>('/checkoutnow', async (req, reply) => {
    const o = orderOf(req.query.token);
    if (!o) return notFoundPage(reply);
    return html(reply, 200, checkoutPage(o));
  });

  const action = { config: { sandbox: { provider: 'paypal' as const, operation: 'checkout.approve' } } };

  app.post('/checkoutnow/approve', action, async (req, reply) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const o = orderOf(form.token);
    if (!o) return notFoundPage(reply);
    const chosen = FUNDING_CHOICES.includes(form.funding as Funding) ? (form.funding as Funding) : 'ok';
    try {
      const { redirectUrl } = ledger.approve(o.id, req.sandboxDeclined ? 'declined' : chosen);
      if (redirectUrl) return reply.redirect(redirectUrl, 303);
      return html(reply, 200, page('PayPal Checkout', `<h1>Payment approved</h1>${orderSummary(o)}<p>You can close this window.</p>`));
    } catch (err) {
      if (err instanceof PaypalApiError) return html(reply, 409, checkoutPage(o));
      throw err;
    }
  });

  app.post('/checkoutnow/cancel', action, async (req, reply) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const o = orderOf(form.token);
    if (!o) return notFoundPage(reply);
    const { redirectUrl } = ledger.cancel(o.id);
    if (redirectUrl) return reply.redirect(redirectUrl, 303);
    return html(reply, 200, page('PayPal Checkout', `<h1>Payment cancelled</h1>${orderSummary(o)}`));
  });
}
