import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../db/database.ts';
import { paymentTrailOf } from '../db/repos/audit-trail.ts';
import * as events from '../db/repos/events.ts';
import type { EventRecord } from '../db/repos/events.ts';
import * as repo from '../db/repos/payments.ts';
import type { PaymentRecord } from '../db/repos/payments.ts';

export type { PaymentRecord } from '../db/repos/payments.ts';
import { assertTransition } from '../domain/event-state.ts';
import { mismatches } from '../domain/payment-integrity.ts';
import { assertPaymentTransition, holdsMoney, isCancellable, isOpen, isRefundable, type PaymentState } from '../domain/payment-state.ts';
import { AppError, isAppError, type ProblemCode } from '../errors.ts';
import type { SettingsReader } from './instance-settings.ts';
import type { JobContext, JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Call, PaymentProvider, PaymentRefs, ProviderId, RawNotification, Snapshot } from '../ports/payments.ts';
import { decodeCursor, encodeCursor, filterDigest } from './event-list.ts';
import { QUEUES as EVENT_QUEUES, type EventPaymentHooks } from './events.ts';
import type { MailHooks } from './mails.ts';
import { NotificationInbox } from './notification-inbox.ts';

/**
 * The money path: start a payment, settle it from the provider's truth, and move money back when
 * the event cannot have it. One idempotent step, `settle` (fetch from the provider, then `apply`
 * under row locks), is shared by the return URL, the notification inbox and the reconciler, so the
 * order they arrive in changes nothing. Every state change commits with the jobs it causes.
 */

export const PAYMENT_QUEUES = {
  settle: 'payment.settle',
  capture: 'payment.capture',
  release: 'payment.release',
  refund: 'payment.refund',
  notification: 'payment.notification',
  reconcile: 'payment.reconcile',
} as const;

const MOVEMENT_QUEUE: Record<repo.MoneyOperation, string> = {
  capture: PAYMENT_QUEUES.capture,
  void: PAYMENT_QUEUES.release,
  refund: PAYMENT_QUEUES.refund,
};

/** The operation names in the idempotency keys (as sent since the first release). */
const MOVEMENT_KEY: Record<repo.MoneyOperation, string> = { capture: 'capture-hold', void: 'release', refund: 'refund' };

export const PAYMENT_CODES = {
  notPayable: 'event_not_payable',
  providerDisabled: 'payment_provider_disabled',
  notRefundable: 'payment_not_refundable',
  notCancellable: 'payment_not_cancellable',
  notCapturable: 'payment_not_capturable',
  captureTooEarly: 'payment_capture_too_early',
  notVoidable: 'payment_not_voidable',
  providerUnavailable: 'payment_provider_unavailable',
  providerRefused: 'payment_provider_refused',
} as const satisfies Record<string, ProblemCode>;

/** How long one provider call may take inside a request (the adapters bound each call too). */
const PROVIDER_DEADLINE_MS = 10_000;
/** A payment whose provider order could not be created is given up after this long. */
const CREATE_GRACE_MS = 120_000;

export const PAYMENT_PAGE = { defaultLimit: 50, maxLimit: 100 } as const;
/** The orders a payment list comes in: by creation, newest first (the default) or oldest first. */
export const PAYMENT_SORTS = ['created_desc', 'created_asc'] as const;
export type PaymentSort = (typeof PAYMENT_SORTS)[number];

export interface PaymentsConfig {
  publicBaseUrl: string;
  /** Enabled providers, PayPal intent and Binance rate in force (admin settings over the environment's), read as each payment starts. */
  settings: SettingsReader;
  reconcileAfterSeconds: number;
  reconcileIntervalSeconds: number;
}

const PROVIDER_NAMES: Record<ProviderId, string> = { paypal: 'PayPal', binance: 'Binance Pay' };

