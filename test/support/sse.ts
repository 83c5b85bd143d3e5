import { request } from 'node:http';
import { Readable } from 'node:stream';
import type { Browser } from './browser.ts';

/** One block of a text/event-stream: a message (event, id, data) or a comment line. */
export interface SseMessage {
  event?: string;
  id?: string;
  data?: any;
  retry?: number;
  comment?: string;
}

/**
 * A Server-Sent Events client for tests, reading the stream as it arrives and parsing each block
 * as the WHATWG rules say (fields, comments; data as JSON here, since the API sends JSON).
 */
export class SseStream {
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  readonly #decoder = new TextDecoder();
  readonly #queue: SseMessage[] = [];
  #buffer = '';
  #done = false;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {}

  /**
   * Opens the stream on a connection of its own (node:http, no agent), closed with the stream.
   * Not through fetch: undici answers an aborted response by opening a spare connection that sends
   * no request, and such a connection holds the server's close until its keep-alive timeout.
   */
  static async open(browser: Browser, url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const abort = new AbortController();
    const cookie = browser.cookieHeader(url);
    const res = await new Promise<Response>((resolve, reject) => {
      const req = request(url, { agent: false, signal: abort.signal, headers: { accept: 'text/event-stream', ...(cookie ? { cookie } : {}), ...headers } }, (msg) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(msg.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        const body = Readable.toWeb(msg) as ReadableStream<Uint8Array>;
        resolve(new Response(body, { status: msg.statusCode!, headers: h }));
      });
      req.once('error', reject);
      req.end();
    });
    return new SseStream(res, abort);
  }

  /** True once the server ended the stream. */
  get done(): boolean {
    return this.#done;
  }

  /** The next block, or null when the stream ends; fails after `timeoutMs`. */
  async next(timeoutMs = 20_000): Promise<SseMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#queue.length) {
      if (this.#done) return null;
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no server-sent message within ${timeoutMs} ms`)), Math.max(0, left))));
      try {
        // Taken on the first read only: a refused stream's problem document stays readable as JSON.
        this.#reader ??= this.response.body!.getReader();
        const read = this.#reader.read();
        // A read still pending when the stream is closed fails then, with nobody waiting for it.
        read.catch(() => {});
        const { value, done } = await Promise.race([read, timeout]);
        if (done) this.#done = true;
        else this.#parse(this.#decoder.decode(value, { stream: true }));
      } finally {
        clearTimeout(timer);
      }
    }
    return this.#queue.shift()!;
  }

  /** The next message that is not a comment or a bare retry hint. */
  async nextMessage(timeoutMs = 20_000): Promise<SseMessage | null> {
    for (;;) {
      const m = await this.next(timeoutMs);
      if (m === null || m.event !== undefined || m.data !== undefined) return m;
    }
  }

  close(): void {
    this.abort.abort();
  }

  #parse(text: string) {
    this.#buffer += text;
    let cut: number;
    while ((cut = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, cut);
      this.#buffer = this.#buffer.slice(cut + 2);
      const m: SseMessage = {};
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          m.comment = line.slice(1).trim();
          continue;
        }
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') m.event = value;
        else if (field === 'id') m.id = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry') m.retry = Number(value);
      }
      if (data.length) m.data = JSON.parse(data.join('\n'));
      this.#queue.push(m);
    }
  }
}
