import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestApp, type TestApp } from '../support/app.ts';
import { rawRequest } from './raw-http.ts';
import { idKind, person, routeTable, type Person } from './world.ts';

/**
 * The fuzzer: every route of Fastify's route table (a new route is fuzzed without a change here),
 * with bodies and query strings shaped by the route's OpenAPI schema and then broken (wrong
 * types, missing and extra fields, huge and unicode strings, NUL bytes, invalid dates, zones and
 * recurrence rules), broken JSON, wrong content types, oversized bodies and headers, and
 * malformed URLs over a raw socket. Signed in with a cookie (with, without and with a wrong CSRF
 * token), with an API key, with another person's key, and signed out.
 *
 * Properties of every answer: never a 5xx; a 4xx from a program path (/api, /webhooks, ...) is an
 * RFC 9457 problem document (the token endpoint answers RFC 6749 errors instead, as documented);
 * a browser path may answer a 4xx with an HTML page; every answer carries the security headers
 * (checked through X-Content-Type-Options); no answer takes longer than {@link REQUEST_BOUND_MS};
 * /healthz, polled all along, answers within the same bound.
 */

/**
 * A bound for hangs, not a performance figure. Answers take tens of milliseconds; the slowest
 * seen was 1.8 s, on this 2-core machine shared with other test runs (load average 8).
 */
export const REQUEST_BOUND_MS = 3_000;

const PROGRAM_PATHS = /^\/(api|openapi\.json|healthz|readyz|metrics|webhooks)(\/|$)/;

export type Auth = 'none' | 'cookie' | 'cookie-no-csrf' | 'cookie-bad-csrf' | 'api-key' | 'other-api-key' | 'bad-bearer';

export interface FuzzRequest {
  /** The route as the table names it, for the summary. */
  route: string;
  method: string;
  /** Path and query, already encoded. */
  target: string;
  auth: Auth;
  headers: Record<string, string>;
  body?: string;
  /** Bytes sent over a raw socket as they are (what fetch cannot send); auth and body unused. */
  raw?: string;
}

export interface Outcome {
  status: number;
  contentType: string;
  /** The X-Content-Type-Options header: a stand-in for the security headers every answer carries. */
  nosniff: boolean;
  body: string;
  ms: number;
}

export interface FuzzWorld {
  app: TestApp;
  me: Person;
  other: Person;
  routes: { method: string; url: string; op?: Operation }[];
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  parameters?: { in: string; name: string; schema?: Schema }[];
}
type Schema = Record<string, any>;

export async function startFuzzWorld(): Promise<FuzzWorld> {
  // High limits: a 429 is a fine answer, but a fuzzer spending its budget on them tests nothing.
  const app = await startTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '1000000', ADMIN_EMAILS: 'fuzz@example.com', LOG_LEVEL: 'warn' } });
  try {
    const me = await person(app, 'fuzz@example.com');
    const other = await person(app, 'fuzz-other@example.com');
    const doc = await (await fetch(`${app.url}/openapi.json`)).json();
    const resolve = (s: Schema | undefined): Schema | undefined => {
      if (!s?.$ref) return s;
      return resolve(s.$ref.split('/').slice(1).reduce((o: any, k: string) => o?.[k], doc));
    };
    const routes = routeTable(app).map((r) => {
      const op = doc.paths?.[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()] as Operation | undefined;
      if (op?.requestBody?.content) for (const c of Object.values(op.requestBody.content)) c.schema = deref(c.schema, resolve);
      for (const p of op?.parameters ?? []) p.schema = deref(p.schema, resolve);
      return { ...r, ...(op ? { op } : {}) };
    });
    return { app, me, other, routes };
  } catch (err) {
    await app.close();
    throw err;
  }
}

function deref(s: Schema | undefined, resolve: (s: Schema | undefined) => Schema | undefined, depth = 0): Schema | undefined {
  const r = resolve(s);
  if (!r || depth > 6 || typeof r !== 'object') return r;
  const out: Schema = Array.isArray(r) ? [...r] : { ...r };
  for (const [k, v] of Object.entries(out)) if (v && typeof v === 'object') out[k] = deref(v, resolve, depth + 1);
  return out;
}

// ---- values -------------------------------------------------------------------------------

