/**
 * `npm run bench`: performance figures, printed as `name: value unit` lines and written to
 * bench/results/<date>.json; never asserted. Everything on loopback, in one run on this machine.
 *
 * The app runs as `npm start` runs it: compiled (dist/main.js) on plain node, in a child process,
 * with the provider emulators (zero latency, no faults) in this process. Load always comes from
 * other processes: autocannon for request rates, bench/bookings-driver.ts for paid bookings. Each
 * rate is printed beside its ceiling measured in the same run:
 *   - HTTP: Fastify with one no-op route, in a process of its own;
 *   - durable writes: PostgreSQL's own single-row inserts into a jsonb table with a unique key
 *     (pgbench, custom script).
 * The rate limits are raised for the run (API_RATE_LIMIT_PER_MINUTE,
 * PROVIDER_NOTIFICATION_RATE_LIMIT_PER_MINUTE): one API key does all the booking.
 *
 * Environment: BENCH_SECONDS (per load, default 5), BENCH_CONCURRENCY (default 16),
 * BENCH_RESTARTS (default 3), BENCH_BOOKINGS (per throughput run, default 400),
 * BENCH_NOTIFICATIONS (per provider, default 4000), BENCH_PG_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), BENCH_LIGHTHOUSE=0 to skip Lighthouse, BENCH_PARTS (a
 * comma-separated subset of ceilings,pglite,postgres; default all), BENCH_APP_NODE_ARGS (node's options
 * for the app, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under the load).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.ts';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { consentBody } from '../test/sandbox/google-helpers.ts';
import { freePort, sandboxEnv } from '../test/support/app.ts';
import { Browser } from '../test/support/browser.ts';
import { LIGHTHOUSE_CATEGORIES, lighthouseScores } from './lighthouse.ts';
import { load, median, noopServer, percentile, pgbenchInserts, ROOT, rssKb, runProcess, scratchDatabase, sleep, stopChild, waitReady, type Load } from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);
const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 400);
const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 4000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IDLE_SETTLE_MS = 3000;
const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'ceilings,pglite,postgres').split(','));

/** Every figure of the run, in print order. */
const figures: { name: string; value: number | string; unit: string }[] = [];
function figure(name: string, value: number | string, unit = '') {
  figures.push({ name, value, unit });
  const shown = typeof value === 'number' ? (Number.isInteger(value) || Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)) : value;
  console.log(`${name}: ${shown}${unit ? ` ${unit}` : ''}`);
}
const loadFigures = (name: string, r: Load) => {
  figure(`${name}`, r.rps, 'req/s');
  figure(`${name} p50`, r.p50, 'ms');
  figure(`${name} p99`, r.p99, 'ms');
  if (r.non2xx || r.errors) figure(`${name} non-2xx or errors`, r.non2xx + r.errors, 'responses');
};

const mb = (kb: number) => kb / 1024;

/** The JavaScript the landing page loads before it can draw (its module scripts and their preloads), gzipped. */
async function firstPageJs(base: string): Promise<{ files: number; rawKb: number; gzipKb: number }> {
  const html = await (await fetch(`${base}/`)).text();
  const urls = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  for (const u of urls) {
    const body = Buffer.from(await (await fetch(new URL(u, base))).arrayBuffer());
    raw += body.length;
    gz += gzipSync(body, { level: 9 }).length;
  }
  return { files: urls.length, rawKb: raw / 1024, gzipKb: gz / 1024 };
}

