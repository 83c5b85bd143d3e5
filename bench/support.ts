/** What every bench step shares: processes, readiness, autocannon in its own process, the ceilings. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../test/support/app.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const median = (xs: number[]) => percentile(xs, 50);

/** The nearest-rank percentile. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Resident set size of one process, from the kernel, in kB. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

export async function waitReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited (code ${child.exitCode}) before ${url} was ready`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(10);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return done;
}

/** Runs a script of bench/ in its own process (tsx), passing `input` as JSON; resolves with the JSON it prints. */
export async function runProcess<T>(script: string, input: unknown, samplePid?: number): Promise<T & { maxRssKb?: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.end(JSON.stringify(input));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  let maxRssKb = 0;
  const sampler = samplePid === undefined ? null : setInterval(() => (maxRssKb = Math.max(maxRssKb, rssKb(samplePid))), 100);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (sampler) clearInterval(sampler);
  if (code !== 0) throw new Error(`bench/${script} exited with ${code}`);
  return { ...(JSON.parse(out) as T), ...(samplePid === undefined ? {} : { maxRssKb }) };
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  maxRssKb?: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  pid?: number;
}

/** autocannon (its command line) in its own process; while it runs, samples `pid`'s RSS. */
export async function load(url: string, opts: LoadOptions): Promise<Load> {
  const args = [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(opts.connections), '-d', String(opts.seconds)];
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
  return { ...fromAutocannon(JSON.parse(out)), ...(opts.pid === undefined ? {} : { maxRssKb }) };
}

export function fromAutocannon(r: { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number }): Load {
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

/** The HTTP ceiling: Fastify with one no-op route, alone in a process. */
export async function noopServer(): Promise<{ url: string; child: ChildProcess }> {
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

/** A fresh database on the PostgreSQL server, dropped by `drop()`. */
export async function scratchDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> } | string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (err) {
    return `PostgreSQL unreachable at ${serverUrl} (${(err as Error).message})`;
  }
  const db = `${name}_${process.pid}`;
  await admin.query(`drop database if exists ${db}`);
  await admin.query(`create database ${db}`);
  const url = new URL(serverUrl);
  url.pathname = `/${db}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${db} with (force)`).catch(() => {});
      await admin.end();
    },
  };
}

/**
 * PostgreSQL's own rate of durable single-row inserts into a jsonb table with a unique key
 * (pgbench, a custom script, as many clients as the app's load has): the ceiling the webhook inbox
 * is measured against.
 */
export async function pgbenchInserts(serverUrl: string, seconds: number, clients: number): Promise<number | string> {
  if (spawnSync('pgbench', ['--version']).status !== 0) return 'pgbench not found';
  const scratch = await scratchDatabase(serverUrl, 'lc_bench_pgbench');
  if (typeof scratch === 'string') return scratch;
  const dir = await mkdtemp(join(tmpdir(), 'lc-pgbench-'));
  try {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    await c.query('create table inbox (id bigserial primary key, key text not null unique, body jsonb not null, received_at timestamptz not null default now())');
    await c.end();
    const script = join(dir, 'insert.sql');
    // A key unique per client and transaction, a body the size of a provider notification.
    await writeFile(
      script,
      `\\set n random(1, 1000000000)
insert into inbox (key, body) values (:client_id || '-' || :n || '-' || txid_current(), '{"id":"WH-BENCH","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"5O190127TN364715T","status":"COMPLETED","amount":{"currency_code":"USD","value":"1.00"}}}');\n`,
    );
    const res = spawnSync('pgbench', ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, scratch.url], { encoding: 'utf8' });
    const m = /tps = ([\d.]+)/.exec(res.stdout);
    return m ? Number(m[1]) : `pgbench failed: ${res.stderr.trim()}`;
  } finally {
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
