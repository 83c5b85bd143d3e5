import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { SIGN_IN_START_RATE_LIMIT } from '../../src/http/routes/auth.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from '../support/db.ts';
import { startInstance } from './instances.ts';

/**
 * Rate limits hold across every instance behind a load balancer: the count lives in PostgreSQL by
 * default, or in Redis when configured, never in one process. Two instances are started on one
 * store and hit in turn by one client; together they let through what one would.
 */

const MAX = SIGN_IN_START_RATE_LIMIT.max;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Instance = Awaited<ReturnType<typeof startInstance>>;

async function redisReachable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    if (process.env.CI === 'true') throw new Error(`CI=true but Redis is unreachable at ${REDIS_URL}`);
    return false;
  } finally {
    r.disconnect();
  }
}

/** Hits /auth/google/start on each instance in turn; what each answer was. */
async function hitStart(instances: Instance[], times: number) {
  const answers: Response[] = [];
  for (let i = 0; i < times; i++) {
    answers.push(await fetch(`${instances[i % instances.length]!.url}/auth/google/start`, { redirect: 'manual' }));
  }
  return answers;
}

async function assertProblem(res: Response) {
  assert.equal(res.status, 429);
  assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
  const body = await res.json();
  assert.equal(body.kind, 'rate_limited');
  assert.equal(body.status, 429);
  assert.equal(body.type, 'https://leadscalendar.dev/errors/rate-limited');
  assert.ok(body.requestId);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After: ${res.headers.get('retry-after')}`);
  assert.equal(res.headers.get('x-ratelimit-limit'), String(MAX));
  assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
}

describe('rate limits shared by two instances on one PostgreSQL database', { skip: !(await postgresReachable()) && 'PostgreSQL unreachable' }, () => {
  let db: TestDatabase;
  let a: Instance;
  let b: Instance;
  before(async () => {
    db = await createTestDatabase('postgres');
    a = await startInstance({ DATABASE_URL: db.url! });
    b = await startInstance({ DATABASE_URL: db.url! });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  it('lets one client start at most the limit of sign-ins across both, then answers problem documents', async () => {
    const answers = await hitStart([a, b], MAX + 6);
    const statuses = answers.map((r) => r.status);
    assert.deepEqual(statuses.slice(0, MAX), Array(MAX).fill(302));
    assert.deepEqual(statuses.slice(MAX), Array(6).fill(429));
    assert.equal(answers[0]!.headers.get('x-ratelimit-limit'), String(MAX));
    assert.equal(answers[MAX - 1]!.headers.get('x-ratelimit-remaining'), '0');
    for (const r of answers.slice(MAX)) await assertProblem(r);
    // What the limit protects: each anonymous start stores a session row.
    const [{ n }] = (await db.db.query<{ n: bigint }>('select count(*) as n from sessions')) as [{ n: bigint }];
    assert.equal(n, BigInt(MAX));
  });

  it('counts each route on its own', async () => {
    const res = await fetch(`${b.url}/api/v1/recurrence/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: '2031-03-02T09:00', timeZone: 'UTC', count: 1 }),
    });
    assert.equal(res.status, 200);
  });

  it('opens a new window once the old one has ended, for every instance', async () => {
    // Time moves by back-dating the window, not by sleeping through it.
    await db.db.query(`update rate_limits set window_ends_at = now() - interval '1 second' where key like '%/auth/google/start%'`);
    const [first, second] = await hitStart([b, a], 2);
    assert.equal(first!.status, 302);
    assert.equal(second!.status, 302);
    assert.equal(second!.headers.get('x-ratelimit-remaining'), String(MAX - 2));
  });
});

describe('rate limits shared by two instances through Redis', { skip: !(await redisReachable()) && 'Redis unreachable' }, () => {
  let redis: Redis;
  const dbs: TestDatabase[] = [];
  let a: Instance;
  let b: Instance;
  const keyPrefix = `lc-test-${randomBytes(6).toString('hex')}:`;
  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // Two databases: only Redis is shared, so only Redis can carry the count.
    for (let i = 0; i < 2; i++) dbs.push(await createTestDatabase('pglite'));
    a = await startInstance({}, { db: dbs[0]!.db, rateLimitRedis: { url: REDIS_URL, keyPrefix } });
    b = await startInstance({}, { db: dbs[1]!.db, rateLimitRedis: { url: REDIS_URL, keyPrefix } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    for (const d of dbs) await d.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('lets one client start at most the limit of sign-ins across both', async () => {
    const answers = await hitStart([a, b], MAX + 4);
    assert.deepEqual(
      answers.map((r) => r.status),
      [...Array(MAX).fill(302), ...Array(4).fill(429)],
    );
    for (const r of answers.slice(MAX)) await assertProblem(r);
    assert.ok((await redis.keys(`${keyPrefix}*`)).length > 0, 'the count lives in Redis');
  });
});

describe('REDIS_URL moves the counts to Redis', { skip: !(await redisReachable()) && 'Redis unreachable' }, () => {
  it('counts in Redis, under the default prefix, when only the environment names it', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const db = await createTestDatabase('pglite');
    const before = new Set(await redis.keys('leadscalendar:*'));
    const one = await startInstance({ REDIS_URL }, { db: db.db });
    try {
      assert.equal((await hitStart([one], 1))[0]!.status, 302);
      const added = (await redis.keys('leadscalendar:*')).filter((k) => !before.has(k));
      assert.ok(added.length > 0, 'a new count appeared in Redis');
      const rows = await db.db.query<{ n: bigint }>('select count(*) as n from rate_limits');
      assert.equal(rows[0]!.n, 0n, 'and none in the database');
      await redis.del(...added);
    } finally {
      await one.close();
      await db.close();
      await redis.quit();
    }
  });
});

