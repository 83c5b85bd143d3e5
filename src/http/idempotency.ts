import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { IdempotencyKeys } from '../app/idempotency.ts';
import { AppError } from '../errors.ts';
import type { App } from './server.ts';
import type { Sessions } from './sessions.ts';

/**
 * `Idempotency-Key` on POSTs under /api/v1, as Stripe does it: the first request with a key runs,
 * and its answer (status, body, the headers that matter; 4xx and 5xx too) is kept 24 hours and
 * replayed, with `Idempotent-Replayed: true`, to any later request with the same key, method,
 * path and body. The same key with something else is refused (422), and while the first request
 * still runs a second one gets 409 with Retry-After. Keys belong to the credential's owner, so two
 * people never see each other's answers. A request refused before its handler starts (not signed
 * in, invalid body, rate-limited) keeps nothing: fixing it and retrying with the key works.
 *
 * Rows live in the database, so every instance sees the same keys; expired ones are taken over by
 * their next use and swept in passing.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60 * 1000;
/** How long a reservation holds when its request never finishes (the instance died): then it may run again. */
const LOCK_MS = 2 * 60 * 1000;
const SWEEP_EVERY_MS = 60_000;
/** The headers of the first answer that a replay repeats; the rest (request id, rate limits) are the replay's own. */
const KEPT_HEADERS = ['content-type', 'location', 'retry-after'];
const KEY = /^[\x21-\x7e]{1,255}$/;

const held = new WeakMap<FastifyRequest, { ownerId: string; key: string }>();

function invalidKey(detail: string): AppError {
  return new AppError('invalid_request', `The Idempotency-Key header is invalid: ${detail}`, {
    code: 'validation_failed',
    details: { errors: [{ path: 'headers/idempotency-key', message: detail, code: 'invalid_format' }] },
  });
}

export function registerIdempotency(app: App, deps: { keys: IdempotencyKeys; sessions: Sessions }) {
  const { keys, sessions } = deps;
  let lastSweep = 0;

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || !req.url.startsWith('/api/v1/')) return;
    const header = req.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) return;
    // Only requests with an owner: a key is scoped to whoever sent it. (The one anonymous POST,
    // the recurrence preview, changes nothing.)
    const principal = await sessions.authenticated(req);
    if (!principal) return;
    if (typeof header !== 'string' || !KEY.test(header)) throw invalidKey('send one value of 1 to 255 printable ASCII characters, e.g. a UUID.');

    if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = Date.now();
      await keys.sweep();
    }
    // The validated body: key order and defaults follow the schema, so equal requests hash equal.
    // A route without a body schema reads no body, so whatever was sent is no part of the request
    // (and is never serialised: JSON nested 20,000 deep overflows JSON.stringify's stack).
    const body = req.routeOptions.schema?.body ? (req.body ?? null) : null;
    const requestHash = createHash('sha256').update(`${req.method} ${req.url}\n${JSON.stringify(body)}`).digest('hex');
    const r = await keys.reserve({ ownerId: principal.userId, key: header, requestHash, lockMs: LOCK_MS, keepMs: IDEMPOTENCY_KEEP_MS });
    if (r.outcome === 'reserved') {
      held.set(req, { ownerId: principal.userId, key: header });
      return;
    }
    if (r.requestHash !== requestHash) {
      throw new AppError('invalid_request', 'This Idempotency-Key was used for a different request (method, path or body) in the last 24 hours; use a new key for a new request.', {
        code: 'idempotency_key_reused',
      });
    }
    if (r.outcome === 'in_use') {
      throw new AppError('conflict', 'A request with this Idempotency-Key is still running; retry shortly to get its answer.', {
        code: 'idempotency_key_in_use',
        retryAfterMs: 1000,
      });
    }
    return reply.status(r.response.status).headers({ ...r.response.headers, 'idempotent-replayed': 'true' }).send(r.response.body);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const h = held.get(req);
    if (!h) return payload;
    held.delete(req);
    // Kept before the answer leaves: a client that retries after reading it finds it stored.
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const v = reply.getHeader(name);
        if (v !== undefined) headers[name] = String(v);
      }
      await keys.complete(h.ownerId, h.key, { status: reply.statusCode, headers, body: String(payload) });
    } else {
      // A stream cannot be replayed; no POST answers one, but if one did, the key is freed.
      await keys.release(h.ownerId, h.key);
    }
    return payload;
  });
}
