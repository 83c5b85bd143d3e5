/**
 * `npm run bench`: performance figures, printed, never asserted. Everything on loopback.
 *
 * The app runs as `npm start` runs it: compiled (dist/main.js) on plain node, in a child process,
 * embedded PGlite in a fresh temporary folder, its providers from a sandbox in this process. Load
 * comes from autocannon in another process, and each throughput figure is printed beside its
 * ceiling measured in the same run on this machine:
 *   - HTTP: a Fastify server with one no-op route, in a child process of its own;
 *   - durable writes: PostgreSQL's own single-row insert rate (pgbench on the local server).
 *
 * Environment: BENCH_SECONDS (per load, default 5), BENCH_CONCURRENCY (default 16),
 * BENCH_RESTARTS (default 3), BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { startSandbox } from '../sandbox/server.ts';
import { consentBody } from '../test/sandbox/google-helpers.ts';
import { freePort, sandboxEnv } from '../test/support/app.ts';
import { Browser } from '../test/support/browser.ts';
import { LIGHTHOUSE_CATEGORIES, lighthouseScores, type LighthouseScores } from './lighthouse.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IDLE_SETTLE_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Resident set size of one process, from the kernel, in kB. */
function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited (code ${child.exitCode}) before it was ready`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(10);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return done;
}

/** The JavaScript the landing page loads before it can draw (its module scripts and their preloads), raw and gzipped. */
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

interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  maxRssKb?: number;
}

/** autocannon in its own process; while it runs, samples `pid`'s RSS. */
async function load(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; pid?: number } = {}): Promise<Load> {
  const args = [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(CONCURRENCY), '-d', String(SECONDS)];
  if (opts.method) args.push('-m', opts.method);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (opts.body) args.push('-b', opts.body);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  let maxRssKb = 0;
  const sampler = opts.pid === undefined ? null : setInterval(() => (maxRssKb = Math.max(maxRssKb, rssKb(opts.pid!))), 100);
  await new Promise((r) => child.once('exit', r));
  if (sampler) clearInterval(sampler);
  const r = JSON.parse(out);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    ...(opts.pid === undefined ? {} : { maxRssKb }),
  };
}

/** The HTTP ceiling: Fastify with one no-op route, alone in a process. */
async function noopServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const code = `import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: ${port} });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  await waitReady(url, child, 30_000);
  return { url, child };
}

