import pg from 'pg';
import type { ChannelListener } from './database.ts';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** Capped exponential backoff with full jitter: instances that lost the server together do not reconnect together. */
export function retryDelayMs(attempt: number, random = Math.random): number {
  return Math.round(random() * Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt));
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * LISTEN for one process, on one dedicated connection (a pooled one would be handed to other
 * queries, and its LISTEN lost with it). Created on the first subscription. When the connection
 * drops it reconnects with backoff, listens again to every channel, then tells each subscriber to
 * resync: NOTIFYs sent while it was away are gone for good.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #channels = new Map<string, Set<ChannelListener>>();
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  #tellError(err: Error) {
    for (const set of this.#channels.values()) for (const l of set) l.onError?.(err);
  }

  async listen(channel: string, listener: ChannelListener): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('the database is closed');
    let set = this.#channels.get(channel);
    if (!set) this.#channels.set(channel, (set = new Set()));
    set.add(listener);
    const forget = () => {
      set.delete(listener);
      if (set.size === 0 && this.#channels.get(channel) === set) {
        this.#channels.delete(channel);
        return true;
      }
      return false;
    };
    try {
      const client = await this.#connected();
      // Repeating LISTEN is harmless; a reconnect in between listened to the channel already.
      await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      forget();
      throw err;
    }
    return async () => {
      if (forget()) await this.#client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client ?? (await this.#connecting?.catch(() => null));
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #connected(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ ...this.#config, keepAlive: true });
    client.on('notification', (msg) => {
      for (const l of this.#channels.get(msg.channel) ?? []) l.onPayload(msg.payload ?? '');
    });
    // Both can fire for one loss; only the current client's first one counts.
    const lost = (err?: Error) => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#tellError(err ?? new Error('the LISTEN connection to PostgreSQL ended'));
      client.end().catch(() => {});
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      throw new Error('the database is closed');
    }
    this.#client = client;
    return client;
  }

  #scheduleReconnect() {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(async () => {
      this.#retry = null;
      try {
        await this.#connected();
      } catch (err) {
        this.#tellError(err as Error);
        this.#attempt++;
        this.#scheduleReconnect();
        return;
      }
      this.#attempt = 0;
      for (const set of this.#channels.values()) for (const l of set) l.onResync?.();
    }, retryDelayMs(this.#attempt));
    this.#retry.unref();
  }
}
