import { PassThrough } from 'node:stream';

/** A client that reads this slowly has gone away in all but name: its stream is ended. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The writing side of one Server-Sent Events response (text/event-stream, WHATWG HTML §9.2):
 * the body is handed to Fastify as a stream, so that its headers and hooks apply as to any reply.
 */
export class SseWriter {
  readonly body = new PassThrough();
  #ended = false;

  constructor() {
    this.body.once('close', () => (this.#ended = true));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** How long the client waits before reconnecting after the stream drops. */
  retry(ms: number): void {
    this.#write(`retry: ${ms}\n\n`);
  }

  /** A comment line: ignored by clients, enough to keep proxies from timing the stream out. */
  comment(text: string): void {
    this.#write(`: ${text}\n\n`);
  }

  /** One message; with `id`, the client sends it back as Last-Event-ID when it reconnects. */
  message(event: string, data: unknown, id?: string): void {
    // JSON.stringify escapes line breaks inside strings, so the data is one `data:` line.
    this.#write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.body.end();
  }

  #write(chunk: string): void {
    if (this.#ended) return;
    if (this.body.writableLength > MAX_BUFFERED_BYTES) return this.end();
    this.body.write(chunk);
  }
}
