import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../../src/db/database.ts';
import { seededRandom } from '../../sandbox/faults.ts';
import type { TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { invariantViolations, pendingWork, TIMERS, type ProviderId } from '../support/invariants.ts';
import { startCluster, type AppProcess, type Cluster } from './cluster.ts';
import { SdkApi, SessionApi, type BookingApi } from './integrator.ts';
import { startReceiver } from './receiver.ts';

/**
 * The chaos run (docs/testing.md#chaos): N paid bookings through the public API (mostly by
 * integrators, with the SDK and an API key; every fifth person by the dashboard's session) and the
 * emulators' payer side, on two app processes and one PostgreSQL database, with provider faults on for the
 * whole run and the processes SIGKILLed and restarted at random; then, once the jobs and the
 * reconciler are done, DESIGN.md §1's invariants on the database and the emulators' own state, and
 * every outgoing webhook delivered. Every random choice comes from one seed.
 */

export interface ChaosOptions {
  bookings: number;
  seed: number;
  /** Bookings in flight at once. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  bookings: number;
  seconds: number;
  outcomes: Record<string, number>;
  plans: Record<string, number>;
  faults: Record<string, number>;
  kills: string[];
  revoked: number;
  /** Of those, how many the app had marked "needs reconnect" before they reconnected. */
  revokedNoticed: number;
  jobRetries: number;
  /** Events or payments created a second time by a request run again after its instance was killed holding its key. */
  rerunAfterKill: number;
  webhookAttempts: { events: number; failedAttempts: number };
  /** People booking with the SDK and an API key, and with a browser session. */
  people: { sdk: number; session: number };
  /** What the run's webhook receiver got: deliveries, distinct events verified, deliveries refused for their signature. */
  received: { deliveries: number; verified: number; badSignatures: number };
  violations: string[];
}

/** Every fifth person, from the second, books through the dashboard's session; the others are integrators. */
const onSession = (person: number) => person % 5 === 1;

type Plan = 'webhook' | 'return' | 'refund' | 'declined' | 'abandoned';
const PLANS: [Plan, number][] = [['webhook', 0.45], ['return', 0.25], ['refund', 0.12], ['declined', 0.1], ['abandoned', 0.08]];

/** The faults switched on for the whole run (probability per matching call). */
function runFaults(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const provider of ['google', 'paypal', 'binance']) {
    out.push({ provider, fault: 'http_error', status: 500, probability: 0.025 });
    out.push({ provider, fault: 'http_error', status: 503, probability: 0.025 });
    out.push({ provider, fault: 'http_error', status: 429, retryAfterSeconds: 1, probability: 0.05 });
    out.push({ provider, fault: 'timeout', probability: 0.02 });
  }
  for (const provider of ['paypal', 'binance']) {
    out.push({ provider, fault: 'webhook_duplicate', copies: 1, probability: 0.2 });
    out.push({ provider, fault: 'webhook_reorder', probability: 0.1 });
    out.push({ provider, fault: 'webhook_drop', probability: 0.05 });
    out.push({ provider, fault: 'webhook_forge', probability: 0.01 });
  }
  return out.map((f) => ({ operation: '*', count: null, ...f }));
}

/**
 * A signed-in person (the browser session: sign-in, Google reconnects, payers' returns) and the way
 * they book (`api`: the SDK with an API key of theirs, or that session). Every call goes through
 * the proxy to whichever instance is alive.
 */
class Person {
  csrf = '';
  api: BookingApi = new SessionApi((method, path, body, tries) => this.call(method, path, body, undefined, tries));
  #signingIn: Promise<void> | null = null;
  constructor(
    readonly email: string,
    readonly browser: Browser,
    private readonly base: string,
    private readonly signInAgain: (p: Person) => Promise<void>,
  ) {}

