import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { csrf } from '../support/google.ts';

/** A webhook receiver on loopback: records every request and answers what the test scripts. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export class Receiver {
  readonly received: Received[] = [];
  /** The status of each answer, in order; past the end, `then`. */
  script: number[] = [];
  then = 200;
  #server: Server | null = null;
  url = '';

  static async start(path = '/hooks'): Promise<Receiver> {
    const r = new Receiver();
    r.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = r.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        const status = r.script[n - 1] ?? r.then;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? `ok ${n}` : `receiver down (${n})`);
      });
    });
    await new Promise<void>((resolve) => r.#server!.listen(0, '127.0.0.1', resolve));
    const port = (r.#server.address() as { port: number }).port;
    r.url = `http://127.0.0.1:${port}${path}`;
    return r;
  }

  bodiesOfType(type: string): Received[] {
    return this.received.filter((x) => JSON.parse(x.body).type === type);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** A JSON call to the API with the session's CSRF token. */
export async function api(app: TestApp, browser: Browser, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = method === 'GET' ? {} : { 'x-csrf-token': await csrf(app, browser) };
  return browser.json(`${app.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}
