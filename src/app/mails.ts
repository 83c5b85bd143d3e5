import type { Database, Tx } from '../db/database.ts';
import * as events from '../db/repos/events.ts';
import type { EventRecord } from '../db/repos/events.ts';
import * as payments from '../db/repos/payments.ts';
import { findUser } from '../db/repos/users.ts';
import { holdsMoney } from '../domain/payment-state.ts';
import { isAppError } from '../errors.ts';
import type { JobContext, JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';
import type { MailPort } from '../ports/mail.ts';
import { findEndpoint } from '../db/repos/webhooks.ts';
import { confirmationMail, moneyReturnedMail, reminderMail, webhookEndpointDisabledMail, type MailContent, type MailKind } from './mail/content.ts';

/**
 * The mails LeadsCalendar sends the person who booked: a confirmation (with an .ics and a
 * receipt), a note when their money is voided or refunded and why, and a reminder before an unpaid
 * event expires. Each is a `mail.send` job queued in the transaction of the change it announces, so
 * a change that commits always gets its mail and a rolled-back one never does; the job writes the
 * mail from the records when it runs and sends it over SMTP, retrying while the server is down.
 */

export const MAIL_QUEUE = 'mail.send';

/**
 * Retries after a failed attempt, from 5 s and doubling with jitter (queue.ts): the last one comes
 * at least 5·(2¹²−1) s ≈ 5.7 hours after the first attempt (up to ≈ 11.4 hours with jitter). A mail
 * server down for minutes, or a few hours, delays the mail; it is lost only past that window.
 */
export const MAIL_RETRY_LIMIT = 12;
export const MAIL_RETRY_DELAY_SECONDS = 5;

export type MailJob =
  | {
      kind: Exclude<MailKind, 'webhook_endpoint_disabled'>;
      eventId: string;
      /** money_returned: the payment whose money went back. */
      paymentId?: string;
    }
  | { kind: 'webhook_endpoint_disabled'; endpointId: string };

export interface MailsConfig {
  publicBaseUrl: string;
  /** The reminder goes this long before an unpaid event's deadline; 0: no reminder. */
  reminderMinutes: number;
  /** The sender address; its domain ends every Message-ID. */
  from: string;
}

/** What the event and payment sides call, inside their own transactions. */
export interface MailHooks {
  queueConfirmation(tx: Tx, eventId: string): Promise<void>;
  queueMoneyReturned(tx: Tx, payment: { id: string; eventId: string }): Promise<void>;
  queueReminder(tx: Tx, event: Pick<EventRecord, 'id' | 'pendingUntil'>): Promise<void>;
}

/** What the webhooks side calls, inside its own transactions. */
export interface WebhookMailHooks {
  queueEndpointDisabled(tx: Tx, endpointId: string): Promise<void>;
}

export class Mails implements MailHooks, WebhookMailHooks {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly mailer: MailPort,
    private readonly cfg: MailsConfig,
    private readonly log: Logger,
  ) {
    jobs.define<MailJob>({
      name: MAIL_QUEUE,
      retryLimit: MAIL_RETRY_LIMIT,
      retryDelaySeconds: MAIL_RETRY_DELAY_SECONDS,
      // One attempt is bounded by the SMTP timeouts (under a minute); a worker killed mid-send is retried after this.
      expireInSeconds: 120,
      handler: (job, ctx) => this.deliver(job, ctx),
    });
  }

  // One job per fact: the key names the mail's kind and what it is about.
  async queueConfirmation(tx: Tx, eventId: string): Promise<void> {
    await this.jobs.send(tx, MAIL_QUEUE, { kind: 'confirmation', eventId } satisfies MailJob, { singletonKey: `confirmation:${eventId}` });
  }

  async queueMoneyReturned(tx: Tx, payment: { id: string; eventId: string }): Promise<void> {
    const job: MailJob = { kind: 'money_returned', eventId: payment.eventId, paymentId: payment.id };
    await this.jobs.send(tx, MAIL_QUEUE, job, { singletonKey: `money_returned:${payment.id}` });
  }

  async queueReminder(tx: Tx, event: Pick<EventRecord, 'id' | 'pendingUntil'>): Promise<void> {
    if (this.cfg.reminderMinutes <= 0) return;
    const startAfter = new Date(event.pendingUntil.getTime() - this.cfg.reminderMinutes * 60_000);
    // A payment window no longer than the reminder's lead (an admin may set a short one): a
    // reminder now would arrive with the event itself, so none is sent.
    if (startAfter.getTime() <= Date.now()) return;
    await this.jobs.send(tx, MAIL_QUEUE, { kind: 'payment_reminder', eventId: event.id } satisfies MailJob, { startAfter, singletonKey: `payment_reminder:${event.id}` });
  }

  async queueEndpointDisabled(tx: Tx, endpointId: string): Promise<void> {
    // One waiting mail per endpoint; disabled again after being enabled and the mail sent, it is told again.
    const job: MailJob = { kind: 'webhook_endpoint_disabled', endpointId };
    await this.jobs.send(tx, MAIL_QUEUE, job, { singletonKey: `webhook_endpoint_disabled:${endpointId}` });
  }

  /** The `mail.send` job: writes the mail from the records as they are now, and sends it if it is still true. */
  async deliver(job: MailJob, ctx: Pick<JobContext, 'log' | 'lastAttempt'>): Promise<void> {
    const mail = job.kind === 'webhook_endpoint_disabled' ? await this.#composeEndpointDisabled(job.endpointId) : await this.#compose(job);
    const subjectId = job.kind === 'webhook_endpoint_disabled' ? job.endpointId : (job.paymentId ?? job.eventId);
    if (!mail) {
      ctx.log.info({ kind: job.kind, subjectId }, 'mail no longer applies; not sent');
      return;
    }
    try {
      await this.mailer.send({ ...mail.content, to: mail.to, messageId: `<${job.kind}.${subjectId}@${this.#domain()}>` });
    } catch (err) {
      if (isAppError(err, 'invalid_request')) {
        // The server refused the address for good: retrying cannot deliver it.
        ctx.log.warn({ kind: job.kind, subjectId, err }, 'mail refused by the mail server; not retried');
        return;
      }
      if (ctx.lastAttempt) this.log.error({ kind: job.kind, subjectId, err }, 'mail not sent: the mail server kept failing');
      throw err;
    }
    ctx.log.info({ kind: job.kind, subjectId }, 'mail sent');
  }

  /** Re-checked when it runs: enabled again (or deleted) since, no mail. */
  async #composeEndpointDisabled(endpointId: string): Promise<{ to: string; content: MailContent } | null> {
    const endpoint = await findEndpoint(this.db, endpointId);
    if (!endpoint?.disabledAt) return null;
    const user = await findUser(this.db, endpoint.userId);
    if (!user?.email) return null;
    return { to: user.email, content: webhookEndpointDisabledMail(endpoint, { webhooksPage: `${this.cfg.publicBaseUrl}/app/webhooks` }) };
  }

  async #compose(job: Extract<MailJob, { eventId: string }>): Promise<{ to: string; content: MailContent } | null> {
    const e = await events.findEvent(this.db, job.eventId);
    if (!e) return null;
    const user = await findUser(this.db, e.userId);
    if (!user?.email) return null;
    const links = { eventPage: `${this.cfg.publicBaseUrl}/app/events/${e.id}` };
    const ofEvent = await payments.paymentsOfEvent(this.db, e.id);
    switch (job.kind) {
      case 'confirmation': {
        // Its money went back before the mail could go: that mail tells the story, not "booked".
        if (e.state !== 'confirmed') return null;
        const paid = ofEvent.find((p) => p.paysEvent && p.state === 'captured') ?? null;
        return { to: user.email, content: confirmationMail(e, paid, links) };
      }
      case 'money_returned': {
        const p = ofEvent.find((x) => x.id === job.paymentId);
        if (!p || (p.state !== 'voided' && p.state !== 'refunded')) return null;
        return { to: user.email, content: moneyReturnedMail(e, p, sentence(p.reason ?? e.failureReason ?? 'the payment provider returned the money'), links) };
      }
      case 'payment_reminder': {
        // Re-checked when it runs: paid (or being paid) since it was queued, or past its deadline, means no reminder.
        if (e.state !== 'pending_payment' || e.pendingUntil.getTime() <= Date.now()) return null;
        if (ofEvent.some((p) => holdsMoney(p.state) || p.state === 'pending')) return null;
        return { to: user.email, content: reminderMail(e, links) };
      }
      default: {
        const never: never = job.kind;
        throw new Error(`unknown mail kind ${String(never)}`);
      }
    }
  }

  #domain(): string {
    const at = this.cfg.from.lastIndexOf('@');
    return at === -1 ? 'leadscalendar.invalid' : this.cfg.from.slice(at + 1).replace(/>.*$/, '').trim();
  }
}

function sentence(s: string): string {
  const t = s.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
