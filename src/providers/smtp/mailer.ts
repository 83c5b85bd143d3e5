import nodemailer from 'nodemailer';
import { AppError } from '../../errors.ts';
import type { MailMessage, MailPort } from '../../ports/mail.ts';

/**
 * MailPort over SMTP (nodemailer). The URL is `smtp://` (STARTTLS when the server offers it) or
 * `smtps://` (TLS from the first byte), with the login in its user part when the server wants one.
 * The URL may hold a password: it is never put in an error or a log line.
 */

export interface SmtpOptions {
  url: string;
  from: string;
}

/** Bounds on one attempt, so a server that stops answering fails the attempt and the job retries. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
}

export function createSmtpMailer(opts: SmtpOptions): MailPort {
  const transport = nodemailer.createTransport({ url: opts.url, ...TIMEOUTS });
  return {
    async send(m: MailMessage): Promise<void> {
      try {
        await transport.sendMail({
          from: opts.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: m.messageId,
          attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        });
      } catch (err) {
        throw smtpError(err);
      }
    },
    close() {
      transport.close();
    },
  };
}

/** nodemailer's error → our kind. Only a recipient refused for good (5xx at RCPT TO) is not retried. */
function smtpError(err: unknown): AppError {
  const e = (err ?? {}) as SmtpError;
  const code = e.responseCode ? String(e.responseCode) : e.code;
  const where = e.command ? ` at ${e.command}` : '';
  const detail = `${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}${where}`;
  if (e.code === 'EENVELOPE' && e.responseCode !== undefined && e.responseCode >= 500) {
    return new AppError('invalid_request', `The mail server refused the recipient (${detail}).`, { ...(code ? { providerCode: code } : {}), cause: err });
  }
  return new AppError('provider_unavailable', `The mail server did not take the mail (${detail}).`, { ...(code ? { providerCode: code } : {}), cause: err });
}
