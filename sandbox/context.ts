import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRegistry, Provider } from './faults.ts';
import type { WebhookDispatcher } from './webhooks.ts';

/** Settings a test or a person may change at run time (PATCH /__sandbox/settings). */
export interface SandboxSettings {
  /** Where PayPal webhooks go (PayPal's per-app webhook configuration). */
  paypalWebhookUrl: string | null;
  /** Binance's portal-level webhook URL; an order's own webhookUrl wins. */
  binanceWebhookUrl: string | null;
  /** Binance rejects requests whose timestamp is further than this from its clock (400003). */
  binanceTimestampWindowMs: number;
  /** Lifetime of emulated Google access tokens, in seconds. */
  googleAccessTokenTtlSeconds: number;
}

export interface SandboxContext {
  /** The origin every link and certificate URL the sandbox hands out points at. */
  baseUrl: string;
  faults: FaultRegistry;
  webhooks: WebhookDispatcher;
  settings: SandboxSettings;
  now(): number;
  /** Called by POST /__sandbox/reset once memory is cleared: clears the data folder too. */
  afterReset(): Promise<void>;
}

/** Declared on each emulated route: which provider operation it is, for fault matching. */
export interface SandboxRouteConfig {
  sandbox?: { provider: Provider; operation: string };
}

export interface ProviderErrorResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/**
 * One emulated provider. The server applies response faults before the route runs; `decline`
 * faults are left to the route (only it knows what declining means), via `isDeclined`.
 */
export interface ProviderEmulator {
  readonly provider: Provider;
  register(app: FastifyInstance): void | Promise<void>;
  /** The provider's own error shape for an injected HTTP error. */
  errorResponse(operation: string, status: number, reason?: string): ProviderErrorResponse;
  /** Restores its signing keys from the data folder (`saved`), or makes them; returns what to store. */
  initKeys(saved: unknown): Promise<unknown>;
  /** Everything the emulator holds, as JSON, for GET /__sandbox/state. */
  snapshot(): unknown;
  /** Its whole state (Maps, Sets and bigints allowed), for the data folder. */
  dump(): unknown;
  /** Replaces its state with a stored one; throws on data it cannot use. */
  restore(data: unknown): void;
  reset(): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact request body as received (for signature checks), when it was JSON or text. */
    rawBody?: string;
    /** Set when the body was declared JSON but did not parse. */
    jsonError?: Error;
    /** Set when a `decline` fault fired for this request. */
    sandboxDeclined?: boolean;
  }
  interface FastifyContextConfig extends SandboxRouteConfig {}
}

export type { FastifyInstance, FastifyReply, FastifyRequest };