  /** A lost session (401): the person signs in again, once for all their calls waiting on it. */
  reauth(): Promise<void> {
    this.#signingIn ??= this.signInAgain(this).finally(() => {
      this.csrf = '';
      this.#signingIn = null;
    });
    return this.#signingIn;
  }

  /**
   * An API call repeated the way a careful client repeats it: on a lost connection, 429 or 5xx,
   * with the same Idempotency-Key for a POST, so that a repeat never does the thing twice.
   */
  async call(method: string, path: string, body?: unknown, within = 90_000, tries: string[] = []): Promise<{ status: number; body: any }> {
    let key = randomUUID();
    const deadline = Date.now() + within;
    const lockDeadline = Date.now() + 150_000;
    for (;;) {
      try {
        if (!this.csrf && method !== 'GET') await this.refreshCsrf();
        const res = await this.browser.json(`${this.base}${path}`, {
          method,
          signal: AbortSignal.timeout(30_000),
          headers: { accept: 'application/json', ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrf, 'idempotency-key': key }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const code = (res.body as any)?.code;
        const inUse = res.status === 409 && code === 'idempotency_key_in_use';
        // A key held by a killed instance stays locked for 2 minutes (src/http/idempotency.ts): wait that out.
        if (Date.now() > (inUse ? lockDeadline : deadline)) return res;
        // An answer from the app is final for its key (a repeat would replay it): the next try is a new
        // request. Only when no instance answered (the proxy's 502) may the first one have run unseen.
        const fromApp = !(res.status === 502 && /chaos proxy/.test(String((res.body as any)?.detail)));
        if (fromApp && !inUse) key = randomUUID();
        if (res.status === 401) await this.reauth();
        else if (res.status === 403 && method !== 'GET' && /csrf/.test(String(code))) this.csrf = '';
        else if (!inUse && ![429, 500, 502, 503, 504].includes(res.status)) return res;
        tries.push(`${res.status} ${fromApp ? (code ?? '') : 'proxy'}${res.headers.get('idempotent-replayed') === 'true' ? ' replayed' : ''}${fromApp && !inUse ? ', new key' : ''}`);
        await sleep(Number(res.headers.get('retry-after') ?? 0) * 1000 + 300);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        tries.push(`no answer (${(err as Error).name})`);
        await sleep(300);
      }
    }
  }

  async refreshCsrf() {
    const me = await this.browser.json(`${this.base}/api/v1/me`);
    if (me.status !== 200) throw new Error(`/api/v1/me answered ${me.status}`);
    this.csrf = me.body.csrfToken;
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const rng = seededRandom(o.seed);
  const pick = <T>(xs: [T, number][]) => {
    let r = rng();
    for (const [x, w] of xs) if ((r -= w) < 0) return x;
    return xs[xs.length - 1]![0];
  };
  const N = o.bookings;
  // Every choice drawn up front, in order: the same seed gives the same plans, users and kills.
  const plans = Array.from({ length: N }, () => ({ plan: pick(PLANS), provider: (rng() < 0.5 ? 'paypal' : 'binance') as ProviderId }));
  const userCount = Math.min(20, Math.max(3, Math.ceil(N / 25)));
  const revokedCount = Math.min(3, Math.max(1, Math.round(N / 200)));
  const killCount = Math.max(5, Math.round(N / 100));
  const kills = Array.from({ length: killCount }, () => ({ at: Math.floor(N * (0.1 + 0.75 * rng())), app: rng() < 0.5 ? 0 : 1, delayMs: Math.floor(rng() * 1500), downMs: 300 + Math.floor(rng() * 2500) })).sort((a, b) => a.at - b.at);
  const receiverFailures = Array.from({ length: 4096 }, () => rng() < 0.05);

  // The outgoing webhooks' receiver: it verifies each delivery's signature, keeps what it got, and now and then fails (the app retries).
  const receiver = await startReceiver(receiverFailures);

  const cluster = await startCluster({
    seed: o.seed,
    log,
    env: {
      JOB_POLL_INTERVAL_SECONDS: '0.5',
      JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
      PAYMENT_RECONCILE_AFTER_SECONDS: '3',
      PAYMENT_RECONCILE_INTERVAL_SECONDS: '1',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      PROVIDER_NOTIFICATION_RATE_LIMIT_PER_MINUTE: '1000000',
      WEBHOOK_RETRY_BASE_SECONDS: '0.5',
      WEBHOOK_RETRY_MAX_DELAY_SECONDS: '5',
      WEBHOOK_TIMEOUT_MS: '5000',
    },
  }).catch(async (err) => {
    await receiver.close();
    throw err;
  });
  const killLog: string[] = [];
  const people: Person[] = [];
  try {
    const app = { url: cluster.url, runtime: { sandbox: cluster.sandbox } } as unknown as TestApp;
    log(`cluster up: proxy ${cluster.url}, instances ${cluster.apps.map((a) => `${a.name}:${a.port}`).join(' ')}, sandbox ${cluster.sandbox.url}`);

    // People sign in, integrators create an API key (once, in the dashboard, as an integrator
    // does), and each registers a webhook endpoint, before the faults start.
    for (let i = 0; i < userCount; i++) {
      const email = `chaos-${o.seed}-${i}@example.com`;
      const { browser } = await signIn(app, { email });
      const p = new Person(email, browser, cluster.url, (x) => signInUntilDone(app, x, '/auth/google/start'));
      if (!onSession(i)) {
        const key = await p.call('POST', '/api/v1/api-keys', { name: 'chaos integrator', scope: 'write' });
        if (key.status !== 201) throw new Error(`API key: ${key.status} ${JSON.stringify(key.body)}`);
        p.api = new SdkApi(cluster.url, key.body.secret);
      }
      people.push(p);
      const ep = await p.api.addWebhookEndpoint(receiver.url(String(i)));
      if (!ep.ok) throw new Error(`webhook endpoint: ${ep.status} ${ep.code} ${ep.detail}`);
      receiver.setSecret(String(i), ep.body.secret);
    }
    const revoked = people.slice(0, revokedCount);

    for (const f of runFaults()) {
      const res = await fetch(`${cluster.sandbox.url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
      if (res.status !== 201) throw new Error(`fault refused: ${await res.text()}`);
    }
    const bySession = people.filter((p) => p.api.via === 'session').length;
    log(`faults on; ${N} bookings, ${userCount} people (${userCount - bySession} with the SDK and an API key, ${bySession} with a session; ${revokedCount} revoked mid-run), ${killCount} kills planned`);

    // The killer: each planned kill fires once that many bookings have started, after its delay.
    let startedCount = 0;
    let killing: Promise<void> = Promise.resolve();
    let nextKill = 0;
    const killNow = (k: (typeof kills)[number]) => {
      killing = killing.then(async () => {
        await sleep(k.delayMs);
        const target: AppProcess = cluster.apps[k.app]!;
        const other = cluster.apps[1 - k.app]!;
        // One instance stays up (the load balancer has somewhere to send people).
        while (!other.up) await sleep(100);
        const t = Date.now();
        await cluster.killAndRestart(target, k.downMs);
        killLog.push(`${target.name} at booking ${startedCount}, down ${((Date.now() - t) / 1000).toFixed(1)} s`);
        log(`kill -9 instance ${target.name} (booking ${startedCount}); back after ${((Date.now() - t) / 1000).toFixed(1)} s`);
      });
    };
    const onStarted = () => {
      startedCount++;
      while (nextKill < kills.length && kills[nextKill]!.at <= startedCount) killNow(kills[nextKill++]!);
    };

    // Google grants revoked at 30 % of the bookings (each revoked person's first booking from then,
    // after its payment started and before the payer pays: the calendar insert then finds the grant
    // gone), reconnected at 60 %.
    let revokeStep: Promise<void> = Promise.resolve();
    const revokeAt = Math.floor(N * 0.3);
    const reconnectAt = Math.floor(N * 0.6);
    const revokedNow = new Set<Person>();
    const revokeIfDue = async (p: Person, i: number) => {
      if (i < revokeAt || i >= reconnectAt || !revoked.includes(p) || revokedNow.has(p) || !['webhook', 'return', 'refund'].includes(plans[i]!.plan)) return;
      revokedNow.add(p);
      const r = await fetch(`${cluster.sandbox.url}/__sandbox/google/users/${encodeURIComponent(p.email)}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await r.json()) as { revoked?: number };
      if (r.status !== 200 || !body.revoked) throw new Error(`revoke: ${r.status} ${JSON.stringify(body)}`);
      log(`revoked the Google grant of ${p.email} (booking ${i}, ${body.revoked} grant)`);
    };
    const grants = (i: number) => {
      if (i === reconnectAt) revokeStep = revokeStep.then(() => Promise.all([...revokedNow].map((p) => reconnect(p))).then(() => log(`${revokedNow.size} people reconnected`)));
    };
    let noticed = 0;
    const reconnected = new Set<Person>();
    const reconnectedDone = new Set<Person>();
    const reconnect = async (p: Person) => {
      if (reconnected.has(p)) return;
      reconnected.add(p);
      // The app learns of the revocation when it next calls Google for this person (up to a minute here).
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const me = await p.browser.json(`${cluster.url}/api/v1/me`).catch(() => null);
        if (me?.status === 200 && me.body.google?.status === 'needs_reconnect') {
          noticed++;
          log(`the app shows ${p.email} needs to reconnect`);
          break;
        }
        await sleep(500);
      }
      await signInUntilDone(app, p, '/auth/google/start?consent=1');
      reconnectedDone.add(p);
    };

    const eventIds: (string | null)[] = new Array(N).fill(null);
    /** What each booking's calls got before their last answer, to explain a booking done twice. */
    const traces: string[][] = Array.from({ length: N }, () => []);
    const paymentIds = new Set<string>();
    const notCreated: Record<string, number> = {};
    /**
     * A booking the API refused. An integrator's 401 while the person's Google grant is revoked is
     * the app's answer until they reconnect (a session signs in again, which reconnects); any
     * other 401 means the API key stopped working: a violation.
     */
    const refused = (what: string, p: Person, r: { status: number; code: string | undefined; detail: string | undefined }, reconnectedBefore: boolean) => {
      const grantGone = revokedNow.has(p) && !reconnectedBefore;
      if (r.status === 401 && !grantGone) driverErrors.push(`${what} refused 401 for ${p.email} (${p.api.via}), grant not revoked: ${r.detail}`);
      const why = `${what} refused ${r.status} ${r.code ?? ''}${r.status === 401 && grantGone ? ', Google grant revoked' : ''} (${p.api.via})`;
      notCreated[why] = (notCreated[why] ?? 0) + 1;
    };
    const driverErrors: string[] = [];
    const one = async (i: number) => {
      const { plan, provider } = plans[i]!;
      const p = people[i % people.length]!;
      onStarted();
      grants(i);
      const day = new Date(Date.UTC(2034, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const reconnectedBefore = reconnectedDone.has(p);
      const created = await p.api.createEvent({ title: `chaos ${i} ${plan} ${provider}`, timeZone: 'UTC', start: `${day}T09:00`, end: `${day}T10:00` });
      traces[i]!.push(`create event (${p.api.via}): ${[...created.tries, created.ok ? 'created' : `${created.status} ${created.code}`].join(' → ')}`);
      if (!created.ok) {
        refused('event', p, created, reconnectedBefore);
        return;
      }
      const eventId = created.body.event.id;
      eventIds[i] = eventId;
      const payment = await p.api.startPayment(eventId, provider);
      traces[i]!.push(`start payment: ${[...payment.tries, payment.ok ? 'started' : `${payment.status} ${payment.code}`].join(' → ')}`);
      if (!payment.ok) {
        refused('payment', p, payment, reconnectedBefore);
        return;
      }
      const paymentId = payment.body.id;
      paymentIds.add(paymentId);
      const orderId = (payment.body.providerReference as { orderId?: string } | null)?.orderId;
      if (!orderId) throw new Error(`payment ${paymentId} has no provider order: ${JSON.stringify(payment.body.providerReference)}`);
      await revokeIfDue(p, i);
      if (plan === 'abandoned') return;
      await payerActs(cluster, provider, orderId, plan === 'declined');
      if (plan === 'return') {
        const url = new URL(`${cluster.url}/payments/${provider}/return`);
        url.searchParams.set('payment', paymentId);
        if (provider === 'paypal') {
          url.searchParams.set('token', orderId);
          url.searchParams.set('PayerID', 'SANDBOXPAYER1');
        }
        for (let t = 0; t < 20; t++) {
          const r = await p.browser.request(url.toString()).catch(() => null);
          await r?.text();
          if (r && r.status < 500) break;
          await sleep(500);
        }
      }
      if (plan === 'refund') {
        const deadline = Date.now() + 180_000;
        for (;;) {
          const e = await p.api.event(eventId);
          const state = e.ok ? e.body.state : undefined;
          if (state === 'confirmed') break;
          if (Date.now() > deadline || ['cancelled', 'failed', 'expired'].includes(state ?? '')) return;
          await sleep(1000);
        }
        const r = await p.api.refund(paymentId);
        if (!r.ok) driverErrors.push(`refund of ${paymentId} (${p.api.via}): ${r.status} ${r.code} ${r.detail}`);
      }
    };
    const sweeper = setInterval(() => void expireOrphans(cluster.db.db).catch(() => {}), 2000);
    await pool(N, o.concurrency ?? 6, async (i) => {
      try {
        await one(i);
      } catch (err) {
        driverErrors.push(`booking ${i}: ${(err as Error).message}`);
      }
      if ((i + 1) % 25 === 0) log(`${i + 1}/${N} bookings driven`);
    });
    await revokeStep;
    // Revoked after the reconnect step ran (a slow booking): they reconnect now.
    for (const p of revokedNow) await reconnect(p);
    clearInterval(sweeper);
    // Kills not reached yet (a short run) still happen, now: at least five in every run.
    while (nextKill < kills.length) killNow(kills[nextKill++]!);
    await killing;
    log(`bookings driven in ${((Date.now() - started) / 1000).toFixed(0)} s; settling (jobs, reconciler, outgoing webhooks)`);

    await settle(cluster, log);
    const violations = [...driverErrors.map((e) => `driver: ${e}`), ...(await invariantViolations({ db: cluster.db.db, sandbox: cluster.sandbox }))];
    violations.push(...(await lostWebhooks(cluster, receiver.verified)));
    violations.push(...receiver.badSignatures.map((b) => `webhook delivery with a bad signature: ${b}`));
    const twice = await doneTwice(cluster.db.db, new Set(eventIds.filter((x): x is string => x !== null)), paymentIds, traces);
    violations.push(...twice.violations);
    for (const r of twice.rerun) log(`run again after a kill: ${r}`);

    const db = cluster.db.db;
    const rows = await db.query<{ event_id: string; event_state: string; payment_state: string | null }>(
      `select e.id as event_id, e.state as event_state, (select p.state from payments p where p.event_id = e.id order by p.created_at desc limit 1) as payment_state from events e`,
    );
    const outcomes: Record<string, number> = { ...notCreated };
    for (const r of rows) {
      const k = `${r.event_state} / payment ${r.payment_state ?? 'none'}`;
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
    const planCounts: Record<string, number> = {};
    for (const x of plans) planCounts[`${x.plan} ${x.provider}`] = (planCounts[`${x.plan} ${x.provider}`] ?? 0) + 1;
    const { faults: rules, fired } = (await (await fetch(`${cluster.sandbox.url}/__sandbox/faults`)).json()) as { faults: any[]; fired: any[] };
    const byRule = new Map(rules.map((r) => [r.id, r]));
    const faults: Record<string, number> = {};
    for (const f of fired) {
      const r = byRule.get(f.ruleId);
      const k = `${f.provider} ${f.fault}${r?.status ? ` ${r.status}` : ''}`;
      faults[k] = (faults[k] ?? 0) + 1;
    }
    const [retries] = await db.query<{ n: string }>(
      `select (select coalesce(sum(retry_count), 0) from pgboss.job) + (select coalesce(sum(retry_count), 0) from pgboss.archive) as n`,
    );
    const [wh] = await db.query<{ events: string; failed: string }>(
      `select (select count(*) from webhook_events) as events, (select count(*) from webhook_deliveries where not succeeded) as failed`,
    );
    return {
      seed: o.seed,
      bookings: N,
      seconds: Math.round((Date.now() - started) / 1000),
      outcomes,
      plans: planCounts,
      faults,
      kills: killLog,
      revoked: revokedNow.size,
      revokedNoticed: noticed,
      jobRetries: Number(retries!.n),
      rerunAfterKill: twice.rerun.length,
      webhookAttempts: { events: Number(wh!.events), failedAttempts: Number(wh!.failed) },
      people: { sdk: userCount - bySession, session: bySession },
      received: { deliveries: receiver.deliveries(), verified: receiver.verified.size, badSignatures: receiver.badSignatures.length },
      violations,
    };
  } finally {
    for (const p of people) await p.api.close().catch(() => {});
    await cluster.close().catch((err) => log(`cleanup: ${err.message}`));
    await receiver.close();
  }
}

/** Signs in (or reconnects Google) through the consent page, trying again when a provider fault cuts it short. */
async function signInUntilDone(app: TestApp, p: Person, start: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      await Promise.race([signIn(app, { email: p.email, start }, p.browser), sleep(30_000).then(() => Promise.reject(new Error('sign-in hung')))]);
      p.csrf = '';
      const me = await p.browser.json(`${app.url}/api/v1/me`);
      if (me.status === 200 && me.body.google?.status !== 'needs_reconnect') return;
    } catch (err) {
      if (attempt >= 30) throw err;
    }
    await sleep(500);
  }
}

/** The payer approves at PayPal (or is declined), or pays at Binance's checkout (or fails), repeating what a provider fault cut short. */
async function payerActs(cluster: Cluster, provider: ProviderId, orderId: string, declined: boolean) {
  const url =
    provider === 'paypal' ? `${cluster.sandbox.url}/__sandbox/paypal/orders/${orderId}/approve` : `${cluster.sandbox.url}/__sandbox/binance/orders/${orderId}/${declined ? 'fail' : 'pay'}`;
  const body = provider === 'paypal' ? JSON.stringify({ funding: declined ? 'declined' : 'ok' }) : '{}';
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(15_000) }).catch(() => null);
    const text = (await res?.text()) ?? '';
    if (res?.status === 200) return;
    // Already paid (the first try went through but its answer was lost): done.
    if (res?.status === 409 || res?.status === 400) return;
    if (attempt >= 20) throw new Error(`payer at ${provider}: ${res?.status} ${text}`);
    await sleep(300);
  }
}