const NUL = '\u0000';
const HUGE = 'x'.repeat(70_000);
const hostileStrings = fc.constantFrom(
  '', ' ', NUL, `a${NUL}b`, HUGE, '\u202e\u0301\ufeff', '\ud800', '😀'.repeat(500), '../../etc/passwd', '%00', '<script>alert(1)</script>',
  "'; DROP TABLE events; --", '${7*7}', '__proto__', 'constructor', 'null', 'NaN', '-0', '1e400', '\r\nX-Injected: 1',
);
/** Good values and tricky ones of a kind, mostly good, so that requests reach past validation. */
const mostly = <T,>(good: T[], bad: T[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const dates = mostly(
  ['2031-05-04T12:00', '2031-05-04T13:00', '2031-03-30T02:30', '2031-10-26T02:30', '2031-12-31T23:30', '2031-05-04T12:00:00'],
  ['2031-02-30T10:00', '2031-13-01T00:00', '2031-05-04T24:00', '2031-05-04T12:60', '9999-12-31T23:59', '0000-01-01T00:00', '+275760-09-13T00:00', '2031-05-04T12:00Z',
    '2031-05-04T12:00+99:00', '2031-05-04', '12:00', 'tomorrow', '2031-05-04T12:00:00.123456789', `2031-05-04T12:00${NUL}`, '1970-01-01T00:00:00Z', '2031-W18-7T12:00', '2020-01-01T00:00'],
);
const zones = mostly(
  ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham', 'Australia/Lord_Howe', 'America/St_Johns'],
  ['Mars/Olympus', 'Etc/GMT+14', 'Etc/GMT-15', 'EST5EDT', 'America/Argentina/ComodRivadavia', 'utc', '+05:30', 'Z', 'Europe/Paris\u0000', '../../../../etc/localtime', 'x'.repeat(300)],
);
const rrules = mostly(
  ['RRULE:FREQ=WEEKLY;COUNT=2', 'RRULE:FREQ=DAILY;COUNT=5', 'RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3', 'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2', 'EXDATE:20310511T120000', 'RDATE:20310601T120000'],
  ['RRULE:FREQ=SECONDLY', 'RRULE:FREQ=SECONDLY;COUNT=100000', 'RRULE:FREQ=YEARLY;COUNT=999999999', 'RRULE:FREQ=DAILY;UNTIL=99991231T000000Z', 'RRULE:', 'RRULE:FREQ=DAILY;INTERVAL=0',
    'RRULE:FREQ=DAILY;INTERVAL=-1', 'RRULE:FREQ=WEEKLY;BYDAY=99MO', 'RRULE:FREQ=MONTHLY;BYMONTHDAY=-0', 'RRULE:FREQ=DAILY;BYSETPOS=0', 'RRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2',
    'RDATE:20310230T000000Z', 'EXDATE;TZID=Mars/Olympus:20310101T000000', 'RRULE:FREQ=DAILY;UNTIL=20310101T000000Z;COUNT=3', 'RRULE:FREQ=HOURLY;BYHOUR=25', 'EXRULE:FREQ=DAILY',
    'RRULE:FREQ=DAILY;WKST=XX', 'RRULE:freq=daily', 'RDATE;VALUE=PERIOD:20310101T000000Z/PT1H', 'RRULE:FREQ=YEARLY;BYWEEKNO=54', 'RRULE:FREQ=YEARLY;BYYEARDAY=367', `RRULE:FREQ=DAILY;COUNT=${'9'.repeat(400)}`],
);
const urls = fc.constantFrom(
  'https://example.com/hook', 'http://127.0.0.1/', 'http://[::1]/', 'http://0x7f000001/', 'http://169.254.169.254/latest/meta-data', 'javascript:alert(1)',
  'file:///etc/passwd', 'https://user:pass@example.com/', `https://example.com/${'a'.repeat(5000)}`, 'https://exa mple.com/', '//evil.example', 'https://',
);
const numbers = fc.constantFrom(-1, 0, 1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63), 100, 101, 1000, 10_000);
const wrongTypes = fc.oneof(fc.constant(null), fc.boolean(), numbers, fc.constant([]), fc.constant({}), fc.constant([[[[]]]]), fc.constant({ $gt: '' }));

function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileStrings },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: wrongTypes },
    { weight: 1, arbitrary: dates },
    { weight: 1, arbitrary: zones },
    { weight: 1, arbitrary: rrules },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

