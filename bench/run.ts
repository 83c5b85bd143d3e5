/**
 * `npm run bench`: performance figures, printed, never asserted. Runs the whole product in
 * sandbox mode on this machine (embedded PGlite in a temporary folder, emulators on loopback).
 *
 *   1. cold start: configuration → listening, with a fresh data folder (initdb + migrations)
 *   2. paid → confirmed: from the commit that marks an event paid to the event confirmed on the
 *      (emulated) Google Calendar — the in-process nudge, the job, the Calendar insert
 *   3. API throughput and latency under concurrency: GET /healthz and GET /api/v1/events
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../src/observability/logger.ts';
import { startRuntime } from '../src/runtime.ts';
import { freePort, localConfig } from '../test/support/app.ts';
import { Browser } from '../test/support/browser.ts';
import { consentBody } from '../test/sandbox/google-helpers.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function load(url: string, headers: Record<string, string>) {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const res = await fetch(url, { headers }).catch(() => null);
        if (!res || !res.ok) errors++;
        await res?.arrayBuffer();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { rps: latencies.length / SECONDS, p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), errors };
}

const dataDir = await mkdtemp(join(tmpdir(), 'lc-bench-'));
const port = await freePort();
const config = localConfig(port, dataDir, { LOG_LEVEL: 'silent', JOB_POLL_INTERVAL_SECONDS: '2' });

const t0 = performance.now();
const rt = await startRuntime(config, { log: createLogger('silent') });
const startMs = performance.now() - t0;

try {
  // A signed-in person, through the sandbox's consent page.
  const b = new Browser();
  const start = await b.request(`${rt.url}/auth/google/start`);
  const consent = await b.go(start.headers.get('location')!);
  const { action, body } = consentBody(await consent.text(), { typeEmail: 'bench@example.com' });
  await b.submit(new URL(action, rt.sandbox!.url).toString(), body);
  const me = (await b.json(`${rt.url}/api/v1/me`)).body;

  const ids: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const { event } = await rt.events.create(me.user.id, {
      title: `Bench ${i}`,
      timeZone: 'Europe/Paris',
      allDay: false,
      start: `2032-01-${day}T${String(8 + (i % 10)).padStart(2, '0')}:00`,
      end: `2032-01-${day}T${String(8 + (i % 10)).padStart(2, '0')}:30`,
    });
    ids.push(event.id);
  }

  const confirmMs: number[] = [];
  for (const id of ids) {
    const t = performance.now();
    await rt.db.transaction((tx) => rt.events.markPaid(tx, id, 'bench'));
    for (;;) {
      const [row] = await rt.db.query<{ state: string }>('select state from events where id = $1', [id]);
      if (row!.state === 'confirmed') break;
      await new Promise((r) => setTimeout(r, 2));
    }
    confirmMs.push(performance.now() - t);
  }

  const health = await load(`${rt.url}/healthz`, {});
  const list = await load(`${rt.url}/api/v1/events`, { cookie: `lc_session=${b.cookie(rt.url, 'lc_session')}` });

  console.log(`LeadsCalendar bench (${rt.db.kind}, sandbox providers on loopback, ${process.version})`);
  console.log(`cold start (fresh data folder, initdb + migrations + job queue): ${fmt(startMs)}`);
  console.log(`paid → confirmed on Google Calendar, ${EVENTS} events one after another: p50 ${fmt(pct(confirmMs, 50))}, p95 ${fmt(pct(confirmMs, 95))}, max ${fmt(Math.max(...confirmMs))}`);
  for (const [name, r] of [['GET /healthz', health], ['GET /api/v1/events (session, 40 events)', list]] as const) {
    console.log(`${name}, ${CONCURRENCY} concurrent for ${SECONDS} s: ${r.rps.toFixed(0)} req/s, p50 ${fmt(r.p50)}, p95 ${fmt(r.p95)}, p99 ${fmt(r.p99)}, errors ${r.errors}`);
  }
} finally {
  await rt.close();
  await rm(dataDir, { recursive: true, force: true });
}
