import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import helmetHeaders from 'helmet';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from 'fastify';
import type { Redis } from 'ioredis';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { AppError } from '../errors.ts';
import { registerApiDocs } from './api-docs.ts';
import { serverErrorPage, wantsPage } from './html.ts';
import { transformObject } from './openapi.ts';
import { clientErrorHandler, problem, problemFor, sendProblem } from './problem.ts';

/** Where the OpenAPI document is served: with the API it describes, under its version. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ServerOptions {
  log: Logger;
  metrics: Metrics;
  trustProxy: boolean;
  publicBaseUrl: string;
  cookieSecret: string;
  /** Where rate-limit counts live; every instance behind one load balancer must share it. */
  rateLimits: RateLimitBackend;
  /** Sandbox mode: the pages the server writes for browsers carry the sandbox badge. Default live. */
  mode?: 'sandbox' | 'live';
  /** The allowance of each credential over every /api/v1 route; {@link API_RATE_LIMIT} by default. */
  apiRateLimit?: { max: number; timeWindowMs: number };
  /**
   * Told of every route as it is registered, plugins' included, and whether the OpenAPI document
   * leaves it out: the route table to hold the document against (test/http/openapi.test.ts).
   */
  onRoute?: (route: RouteEntry) => void;
}

export interface RouteEntry {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (`schema.hide`): pages, probes, the document itself. */
  hidden: boolean;
}

/** What one credential (API key, access token, session, or else client address) may ask of /api/v1 per minute. */
export const API_RATE_LIMIT = { max: 600, timeWindowMs: 60_000 };

/** The IETF draft's header names (draft-ietf-httpapi-ratelimit-headers), for the API's allowance. */
const IETF_RATE_LIMIT_HEADERS = { rateLimit: 'ratelimit-limit', rateRemaining: 'ratelimit-remaining', rateReset: 'ratelimit-reset', retryAfter: 'retry-after' };

/**
 * Whose allowance a request spends: its bearer credential or its session cookie (by digest, so no
 * secret is a key in the store), or else its address. Worked out from the headers alone, before
 * any lookup, so a limited client costs no database read.
 */
function credentialKey(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  const bearer = auth && /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  const credential = bearer ?? /(?:^|;\s*)(?:__Host-)?lc_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  return credential ? `cred:${createHash('sha256').update(credential).digest('base64url').slice(0, 32)}` : `ip:${req.ip}`;
}

/** Counts hits per key in fixed windows, shared by every instance (the database by default). */
export interface RateLimitCounter {
  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
}

export type RateLimitBackend = { counter: RateLimitCounter } | { redis: Redis };

/** @fastify/rate-limit's store interface over a counter; each route counts under its own prefix. */
function counterStore(counter: RateLimitCounter): FastifyRateLimitStoreCtor {
  class CounterStore implements FastifyRateLimitStore {
    constructor(
      _options: unknown,
      private readonly prefix = '',
    ) {}
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
      counter.hit(`${this.prefix}${key}`, timeWindow).then(
        (r) => callback(null, { current: r.count, ttl: r.ttlMs }),
        (err: Error) => callback(err),
      );
    }
    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin passes the merged limit parameters with the route under `routeInfo` (its own
      // Redis store reads the same), not the route options its type declaration names.
      const info = (routeOptions as unknown as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      // A limiter shared by many routes (the API's per-credential one) has no route of its own.
      return new CounterStore(undefined, `${this.prefix}${info.url ? `${String(info.method)} ${info.url}` : 'shared'}|`);
    }
  }
  return CounterStore;
}

/**
 * The Fastify instance with everything every route relies on: zod schemas (which also produce the
 * OpenAPI document), request ids, problem-details errors, security headers, cookies, rate limits
 * and request metrics. Routes are registered by the caller.
 */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** The security headers of every answer: CSP, HSTS behind https, nosniff, frame and referrer policies. */
function securityHeaderOptions(publicBaseUrl: string) {
  return {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'", 'http:', 'https:'],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: publicBaseUrl.startsWith('https://'),
  };
}