/** Values a field of this name usually holds: good ones and the tricky ones of its kind. */
function byName(name: string, ids: fc.Arbitrary<string>): fc.Arbitrary<unknown> | null {
  if (/^(start|end|from|to|date)$/i.test(name)) return dates;
  if (/timezone/i.test(name)) return zones;
  if (name === 'recurrence[]') return rrules;
  if (/url$/i.test(name)) return urls;
  if (/email/i.test(name)) return mostly(['guest@example.com', 'o.brien+x@example.co.uk'], ['a@b', '@', `x${NUL}@example.com`, `${'a'.repeat(300)}@example.com`, 'ümlaut@exämple.com']);
  if (/^(id|eventId|paymentId|endpointId|deliveryId)$/.test(name)) return ids;
  return null;
}

/** Near-valid values for a JSON schema, with hostile ones mixed in at every level. */
function fromSchema(s: Schema | undefined, name: string, ids: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  const good = goodFromSchema(s, name, ids, depth);
  return fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: hostileValue() });
}

function goodFromSchema(s: Schema | undefined, name: string, ids: fc.Arbitrary<string>, depth: number): fc.Arbitrary<unknown> {
  const named = byName(name, ids);
  if (!s || depth > 4) return named ?? hostileValue();
  const options = s.anyOf ?? s.oneOf;
  if (Array.isArray(options) && options.length) return fc.oneof(...options.map((o: Schema) => goodFromSchema(o, name, ids, depth + 1)));
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (s.const !== undefined) return fc.constant(s.const);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object':
      return objectFrom(s, ids, depth);
    case 'array':
      return fc.array(fromSchema(s.items, `${name}[]`, ids, depth + 1), { maxLength: Math.min(s.maxItems ?? 3, 3) });
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -5;
      const max = s.maximum ?? 1000;
      return fc.oneof(fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }), fc.constantFrom(min - 1, max + 1));
    }
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (named) return named;
      if (s.format === 'uuid') return ids;
      if (s.format === 'date-time') return fc.constantFrom('2031-05-04T12:00:00Z', '2031-02-30T00:00:00Z', 'yesterday');
      return fc.oneof(
        { weight: 6, arbitrary: fc.string({ minLength: Math.max(s.minLength ?? 0, 1), maxLength: Math.min(s.maxLength ?? 30, 60) }) },
        { weight: 1, arbitrary: fc.constant('a'.repeat((s.maxLength ?? 200) + 1)) },
      );
    default:
      return named ?? hostileValue();
  }
}

function objectFrom(s: Schema, ids: fc.Arbitrary<string>, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries<Schema>(s.properties ?? {});
  const fields = props.map(([k, v]) => fc.option(fromSchema(v, k, ids, depth + 1).map((val) => [k, val] as const), { freq: (s.required ?? []).includes(k) ? 20 : 3, nil: null }));
  const extra = fc.oneof(
    { weight: 5, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'userId', 'state', 'amount', ''), hostileValue()) },
  );
  return fc.tuple(fc.tuple(...fields), extra).map(([present, x]) => {
    const o: Record<string, unknown> = {};
    for (const f of [...present, x]) if (f) Object.defineProperty(o, f[0], { value: f[1], enumerable: true, writable: true });
    return o;
  });
}

// ---- requests -----------------------------------------------------------------------------

const BODY_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/problem+json', 'text/plain', 'application/xml',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json, text/plain', 'x/y; a=', '',
];

function serialized(value: unknown): fc.Arbitrary<{ body: string; contentType: string }> {
  const json = JSON.stringify(value) ?? 'null';
  return fc.oneof(
    { weight: 16, arbitrary: fc.constant({ body: json, contentType: 'application/json' }) },
    { weight: 2, arbitrary: fc.nat({ max: Math.max(json.length - 1, 0) }).map((n) => ({ body: json.slice(0, n), contentType: 'application/json' })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('{', '{"a":', '[1,]', "{'a':1}", '\u0000', 'null', '""', '1e999999', '{"a":1}{"b":2}', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `{"a":"\\ud800"}`, '\ufeff{}').map((body) => ({ body, contentType: 'application/json' })),
    },
    { weight: 2, arbitrary: fc.constantFrom(...BODY_TYPES).map((contentType) => ({ body: json, contentType })) },
    { weight: 1, arbitrary: fc.constant({ body: JSON.stringify({ pad: 'x'.repeat(300_000) }), contentType: 'application/json' }) },
    { weight: 1, arbitrary: fc.constant({ body: new URLSearchParams(flat(value)).toString(), contentType: 'application/x-www-form-urlencoded' }) },
  );
}

function flat(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return { value: String(value) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? '']));
}

