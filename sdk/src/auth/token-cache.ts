/**
 * Where client-credentials access tokens wait until shortly before they expire. Several processes
 * that share a cache (Redis) share one token instead of each asking the server for its own.
 */
export interface TokenCache {
  get(key: string): Promise<string | null>;
  /** Keeps `token` under `key` for `ttlMs` milliseconds. */
  set(key: string, token: string, ttlMs: number): Promise<void>;
  /** Forgets a token the server refused (401), so every sharer fetches a new one. */
  delete(key: string): Promise<void>;
}

/** The default: one process's memory. */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, { token: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}
  async get(key: string): Promise<string | null> {
    const e = this.#entries.get(key);
    if (!e) return null;
    if (e.until <= this.now()) {
      this.#entries.delete(key);
      return null;
    }
    return e.token;
  }
  async set(key: string, token: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { token, until: this.now() + ttlMs });
  }
  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}

/**
 * The subset of a Redis client the cache uses; ioredis and node-redis v4+ clients both fit
 * (`set(key, value, 'PX', ms)`), so the SDK depends on neither.
 */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', ms: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/** Tokens in Redis, with Redis's own expiry, under `prefix`. */
export class RedisTokenCache implements TokenCache {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix = 'leadscalendar:token:',
  ) {}
  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }
  async set(key: string, token: string, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    await this.redis.set(this.prefix + key, token, 'PX', Math.ceil(ttlMs));
  }
  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