export class Payments implements EventPaymentHooks {
  #ticker: NodeJS.Timeout | null = null;
  readonly #inbox: NotificationInbox;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly providers: Record<ProviderId, PaymentProvider>,
    private readonly cfg: PaymentsConfig,
    private readonly log: Logger,
    private readonly mails: MailHooks,
    private readonly metrics?: Metrics,
  ) {
    const perPayment = (name: string, run: (id: string, ctx: JobContext) => Promise<unknown>, retryLimit = 10) =>
      jobs.define<{ paymentId: string }>({ name, retryLimit, retryDelaySeconds: 5, expireInSeconds: 120, handler: (d, ctx) => run(d.paymentId, ctx).then(() => {}) });
    perPayment(PAYMENT_QUEUES.settle, (id) => this.settle(id, 'a check with the provider'));
    perPayment(PAYMENT_QUEUES.capture, (id, ctx) => this.#captureJob(id, ctx), 12);
    perPayment(PAYMENT_QUEUES.release, (id) => this.#releaseJob(id));
    perPayment(PAYMENT_QUEUES.refund, (id, ctx) => this.#refundJob(id, ctx), 12);
    jobs.define<{ inboxId: string }>({ name: PAYMENT_QUEUES.notification, retryLimit: 10, retryDelaySeconds: 5, batchSize: 10, handler: (d) => this.#notificationJob(d.inboxId) });
    jobs.define<Record<string, never>>({ name: PAYMENT_QUEUES.reconcile, retryLimit: 0, handler: () => this.reconcile() });
    this.#inbox = new NotificationInbox(db, jobs, PAYMENT_QUEUES.notification, log);
  }

  // ── Starting and reading payments ──────────────────────────────────────────────────────────────

  /**
   * Creates a provider order for an event waiting for payment. An open payment of the event is
   * superseded (cancelled, its order closed): one checkout at a time.
   */
  async start(userId: string, eventId: string, providerId: ProviderId): Promise<PaymentRecord> {
    const provider = this.#provider(providerId);
    const id = randomUUID();
    const { payment, event, terms } = await this.db.transaction(async (tx) => {
      const e = await events.findEvent(tx, eventId, { forUpdate: true });
      if (!e || e.userId !== userId) throw new AppError('not_found', `No event ${eventId}.`);
      const terms = await this.cfg.settings.current(tx);
      if (!terms.providers.includes(providerId)) {
        const others = terms.providers.map((p) => PROVIDER_NAMES[p]).join(' or ');
        throw new AppError('conflict', `${PROVIDER_NAMES[providerId]} is not accepted at the moment; pay with ${others}.`, {
          code: PAYMENT_CODES.providerDisabled,
          details: { enabledProviders: terms.providers },
        });
      }
      if (e.state !== 'pending_payment') {
        throw new AppError('conflict', `This event is ${e.state.replace('_', ' ')}; only an event waiting for payment can be paid.`, { code: PAYMENT_CODES.notPayable });
      }
      if (e.pendingUntil.getTime() <= Date.now()) {
        throw new AppError('conflict', 'The payment deadline of this event has passed; create the event again to book it.', { code: PAYMENT_CODES.notPayable });
      }
      for (const open of await repo.paymentsOfEvent(tx, eventId, { forUpdate: true })) {
        if (isOpen(open.state)) await this.#close(tx, open, 'cancelled', `superseded by a new payment with ${PROVIDER_NAMES[providerId]}`);
      }
      const created = await repo.insertPayment(
        tx,
        {
          id,
          eventId,
          userId,
          provider: providerId,
          priceMinor: e.priceMinor,
          priceCurrency: e.priceCurrency,
          intent: providerId === 'paypal' ? terms.paypalIntent : null,
          merchantRef: providerId === 'binance' ? id.replaceAll('-', '') : id,
          expiresAt: e.pendingUntil,
        },
        `payment started with ${PROVIDER_NAMES[providerId]}`,
      );
      await repo.updatePayment(tx, id, { checkAfter: this.#later() });
      return { payment: created, event: e, terms };
    });

    let checkout;
    try {
      checkout = await provider.createCheckout(
        {
          paymentId: id,
          eventId,
          description: describe(event),
          price: { minor: event.priceMinor, currency: event.priceCurrency },
          expiresAt: event.pendingUntil,
          returnUrl: `${this.cfg.publicBaseUrl}/payments/${providerId}/return?payment=${id}`,
          cancelUrl: `${this.cfg.publicBaseUrl}/payments/${providerId}/cancel?payment=${id}`,
          notifyUrl: `${this.cfg.publicBaseUrl}/webhooks/${providerId}`,
          ...(payment.intent ? { intent: payment.intent } : {}),
          ...(providerId === 'binance' ? { rate: terms.binanceUsdtRate } : {}),
        },
        this.#call(payment, 'create'),
      );
    } catch (err) {
      if (!isAppError(err)) throw err;
      const reason = `${PROVIDER_NAMES[providerId]} could not create the order: ${err.message}`;
      await this.db.transaction(async (tx) => {
        // Event first, then payment, as every transition does: the event's audit entries then commit in id order.
        await events.findEvent(tx, event.id, { forUpdate: true });
        const p = await repo.findPayment(tx, id, { forUpdate: true });
        if (p?.state === 'created') await repo.setPaymentState(tx, id, 'created', 'error', reason, { reason, checkAfter: null });
      });
      this.log.warn({ paymentId: id, err }, 'payment order not created');
      throw err.retryable
        ? new AppError('provider_unavailable', `${PROVIDER_NAMES[providerId]} did not answer in time; nothing was charged. Try again in a moment.`, {
            code: PAYMENT_CODES.providerUnavailable,
            ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
            cause: err,
          })
        : new AppError('provider_unavailable', `${PROVIDER_NAMES[providerId]} refused to create the order (${err.message}); nothing was charged.`, {
            code: PAYMENT_CODES.providerRefused,
            cause: err,
          });
    }

    return this.db.transaction(async (tx) => {
      const p = (await repo.findPayment(tx, id, { forUpdate: true }))!;
      await repo.updatePayment(tx, id, {
        providerRef: checkout.ref,
        chargeMinor: checkout.charge.minor,
        chargeCurrency: checkout.charge.currency,
        rate: checkout.rate,
        nextAction: checkout.action,
        expiresAt: checkout.expiresAt,
      });
      // Closed while the order was being created (the event expired or was cancelled): close it there too.
      if (!isOpen(p.state)) await this.jobs.send(tx, PAYMENT_QUEUES.release, { paymentId: id }, { singletonKey: id });
      return (await repo.findPayment(tx, id))!;
    });
  }

  async get(userId: string, id: string): Promise<PaymentRecord> {
    const p = await repo.findUserPayment(this.db, userId, id);
    if (!p) throw new AppError('not_found', `No payment ${id}.`);
    return p;
  }

  async ofEvent(userId: string, eventId: string): Promise<PaymentRecord[]> {
    const e = await events.findUserEvent(this.db, userId, eventId);
    if (!e) throw new AppError('not_found', `No event ${eventId}.`);
    return repo.paymentsOfEvent(this.db, eventId);
  }

  /** A page of the user's payments; the cursor is bound to the filters and order it was given out for. */
  async list(
    userId: string,
    req: { limit?: number | undefined; cursor?: string | undefined; sort?: PaymentSort | undefined } & repo.PaymentFilter,
  ) {
    const limit = Math.min(Math.max(req.limit ?? PAYMENT_PAGE.defaultLimit, 1), PAYMENT_PAGE.maxLimit);
    const filter: repo.PaymentFilter = { status: req.status, provider: req.provider, eventId: req.eventId };
    // The default order has no part in the digest, so cursors given out before it existed still work.
    const sort = req.sort === 'created_desc' ? undefined : req.sort;
    const digest = filterDigest({ ...filter, sort });
    const after = req.cursor === undefined ? undefined : decodeCursor(req.cursor, digest);
    const order = sort === 'created_asc' ? 'asc' : 'desc';
    const { payments, next } = await repo.listUserPayments(this.db, userId, { limit, after, filter, order });
    return { payments, nextCursor: next ? encodeCursor(next, digest) : null };
  }

  transitions(id: string) {
    return paymentTrailOf(this.db, id);
  }

  /** A full refund, asked by the payer. Idempotent: a payment already being refunded is returned as it is. */
  async refund(userId: string, id: string): Promise<PaymentRecord> {
    const found = await this.get(userId, id);
    return this.db.transaction(async (tx) => {
      await events.findEvent(tx, found.eventId, { forUpdate: true });
      const p = (await repo.findPayment(tx, id, { forUpdate: true }))!;
      if (p.state === 'refunding' || p.state === 'refunded') return p;
      if (!isRefundable(p.state)) {
        throw new AppError('conflict', `Only a payment that took money can be refunded; this one is ${p.state}.`, { code: PAYMENT_CODES.notRefundable });
      }
      await this.#returnMoney(tx, p, 'refund requested by the payer');
      return (await repo.findPayment(tx, id))!;
    });
  }

  /**
   * The payer cancels an open checkout. Its order is closed at the provider (a job); where the
   * provider cannot close it (PayPal), money taken there later is late money and goes back. The
   * event keeps waiting for payment. Idempotent: a cancelled payment is returned as it is.
   */
  async cancel(userId: string, id: string): Promise<PaymentRecord> {
    const found = await this.get(userId, id);
    const after = found.state === 'cancelled' ? found : await this.#cancelByPayer(found, 'cancelled by the payer through the API');
    if (after.state !== 'cancelled') {
      throw new AppError(
        'conflict',
        after.state === 'pending'
          ? `This payment was paid and ${PROVIDER_NAMES[after.provider]} is completing it: it cannot be cancelled; once it completes, refund it.`
          : `Only an open payment (created or approved, no money taken) can be cancelled; this one is ${after.state}.`,
        { code: PAYMENT_CODES.notCancellable },
      );
    }
    return after;
  }

  /**
   * Takes the money of a held PayPal payment now, instead of waiting for the capture job. Only once
   * the event is on Google Calendar (authorise → insert → capture); the job and this share one
   * PayPal-Request-Id, so whichever runs second gets the first one's capture. Idempotent.
   */
  async capture(userId: string, id: string): Promise<PaymentRecord> {
    const p = await this.get(userId, id);
    if (p.state === 'captured' && p.intent === 'AUTHORIZE') return p;
    if (p.state !== 'authorized') {
      throw new AppError(
        'conflict',
        p.intent === 'AUTHORIZE'
          ? `Only a held payment (authorized) can be captured; this one is ${p.state}.`
          : `Only a PayPal payment with intent AUTHORIZE holds money to capture; ${p.provider === 'binance' ? 'Binance Pay takes the money at payment' : 'this one took it at approval'}.`,
        { code: PAYMENT_CODES.notCapturable },
      );
    }
    const e = await events.findEvent(this.db, p.eventId);
    if (e?.state !== 'paid' || !e.onCalendarAt) {
      throw new AppError('conflict', 'The event is not on Google Calendar yet: the money is taken only once it is (it then happens by itself). Try again later.', {
        code: PAYMENT_CODES.captureTooEarly,
      });
    }
    try {
      return (await this.#capture(p, false)) ?? (await this.get(userId, id));
    } catch (err) {
      if (!isAppError(err) || !err.retryable) throw err;
      throw new AppError('provider_unavailable', `${PROVIDER_NAMES[p.provider]} did not answer in time; the capture is tried again by itself.`, {
        code: PAYMENT_CODES.providerUnavailable,
        ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
        cause: err,
      });
    }
  }

  /**
   * Releases a PayPal hold: no money will be taken, so the event it paid for is cancelled at once
   * (taken off Google Calendar if it was put there) and its capture can no longer run. Answers the
   * payment `voiding`; it becomes `voided` once PayPal has released it. Idempotent.
   */
  async void(userId: string, id: string): Promise<PaymentRecord> {
    const found = await this.get(userId, id);
    return this.db.transaction(async (tx) => {
      const e = (await events.findEvent(tx, found.eventId, { forUpdate: true }))!;
      const p = (await repo.findPayment(tx, id, { forUpdate: true }))!;
      if (p.state === 'voiding' || p.state === 'voided') return p;
      if (p.state !== 'authorized') {
        throw new AppError('conflict', `Only a held payment (authorized) can be voided; this one is ${p.state}.`, { code: PAYMENT_CODES.notVoidable });
      }
      await this.#late(tx, p, 'authorized', 'the payer released the hold', {});
      await this.#undoPaidEvent(tx, e, 'cancelled', 'the payer released the payment hold; no money was taken');
      return (await repo.findPayment(tx, id))!;
    });
  }

  // ── The browser's return from the provider ─────────────────────────────────────────────────────

  /**
   * The payer's browser came back. Its query string is only a hint of which payment: the outcome
   * is read from the provider. Returns the event to show, or null for an unknown payment.
   */
  async returned(providerId: ProviderId, hint: { paymentId?: string | undefined; ref?: string | undefined }, cancelled: boolean, userId: string | null): Promise<string | null> {
    const p = hint.paymentId
      ? await repo.findPayment(this.db, hint.paymentId)
      : hint.ref
        ? await repo.findByProviderRef(this.db, providerId, hint.ref)
        : null;
    if (!p || p.provider !== providerId) return null;
    try {
      const snap = await this.settle(p.id, cancelled ? 'the payer leaving the provider page' : 'the payer returning from the provider');
      // Giving up at the provider closes the order, unless money moved after all (settle saw it).
      if (cancelled && snap && isCancellable(snap.state) && userId === p.userId) await this.#cancelByPayer(p, `cancelled by the payer at ${PROVIDER_NAMES[providerId]}`);
    } catch (err) {
      if (!isAppError(err)) throw err;
      // The provider did not answer now: the settle job asks again shortly, and the page shows the progress.
      this.log.warn({ paymentId: p.id, err }, 'settling on return failed; queued');
      await this.db.transaction((tx) => this.jobs.send(tx, PAYMENT_QUEUES.settle, { paymentId: p.id }, { singletonKey: p.id }));
    }
    return p.eventId;
  }

  // ── Notifications ──────────────────────────────────────────────────────────────────────────────

  /**
   * A provider's notification: verified on its raw bytes (a forgery throws signature_invalid and
   * stores nothing), then stored once in the inbox with its processing job, in one transaction
   * (shared with the notifications that arrived meanwhile: see NotificationInbox).
   */
  async receiveNotification(providerId: ProviderId, raw: RawNotification): Promise<{ stored: boolean }> {
    const provider = this.#provider(providerId);
    let notice;
    try {
      notice = await provider.readNotification(raw);
    } catch (err) {
      if (isAppError(err, 'signature_invalid')) {
        this.metrics?.notificationsRejected.inc({ provider: providerId });
        this.log.warn({ security: true, provider: providerId, reason: err.message }, 'provider notification refused: signature invalid');
      }
      throw err;
    }
    const stored = await this.#inbox.store({
      provider: providerId,
      providerEventId: notice.providerEventId,
      providerType: notice.providerType,
      paymentId: notice.paymentId,
      providerRef: notice.ref,
      hint: notice.hint,
      body: raw.body,
      headers: raw.headers,
      receivedAt: raw.receivedAt,
    });
    this.log.info({ provider: providerId, type: notice.providerType, duplicate: !stored, paymentId: notice.paymentId }, 'provider notification received');
    return { stored };
  }

  acknowledgement(providerId: ProviderId) {
    return this.#provider(providerId).acknowledgement;
  }

  async #notificationJob(inboxId: string): Promise<void> {
    const n = await repo.findNotification(this.db, inboxId);
    if (!n || n.processed_at) return;
    const p = n.payment_id
      ? await repo.findPayment(this.db, n.payment_id)
      : n.provider_ref
        ? await repo.findByProviderRef(this.db, n.provider, n.provider_ref)
        : null;
    if (!p || p.provider !== n.provider || (n.provider_ref && p.providerRef && n.provider_ref !== p.providerRef)) {
      await repo.markNotificationProcessed(this.db, inboxId, 'not about a payment of ours');
      return;
    }
    const after = await this.settle(p.id, `${PROVIDER_NAMES[p.provider]} notification ${n.provider_type}`);
    await repo.markNotificationProcessed(this.db, inboxId, `payment ${after?.state ?? 'unknown'}`);
  }

  // ── Settling: the one step that turns the provider's truth into our state ──────────────────────

  /** Reads the order from the provider and applies it; approves a PayPal order if the event can still be paid. */
  async settle(paymentId: string, source: string): Promise<PaymentRecord | null> {
    const p = await repo.findPayment(this.db, paymentId);
    if (!p) return null;
    if (!p.providerRef) {
      // The order was never created (a crash or a failure mid-create): give up after a grace period.
      if (p.state === 'created' && Date.now() - p.createdAt.getTime() > CREATE_GRACE_MS) {
        await this.db.transaction(async (tx) => {
          await events.findEvent(tx, p.eventId, { forUpdate: true });
          const cur = (await repo.findPayment(tx, p.id, { forUpdate: true }))!;
          if (cur.state === 'created' && !cur.providerRef) {
            await repo.setPaymentState(tx, p.id, 'created', 'error', 'the provider order was never created', { reason: 'The payment could not be started; start it again.', checkAfter: null });
          }
        });
      }
      return repo.findPayment(this.db, paymentId);
    }
    const provider = this.#provider(p.provider);
    let snap = await provider.fetch(refsOf(p), this.#call(p, 'fetch'));
    if (snap.status === 'approved' && (await this.#payable(p))) {
      try {
        snap = await provider.completeApproval(refsOf(p), this.#call(p, p.intent === 'AUTHORIZE' ? 'authorize' : 'capture'));
      } catch (err) {
        if (!isAppError(err, 'declined')) throw err;
        snap = { ...snap, status: 'declined', reason: err.message };
      }
    }
    return this.apply(p.id, snap, source);
  }

  async #payable(p: PaymentRecord): Promise<boolean> {
    if (!isOpen(p.state)) return false;
    const e = await events.findEvent(this.db, p.eventId);
    if (!e || e.state !== 'pending_payment' || e.pendingUntil.getTime() <= Date.now()) return false;
    const others = await repo.paymentsOfEvent(this.db, p.eventId);
    return !others.some((o) => o.id !== p.id && holdsMoney(o.state));
  }

  /** Applies a snapshot under row locks (event, then payment: the order every path uses). Idempotent. */
  async apply(paymentId: string, snap: Snapshot, source: string): Promise<PaymentRecord | null> {
    const first = await repo.findPayment(this.db, paymentId);
    if (!first) return null;
    return this.db.transaction(async (tx) => {
      const e = (await events.findEvent(tx, first.eventId, { forUpdate: true }))!;
      const p = (await repo.findPayment(tx, paymentId, { forUpdate: true }))!;
      const name = PROVIDER_NAMES[p.provider];
      const refs: repo.PaymentChanges = {
        ...(snap.authorizationRef ? { authorizationRef: snap.authorizationRef } : {}),
        ...(snap.captureRef ? { captureRef: snap.captureRef } : {}),
        ...(snap.refundRef ? { refundRef: snap.refundRef } : {}),
      };
      const to = (state: PaymentState, reason: string, extra: repo.PaymentChanges = {}) => {
        assertPaymentTransition(p.state, state);
        return repo.setPaymentState(tx, p.id, p.state, state, reason, { ...refs, ...extra });
      };
      const ref = `${name} order ${p.providerRef}`;

      const carriesMoney = snap.status === 'pending' || snap.status === 'authorized' || snap.status === 'captured';
      if (carriesMoney && p.state !== 'review') {
        const wrong = mismatches({ charge: { minor: p.chargeMinor ?? p.priceMinor, currency: p.chargeCurrency ?? p.priceCurrency }, merchantRef: p.merchantRef }, snap, name);
        if (wrong.length) {
          if (p.state === 'voiding' || p.state === 'refunding') return p;
          const reason = `${name} reported what we did not ask for (${wrong.join('; ')}); a person must review this payment`;
          this.log.warn({ security: true, paymentId: p.id, mismatches: wrong }, 'payment flagged for review');
          await to('review', reason, { reason, checkAfter: null });
          return (await repo.findPayment(tx, p.id))!;
        }
      }

      switch (snap.status) {
        case 'open':
          break;
        case 'approved':
          if (p.state === 'created') await to('approved', `approved by the payer at ${name} (${source})`);
          break;
        case 'pending': {
          const settling = `${name} is completing the payment${snap.reason ? ` (${snap.reason})` : ''}; the booking goes ahead once it has`;
          if (p.state === 'created' || p.state === 'approved') await to('pending', `paid at ${name}, waiting for ${name} to settle it${snap.reason ? ` (${snap.reason})` : ''}`, { reason: `${settling}.` });
          // A hold whose capture PayPal has not completed yet: the payment stays authorized, and says why.
          else if (p.state === 'authorized' && p.reason === null) await repo.updatePayment(tx, p.id, { reason: `${settling}.` });
          break;
        }
        case 'authorized':
        case 'captured': {
          const label = snap.status === 'authorized' ? 'authorized' : 'paid';
          if (isOpen(p.state)) await this.#moneyArrived(tx, p, e, snap.status, `${label} at ${name} (${source}), ${ref}`, refs);
          else if (p.state === 'authorized' && snap.status === 'captured') {
            await to('captured', `captured at ${name}, capture ${snap.captureRef ?? ''}`.trim(), { reason: null });
            if (e.state === 'paid' && e.onCalendarAt) {
              await events.setState(tx, e.id, 'paid', 'confirmed', `payment captured at ${name}; on Google Calendar`);
              await this.mails.queueConfirmation(tx, e.id);
            }
          } else if (p.state === 'authorized' && snap.status === 'authorized' && e.state === 'paid' && e.onCalendarAt) {
            // A hold on an event already on the calendar is captured; if its capture job was lost, this queues it again.
            await this.#moveMoney(tx, p, 'capture', 'the event is on Google Calendar');
          } else if (p.state === 'voiding' && snap.status === 'captured') {
            await to('refunding', `${name} had captured it before the void; refunding instead`);
            await this.#moveMoney(tx, p, 'refund', `${name} had captured it before the void`);
          } else if (p.state === 'expired' || p.state === 'cancelled' || p.state === 'declined' || p.state === 'error') {
            await this.#late(tx, p, snap.status, `${label} at ${name} after the payment was ${p.state} (${source}); the money goes back`, refs);
          }
          break;
        }
        case 'declined':
        case 'expired':
        case 'cancelled': {
          // The history keeps the provider's own words; the payer reads a sentence.
          const why = snap.status === 'declined' ? `declined by ${name}${snap.reason ? `: ${snap.reason}` : ''}` : `${snap.status} at ${name}`;
          const told = snap.status === 'declined' ? `${name} declined the payment. You can try again, with another payment method if needed.` : `The ${name} order ${snap.status === 'expired' ? 'expired' : 'was cancelled'} before it was paid.`;
          if (isOpen(p.state)) await to(snap.status, why, { reason: told });
          else if (p.state === 'authorized' && snap.status !== 'cancelled') {
            const failure = snap.status === 'declined' ? `${name} refused to complete the payment, so the booking was undone` : `the ${name} hold expired before it could be captured, so the booking was undone`;
            await to(snap.status, `the hold could not be captured: ${why}`, { reason: `${failure}.` });
            await this.#undoPaidEvent(tx, e, 'failed', `${failure}; no money was taken.`);
          }
          break;
        }
        case 'voided':
          if (p.state === 'voiding' || p.state === 'authorized' || p.state === 'review') {
            await to('voided', `hold released at ${name}`);
            if (p.state === 'authorized') await this.#undoPaidEvent(tx, e, 'failed', `the payment hold was released at ${name}`);
          } else if (isOpen(p.state)) await to('cancelled', `voided at ${name}`, { reason: `voided at ${name}` });
          break;
        case 'refunded':
        case 'reversed': {
          const what = snap.status === 'refunded' ? 'refunded' : 'reversed (taken back by the payer’s bank or the provider)';
          if (p.state !== 'refunded' && p.state !== 'reversed' && p.state !== 'voided' && p.state !== 'authorized' && !isOpen(p.state)) {
            await to(snap.status, `${what} at ${name}${snap.refundRef ? `, refund ${snap.refundRef}` : ''}`);
            if (p.paysEvent) await this.#moneyGone(tx, e, `payment ${what}`);
          }
          break;
        }
        default: {
          const never: never = snap.status;
          throw new Error(`unknown snapshot status ${String(never)}`);
        }
      }
      const after = (await repo.findPayment(tx, p.id))!;
      // Held or taken money that went back: the payer hears of it, whichever path returned it.
      if (after.state !== p.state && (after.state === 'voided' || after.state === 'refunded')) await this.mails.queueMoneyReturned(tx, after);
      await repo.updatePayment(tx, p.id, { ...refs, checkAfter: this.#nextCheck(after, snap) });
      return (await repo.findPayment(tx, p.id))!;
    });
  }

  /** Money is held or taken: it pays the event if the event can still be paid, or goes straight back. */
  async #moneyArrived(tx: Tx, p: PaymentRecord, e: EventRecord, status: 'authorized' | 'captured', reason: string, refs: repo.PaymentChanges): Promise<void> {
    const others = await repo.paymentsOfEvent(tx, e.id, { forUpdate: true });
    const paidAlready = others.some((o) => o.id !== p.id && holdsMoney(o.state));
    if (e.state === 'pending_payment' && e.pendingUntil.getTime() > Date.now() && !paidAlready) {
      assertPaymentTransition(p.state, status);
      await repo.setPaymentState(tx, p.id, p.state, status, reason, { ...refs, nextAction: null, reason: null, paysEvent: true });
      assertTransition(e.state, 'paid');
      await events.setState(tx, e.id, 'pending_payment', 'paid', `paid with ${PROVIDER_NAMES[p.provider]}`);
      await this.jobs.send(tx, EVENT_QUEUES.insert, { eventId: e.id }, { singletonKey: e.id });
      // The other checkouts of this event are closed: one payment per event.
      for (const o of others) if (o.id !== p.id && isOpen(o.state)) await this.#close(tx, o, 'cancelled', 'the event was paid with another payment');
      return;
    }
    const why = paidAlready
      ? 'the event was already paid with another payment'
      : e.state === 'pending_payment'
        ? 'the payment arrived after the event’s payment deadline'
        : `the event is ${e.state.replace('_', ' ')}`;
    await this.#late(tx, p, status, `${reason}, but ${why}; the money goes back`, refs);
  }

  /** Money that must not be kept: a hold is released, a payment refunded. */
  async #late(tx: Tx, p: PaymentRecord, status: 'authorized' | 'captured', reason: string, refs: repo.PaymentChanges): Promise<void> {
    const next = status === 'authorized' ? 'voiding' : 'refunding';
    assertPaymentTransition(p.state, next);
    await repo.setPaymentState(tx, p.id, p.state, next, reason, { ...refs, nextAction: null, reason });
    await this.#moveMoney(tx, p, next === 'voiding' ? 'void' : 'refund', reason);
    this.log.warn({ paymentId: p.id, reason }, 'payment returned');
  }

  /** The money of a paid or confirmed event went back: the event is cancelled (or failed) and leaves the calendar. */
  async #moneyGone(tx: Tx, e: EventRecord, why: string): Promise<void> {
    if (e.state === 'confirmed') {
      await events.setState(tx, e.id, 'confirmed', 'cancelled', `${why}; the event is cancelled and removed from Google Calendar`);
      await this.jobs.send(tx, EVENT_QUEUES.remove, { eventId: e.id }, { singletonKey: e.id });
    } else if (e.state === 'paid') await this.#undoPaidEvent(tx, e, 'failed', why);
  }

  /**
   * A paid event whose money will not be taken: it fails (the booking could not go ahead) or is
   * cancelled (its payer released the hold), and leaves Google Calendar if it got there. An insert
   * still running sees the event is no longer paid and takes it off itself.
   */
  async #undoPaidEvent(tx: Tx, e: EventRecord, to: 'failed' | 'cancelled', reason: string): Promise<void> {
    if (e.state !== 'paid') return;
    await events.setState(tx, e.id, 'paid', to, reason, to === 'failed' ? { failureReason: reason } : {});
    if (e.onCalendarAt) await this.jobs.send(tx, EVENT_QUEUES.remove, { eventId: e.id }, { singletonKey: e.id });
  }

  /** Cancels a checkout the payer gave up, if it is still one (money that moved meanwhile is left to settle). */
  async #cancelByPayer(p: PaymentRecord, reason: string): Promise<PaymentRecord> {
    return this.db.transaction(async (tx) => {
      await events.findEvent(tx, p.eventId, { forUpdate: true });
      const current = (await repo.findPayment(tx, p.id, { forUpdate: true }))!;
      if (isCancellable(current.state)) await this.#close(tx, current, 'cancelled', reason);
      return (await repo.findPayment(tx, p.id))!;
    });
  }

  async #returnMoney(tx: Tx, p: PaymentRecord, reason: string): Promise<void> {
    if (p.state === 'authorized') await this.#late(tx, p, 'authorized', reason, {});
    else if (p.state === 'captured' || p.state === 'review') {
      assertPaymentTransition(p.state, 'refunding');
      await repo.setPaymentState(tx, p.id, p.state, 'refunding', reason, { reason, checkAfter: this.#later() });
      await this.#moveMoney(tx, p, 'refund', reason);
    }
  }

  /** Closes an open payment here, and its order at the provider (a job). */
  async #close(tx: Tx, p: PaymentRecord, state: 'cancelled' | 'expired', reason: string): Promise<void> {
    assertPaymentTransition(p.state, state);
    await repo.setPaymentState(tx, p.id, p.state, state, reason, { reason, nextAction: null });
    if (p.providerRef) await this.jobs.send(tx, PAYMENT_QUEUES.release, { paymentId: p.id }, { singletonKey: p.id });
  }

  #nextCheck(p: PaymentRecord, snap: Snapshot): Date | null {
    if (isOpen(p.state) || p.state === 'voiding' || p.state === 'refunding') return this.#later();
    // A checkout closed here that can still take money there — a payment the provider is settling, or an
    // order the payer can pay by themselves until the provider closes it — is watched for late money.
    if ((p.state === 'cancelled' || p.state === 'expired') && (snap.status === 'pending' || (snap.status === 'open' && this.#provider(p.provider).payerCompletes))) {
      return this.#later();
    }
    // A hold is watched until it is captured or released: its capture must not depend on one job alone.
    if (p.state === 'authorized') return this.#later();
    return null;
  }

  #later(): Date {
    return new Date(Date.now() + this.cfg.reconcileAfterSeconds * 1000);
  }

  // ── Hooks the event side calls (EventPaymentHooks) ─────────────────────────────────────────────

  async closeUnpaid(tx: Tx, event: EventRecord, reason: string): Promise<void> {
    const state = event.pendingUntil.getTime() <= Date.now() ? 'expired' : 'cancelled';
    for (const p of await repo.paymentsOfEvent(tx, event.id, { forUpdate: true })) {
      if (isOpen(p.state)) await this.#close(tx, p, state, reason);
    }
  }

  async onFailedForGood(tx: Tx, event: EventRecord, reason: string): Promise<void> {
    for (const p of await repo.paymentsOfEvent(tx, event.id, { forUpdate: true })) {
      if (holdsMoney(p.state)) await this.#returnMoney(tx, p, `the event could not be put on Google Calendar: ${reason}`);
    }
  }

  async refundConfirmed(tx: Tx, event: EventRecord, reason: string): Promise<void> {
    // A payment already being refunded (asked twice, or by the payer first) is left as it is.
    for (const p of await repo.paymentsOfEvent(tx, event.id, { forUpdate: true })) {
      if (p.state === 'captured') await this.#returnMoney(tx, p, reason);
    }
  }

  async onCalendar(tx: Tx, event: EventRecord): Promise<'confirm' | 'awaiting_capture'> {
    const payments = await repo.paymentsOfEvent(tx, event.id, { forUpdate: true });
    if (payments.some((p) => p.state === 'captured')) return 'confirm';
    const held = payments.find((p) => p.state === 'authorized');
    if (!held) throw new Error(`event ${event.id} is paid but no payment holds its money`);
    await this.#moveMoney(tx, held, 'capture', 'the event is on Google Calendar');
    return 'awaiting_capture';
  }

  // ── Jobs that move money ───────────────────────────────────────────────────────────────────────

  /** Takes the held money once the event is on the calendar; a refusal fails the event (and takes it off the calendar). */
  async #captureJob(id: string, ctx: JobContext): Promise<void> {
    const p = await repo.findPayment(this.db, id);
    if (!p || p.state !== 'authorized') return;
    await this.#capture(p, ctx.lastAttempt);
  }

  /**
   * One capture of a hold, for the job and the API alike, with the key its movement row fixed. A
   * retryable failure is thrown (the job goes again) unless it is the last try; a refusal releases
   * the hold and fails the event (and takes it off the calendar).
   */
  async #capture(p: PaymentRecord, lastAttempt: boolean): Promise<PaymentRecord | null> {
    const name = PROVIDER_NAMES[p.provider];
    let snap: Snapshot;
    try {
      snap = await this.#provider(p.provider).capture(refsOf(p), await this.#movementCall(p, 'capture'));
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.retryable && !lastAttempt) throw err;
      if (err.kind === 'declined') snap = bare(p, 'declined', err.message);
      else {
        await this.db.transaction(async (tx) => {
          const e = (await events.findEvent(tx, p.eventId, { forUpdate: true }))!;
          const cur = (await repo.findPayment(tx, p.id, { forUpdate: true }))!;
          if (cur.state !== 'authorized') return;
          await this.#late(tx, cur, 'authorized', `${name} kept failing to capture the payment (${err.message}); the hold is released`, {});
          await this.#undoPaidEvent(tx, e, 'failed', `${name} could not capture the payment`);
        });
        return repo.findPayment(this.db, p.id);
      }
    }
    return this.apply(p.id, snap, 'capture');
  }

  /** Closes an order at the provider (or releases a hold). Money that moved meanwhile is settled, and goes back. */
  async #releaseJob(id: string): Promise<void> {
    const p = await repo.findPayment(this.db, id);
    if (!p || !p.providerRef || isOpen(p.state) || p.state === 'captured' || p.state === 'authorized') return;
    let snap: Snapshot;
    try {
      snap = await this.#provider(p.provider).release(refsOf(p), p.state === 'voiding' ? await this.#movementCall(p, 'void') : this.#call(p, 'release'));
    } catch (err) {
      if (!isAppError(err, 'conflict')) throw err;
      // Paid before it could be closed: settle reads it, and the money goes back.
      await this.settle(id, 'a close the provider refused');
      return;
    }
    await this.apply(id, snap, 'release');
  }

  async #refundJob(id: string, ctx: JobContext): Promise<void> {
    const p = await repo.findPayment(this.db, id);
    if (!p || p.state !== 'refunding') return;
    const amount = { minor: p.chargeMinor ?? p.priceMinor, currency: p.chargeCurrency ?? p.priceCurrency };
    let snap: Snapshot;
    try {
      snap = await this.#provider(p.provider).refund(refsOf(p), amount, (p.reason ?? 'LeadsCalendar refund').slice(0, 120), await this.#movementCall(p, 'refund'));
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.retryable && !ctx.lastAttempt) throw err;
      await this.db.transaction(async (tx) => {
        await events.findEvent(tx, p.eventId, { forUpdate: true });
        const cur = (await repo.findPayment(tx, id, { forUpdate: true }))!;
        if (cur.state !== 'refunding') return;
        const reason = `${PROVIDER_NAMES[p.provider]} did not refund the payment (${err.message}); a person must review it`;
        await repo.setPaymentState(tx, id, 'refunding', 'review', reason, { reason, checkAfter: null });
      });
      this.log.error({ paymentId: id, err }, 'refund failed for good');
      return;
    }
    await this.apply(id, snap, 'refund');
  }

  // ── Reconciliation ─────────────────────────────────────────────────────────────────────────────

  /** The `payment.reconcile` job: every payment due a check gets a settle job (notifications get lost). */
  async reconcile(): Promise<void> {
    const due = await repo.duePayments(this.db, new Date(), 200);
    if (due.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const { id } of due) {
        await repo.updatePayment(tx, id, { checkAfter: this.#later() });
        await this.jobs.send(tx, PAYMENT_QUEUES.settle, { paymentId: id }, { singletonKey: id });
      }
    });
    this.log.info({ payments: due.length }, 'payments sent to reconciliation');
  }

  /** Each instance asks for a reconciliation run every interval; the singleton key keeps it to one at a time. */
  startReconciler(): void {
    const tick = () =>
      void this.db
        .transaction((tx) => this.jobs.send(tx, PAYMENT_QUEUES.reconcile, {}, { singletonKey: 'reconcile' }))
        .catch((err: unknown) => this.log.warn({ err }, 'could not schedule reconciliation'));
    this.#ticker = setInterval(tick, this.cfg.reconcileIntervalSeconds * 1000);
    this.#ticker.unref();
  }

  stopReconciler(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────────────

  #provider(id: ProviderId): PaymentProvider {
    const p = this.providers[id];
    if (!p) throw new AppError('invalid_request', `Unknown payment provider ${id}.`);
    return p;
  }

  /** One key per payment and operation: every retry of that operation reuses it. */
  #call(p: Pick<PaymentRecord, 'id'>, operation: string): Call {
    return { idempotencyKey: `${p.id}-${operation}`, signal: AbortSignal.timeout(PROVIDER_DEADLINE_MS) };
  }

  /**
   * Decides a capture, void or refund, in the caller's transaction: our own row (one per payment
   * and operation, its idempotency key fixed once) and the job that asks the provider. Deciding
   * again keeps the first row and only makes sure the job is queued (a lost job is replaced).
   */
  async #moveMoney(tx: Tx, p: Pick<PaymentRecord, 'id'>, operation: repo.MoneyOperation, reason: string): Promise<void> {
    await repo.recordMoneyMovement(tx, p.id, operation, this.#call(p, MOVEMENT_KEY[operation]).idempotencyKey, reason);
    await this.jobs.send(tx, MOVEMENT_QUEUE[operation], { paymentId: p.id }, { singletonKey: p.id });
  }

  /**
   * The provider call of a decided movement, with the key its row fixed. A job queued by a release
   * that did not record movements finds no row: it records it now, with the key that release used.
   */
  async #movementCall(p: PaymentRecord, operation: repo.MoneyOperation): Promise<Call> {
    let key = await repo.moneyMovementKey(this.db, p.id, operation);
    if (!key) {
      await repo.recordMoneyMovement(this.db, p.id, operation, this.#call(p, MOVEMENT_KEY[operation]).idempotencyKey, p.reason ?? operation);
      key = (await repo.moneyMovementKey(this.db, p.id, operation))!;
    }
    return { idempotencyKey: key, signal: AbortSignal.timeout(PROVIDER_DEADLINE_MS) };
  }
}

function refsOf(p: PaymentRecord): PaymentRefs {
  return { paymentId: p.id, ref: p.providerRef!, merchantRef: p.merchantRef, authorizationRef: p.authorizationRef, captureRef: p.captureRef };
}

function bare(p: PaymentRecord, status: Snapshot['status'], reason: string): Snapshot {
  return { ref: p.providerRef!, status, merchantRef: null, amount: null, authorizationRef: null, captureRef: null, refundRef: null, reason };
}

/** What the payer sees at the provider: the event's title and start, trimmed to what providers accept. */
function describe(e: EventRecord): string {
  const when = e.allDay ? e.startLocal : e.startLocal.replace('T', ' ');
  return `Event booking: ${e.title}, ${when}`.replace(/[\u0000-\u001f]/g, ' ').slice(0, 120);
}