const latin1 = (s: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);

function headerArb(): fc.Arbitrary<Record<string, string>> {
  const entry = fc.oneof(
    fc.constantFrom('application/json', '*/*', 'text/html', 'application/problem+json', 'text/event-stream', 'image/png', ',,;q=x').map((v) => ['accept', v] as const),
    fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }), fc.constant('k'.repeat(5000))).map((v) => ['idempotency-key', v] as const),
    fc.oneof(fc.string({ maxLength: 200 }), fc.constant('req_fuzz')).map((v) => ['x-request-id', v] as const),
    fc.oneof(fc.nat().map(String), fc.string({ maxLength: 40 })).map((v) => ['last-event-id', v] as const),
    fc.string({ maxLength: 200 }).map((v) => ['paypal-transmission-sig', v] as const),
    fc.constantFrom('https://example.com', 'null', '').map((v) => ['origin', v] as const),
  );
  return fc.array(entry, { maxLength: 3 }).map((es) => Object.fromEntries(es.filter(([, v]) => latin1(v))));
}

function idArb(world: FuzzWorld, kind: keyof Person['ids'] | null): fc.Arbitrary<string> {
  const own = kind ? [world.me.ids[kind]] : Object.values(world.me.ids);
  const theirs = kind ? [world.other.ids[kind]] : Object.values(world.other.ids);
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...own) },
    { weight: 2, arbitrary: fc.constantFrom(...theirs) },
    { weight: 1, arbitrary: fc.constant(randomUUID()) },
    { weight: 1, arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', ' ', `${own[0]}${NUL}`, `${own[0]}x`, own[0]!.toUpperCase(), 'x'.repeat(3000), '..', '%', '😀', '1 OR 1=1') },
  );
}

/** What PayPal and Binance Pay send: notification-shaped bodies and their signature headers, broken. */
function providerShaped(world: FuzzWorld, provider: 'paypal' | 'binance'): fc.Arbitrary<{ headers: Record<string, string>; body: unknown }> {
  const ids = fc.constantFrom(world.me.ids.payment, world.other.ids.payment, randomUUID(), 'PAYID-X', '');
  const now = () => new Date().toISOString();
  if (provider === 'paypal') {
    const headers = fc.record({
      'paypal-transmission-id': fc.oneof(fc.uuid(), fc.constantFrom('', 'x'.repeat(500))),
      'paypal-transmission-time': fc.oneof(fc.constant(now()), fc.constantFrom('2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', 'yesterday', '')),
      'paypal-transmission-sig': fc.oneof(fc.base64String({ maxLength: 344 }), fc.constantFrom('', '!!!')),
      'paypal-cert-url': fc.constantFrom(
        `${world.app.runtime.sandbox.url}/v1/notifications/certs/CERT-360caa42-fca2a594-unknown`,
        'https://api.paypal.com/v1/notifications/certs/CERT-x',
        'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-x',
        'http://127.0.0.1:9/cert.pem', 'https://evil.example/cert.pem', 'file:///etc/passwd', 'not a url', '',
      ),
      'paypal-auth-algo': fc.constantFrom('SHA256withRSA', 'none', 'SHA1withRSA', ''),
    }, { requiredKeys: [] });
    const body = fc.record({
      id: fc.constantFrom('WH-1', '', 'x'.repeat(300)),
      event_type: fc.constantFrom('PAYMENT.CAPTURE.COMPLETED', 'CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.REFUNDED', 'PAYMENT.AUTHORIZATION.CREATED', 'X.Y'),
      resource_type: fc.constantFrom('capture', 'checkout-order', 'refund'),
      create_time: dates,
      resource: fc.record({
        id: ids,
        status: fc.constantFrom('COMPLETED', 'APPROVED', 'PENDING', 'DECLINED', ''),
        custom_id: ids,
        amount: fc.record({ currency_code: fc.constantFrom('USD', 'EUR', 'XXX', ''), value: fc.constantFrom('1.00', '0.01', '-1', '1e9', 'NaN', '') }),
        supplementary_data: fc.record({ related_ids: fc.record({ order_id: ids }) }),
      }, { requiredKeys: [] }),
    }, { requiredKeys: [] });
    return fc.record({ headers, body });
  }
  const headers = fc.record({
    'binancepay-timestamp': fc.oneof(fc.constant(String(Date.now())), fc.constantFrom('0', '-1', '99999999999999999999', 'abc', '')),
    'binancepay-nonce': fc.oneof(fc.string({ minLength: 32, maxLength: 32 }), fc.constantFrom('', 'x'.repeat(1000))),
    'binancepay-certificate-sn': fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'), maxLength: 64 }), fc.constantFrom('', '../../etc', 'x'.repeat(500))),
    'binancepay-signature': fc.oneof(fc.base64String({ maxLength: 344 }), fc.constantFrom('', '%%%')),
  }, { requiredKeys: [] });
  const data = fc.record({ merchantTradeNo: ids, totalFee: fc.constantFrom('1.00', '0', '-1', '1e400'), currency: fc.constantFrom('USDT', 'BTC', ''), transactTime: fc.integer() }, { requiredKeys: [] });
  const body = fc.record({
    bizType: fc.constantFrom('PAY', 'PAY_REFUND', 'PAY_CLOSED', 'X'),
    bizId: fc.oneof(fc.integer(), fc.constant(1e30)),
    bizIdStr: fc.string(),
    bizStatus: fc.constantFrom('PAY_SUCCESS', 'PAY_CLOSED', 'REFUND_SUCCESS', ''),
    data: fc.oneof(data.map((d) => JSON.stringify(d)), data, fc.constant('{')),
  }, { requiredKeys: [] });
  return fc.record({ headers, body });
}

