import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * The sandbox's mail server: an SMTP server on loopback that accepts every message (no login,
 * no TLS: it never leaves the machine) and keeps it in an outbox that a person reads at
 * /__sandbox/mail and tests read as JSON. The app sends to it exactly as it sends to a real server.
 */

export interface StoredAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** The bytes, base64. */
  content: string;
}

export interface StoredMail {
  id: string;
  receivedAt: string;
  /** SMTP envelope: who sent it and who it was delivered to. */
  envelope: { from: string | null; to: string[] };
  from: string | null;
  to: string | null;
  subject: string | null;
  messageId: string | null;
  text: string | null;
  html: string | null;
  attachments: StoredAttachment[];
}

export interface OutboxOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Awaited before the server answers 250 to a message: a stored mail survives a crash. */
  onChange?: () => Promise<void>;
}

/** Mails kept at most; the oldest go first. */
const MAX_MAILS = 500;
/** Bytes per message at most (the SIZE extension announces it). */
const MAX_SIZE = 10 * 1024 * 1024;

export class MailOutbox {
  readonly mails: StoredMail[] = [];
  #server: SMTPServer | null = null;
  url = '';

  constructor(private readonly opts: OutboxOptions = {}) {}

  async listen(): Promise<string> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: MAX_SIZE,
      logger: false,
      banner: 'LeadsCalendar sandbox outbox',
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(async (parsed) => {
            this.add({
              id: randomUUID(),
              receivedAt: new Date().toISOString(),
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              from: parsed.from?.text ?? null,
              to: addresses(parsed.to),
              subject: parsed.subject ?? null,
              messageId: parsed.messageId ?? null,
              text: parsed.text ?? null,
              html: typeof parsed.html === 'string' ? parsed.html : null,
              attachments: parsed.attachments.map((a) => ({
                filename: a.filename ?? null,
                contentType: a.contentType,
                size: a.size,
                content: a.content.toString('base64'),
              })),
            });
            await this.opts.onChange?.();
          })
          .then(
            () => callback(),
            (err: Error) => callback(err),
          );
      },
    });
    server.on('error', () => {}); // a client's broken connection must not stop the server
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const addr = server.server.address() as AddressInfo;
    const host = this.opts.host ?? '127.0.0.1';
    this.url = `smtp://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    return this.url;
  }

  add(mail: StoredMail): void {
    this.mails.push(mail);
    if (this.mails.length > MAX_MAILS) this.mails.splice(0, this.mails.length - MAX_MAILS);
  }

  find(id: string): StoredMail | undefined {
    return this.mails.find((m) => m.id === id);
  }

  clear(): void {
    this.mails.length = 0;
  }

  dump(): StoredMail[] {
    return this.mails;
  }

  restore(data: unknown): void {
    if (!Array.isArray(data)) throw new TypeError('mail: expected array');
    this.clear();
    for (const m of data as StoredMail[]) {
      if (typeof m?.id !== 'string' || !Array.isArray(m.attachments)) throw new TypeError('mail: not a stored mail');
      this.mails.push(m);
    }
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function addresses(a: AddressObject | AddressObject[] | undefined): string | null {
  if (!a) return null;
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}
