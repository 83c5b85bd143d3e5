import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queryable } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { consentBody } from '../sandbox/google-helpers.ts';
import { freePort, sandboxEnv } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from '../support/db.ts';
import { startMain, type Started } from '../support/process.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait.ts';

export { liveGoogleEvents } from '../support/invariants.ts';

/**
 * The app as a real child process that can be SIGKILLed and started again, beside a sandbox that
 * lives in the test process (so the providers, and what they already did, survive the app's death).
 * Its database is a PostgreSQL database of its own, or the embedded PGlite in its DATA_DIR; the
 * PGlite one is only opened by the test while the app is dead (one process at a time).
 */

export type ProviderId = 'paypal' | 'binance';

export interface Lifecycle {
  kind: DbKind;
  base: string;
  sandbox: Sandbox;
  browser: Browser;
  csrf: string;
  /** SIGKILLs the app, runs `inspect` on its database while it is dead, back-dates active jobs, starts it again. */
  crashAndRestart<T>(inspect?: (db: Queryable) => Promise<T>, opts?: { dropWebhooks?: boolean }): Promise<T | undefined>;
  close(): Promise<void>;
}

export async function startLifecycle(kind: DbKind): Promise<Lifecycle> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const sandbox = await withSandbox({ settings: { paypalWebhookUrl: `${base}/webhooks/paypal`, binanceWebhookUrl: `${base}/webhooks/binance` } });
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-lifecycle-'));
  let db: TestDatabase | undefined;
  if (kind === 'postgres') db = await createTestDatabase('postgres', { migrated: false });
  const env: Record<string, string> = {
    ...(db ? { DATABASE_URL: db.url! } : {}),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: base,
    ...sandboxEnv(sandbox),
    DATA_DIR: dataDir,
    JOB_POLL_INTERVAL_SECONDS: '0.5',
    JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
    PAYMENT_RECONCILE_AFTER_SECONDS: '1',
    PAYMENT_RECONCILE_INTERVAL_SECONDS: '0.5',
    LOG_LEVEL: 'warn',
  };
  let app: Started = startMain(env);
  const ready = async () => {
    await waitFor('the app to be ready', () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 60_000, 100).catch((err) => {
      throw new Error(`${err.message}\n${app.stderr.join('')}\n${app.stdout.slice(-20).join('\n')}`);
    });
  };
  const cleanup = async () => {
    app.child.kill('SIGKILL');
    await app.exited;
    await sandbox.close();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await ready();
    const browser = new Browser();
    const start = await browser.request(`${base}/auth/google/start`);
    const consent = await browser.go(start.headers.get('location')!);
    const { action, body } = consentBody(await consent.text(), { typeEmail: `lifecycle-${kind}@example.com` });
    await browser.submit(new URL(action, sandbox.url).toString(), body);
    const me = (await browser.json(`${base}/api/v1/me`)).body;
    assert.ok(me.csrfToken, JSON.stringify(me));
    return {
      kind,
      base,
      sandbox,
      browser,
      csrf: me.csrfToken,
      async crashAndRestart<T>(inspect?: (q: Queryable) => Promise<T>, opts: { dropWebhooks?: boolean } = {}) {
        app.child.kill('SIGKILL');
        assert.equal(await app.exited, null, 'killed, not exited');
        // The providers keep no slow answers for the next life: what is in flight died with the process.
        await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'DELETE' });
        // Without the providers' word, the restarted app must ask again itself (same idempotency key).
        if (opts.dropWebhooks) for (const provider of ['paypal', 'binance']) await addFault(sandbox, { provider, operation: '*', fault: 'webhook_drop', count: null });
        const work = async (q: Queryable) => {
          const seen = inspect ? await inspect(q) : undefined;
          // A job whose worker died is retried once it expires (120 s for these queues): move time, do not wait.
          await q.query(`update pgboss.job set started_on = now() - interval '1 hour' where state = 'active'`);
          return seen;
        };
        let seen: T | undefined;
        if (db) seen = await work(db.db);
        else {
          const local = await openPglite({ dataDir: join(dataDir, 'pglite') });
          try {
            seen = await work(local);
          } finally {
            await local.close();
          }
        }
        app = startMain(env);
        await ready();
        return seen;
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

// ── The payer and the API ─────────────────────────────────────────────────────────────────────────

export async function api(lc: Lifecycle, path: string, init: { method?: string; body?: unknown } = {}) {
  return lc.browser.json(`${lc.base}${path}`, {
    method: init.method ?? 'GET',
    headers: init.method && init.method !== 'GET' ? { 'x-csrf-token': lc.csrf } : {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

let day = 0;
/** A new event and a payment started for it; each on its own day so that none overlaps. */
export async function book(lc: Lifecycle, provider: ProviderId, title: string) {
  const d = String(1 + (day++ % 28)).padStart(2, '0');
  const created = await api(lc, '/api/v1/events', { method: 'POST', body: { title, timeZone: 'UTC', start: `2031-09-${d}T09:00`, end: `2031-09-${d}T10:00` } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const eventId: string = created.body.event.id;
  const payment = await api(lc, `/api/v1/events/${eventId}/payments`, { method: 'POST', body: { provider } });
  assert.equal(payment.status, 201, JSON.stringify(payment.body));
  return { eventId, paymentId: payment.body.id as string, orderId: payment.body.providerReference.orderId as string };
}

/** The payer approves at PayPal or pays at Binance; the provider's webhook (not a browser return) tells the app. */
export async function payerPays(lc: Lifecycle, provider: ProviderId, orderId: string) {
  const url = provider === 'paypal' ? `${lc.sandbox.url}/__sandbox/paypal/orders/${orderId}/approve` : `${lc.sandbox.url}/__sandbox/binance/orders/${orderId}/pay`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: provider === 'paypal' ? '{"funding":"ok"}' : '{}' });
  assert.equal(res.status, 200, await res.text());
}

export async function slow(lc: Lifecycle, provider: 'google' | ProviderId, operation: string, ms = 4000) {
  // Only what fires from now on counts as "in flight" (see inFlight).
  lc.sandbox.ctx.faults.fired.length = 0;
  await addFault(lc.sandbox, { provider, operation, fault: 'latency', ms, count: null });
}

/** Waits until the provider has received (and is sitting on) a request for `operation`. */
export async function inFlight(lc: Lifecycle, operation: string) {
  await waitFor(`a ${operation} request at the provider`, () => lc.sandbox.ctx.faults.fired.some((f) => f.operation === operation), 30_000);
}

export async function eventOf(lc: Lifecycle, eventId: string) {
  return (await api(lc, `/api/v1/events/${eventId}`)).body;
}

export async function paymentOf(lc: Lifecycle, paymentId: string) {
  return (await api(lc, `/api/v1/payments/${paymentId}`)).body;
}

export async function waitForEventState(lc: Lifecycle, eventId: string, state: string, timeoutMs = 45_000) {
  return waitFor(`event ${eventId} to be ${state}`, async () => {
    const e = await eventOf(lc, eventId);
    return e.state === state ? e : null;
  }, timeoutMs, 100).catch(async (err) => {
    throw new Error(`${err.message}; event: ${JSON.stringify(await eventOf(lc, eventId))}`);
  });
}

export async function waitForPaymentStatus(lc: Lifecycle, paymentId: string, status: string, timeoutMs = 45_000) {
  return waitFor(`payment ${paymentId} to be ${status}`, async () => {
    const p = await paymentOf(lc, paymentId);
    return p.status === status ? p : null;
  }, timeoutMs, 100).catch(async (err) => {
    throw new Error(`${err.message}; payment: ${JSON.stringify(await paymentOf(lc, paymentId))}`);
  });
}

// ── What the providers hold (the sandbox's state: the truth outside the app) ─────────────────────

/** Captures and refunds the provider made for one order. */
export function moneyAtProvider(lc: { sandbox: Sandbox }, provider: ProviderId, orderId: string): { captures: number; refunds: number } {
  if (provider === 'paypal') {
    const s = lc.sandbox.emulators.paypal.snapshot() as { captures: any[]; refunds: any[] };
    const captures = s.captures.filter((c) => c.supplementary_data?.related_ids?.order_id === orderId);
    const ids = new Set(captures.map((c) => c.id));
    const refunds = s.refunds.filter((r) => (r.links ?? []).some((l: { rel: string; href: string }) => l.rel === 'up' && ids.has(l.href.split('/').pop()!)));
    return { captures: captures.length, refunds: refunds.length };
  }
  const s = lc.sandbox.emulators.binance.snapshot() as { orders: any[]; refunds: any[] };
  const order = s.orders.find((o) => o.prepayId === orderId);
  const paid = order && ['PAID', 'REFUNDING', 'REFUNDED', 'FULL_REFUNDED'].includes(order.status) ? 1 : 0;
  return { captures: paid, refunds: s.refunds.filter((r) => r.prepayId === orderId && r.status !== 'REFUND_FAIL').length };
}