const AUTHS: Auth[] = ['none', 'cookie', 'cookie', 'cookie-no-csrf', 'cookie-bad-csrf', 'api-key', 'api-key', 'other-api-key', 'bad-bearer'];

/** One request through fetch: a route of the table, its params, query, body and headers. */
function httpRequestArb(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const perRoute = world.routes.map((r) => {
    const kind = r.url.startsWith('/app/events/') ? 'event' : idKind(r.url);
    const ids = idArb(world, kind);
    const paramNames = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const params = fc.tuple(...paramNames.map(() => ids));
    const queryParams = (r.op?.parameters ?? []).filter((p) => p.in === 'query');
    const query = fc.tuple(
      fc.tuple(...queryParams.map((p) => fc.option(fromSchema(p.schema, p.name, ids).map((v) => [p.name, typeof v === 'string' ? v : JSON.stringify(v) ?? ''] as const), { nil: null }))),
      fc.option(fc.tuple(fc.constantFrom(...queryParams.map((p) => p.name), 'returnTo', 'payment', 'token', 'code', 'state', 'x'), fc.string({ maxLength: 30 })), { nil: null }),
      fc.boolean(),
    );
    const bodySchema = r.op?.requestBody?.content?.['application/json']?.schema ?? r.op?.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
    const wantsBody = !['GET', 'HEAD'].includes(r.method);
    const provider = /^\/webhooks\/(paypal|binance)$/.exec(r.url)?.[1] as 'paypal' | 'binance' | undefined;
    const shaped = provider ? providerShaped(world, provider) : fc.constant({ headers: {} as Record<string, string>, body: undefined as unknown });
    const body = wantsBody ? fc.option(fromSchema(bodySchema ?? { type: 'object' }, 'body', ids).chain(serialized), { freq: 8, nil: null }) : fc.constant(null);
    const url = r.url === '/*' ? fc.constantFrom('/nope', '/app/unknown', '/api/v2/events', '/api/v1/', '/.env', '/assets/../../package.json', '/%2e%2e/%2e%2e/etc/passwd') : fc.constant(r.url);
    return fc
      .record({ url, params, query, body, auth: fc.constantFrom(...AUTHS), headers: headerArb(), useShape: fc.nat({ max: 3 }), shaped: shaped.chain((p) => (p.body === undefined ? fc.constant(p) : serialized(p.body).map((b) => ({ ...p, serialized: b })))) })
      .map(({ url: u, params: ps, query: [fields, extra, repeat], body: schemaBody, auth, headers: h0, useShape, shaped: p }): FuzzRequest => {
        // A provider webhook gets its provider's shape most of the time, a schema-less body else.
        const fromProvider = 'serialized' in p && useShape > 0;
        const b = fromProvider ? (p.serialized as { body: string; contentType: string }) : schemaBody;
        const headers = fromProvider ? { ...h0, ...p.headers } : h0;
        let path = u;
        ps.forEach((p, i) => (path = path.replace(`:${paramNames[i]}`, encodeURIComponent(p))));
        const q = new URLSearchParams();
        for (const f of [...fields, extra]) if (f) q.append(f[0], f[1]);
        if (repeat && fields[0]) q.append(fields[0][0], fields[0][1]);
        const target = `${path}${q.size ? `?${q}` : ''}`;
        // Signing the fuzzer's own session out would leave the rest of the run signed out.
        const a: Auth = r.url === '/auth/logout' && auth === 'cookie' ? 'cookie-bad-csrf' : auth;
        const h = { ...headers };
        if (b) h['content-type'] = b.contentType;
        return { route: `${r.method} ${r.url}`, method: r.method, target, auth: a, headers: h, ...(b ? { body: b.body } : {}) };
      });
  });
  return fc.oneof(...perRoute);
}

