import { ApiKeyCredentials, ClientCredentials, type Credentials, type TokenResponse } from './auth/credentials.ts';
import { MemoryTokenCache, type TokenCache } from './auth/token-cache.ts';
import { Transport, type RequestOptions } from './http.ts';
import { Account, Calendars, Recurrence } from './resources/account.ts';
import { Admin } from './resources/admin.ts';
import { ApiKeys, OAuthClients } from './resources/credentials.ts';
import { WebhookEndpoints } from './resources/webhook-endpoints.ts';
import type { Call } from './resources/base.ts';
import { Events } from './resources/events.ts';
import { Payments } from './resources/payments.ts';
import { Sandbox } from './sandbox.ts';

export const SDK_VERSION = '0.1.0';

/** What one API call did, for your logs and metrics (never the credentials). */
export interface ResponseInfo {
  method: string;
  /** The path and query asked for, e.g. /api/v1/events?limit=10. */
  path: string;
  status: number;
  requestId: string | null;
  durationMs: number;
}

export interface LeadsCalendarOptions {
  /** `sandbox` talks to a local instance in sandbox mode; `live` requires https. Default `live`. */
  mode?: 'sandbox' | 'live';
  /** Your instance's URL. Default in sandbox mode: http://127.0.0.1:3000 (what `npm start` serves). */
  baseUrl?: string;
  /** An API key from Settings → Developers (or POST /api/v1/api-keys). */
  apiKey?: string;
  /** OAuth client credentials, exchanged for short-lived tokens at POST /oauth/token. */
  clientId?: string;
  clientSecret?: string;
  /** Scopes to ask the token for (space-separated); default: all of the client's. */
  scope?: string;
  /** Where tokens wait until shortly before expiry; share one RedisTokenCache between processes. */
  tokenCache?: TokenCache;
  /** Per attempt, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Retries after a 429, a 5xx or a network error. Default 2. */
  maxRetries?: number;
  /** PEM certificate(s) to trust besides the system's (a private CA). TLS verification stays on. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Sandbox only: accept a self-signed certificate. Refused in live mode. */
  insecureSkipTlsVerify?: boolean;
  /** The sandbox's own URL (its control API), for `lc.sandbox`. Default http://127.0.0.1:4010. */
  sandboxUrl?: string;
  /** Called after every HTTP answer. */
  onResponse?: (info: ResponseInfo) => void;
  /** Backoff before retry `attempt` (1-based), when the server gave no Retry-After. */
  backoffMs?: (attempt: number) => number;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const SANDBOX_BASE_URL = 'http://127.0.0.1:3000';
const SANDBOX_CONTROL_URL = 'http://127.0.0.1:4010';

export class LeadsCalendar {
  readonly mode: 'sandbox' | 'live';
  readonly baseUrl: string;
  readonly events: Events;
  readonly payments: Payments;
  readonly account: Account;
  readonly calendars: Calendars;
  readonly recurrence: Recurrence;
  readonly apiKeys: ApiKeys;
  readonly oauthClients: OAuthClients;
  readonly webhookEndpoints: WebhookEndpoints;
  readonly admin: Admin;
  readonly sandbox: Sandbox;
  readonly #transport: Transport;

  constructor(options: LeadsCalendarOptions) {
    const opts = validate(options);
    this.mode = opts.mode;
    this.baseUrl = opts.baseUrl;
    const transportOptions = {
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs,
      maxRetries: opts.maxRetries,
      ca: options.ca,
      rejectUnauthorized: !options.insecureSkipTlsVerify,
      userAgent: `leadscalendar-node/${SDK_VERSION} node/${process.versions.node}`,
      backoffMs: options.backoffMs,
      onResponse: options.onResponse,
    };
    let credentials: Credentials | null = null;
    if (options.apiKey) credentials = new ApiKeyCredentials(options.apiKey);
    // The token endpoint's own transport: no bearer credentials, the client authenticates itself.
    const tokenTransport = new Transport(transportOptions, null);
    if (options.clientId && options.clientSecret) {
      credentials = new ClientCredentials(
        options.clientId,
        options.clientSecret,
        options.tokenCache ?? new MemoryTokenCache(),
        (id, secret, scope) => requestToken(tokenTransport, id, secret, scope),
        opts.baseUrl,
        options.scope,
      );
    }
    this.#transport = new Transport(transportOptions, credentials);
    const call: Call = async <T>(method: string, path: string, ro?: RequestOptions) => (await this.#transport.request<T>(method, path, ro)).body;
    this.events = new Events(call, (path, headers, signal) => this.#transport.stream(path, headers, signal));
    this.payments = new Payments(call);
    this.account = new Account(call);
    this.calendars = new Calendars(call);
    this.recurrence = new Recurrence(call);
    this.apiKeys = new ApiKeys(call);
    this.oauthClients = new OAuthClients(call);
    this.webhookEndpoints = new WebhookEndpoints(call);
    this.admin = new Admin(call);
    this.sandbox = new Sandbox(this, options.sandboxUrl ?? SANDBOX_CONTROL_URL);
  }

  /** Closes the connection pool (a process that exits need not). */
  close(): Promise<void> {
    return this.#transport.close();
  }
}

async function requestToken(transport: Transport, clientId: string, clientSecret: string, scope?: string): Promise<TokenResponse> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope) form.scope = scope;
  return (await transport.request<TokenResponse>('POST', '/oauth/token', { form, authorization: `Basic ${basic}` })).body;
}

function validate(o: LeadsCalendarOptions) {
  const mode = o.mode ?? 'live';
  if (mode !== 'sandbox' && mode !== 'live') throw new ConfigurationError(`mode must be 'sandbox' or 'live', not ${JSON.stringify(mode)}`);
  const baseUrl = o.baseUrl ?? (mode === 'sandbox' ? SANDBOX_BASE_URL : undefined);
  if (!baseUrl) throw new ConfigurationError('baseUrl is required in live mode: the URL of your LeadsCalendar instance');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigurationError(`baseUrl is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (mode === 'live' && url.protocol !== 'https:') throw new ConfigurationError('baseUrl must be https in live mode: credentials and payments never travel in clear text');
  if (mode === 'live' && o.insecureSkipTlsVerify) throw new ConfigurationError('insecureSkipTlsVerify is refused in live mode; pass your CA as `ca` instead');
  const hasKey = Boolean(o.apiKey);
  const hasClient = Boolean(o.clientId || o.clientSecret);
  if (hasKey && hasClient) throw new ConfigurationError('Pass either apiKey or clientId + clientSecret, not both');
  if (!hasKey && !hasClient) throw new ConfigurationError('Credentials are required: apiKey, or clientId + clientSecret');
  if (hasClient && !(o.clientId && o.clientSecret)) throw new ConfigurationError('clientId and clientSecret go together');
  const timeoutMs = o.timeoutMs ?? 30_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ConfigurationError('timeoutMs must be a positive number of milliseconds');
  const maxRetries = o.maxRetries ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) throw new ConfigurationError('maxRetries must be an integer from 0 to 10');
  return { mode, baseUrl: url.toString(), timeoutMs, maxRetries };
}