/**
 * Waits until everything is final: jobs done, reconciler caught up, outgoing webhooks delivered.
 * Time is moved, not waited for, where the app would wait longer than a run: unpaid bookings reach
 * their deadline once the reconciler has had its chance, and jobs whose worker was SIGKILLed are
 * expired (pg-boss would after 2 to 5 minutes).
 */
async function settle(cluster: Cluster, log: (s: string) => void) {
  const db = cluster.db.db;
  const start = Date.now();
  let last = '';
  for (;;) {
    await expireOrphans(db);
    // Retry back-offs and reminders run when due, not after their delay (the deadline timers keep theirs).
    await db.query(`update pgboss.job set start_after = now() where state in ('created', 'retry') and start_after > now() and name <> all($1::text[])`, [TIMERS]);
    if (Date.now() - start > 20_000) {
      await db.query(`update events set pending_until = now() - interval '1 second' where state = 'pending_payment' and pending_until > now()`);
      await db.query(`update pgboss.job set start_after = now() where name = 'event.expire' and state in ('created', 'retry') and start_after > now()`);
    }
    const [s] = await db.query<{ events: string; payments: string; inbox: string; outbox: string }>(
      `select (select count(*) from events where state not in ('confirmed', 'cancelled', 'failed', 'expired')) as events,
              (select count(*) from payments where state not in ('captured', 'voided', 'refunded', 'expired', 'cancelled', 'declined', 'error')) as payments,
              (select count(*) from payment_notifications where processed_at is null) as inbox,
              (select count(*) from webhook_events we join webhook_endpoints ep on ep.user_id = we.user_id
                where not exists (select 1 from webhook_deliveries d where d.webhook_event_id = we.id and d.endpoint_id = ep.id and d.succeeded)) as outbox`,
    );
    const pending = await pendingWork(db);
    const jobs = pending.length;
    const deliveries = cluster.sandbox.ctx.webhooks.deliveries.filter((d) => d.state === 'pending').length;
    const names = [...new Set(pending.map((j) => `${j.name} ${j.state}`))].slice(0, 4).join(', ');
    const now = `events ${s!.events}, payments ${s!.payments}, inbox ${s!.inbox}, outbox ${s!.outbox}, jobs ${jobs}${names ? ` (${names})` : ''}, provider deliveries ${deliveries}`;
    if (now !== last) log(`settling: ${now} not done`);
    last = now;
    if (Number(s!.events) + Number(s!.payments) + Number(s!.inbox) + Number(s!.outbox) + jobs + deliveries === 0) return;
    if (Date.now() - start > 600_000) {
      log('settling: gave up after 10 minutes; what is left is reported as violations');
      return;
    }
    await sleep(1000);
  }
}