/** What fetch cannot send: malformed request lines and URLs, broken framing, oversized headers. */
function rawRequestArb(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const paths = world.routes.filter((r) => r.url !== '/*').map((r) => r.url.replace(/:\w+/g, world.me.ids.event));
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.constantFrom('%ZZ', '%', '%00', '%C0%AF', '%ff%fe', '\u00ff', '/../../..', '//x', '?%', '?a=%E0%A4%A', '#frag', ';a=b', '?a[__proto__][x]=1', '?a[b][c][d][e][f]=1'),
      fc.constantFrom('plain', 'absolute', 'big-header', 'bad-length', 'chunked-broken', 'bad-header', 'huge-url', 'latin1-cookie', 'http10', 'dup-host'),
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'),
    )
    .map(([path, tail, shape, method]) => {
      const target = `${path}${tail}`;
      let head = `${method} ${target} HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n`;
      let body = '';
      switch (shape) {
        case 'absolute': head = head.replace(` ${target} `, ` http://evil.example${target} `); break;
        case 'big-header': head += `X-Big: ${'a'.repeat(20_000)}\r\n`; break;
        case 'bad-length': head += 'Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 7\r\n'; body = '{}'; break;
        case 'chunked-broken': head += 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n'; body = 'ZZ\r\n{}\r\n0\r\n\r\n'; break;
        case 'bad-header': head += 'Bad Header: x\r\n'; break;
        case 'huge-url': head = head.replace(` ${target} `, ` ${target}?q=${'a'.repeat(17_000)} `); break;
        case 'latin1-cookie': head += 'Cookie: lc_session=\u00ff\u00fe; x=\u0080\r\n'; break;
        case 'http10': head = head.replace('HTTP/1.1', 'HTTP/1.0'); break;
        case 'dup-host': head += 'Host: other.example\r\n'; break;
      }
      if (!body && ['POST', 'PUT', 'PATCH'].includes(method) && shape !== 'bad-length') head += 'Content-Length: 0\r\n';
      return { route: `RAW ${shape}`, method, target, auth: 'none' as Auth, headers: {}, raw: `${head}\r\n${body}` };
    });
}

export function requestArb(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  return fc.oneof({ weight: 9, arbitrary: httpRequestArb(world) }, { weight: 1, arbitrary: rawRequestArb(world) });
}

// ---- sending and judging ------------------------------------------------------------------

function authHeaders(world: FuzzWorld, auth: Auth): Record<string, string> {
  const cookie = world.me.browser.cookieHeader(world.app.url) ?? '';
  switch (auth) {
    case 'none': return {};
    case 'cookie': return { cookie, 'x-csrf-token': world.me.csrfToken };
    case 'cookie-no-csrf': return { cookie };
    case 'cookie-bad-csrf': return { cookie, 'x-csrf-token': `${world.me.csrfToken.slice(0, -1)}${world.me.csrfToken.endsWith('A') ? 'B' : 'A'}` };
    case 'api-key': return { authorization: `Bearer ${world.me.apiKey}` };
    case 'other-api-key': return { authorization: `Bearer ${world.other.apiKey}` };
    case 'bad-bearer': return { authorization: 'Bearer lc_test_0000000000000000000000000000000000' };
  }
}