/** The compiled app in a child process, as `npm start` runs it. */
class AppProcess {
  child: ChildProcess | null = null;
  constructor(
    readonly base: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<number> {
    const t = performance.now();
    this.child = spawn(process.execPath, [...APP_NODE_ARGS, join(ROOT, 'dist/main.js')], { cwd: ROOT, env: this.env, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitReady(`${this.base}/readyz`, this.child);
    return performance.now() - t;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = null;
  }
}

/** A person signed in through the emulator's consent page, with a write API key. */
async function signedIn(base: string, sandbox: Sandbox, email: string) {
  const b = new Browser();
  const start = await b.request(`${base}/auth/google/start`);
  const consent = await b.go(start.headers.get('location')!);
  const { action, body } = consentBody(await consent.text(), { typeEmail: email });
  await b.submit(new URL(action, sandbox.url).toString(), body);
  const me = (await b.json(`${base}/api/v1/me`)).body;
  const key = await b.json(`${base}/api/v1/api-keys`, { method: 'POST', headers: { 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ name: 'bench', scope: 'write' }) });
  if (key.status !== 201) throw new Error(`could not create an API key: ${key.status} ${JSON.stringify(key.body)}`);
  return { browser: b, csrfToken: me.csrfToken as string, cookie: `lc_session=${b.cookie(base, 'lc_session')}`, apiKey: key.body.secret as string };
}

interface BookingRun {
  attempted: number;
  paid: number;
  confirmed: number;
  errors: number;
  firstErrors: string[];
  unconfirmed: string[];
  seconds: number;
  sendSeconds: number;
  latenciesMs: number[];
  maxRssKb?: number;
}

/** Paid bookings per second at full speed, then the notification → confirmed latency at half that rate. */
async function bookings(label: string, app: AppProcess, sandbox: Sandbox, apiKey: string) {
  const common = { base: app.base, sandboxUrl: sandbox.url, apiKey, concurrency: CONCURRENCY, settleMs: 120_000 };
  const full = await runProcess<BookingRun>('bookings-driver.ts', { ...common, bookings: BOOKINGS }, app.pid);
  if (full.errors) console.log(`  (${label}: ${full.errors} bookings failed, e.g. ${full.firstErrors[0]})`);
  for (const u of full.unconfirmed) console.log(`  (${label}: not confirmed in time: ${u})`);
  if (full.confirmed === 0) {
    figure(`end to end, ${label}`, "not measured: no booking was confirmed");
    return full.maxRssKb ?? 0;
  }
  const perSecond = full.confirmed / full.seconds;
  figure(`end to end, ${label}: confirmed paid bookings`, perSecond, 'bookings/s');
  figure(`end to end, ${label}: bookings confirmed of those paid`, `${full.confirmed}/${full.paid}`);
  figure(`end to end, ${label}: time to create and pay them all`, full.sendSeconds, 's');
  figure(`end to end, ${label}: notification → confirmed at full speed, p50`, percentile(full.latenciesMs, 50), 'ms');
  figure(`end to end, ${label}: notification → confirmed at full speed, max`, Math.max(...full.latenciesMs), 'ms');
  const rate = Math.max(1, perSecond / 2);
  const half = await runProcess<BookingRun>('bookings-driver.ts', { ...common, rate, seconds: Math.max(SECONDS, 5), bookings: 0 }, app.pid);
  figure(`latency notification → confirmed, ${label}, at ${rate.toFixed(0)} bookings/s: p50`, percentile(half.latenciesMs, 50), 'ms');
  figure(`latency notification → confirmed, ${label}, at ${rate.toFixed(0)} bookings/s: p95`, percentile(half.latenciesMs, 95), 'ms');
  figure(`latency notification → confirmed, ${label}, at ${rate.toFixed(0)} bookings/s: p99`, percentile(half.latenciesMs, 99), 'ms');
  return Math.max(full.maxRssKb ?? 0, half.maxRssKb ?? 0);
}

/** Distinct, validly signed notifications, as the emulators sign them, about orders the app does not know. */
function signedNotifications(sandbox: Sandbox, provider: 'paypal' | 'binance', count: number) {
  const out: { headers: Record<string, string>; body: string }[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    if (provider === 'paypal') {
      const body = JSON.stringify({
        id: `WH-BENCH-${randomUUID()}`,
        event_version: '1.0',
        create_time: new Date(now).toISOString(),
        resource_type: 'capture',
        event_type: 'PAYMENT.CAPTURE.COMPLETED',
        summary: 'Payment completed for $ 1.0 USD',
        // As PayPal sends a capture of an order we created: our payment id (custom_id) and the order id.
        resource: {
          id: randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase(),
          status: 'COMPLETED',
          amount: { currency_code: 'USD', value: '1.00' },
          custom_id: randomUUID(),
          supplementary_data: { related_ids: { order_id: randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase() } },
        },
      });
      const p = sandbox.emulators.paypal;
      out.push({ body, headers: { ...p.signer.sign(body, { certUrl: p.hooks.certUrl(), webhookId: SANDBOX_CREDENTIALS.paypal.webhookId, now, forged: false }) } });
    } else {
      const bizId = String(10n ** 17n + BigInt(i) * 7919n + BigInt(now % 100000));
      const data = JSON.stringify({ merchantTradeNo: `bench${i}`, productType: 'Event booking', productName: 'Event booking fee', tradeType: 'WEB', totalFee: 1, currency: 'USDT', transactTime: now, transactionId: `T${i}`, openUserId: 'bench', commission: 0 });
      const body = `{"bizType":"PAY","bizId":${bizId},"bizIdStr":"${bizId}","bizStatus":"PAY_SUCCESS","data":${JSON.stringify(data)}}`;
      out.push({ body, headers: sandbox.emulators.binance.keys.headers(body, now, false) });
    }
  }
  return out;
}

async function ingest(app: AppProcess, sandbox: Sandbox, provider: 'paypal' | 'binance'): Promise<Load & { sent: number }> {
  const notifications = signedNotifications(sandbox, provider, NOTIFICATIONS);
  return runProcess('notifications-load.ts', { url: app.base, path: `/webhooks/${provider}`, connections: CONCURRENCY, seconds: SECONDS, notifications }, app.pid);
}

// ---------------------------------------------------------------------------------------------

const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const pgVersion = spawnSync('psql', [PG_URL, '-Atc', 'show server_version'], { encoding: 'utf8' }).stdout.trim() || 'unreachable';
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, node ${process.version}, PostgreSQL ${pgVersion}`;
console.log(`\nLeadsCalendar bench: ${machine}`);
console.log(`load from other processes: ${CONCURRENCY} connections, ${SECONDS} s per rate; ${BOOKINGS} bookings per throughput run\n`);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const sandbox = await startSandbox({
  port: 0,
  settings: { paypalWebhookUrl: `${base}/webhooks/paypal`, binanceWebhookUrl: `${base}/webhooks/binance` },
});
const env = {
  PATH: process.env.PATH ?? '',
  HOST: '127.0.0.1',
  PORT: String(port),
  PUBLIC_BASE_URL: base,
  LOG_LEVEL: 'warn',
  API_RATE_LIMIT_PER_MINUTE: '1000000',
  PROVIDER_NOTIFICATION_RATE_LIMIT_PER_MINUTE: '1000000',
  ...sandboxEnv(sandbox),
};
const dataDir = await mkdtemp(join(tmpdir(), 'lc-bench-'));
let app: AppProcess | null = null;
let loadedKb = 0;
try {
  // ── Ceilings ──
  let ceilingInserts: number | string = 'not measured';
  if (PARTS.has('ceilings')) {
  const noop = await noopServer();
  const ceilingHttp = await load(noop.url, { seconds: SECONDS, connections: CONCURRENCY });
  await stopChild(noop.child);
  figure('ceiling: HTTP, Fastify no-op route (own process)', ceilingHttp.rps, 'req/s');
  ceilingInserts = await pgbenchInserts(PG_URL, SECONDS, CONCURRENCY);
  figure(`ceiling: PostgreSQL single-row inserts, jsonb with a unique key (pgbench, ${CONCURRENCY} clients)`, ceilingInserts, typeof ceilingInserts === 'number' ? 'tx/s' : '');
  }

  // ── Embedded PGlite: start, restart, memory, reads and writes, bookings, the web page ──
  if (PARTS.has('pglite')) {
  app = new AppProcess(base, { ...env, DATA_DIR: dataDir });
  figure('first start to ready (fresh data folder, PGlite)', await app.start(), 'ms');
  const restartMs: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await app.stop();
    restartMs.push(await app.start());
  }
  figure(`restart to ready, median of ${RESTARTS} (PGlite)`, median(restartMs), 'ms');
  await sleep(IDLE_SETTLE_MS);
  figure('app RSS idle (PGlite)', mb(rssKb(app.pid)), 'MB');

  const person = await signedIn(base, sandbox, 'bench@example.com');
  const event = JSON.stringify({ title: 'Bench', timeZone: 'Europe/Paris', start: '2032-01-10T09:00', end: '2032-01-10T09:30' });
  for (let i = 0; i < 40; i++)
    await person.browser.json(`${base}/api/v1/events`, { method: 'POST', headers: { 'x-csrf-token': person.csrfToken }, body: event });
  const health = await load(`${base}/healthz`, { seconds: SECONDS, connections: CONCURRENCY, pid: app.pid });
  loadFigures('GET /healthz (PGlite)', health);
  const list = await load(`${base}/api/v1/events`, { seconds: SECONDS, connections: CONCURRENCY, headers: { authorization: `Bearer ${person.apiKey}` }, pid: app.pid });
  loadFigures('GET /api/v1/events, 40+ events (PGlite)', list);
  const writes = await load(`${base}/api/v1/events`, {
    seconds: SECONDS,
    connections: CONCURRENCY,
    method: 'POST',
    headers: { authorization: `Bearer ${person.apiKey}`, 'content-type': 'application/json' },
    body: event,
    pid: app.pid,
  });
  loadFigures('POST /api/v1/events (PGlite)', writes);
  loadedKb = Math.max(health.maxRssKb!, list.maxRssKb!, writes.maxRssKb!, await bookings('PGlite', app, sandbox, person.apiKey));

  const js = await firstPageJs(base);
  figure(`web first page JavaScript, gzipped (${js.files} file${js.files === 1 ? '' : 's'})`, js.gzipKb, 'kB');
  if (process.env.BENCH_LIGHTHOUSE !== '0') {
    await sleep(IDLE_SETTLE_MS);
    for (const [name, url, withCookie] of [
      ['landing page', `${base}/`, false],
      ['dashboard', `${base}/app`, true],
    ] as const) {
      const scores = await lighthouseScores(url, withCookie ? person.cookie : undefined).catch((err: Error) => `not measured (${err.message})`);
      for (const c of LIGHTHOUSE_CATEGORIES) figure(`Lighthouse ${name}, ${c} (default mobile settings)`, typeof scores === 'string' ? scores : scores[c]);
    }
  }
  await app.stop();
  }

  // ── PostgreSQL server: notification ingest, bookings ──
  const scratch = PARTS.has('postgres') ? await scratchDatabase(PG_URL, 'lc_bench_app') : 'not asked for (BENCH_PARTS)';
  if (typeof scratch === 'string') figure('PostgreSQL figures', `not measured (${scratch})`);
  else {
    try {
      app = new AppProcess(base, { ...env, DATA_DIR: await mkdtemp(join(tmpdir(), 'lc-bench-pg-')), DATABASE_URL: scratch.url });
      await app.start();
      const pgPerson = await signedIn(base, sandbox, 'bench-pg@example.com');
      // Bookings first: the ingest below leaves thousands of notifications about unknown orders to process.
      loadedKb = Math.max(loadedKb, await bookings('PostgreSQL', app, sandbox, pgPerson.apiKey));
      for (const provider of NOTIFICATIONS > 0 ? (['paypal', 'binance'] as const) : []) {
        const r = await ingest(app, sandbox, provider);
        const name = `webhook ingest, ${provider === 'paypal' ? 'PayPal' : 'Binance Pay'}: verified and stored before the answer (PostgreSQL)`;
        loadFigures(name, r);
        if (typeof ceilingInserts === 'number') figure(`${name}, ratio to the insert ceiling`, r.rps / ceilingInserts, '');
        loadedKb = Math.max(loadedKb, r.maxRssKb ?? 0);
      }
    } finally {
      await app?.stop();
      await scratch.drop();
    }
  }
  figure('app RSS under load, max of every load above', mb(loadedKb), 'MB');
} finally {
  await app?.stop();
  await sandbox.close();
  await rm(dataDir, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
const file = join(ROOT, 'bench/results', `${date}.json`);
await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), machine, command: 'npm run bench', settings: { SECONDS, CONCURRENCY, RESTARTS, BOOKINGS, NOTIFICATIONS }, figures }, null, 2)}\n`);
console.log(`\nwritten to ${file}`);
