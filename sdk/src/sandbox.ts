import type { LeadsCalendar } from './client.ts';
import type { Payment } from './types.ts';

/** Where a sandbox payment can be driven. */
export type SandboxOutcome = 'completed' | 'declined' | 'expired' | 'reversed';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

type Step = (orderId: string, p: Payment) => { path: string; body?: unknown } | string;

// What the payer (or the provider) does at each emulator for each outcome; a string explains why
// the real provider has no such outcome, rather than faking one.
const STEPS: Record<Payment['provider'], Record<SandboxOutcome, Step>> = {
  paypal: {
    completed: (id) => ({ path: `/__sandbox/paypal/orders/${id}/approve`, body: { funding: 'ok' } }),
    declined: (id) => ({ path: `/__sandbox/paypal/orders/${id}/approve`, body: { funding: 'declined' } }),
    expired: () => 'PayPal orders do not expire at PayPal within a payment window; start a Binance Pay payment to drive an expiry, or let the payment window pass',
    reversed: (_id, p) => (p.providerReference.captureId ? { path: `/__sandbox/paypal/captures/${p.providerReference.captureId}/reverse` } : 'a PayPal payment can be reversed once captured: drive it to completed and wait until it is captured first'),
  },
  binance: {
    completed: (id) => ({ path: `/__sandbox/binance/orders/${id}/pay` }),
    declined: (id) => ({ path: `/__sandbox/binance/orders/${id}/fail`, body: { reason: 'declined in the sandbox' } }),
    expired: (id) => ({ path: `/__sandbox/binance/orders/${id}/expire` }),
    reversed: () => 'Binance Pay has no chargebacks: a paid Binance order is only ever refunded by the merchant',
  },
};

/**
 * Test helpers for an instance in sandbox mode: they act as the payer or the provider would,
 * through the sandbox's control API, so an integration test can reach every outcome without a
 * browser. Refused outside sandbox mode.
 */
export class Sandbox {
  constructor(
    private readonly lc: LeadsCalendar,
    private readonly controlUrl: string,
  ) {}

  /** Drives a payment at its provider's emulator; the app then learns of it as from the real one. */
  async drivePayment(paymentId: string, outcome: SandboxOutcome): Promise<Payment> {
    if (this.lc.mode !== 'sandbox') throw new SandboxError('lc.sandbox works only in sandbox mode');
    const payment = await this.lc.payments.get(paymentId);
    const orderId = payment.providerReference.orderId;
    if (!orderId) throw new SandboxError(`payment ${paymentId} has no order at ${payment.provider} yet`);
    const step = STEPS[payment.provider][outcome](orderId, payment);
    if (typeof step === 'string') throw new SandboxError(step);
    const res = await fetch(new URL(step.path, this.controlUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(step.body ?? {}) });
    if (!res.ok) throw new SandboxError(`the sandbox refused ${outcome} for payment ${paymentId}: HTTP ${res.status} ${await res.text()}`);
    return payment;
  }

  /** Polls a payment until its status is one of `statuses` (or the time runs out). */
  async waitForPayment(paymentId: string, statuses: Array<Payment['status']>, timeoutMs = 20_000): Promise<Payment> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.lc.payments.get(paymentId);
      if (statuses.includes(p.status)) return p;
      if (Date.now() > until) throw new SandboxError(`payment ${paymentId} is ${p.status} after ${timeoutMs} ms, not ${statuses.join(' or ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