/** The same headers as name/value pairs, for answers written to the socket before any request exists. */
function securityHeaderPairs(setHeaders: ReturnType<typeof helmetHeaders>): [string, string][] {
  const pairs: [string, string][] = [];
  const res = { setHeader: (name: string, value: unknown) => void pairs.push([name, String(value)]), removeHeader: () => {} };
  setHeaders({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return pairs;
}

export async function createServer(opts: ServerOptions): Promise<App> {
  const pageOptions = { sandbox: opts.mode === 'sandbox' };
  // One configuration for the plugin (every routed answer) and for the answers given before any
  // hook runs: Fastify's (a URL it cannot decode) and Node's (framing, oversized headers).
  const securityHeaders = securityHeaderOptions(opts.publicBaseUrl);
  const setSecurityHeaders = helmetHeaders(securityHeaders);
  // A fault on our side while a browser loads one of our pages gets a page that says so in words,
  // with the request id to quote; programs, and every API path, get the problem document.
  const errorHandler = (error: Error, req: FastifyRequest, reply: FastifyReply) => {
    const { body, headers } = problemFor(error, req);
    if (body.status >= 500 && wantsPage(req)) {
      return reply
        .status(body.status)
        .headers(headers)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(serverErrorPage(body.status, body.requestId, req.url, pageOptions));
    }
    return sendProblem(reply, body, headers);
  };
  const app = Fastify({
    loggerInstance: opts.log as unknown as FastifyBaseLogger,
    trustProxy: opts.trustProxy,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${randomUUID().replace(/-/g, '')}`;
    },
    // In-flight requests finish on close; new ones on kept-alive sockets get a 503 problem from
    // the onRequest hook below (Fastify's own 503 is not a problem document).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    bodyLimit: 256 * 1024,
    // Every error is a problem document, also those Fastify answers before any route or hook
    // (a URL it cannot decode) and those Node answers before Fastify (framing, oversized headers).
    frameworkErrors: (error, req, reply) => {
      reply.header('x-request-id', req.id);
      setSecurityHeaders(req.raw, reply.raw, () => {});
      return errorHandler(error, req, reply);
    },
    clientErrorHandler: clientErrorHandler(securityHeaderPairs(setSecurityHeaders)),
  }).withTypeProvider<ZodTypeProvider>();

  const onRoute = opts.onRoute;
  if (onRoute) {
    app.addHook('onRoute', (route) => {
      const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
      for (const method of [route.method].flat()) onRoute({ method: String(method), url: route.url, hidden });
    });
  }
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem('route_not_found', `No route for ${req.method} ${req.url.split('?')[0]}`, String(req.id))),
  );

  // Once closing, answers still in flight ask the client to hang up, so that a kept-alive
  // socket does not hold the shutdown until its idle timeout.
  let closing = false;
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (closing) {
      return sendProblem(reply, problem('shutting_down', 'This server is shutting down; retry the request (another instance, or this one once restarted, answers it).', String(req.id)), {
        connection: 'close',
      });
    }
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    opts.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(helmet, securityHeaders);
  await app.register(cookie, { secret: opts.cookieSecret });
  await app.register(formbody);
  // Routes opt in with `config.rateLimit`; nothing is limited globally so health probes never are.
  await app.register(rateLimit, {
    global: false,
    ...('redis' in opts.rateLimits ? { redis: opts.rateLimits.redis, nameSpace: 'lc-rate-limit:' } : { store: counterStore(opts.rateLimits.counter) }),
    // Thrown, then answered by the error handler as a problem document with Retry-After.
    errorResponseBuilder: (_req, ctx) =>
      new AppError('rate_limited', `Too many requests: at most ${ctx.max} in this time window. Retry in ${Math.ceil(ctx.ttl / 1000)} s.`, {
        retryAfterMs: ctx.ttl,
      }) as unknown as { statusCode: number },
  });
  // Every /api/v1 route without a limit of its own spends one allowance per credential, counted in
  // the same shared store, and says so in the IETF draft's RateLimit-* headers.
  const api = opts.apiRateLimit ?? API_RATE_LIMIT;
  const allOn = { [IETF_RATE_LIMIT_HEADERS.rateLimit]: true, [IETF_RATE_LIMIT_HEADERS.rateRemaining]: true, [IETF_RATE_LIMIT_HEADERS.rateReset]: true };
  const apiLimiter = app.rateLimit({
    max: api.max,
    timeWindow: api.timeWindowMs,
    keyGenerator: credentialKey,
    labels: IETF_RATE_LIMIT_HEADERS,
    addHeaders: { ...allOn, [IETF_RATE_LIMIT_HEADERS.retryAfter]: true },
    addHeadersOnExceeding: allOn,
  } as Parameters<typeof app.rateLimit>[0]);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || route.config?.rateLimit != null) return;
    const own = route.onRequest ? [route.onRequest].flat() : [];
    route.onRequest = [apiLimiter, ...own] as typeof route.onRequest;
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'LeadsCalendar API',
        version: '1.0.0',
        description:
          'Create events on your Google Calendar, confirmed only once paid. Available today: Google sign-in, events (create, list, get with their audit trail, cancel, live status stream), paying with PayPal or Binance Pay (payments: start, get, list, cancel, capture, void, refund), recurrence preview, calendars; API keys and OAuth 2.0 client credentials for servers, per-credential rate limits, Idempotency-Key on POSTs; webhook endpoints that receive signed outgoing webhooks, with their delivery log and redelivery. Errors are RFC 9457 problem details.',
      },
      servers: [{ url: opts.publicBaseUrl }],
      // How a caller proves who it is (docs/authentication.md). Every /api/v1 operation but the
      // recurrence preview takes any of them.
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key (lc_test_… / lc_live_…) or an access token from POST /oauth/token.' },
          session: { type: 'apiKey', in: 'cookie', name: 'lc_session', description: 'The web interface’s session cookie (__Host-lc_session behind https); unsafe methods also need the X-CSRF-Token header from GET /api/v1/me.' },
          oauth2: {
            type: 'oauth2',
            description: 'OAuth 2.0 client credentials: an OAuth client’s id and secret traded for a 15-minute bearer token.',
            flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { read: 'GET requests and checks', write: 'every request, including changes' } } },
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }, { oauth2: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject,
  });
  await registerApiDocs(app);
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  // Where the document was served before it moved under the API's version; old links keep working.
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => reply.redirect(OPENAPI_PATH, 308));
  return app;
}