/**
 * Jobs whose worker was SIGKILLed stay active until pg-boss expires them (2 to 5 minutes): a job
 * active for 45 s (longer than any provider's timeouts) is treated as that, and time is moved.
 */
async function expireOrphans(db: Queryable) {
  await db.query(`update pgboss.job set started_on = now() - interval '1 hour' where state = 'active' and started_on < now() - interval '45 seconds'`);
}

/**
 * Every event and payment in the database is one its client got back (payments in state `error`
 * aside: the record of an attempt the app answered as failed). One the client never saw is a POST
 * done twice. Only a request whose instance was killed while it held its Idempotency-Key may
 * run again, once the key's 2-minute lock has run out (src/http/idempotency.ts): those are counted
 * (the money invariants cover what became of them); any other is a violation.
 */
async function doneTwice(db: Queryable, events: Set<string>, payments: Set<string>, traces: string[][]): Promise<{ violations: string[]; rerun: string[] }> {
  const violations: string[] = [];
  const rerun: string[] = [];
  const booking = (title: string) => Number(/^chaos (\d+) /.exec(title)?.[1] ?? -1);
  const judge = (what: string, r: { title: string; state: string; created_at: Date }, request: 'create event' | 'start payment') => {
    const trace = traces[booking(r.title)] ?? [];
    const line = trace.find((t) => t.startsWith(request)) ?? '';
    const held = /proxy|idempotency_key_in_use|no answer/.test(line);
    (held ? rerun : violations).push(`${what} for "${r.title}" (${r.state}, created ${r.created_at.toISOString()}) never answered to its client: ${trace.join('; ')}`);
  };
  const rows = await db.query<{ id: string; title: string; created_at: Date; state: string }>(`select id, title, created_at, state from events order by created_at`);
  for (const r of rows) if (!events.has(r.id)) judge(`event ${r.id}`, r, 'create event');
  const pays = await db.query<{ id: string; title: string; created_at: Date; state: string }>(
    `select p.id, e.title, p.created_at, p.state from payments p join events e on e.id = p.event_id where p.state <> 'error' order by p.created_at`,
  );
  for (const r of pays) if (!payments.has(r.id)) judge(`payment ${r.id}`, r, 'start payment');
  return { violations, rerun };
}

