import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { startRuntime, type Runtime } from '../../src/runtime.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { freePort, localConfig, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { openLogFile } from '../support/log-files.ts';

/**
 * Two app instances behind an imaginary load balancer: their own ports, one PostgreSQL database,
 * one sandbox, and the secrets a deployment shares (a session signed by A is read by B; Google
 * tokens encrypted by A are decrypted by B's jobs).
 */

export interface Instance {
  name: string;
  runtime: Runtime;
  url: string;
  /** Warnings and errors the instance logged. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface Cluster {
  instances: [Instance, Instance];
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** Ports first: the sandbox must know where to deliver webhooks before the instances exist. */
export async function reservePorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

export async function startInstance(name: string, port: number, sandbox: Sandbox, env: Record<string, string>): Promise<Instance> {
  const dataDir = await mkdtemp(join(tmpdir(), `lc-${name}-`));
  const logs: Record<string, unknown>[] = [];
  const file = openLogFile(`instance-${name}`);
  const sink = new Writable({
    write(chunk, _enc, cb) {
      file.write(String(chunk));
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      cb();
    },
  });
  const runtime = await startRuntime(localConfig(port, dataDir, sandbox, { LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '5000', ...env }), {
    log: createLogger('warn', sink),
  });
  return {
    name,
    runtime,
    url: runtime.url,
    logs,
    async close() {
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What every instance of one deployment shares besides the database. */
export function sharedSecrets(): Record<string, string> {
  return { SESSION_SECRET: randomBytes(32).toString('hex'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
}

/**
 * A signed-in person, usable on either instance: the session cookie A set is sent to B as a
 * browser behind one host name would send it (the test's instances differ by port only).
 */
export class User {
  private constructor(
    readonly email: string,
    private readonly cookie: string,
    private readonly csrfToken: string,
  ) {}

  static async signIn(on: Instance, sandbox: Sandbox, email: string): Promise<User> {
    const app = { url: on.url, runtime: Object.assign(on.runtime, { sandbox }) } as unknown as TestApp;
    const { browser } = await signIn(app, { email }, new Browser());
    const value = browser.cookie(on.url, 'lc_session');
    assert.ok(value, 'signed in: a session cookie');
    const me = await browser.json(`${on.url}/api/v1/me`);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    return new User(email, `lc_session=${value}`, me.body.csrfToken);
  }

  async request(on: Instance, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { cookie: this.cookie, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.method && init.method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    const res = await fetch(`${on.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    const json = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: res.status, body: json, headers: res.headers };
  }
}

export async function sandboxJson(sandbox: Sandbox, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Runs `task` over `items`, at most `limit` at a time; every failure is collected, none is lost. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = await task(items[i]!, i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw new AggregateError(errors, `${errors.length} of ${items.length} tasks failed; first: ${String((errors[0] as Error)?.message ?? errors[0])}`);
  return results;
}

/** Polls `check` until it answers something truthy; fails naming `what` after the deadline. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
