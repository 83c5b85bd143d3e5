import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer as createHttps } from 'node:https';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import selfsigned from 'selfsigned';
import {
  AuthenticationError,
  ConfigurationError,
  ConflictError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  LeadsCalendar,
  NotFoundError,
  PermissionError,
  RateLimitError,
  RedisTokenCache,
  ServerError,
  TimeoutError,
  type ResponseInfo,
} from '../../sdk/src/index.ts';

/**
 * The SDK's HTTP behaviour against a scripted server on loopback: each test says what the next
 * answers are, and reads back what the SDK sent. (The whole API, against the real server, is in
 * sdk-against-server.test.ts.)
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Script = (req: Seen, res: ServerResponse) => void;

const problem = (res: ServerResponse, status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': `req-${code}`, ...headers });
  res.end(JSON.stringify({ type: `https://docs.example/errors#${code}`, title: code, status, detail: `detail of ${code}`, code, requestId: `req-${code}`, ...extra }));
};
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function scripted(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  return new Promise<{ url: string; server: Server }>((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

describe('SDK transport', () => {
  let base: string;
  let server: Server;
  let seen: Seen[] = [];
  let script: Script[] = [];
  let fallback: Script = (_req, res) => json(res, 200, { ok: true });
  before(async () => {
    ({ url: base, server } = await scripted((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
        seen.push(s);
        (script.shift() ?? fallback)(s, res);
      });
    }));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    script = [];
    fallback = (_req, res) => json(res, 200, { ok: true });
  });
  const client = (over: Partial<ConstructorParameters<typeof LeadsCalendar>[0]> = {}) =>
    new LeadsCalendar({ mode: 'sandbox', baseUrl: base, apiKey: 'lc_test_key', backoffMs: () => 5, ...over });

  it('refuses a configuration that would be unsafe or ambiguous, with the reason', () => {
    assert.throws(() => new LeadsCalendar({ mode: 'live', baseUrl: 'http://lc.example', apiKey: 'k' }), (e: Error) => e instanceof ConfigurationError && /https/.test(e.message));
    assert.throws(() => new LeadsCalendar({ mode: 'live', apiKey: 'k' }), /baseUrl is required/);
    assert.throws(() => new LeadsCalendar({ mode: 'sandbox' }), /Credentials are required/);
    assert.throws(() => new LeadsCalendar({ mode: 'sandbox', apiKey: 'k', clientId: 'c', clientSecret: 's' }), /either apiKey or clientId/);
    assert.throws(() => new LeadsCalendar({ mode: 'sandbox', clientId: 'c' }), /go together/);
    assert.throws(() => new LeadsCalendar({ mode: 'live', baseUrl: 'https://lc.example', apiKey: 'k', insecureSkipTlsVerify: true }), /refused in live mode/);
    assert.throws(() => new LeadsCalendar({ mode: 'sandbox', apiKey: 'k', maxRetries: -1 }), /maxRetries/);
    assert.throws(() => new LeadsCalendar({ mode: 'staging' as 'live', apiKey: 'k' }), /mode must be/);
    assert.equal(new LeadsCalendar({ mode: 'sandbox', apiKey: 'k' }).baseUrl, 'http://127.0.0.1:3000/');
  });

  it('sends the key as a bearer token, JSON bodies, and one generated Idempotency-Key per POST', async () => {
    const lc = client();
    await lc.recurrence.preview({ rrule: 'FREQ=DAILY', start: '2031-01-01T09:00', timeZone: 'UTC' } as never);
    await lc.recurrence.preview({ rrule: 'FREQ=DAILY', start: '2031-01-01T09:00', timeZone: 'UTC' } as never, { idempotencyKey: 'mine-1' });
    await lc.events.get('a/b');
    const [a, b, g] = seen;
    assert.equal(a!.headers.authorization, 'Bearer lc_test_key');
    assert.equal(a!.headers['content-type'], 'application/json');
    assert.match(String(a!.headers['idempotency-key']), /^[0-9a-f-]{36}$/);
    assert.equal(b!.headers['idempotency-key'], 'mine-1');
    assert.notEqual(a!.headers['idempotency-key'], b!.headers['idempotency-key']);
    assert.equal(g!.headers['idempotency-key'], undefined, 'GETs carry no idempotency key');
    assert.equal(g!.url, '/api/v1/events/a%2Fb', 'an id cannot change the path');
    assert.match(String(a!.headers['user-agent']), /^leadscalendar-node\//);
  });

  it('retries 429 (after its Retry-After), 5xx and dropped connections, reusing the POST’s idempotency key', async () => {
    const infos: ResponseInfo[] = [];
    const lc = client({ maxRetries: 3, onResponse: (i) => infos.push(i) });
    script = [
      (_r, res) => problem(res, 429, 'rate_limited', {}, { 'retry-after': '1' }),
      (_r, res) => problem(res, 503, 'provider_unavailable'),
      (_r, res) => res.socket!.destroy(),
      (_r, res) => json(res, 201, { event: { id: 'e1' } }),
    ];
    const t0 = Date.now();
    const created = await lc.events.create({ title: 'x' } as never);
    assert.deepEqual(created, { event: { id: 'e1' } });
    assert.equal(seen.length, 4);
    assert.ok(Date.now() - t0 >= 1000, 'waited the Retry-After second');
    assert.equal(new Set(seen.map((s) => s.headers['idempotency-key'])).size, 1, 'every retry repeats the first key');
    assert.deepEqual(infos.map((i) => i.status), [429, 503, 201]);
    assert.equal(infos[0]!.requestId, 'req-rate_limited');
  });

  it('gives up after maxRetries with the last error, and never retries a client error', async () => {
    const lc = client({ maxRetries: 2 });
    fallback = (_r, res) => problem(res, 500, 'internal');
    const err = await lc.events.get('e1').catch((e: unknown) => e);
    assert.ok(err instanceof ServerError);
    assert.equal(seen.length, 3);

    seen = [];
    fallback = (_r, res) => problem(res, 400, 'validation_failed', { errors: [{ path: 'body/title', code: 'required', message: 'Required' }] });
    const bad = await lc.events.create({} as never).catch((e: unknown) => e);
    assert.ok(bad instanceof InvalidRequestError);
    assert.equal(seen.length, 1);
    assert.deepEqual(bad.errors, [{ path: 'body/title', code: 'required', message: 'Required' }]);
  });

  it('does not ask again when the server replayed a kept failure for the same idempotency key', async () => {
    const lc = client({ maxRetries: 3 });
    fallback = (_r, res) => problem(res, 502, 'provider_unavailable', {}, { 'idempotent-replayed': 'true' });
    await assert.rejects(lc.events.create({ title: 'x' } as never), ServerError);
    assert.equal(seen.length, 1);
  });

  it('maps each answer to its error class, with status, type, code, request id and debug information', async () => {
    const lc = client({ maxRetries: 0 });
    const cases: Array<[number, string, new (...a: never[]) => Error]> = [
      [401, 'unauthorized', AuthenticationError],
      [403, 'insufficient_scope', PermissionError],
      [404, 'not_found', NotFoundError],
      [409, 'event_not_cancellable', ConflictError],
      [422, 'idempotency_key_reused', IdempotencyError],
      [429, 'rate_limited', RateLimitError],
      [415, 'unsupported_media_type', InvalidRequestError],
    ];
    for (const [status, code, cls] of cases) {
      script = [(_r, res) => problem(res, status, code, {}, status === 429 ? { 'retry-after': '7' } : {})];
      const err = await lc.events.get('e9').catch((e: unknown) => e);
      assert.ok(err instanceof cls, `${status} → ${(err as Error).name}`);
      const api = err as InstanceType<typeof ServerError>;
      assert.equal(api.status, status);
      assert.equal(api.code, code);
      assert.equal(api.type, `https://docs.example/errors#${code}`);
      assert.equal(api.requestId, `req-${code}`);
      assert.equal(api.debug.method, 'GET');
      assert.equal(api.debug.url, `${base}/api/v1/events/e9`);
      assert.match(api.debug.responseBody!, new RegExp(code));
      assert.doesNotMatch(JSON.stringify(api.debug), /lc_test_key/, 'debug information never holds the key');
      if (status === 429) assert.equal(api.retryAfterSeconds, 7);
    }
    // A proxy's HTML page still becomes an error of the right class.
    script = [(_r, res) => (res.writeHead(502, { 'content-type': 'text/html' }), res.end('<h1>Bad gateway</h1>'))];
    const proxy = await lc.events.get('e9').catch((e: unknown) => e);
    assert.ok(proxy instanceof ServerError);
    assert.equal(proxy.status, 502);
  });

  it('times out an attempt that gets no answer, and says so', async () => {
    const lc = client({ maxRetries: 1, timeoutMs: 150 });
    fallback = () => undefined; // never answers
    const err = await lc.events.get('slow').catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError && err instanceof ConnectionError, String(err));
    assert.match(err.message, /150 ms/);
    assert.equal(seen.length, 2);
  });

  it('exchanges client credentials for a token once, shares it between concurrent calls, and refreshes once after a 401', async () => {
    let issued = 0;
    fallback = (req, res) => {
      if (req.url === '/oauth/token') {
        issued++;
        return json(res, 200, { access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: 900, scope: 'read write' });
      }
      if (req.headers.authorization === 'Bearer tok-1' && req.url === '/api/v1/events/revoked') return problem(res, 401, 'unauthorized');
      return json(res, 200, { auth: req.headers.authorization });
    };
    const lc = client({ apiKey: undefined, clientId: 'cid', clientSecret: 's3cr:t' });
    const answers = await Promise.all([lc.events.get('a'), lc.events.get('b'), lc.events.get('c')]);
    assert.equal(issued, 1);
    assert.deepEqual(answers, [{ auth: 'Bearer tok-1' }, { auth: 'Bearer tok-1' }, { auth: 'Bearer tok-1' }]);
    const tokenReq = seen.find((s) => s.url === '/oauth/token')!;
    assert.equal(tokenReq.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(tokenReq.body, 'grant_type=client_credentials');
    assert.equal(tokenReq.headers.authorization, `Basic ${Buffer.from('cid:s3cr%3At').toString('base64')}`);
    assert.equal(tokenReq.headers['idempotency-key'], undefined);

    assert.deepEqual(await lc.events.get('revoked'), { auth: 'Bearer tok-2' }, 'one refresh after the 401');
    assert.equal(issued, 2);

    // A second 401 in a row is the answer: no loop.
    fallback = (req, res) => (req.url === '/oauth/token' ? json(res, 200, { access_token: `tok-${++issued}`, token_type: 'Bearer', expires_in: 900 }) : problem(res, 401, 'unauthorized'));
    await assert.rejects(lc.events.get('x'), AuthenticationError);
    assert.equal(issued, 3);
  });

  it('shares one token between processes through Redis (127.0.0.1:6379), until shortly before it expires', async (t) => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
    } catch (err) {
      if (process.env.CI === 'true') throw err;
      return t.skip(`no Redis on 127.0.0.1:6379 (${(err as Error).message})`);
    }
    const prefix = `lc-sdk-test:${process.pid}:${Date.now()}:`;
    try {
      let issued = 0;
      fallback = (req, res) =>
        req.url === '/oauth/token' ? json(res, 200, { access_token: `shared-${++issued}`, token_type: 'Bearer', expires_in: 61 }) : json(res, 200, { auth: req.headers.authorization });
      const one = client({ apiKey: undefined, clientId: 'cid', clientSecret: 'sec', tokenCache: new RedisTokenCache(redis, prefix) });
      const two = client({ apiKey: undefined, clientId: 'cid', clientSecret: 'sec', tokenCache: new RedisTokenCache(redis, prefix) });
      assert.deepEqual(await one.events.get('a'), { auth: 'Bearer shared-1' });
      assert.deepEqual(await two.events.get('a'), { auth: 'Bearer shared-1' });
      assert.equal(issued, 1, 'the second process used the first one’s token');
      const [key] = await redis.keys(`${prefix}*`);
      const ttl = await redis.pttl(key!);
      assert.ok(ttl > 0 && ttl <= 1000, `kept until a minute before the server's expiry (ttl ${ttl} ms)`);
      await new Promise((r) => setTimeout(r, ttl + 50));
      assert.deepEqual(await two.events.get('a'), { auth: 'Bearer shared-2' });
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });
});

describe('SDK TLS', () => {
  it('verifies certificates by default, and trusts a private CA passed as `ca`', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const { cert } = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      keyPair: { privateKey: keys.privateKey, publicKey: keys.publicKey },
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    } as never);
    const server = createHttps({ key: keys.privateKey, cert }, (_req, res) => json(res, 200, { secure: true }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const strict = new LeadsCalendar({ mode: 'live', baseUrl: base, apiKey: 'k', maxRetries: 0 });
      const err = await strict.events.get('x').catch((e: unknown) => e);
      assert.ok(err instanceof ConnectionError, String(err));
      assert.match(err.message, /certificate/i);
      const trusting = new LeadsCalendar({ mode: 'live', baseUrl: base, apiKey: 'k', ca: cert, maxRetries: 0 });
      assert.deepEqual(await trusting.events.get('x'), { secure: true });
      await Promise.all([strict.close(), trusting.close()]);
    } finally {
      server.close();
    }
  });
});