export async function send(world: FuzzWorld, req: FuzzRequest): Promise<Outcome> {
  const started = performance.now();
  if (req.raw) {
    const res = await rawRequest(world.app.url, req.raw.replace('Host: HOST', `Host: ${new URL(world.app.url).host}`));
    return { status: res.status, contentType: res.headers['content-type'] ?? '', nosniff: res.headers['x-content-type-options'] === 'nosniff', body: res.body, ms: performance.now() - started };
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_BOUND_MS * 5);
  try {
    const res = await fetch(`${world.app.url}${req.target}`, {
      method: req.method,
      headers: { ...req.headers, ...authHeaders(world, req.auth) },
      redirect: 'manual',
      signal: abort.signal,
      ...(req.body !== undefined ? { body: req.body } : {}),
    });
    const contentType = res.headers.get('content-type') ?? '';
    const nosniff = res.headers.get('x-content-type-options') === 'nosniff';
    // A live status stream never ends by itself: its answer is the headers.
    if (contentType.startsWith('text/event-stream')) {
      const ms = performance.now() - started;
      abort.abort();
      return { status: res.status, contentType, nosniff, body: '', ms };
    }
    const body = await res.text();
    return { status: res.status, contentType, nosniff, body, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** What is wrong with an answer; empty when it is fine. */
export function judge(req: FuzzRequest, out: Outcome): string[] {
  const wrong: string[] = [];
  if (out.status >= 500) wrong.push(`answered ${out.status}`);
  if (out.ms > REQUEST_BOUND_MS) wrong.push(`took ${out.ms.toFixed(0)} ms (bound ${REQUEST_BOUND_MS} ms)`);
  if (!out.nosniff) wrong.push('no X-Content-Type-Options: nosniff (the security headers are missing)');
  if (out.status >= 400) {
    const path = req.target.split('?')[0]!;
    const isProblem = /^application\/problem\+json/.test(out.contentType);
    if (path === '/oauth/token' && (out.status === 400 || out.status === 401) && /^application\/json/.test(out.contentType)) {
      if (typeof parse(out.body)?.error !== 'string') wrong.push('an RFC 6749 error without its error field');
    } else if (isProblem) {
      const p = parse(out.body);
      if (typeof p?.type !== 'string' || typeof p?.title !== 'string' || p?.status !== out.status) wrong.push(`a problem document without type/title/status: ${out.body.slice(0, 200)}`);
    } else if (PROGRAM_PATHS.test(path) || !/^text\/html/.test(out.contentType)) {
      wrong.push(`a ${out.status} that is not a problem document (${out.contentType || 'no content-type'}): ${out.body.slice(0, 200)}`);
    }
  }
  return wrong;
}

function parse(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---- a run --------------------------------------------------------------------------------

export interface Summary {
  inputs: number;
  perRoute: Map<string, number>;
  statuses: Map<number, number>;
  /** Status counts per way of signing in, e.g. `api-key 401`: shows a credential lost mid-run. */
  byAuth: Map<string, number>;
  slowest: { route: string; target: string; ms: number; status: number };
  /** The slowest /healthz, and what the fuzzer had in flight meanwhile. */
  healthz: { checks: number; slowestMs: number; failures: number; during: string[] };
  failures: { request: FuzzRequest; problems: string[] }[];
  seconds: number;
  /** The longest the event loop (the app's and the fuzzer's: one process) was blocked. */
  loopDelayMaxMs: number;
}

/**
 * Runs `runs` inputs from `seed`, split over `workers` concurrent sequences (seed, seed+1, ...),
 * while /healthz is polled. Failures are collected, not thrown, so one run shows all it found.
 */
export async function fuzz(world: FuzzWorld, opts: { seed: number; runs: number; workers: number; onProgress?: (done: number) => void }): Promise<Summary> {
  const s: Summary = {
    inputs: 0,
    perRoute: new Map(),
    statuses: new Map(),
    byAuth: new Map(),
    slowest: { route: '', target: '', ms: 0, status: 0 },
    healthz: { checks: 0, slowestMs: 0, failures: 0, during: [] },
    failures: [],
    seconds: 0,
    loopDelayMaxMs: 0,
  };
  // Warm-up, unmeasured: the first request to each route pays one-time costs (under tsx, compiling
  // modules loaded on first use; the OpenAPI document's first build) that are not what /healthz
  // is watched for.
  for (const r of world.routes) {
    const target = r.url.replace(/:\w+/g, world.me.ids.event).replace('/*', '/warm-up');
    await send(world, { route: 'warm-up', method: r.method, target, auth: 'cookie-no-csrf', headers: { 'content-type': 'application/json' }, ...(r.method === 'GET' ? {} : { body: '{}' }) }).catch(() => {});
  }
  for (const req of fc.sample(requestArb(world), { seed: opts.seed - 1, numRuns: 50 })) await send(world, req).catch(() => {});
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  let running = true;
  const inFlight = new Set<string>();
  const poller = (async () => {
    while (running) {
      const t = performance.now();
      const during = new Set<string>();
      const watch = setInterval(() => inFlight.forEach((r) => during.add(r)), 5);
      // A fresh connection per probe, as a load balancer's health check makes: the fuzzer's pool of
      // kept-alive sockets is not what is measured.
      const ok = await rawRequest(world.app.url, `GET /healthz HTTP/1.1\r\nHost: ${new URL(world.app.url).host}\r\nConnection: close\r\n\r\n`).then((r) => r.status === 200, () => false);
      const ms = performance.now() - t;
      clearInterval(watch);
      s.healthz.checks++;
      if (ms > s.healthz.slowestMs) s.healthz.during = [...during];
      s.healthz.slowestMs = Math.max(s.healthz.slowestMs, ms);
      if (!ok) s.healthz.failures++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const arb = requestArb(world);
  const worker = async (i: number) => {
    const per = Math.floor(opts.runs / opts.workers) + (i < opts.runs % opts.workers ? 1 : 0);
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        let out: Outcome;
        const label = `${req.route} ${req.target.slice(0, 60)} ${req.headers['content-type'] ?? ''} ${req.body?.length ?? 0}B`;
        inFlight.add(label);
        try {
          out = await send(world, req);
        } catch (err) {
          out = { status: 0, contentType: '', nosniff: false, body: String(err), ms: 0 };
        } finally {
          inFlight.delete(label);
        }
        s.inputs++;
        opts.onProgress?.(s.inputs);
        s.perRoute.set(req.route, (s.perRoute.get(req.route) ?? 0) + 1);
        s.statuses.set(out.status, (s.statuses.get(out.status) ?? 0) + 1);
        const code = out.status >= 400 ? parse(out.body)?.code : undefined;
        const authStatus = `${req.raw ? 'raw' : req.auth} ${out.status}${out.status === 401 && code ? `:${code}` : ''}`;
        s.byAuth.set(authStatus, (s.byAuth.get(authStatus) ?? 0) + 1);
        if (out.ms > s.slowest.ms) s.slowest = { route: req.route, target: req.target.slice(0, 120), ms: out.ms, status: out.status };
        const problems = out.status === 0 ? [`no answer: ${out.body}`] : judge(req, out);
        if (problems.length) s.failures.push({ request: req, problems });
        return true;
      }),
      { seed: opts.seed + i, numRuns: per },
    );
  };
  try {
    await Promise.all(Array.from({ length: opts.workers }, (_, i) => worker(i)));
  } finally {
    running = false;
    await poller;
  }
  s.seconds = (performance.now() - t0) / 1000;
  loop.disable();
  s.loopDelayMaxMs = loop.max / 1e6;
  return s;
}

export function formatSummary(s: Summary): string {
  const lines = [`${s.inputs} inputs in ${s.seconds.toFixed(1)} s, ${s.failures.length} failing`];
  lines.push(`statuses: ${[...s.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(' ')}`);
  lines.push(`by credential: ${[...s.byAuth].sort().map(([k, v]) => `${k}×${v}`).join(' ')}`);
  lines.push(`slowest request: ${s.slowest.ms.toFixed(0)} ms, ${s.slowest.route} (${s.slowest.target}) → ${s.slowest.status}`);
  lines.push(`/healthz: ${s.healthz.checks} checks, slowest ${s.healthz.slowestMs.toFixed(0)} ms (meanwhile: ${s.healthz.during.join(' | ')}), ${s.healthz.failures} failed`);
  lines.push(`longest event loop delay: ${s.loopDelayMaxMs.toFixed(0)} ms`);
  lines.push('inputs per route:');
  for (const [r, n] of [...s.perRoute].sort()) lines.push(`  ${String(n).padStart(6)}  ${r}`);
  for (const f of s.failures.slice(0, 20)) lines.push(`FAIL ${f.problems.join('; ')}\n  ${JSON.stringify({ ...f.request, body: f.request.body?.slice(0, 300), raw: f.request.raw?.slice(0, 300) })}`);
  return lines.join('\n');
}