/** Every outgoing webhook event of a person with an endpoint was delivered, and the receiver verified it. */
async function lostWebhooks(cluster: Cluster, verified: Set<string>): Promise<string[]> {
  const rows = await cluster.db.db.query<{ id: string; type: string; delivered: boolean }>(
    `select we.id, we.type, exists (select 1 from webhook_deliveries d where d.webhook_event_id = we.id and d.endpoint_id = ep.id and d.succeeded) as delivered
       from webhook_events we join webhook_endpoints ep on ep.user_id = we.user_id`,
  );
  const out: string[] = [];
  for (const r of rows) {
    if (!r.delivered) out.push(`webhook ${r.type} ${r.id} never delivered`);
    else if (!verified.has(r.id)) out.push(`webhook ${r.type} ${r.id} delivered per the app, not received with a valid signature`);
  }
  if (rows.length === 0) out.push('no outgoing webhook at all: the check saw nothing');
  return out;
}

async function pool(n: number, limit: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) await task(next++);
  }));
}

export function formatReport(r: ChaosReport): string {
  const lines: string[] = [];
  const section = (title: string, rows: Record<string, number> | [string, string | number][]) => {
    lines.push('', title);
    const entries = Array.isArray(rows) ? rows : Object.entries(rows).sort(([a], [b]) => a.localeCompare(b));
    const w = Math.max(...entries.map(([k]) => k.length), 10);
    for (const [k, v] of entries) lines.push(`  ${k.padEnd(w)}  ${String(v).padStart(6)}`);
  };
  section('bookings by outcome (event / its payment)', r.outcomes);
  section('bookings by plan', r.plans);
  section('people by how they book', [
    ['SDK with an API key', r.people.sdk],
    ['browser session (cookie + CSRF)', r.people.session],
  ]);
  section('faults fired (sandbox /__sandbox/faults)', r.faults);
  section('kills and retries', [
    ['SIGKILLs (each followed by a restart)', r.kills.length],
    ['Google grants revoked and reconnected', r.revoked],
    ['  of which the app had marked needs_reconnect', r.revokedNoticed],
    ['job retries (pg-boss retry_count)', r.jobRetries],
    ['POSTs run again after a kill (key lock ran out)', r.rerunAfterKill],
    ['outgoing webhook events', r.webhookAttempts.events],
    ['outgoing webhook failed attempts (retried)', r.webhookAttempts.failedAttempts],
    ['webhook deliveries at the receiver', r.received.deliveries],
    ['  events received with a valid signature (SDK)', r.received.verified],
    ['webhook deliveries with a bad signature', r.received.badSignatures],
    ['invariant violations', r.violations.length],
  ]);
  for (const k of r.kills) lines.push(`  kill -9: ${k}`);
  if (r.violations.length) {
    lines.push('', 'violations');
    for (const v of r.violations.slice(0, 50)) lines.push(`  - ${v}`);
    if (r.violations.length > 50) lines.push(`  … and ${r.violations.length - 50} more`);
  }
  lines.push('', `${r.bookings} bookings, seed ${r.seed}, ${r.seconds} s. Replay: CHAOS_SEED=${r.seed} CHAOS_BOOKINGS=${r.bookings} npm run chaos`);
  return lines.join('\n');
}
