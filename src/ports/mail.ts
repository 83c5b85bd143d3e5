/**
 * Outgoing mail as the use cases see it; src/providers/smtp/ implements it. One attempt per call:
 * retrying is the caller's choice (the `mail.send` job retries with backoff).
 *
 * Failures are AppErrors of these kinds:
 * - `provider_unavailable`: the mail server could not be reached or refused for now (4xx, a
 *   timeout, a refused login); retry later.
 * - `invalid_request`: the server refused this recipient for good (5xx at RCPT); retrying cannot help.
 */

export interface MailAttachment {
  filename: string;
  /** With its parameters, e.g. `text/calendar; charset=utf-8; method=PUBLISH`. */
  contentType: string;
  content: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * The same for every attempt at the same mail (`<kind.subject@domain>`), so a mail sent again
   * after a crash between the server's acceptance and our record of it is recognisable as a copy.
   */
  messageId: string;
  attachments: MailAttachment[];
}

export interface MailPort {
  /** Resolves once the mail server accepted the message. */
  send(message: MailMessage): Promise<void>;
  /** Closes pooled connections. */
  close(): void;
}