/** PostgreSQL's own single-row insert rate, with as many clients as the app's load has. */
async function pgbenchInserts(): Promise<number | string> {
  if (spawnSync('pgbench', ['--version']).status !== 0) return 'pgbench not found';
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (err) {
    return `PostgreSQL unreachable at ${PG_URL} (${(err as Error).message})`;
  }
  const db = `lc_bench_${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'lc-pgbench-'));
  try {
    await admin.query(`create database ${db}`);
    const url = new URL(PG_URL);
    url.pathname = `/${db}`;
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    await c.query('create table rows (id bigserial primary key, title text not null, created_at timestamptz not null default now())');
    await c.end();
    const script = join(dir, 'insert.sql');
    await writeFile(script, "insert into rows (title) values ('bench');\n");
    const res = spawnSync('pgbench', ['-n', '-c', String(CONCURRENCY), '-j', '2', '-T', String(SECONDS), '-f', script, url.toString()], { encoding: 'utf8' });
    const m = /tps = ([\d.]+)/.exec(res.stdout);
    return m ? Number(m[1]) : `pgbench failed: ${res.stderr.trim()}`;
  } finally {
    await admin.query(`drop database if exists ${db}`).catch(() => {});
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const dataDir = await mkdtemp(join(tmpdir(), 'lc-bench-'));
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
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  ...sandboxEnv(sandbox),
};
const startApp = () => spawn(process.execPath, [join(ROOT, 'dist/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });

let app: ChildProcess | null = null;
try {
  // First start: a fresh data folder (initdb in its own process, migrations).
  let t = performance.now();
  app = startApp();
  await waitReady(`${base}/readyz`, app);
  const firstStartMs = performance.now() - t;
  await sleep(IDLE_SETTLE_MS);
  const firstIdleKb = rssKb(app.pid!);

  const restartMs: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await stopChild(app);
    t = performance.now();
    app = startApp();
    await waitReady(`${base}/readyz`, app);
    restartMs.push(performance.now() - t);
  }
  await sleep(IDLE_SETTLE_MS);
  const idleKb = rssKb(app.pid!);

  // A signed-in person with a few events, through the sandbox's consent page.
  const b = new Browser();
  const start = await b.request(`${base}/auth/google/start`);
  const consent = await b.go(start.headers.get('location')!);
  const { action, body } = consentBody(await consent.text(), { typeEmail: 'bench@example.com' });
  await b.submit(new URL(action, sandbox.url).toString(), body);
  const me = (await b.json(`${base}/api/v1/me`)).body;
  const cookie = `lc_session=${b.cookie(base, 'lc_session')}`;
  const event = JSON.stringify({ title: 'Bench', timeZone: 'Europe/Paris', start: '2032-01-10T09:00', end: '2032-01-10T09:30' });
  for (let i = 0; i < 40; i++)
    await b.json(`${base}/api/v1/events`, { method: 'POST', headers: { 'x-csrf-token': me.csrfToken }, body: event });

  const noop = await noopServer();
  const ceilingHttp = await load(noop.url);
  await stopChild(noop.child);
  const health = await load(`${base}/healthz`, { pid: app.pid! });
  const list = await load(`${base}/api/v1/events`, { headers: { cookie }, pid: app.pid! });
  const writes = await load(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': me.csrfToken, 'content-type': 'application/json' },
    body: event,
    pid: app.pid!,
  });
  const ceilingWrites = await pgbenchInserts();
  const js = await firstPageJs(base);
  // After the load, with the app idle again: Lighthouse times the page's own work.
  await sleep(IDLE_SETTLE_MS);
  const lighthouse: Array<[string, LighthouseScores | string]> = [];
  for (const [name, url, withCookie] of [
    ['landing page (signed out)', `${base}/`, false],
    ['dashboard (signed in)', `${base}/app`, true],
  ] as const)
    lighthouse.push([name, await lighthouseScores(url, withCookie ? cookie : undefined).catch((err: Error) => `not measured (${err.message})`)]);
  await sleep(IDLE_SETTLE_MS);
  const afterKb = rssKb(app.pid!);
  const loadedKb = Math.max(health.maxRssKb!, list.maxRssKb!, writes.maxRssKb!);

  const line = (name: string, r: Load) =>
    `${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors}` : ''}`;
  const ratio = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} % of the ceiling`;
  console.log(`\nLeadsCalendar bench: compiled app on node ${process.version}, embedded PGlite, providers emulated on loopback`);
  console.log(`load: autocannon in its own process, ${CONCURRENCY} connections, ${SECONDS} s each\n`);
  console.log(`first start (fresh data folder) to /readyz: ${firstStartMs.toFixed(0)} ms; idle RSS after it: ${mb(firstIdleKb)}`);
  console.log(`restart to /readyz, median of ${RESTARTS}: ${median(restartMs).toFixed(0)} ms (${restartMs.map((m) => m.toFixed(0)).join(', ')})`);
  console.log(`app process RSS: idle ${mb(idleKb)}, under load (max) ${mb(loadedKb)}, idle after load ${mb(afterKb)}`);
  console.log(`web first page JavaScript: ${js.gzipKb.toFixed(1)} kB gzipped (${js.rawKb.toFixed(1)} kB raw, ${js.files} file${js.files === 1 ? '' : 's'})`);
  for (const [name, scores] of lighthouse)
    console.log(
      `Lighthouse ${name}, default mobile settings: ${typeof scores === 'string' ? scores : LIGHTHOUSE_CATEGORIES.map((c) => `${c} ${scores[c].toFixed(2)}`).join(', ')}`,
    );
  console.log('');
  console.log(line('HTTP ceiling, Fastify no-op route (own process)', ceilingHttp));
  console.log(`${line('GET /healthz', health)}  → ${ratio(health.rps, ceilingHttp.rps)}`);
  console.log(`${line('GET /api/v1/events (session, 40+ events)', list)}  → ${ratio(list.rps, ceilingHttp.rps)}`);
  if (typeof ceilingWrites === 'number') {
    console.log(`durable-write ceiling, PostgreSQL server single-row inserts (pgbench, ${CONCURRENCY} clients): ${ceilingWrites.toFixed(0)} tx/s`);
    console.log(`${line('POST /api/v1/events (event + transition + free/busy check)', writes)}  → ${ratio(writes.rps, ceilingWrites)}`);
  } else {
    console.log(`durable-write ceiling: not measured (${ceilingWrites})`);
    console.log(line('POST /api/v1/events (event + transition + free/busy check)', writes));
  }
} finally {
  if (app) await stopChild(app);
  await sandbox.close();
  await rm(dataDir, { recursive: true, force: true });
}
