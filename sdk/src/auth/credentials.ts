import { createHash } from 'node:crypto';
import type { TokenCache } from './token-cache.ts';

/** How a request proves who sends it: the Authorization header's value, and what to do on 401. */
export interface Credentials {
  authorization(): Promise<string>;
  /** The server refused the header (401): forget it. True when a fresh one may succeed. */
  refused(header: string): Promise<boolean>;
}

export class ApiKeyCredentials implements Credentials {
  constructor(private readonly apiKey: string) {}
  async authorization(): Promise<string> {
    return `Bearer ${this.apiKey}`;
  }
  async refused(): Promise<boolean> {
    return false; // A key does not refresh: a 401 means it is wrong or revoked.
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** Tokens are dropped this long before the server's expiry, so none is sent as it lapses. */
export const TOKEN_EARLY_EXPIRY_MS = 60_000;

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): a short-lived bearer token from POST /oauth/token,
 * cached until shortly before it expires. Concurrent requests in one process share one token
 * request; processes sharing the cache share the token.
 */
export class ClientCredentials implements Credentials {
  readonly #key: string;
  #inflight: Promise<string> | null = null;
  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly cache: TokenCache,
    private readonly fetchToken: (clientId: string, clientSecret: string, scope?: string) => Promise<TokenResponse>,
    baseUrl: string,
    private readonly scope?: string,
  ) {
    // One entry per server, client and scope; the secret's hash keeps a rotated secret apart.
    const secretTag = createHash('sha256').update(clientSecret).digest('hex').slice(0, 16);
    this.#key = `${baseUrl}|${clientId}|${secretTag}|${scope ?? ''}`;
  }

  async authorization(): Promise<string> {
    const cached = await this.cache.get(this.#key);
    if (cached) return `Bearer ${cached}`;
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = null;
    });
    return `Bearer ${await this.#inflight}`;
  }

  async refused(header: string): Promise<boolean> {
    const token = header.replace(/^Bearer /, '');
    if ((await this.cache.get(this.#key)) === token) await this.cache.delete(this.#key);
    return true;
  }

  async #fetch(): Promise<string> {
    const res = await this.fetchToken(this.clientId, this.clientSecret, this.scope);
    await this.cache.set(this.#key, res.access_token, res.expires_in * 1000 - TOKEN_EARLY_EXPIRY_MS);
    return res.access_token;
  }
}
