import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { captureChildOutput } from '../support/log-files.ts';
import { waitFor } from '../support/wait.ts';
import { basicAuth } from './paypal-support.ts';

/**
 * The package's bin (`leadscalendar-sandbox`, sandbox/main.ts) as the app's launcher runs it: a
 * child with an IPC channel that says `ready`, keeps its state in SANDBOX_DATA_DIR across a
 * SIGKILL, stops cleanly on SIGTERM and exits when its parent goes away.
 */

const ROOT = resolve(import.meta.dirname, '../..');

interface Ready {
  type: 'ready';
  url: string;
  smtpUrl: string;
  credentials: typeof SANDBOX_CREDENTIALS;
}

interface Child {
  proc: ChildProcess;
  ready: Ready;
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lc-sandbox-bin-'));
  dirs.push(d);
  return d;
}

/** Starts the bin with exactly this environment (plus PATH) and waits for its `ready` message. */
async function startBin(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', SANDBOX_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(proc);
  captureChildOutput(proc, 'sandbox-bin');
  const stdout: string[] = [];
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(...d.split('\n').filter(Boolean)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const ready = await new Promise<Ready>((resolveReady, reject) => {
    proc.once('message', (m) => resolveReady(m as Ready));
    exited.then(({ code }) => reject(new Error(`the sandbox exited (${code}) before it was ready:\n${stderr}\n${stdout.join('\n')}`)));
  });
  return { proc, ready, stdout, exited };
}

async function paypalToken(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function createOrder(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/v2/checkout/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'USD', value: '1.00' } }] }),
  });
  assert.equal(res.status, 201);
  return ((await res.json()) as { id: string }).id;
}

// A bin that never says ready would otherwise hold the run forever.
describe('the sandbox bin (sandbox/main.ts)', { timeout: 120_000 }, () => {
  it('says ready over IPC with its URL and credentials, and logs the URL as one JSON line', async () => {
    const dir = tempDir();
    const c = await startBin({ SANDBOX_DATA_DIR: join(dir, 'state'), SANDBOX_PAYPAL_WEBHOOK_URL: 'http://127.0.0.1:9/hooks/paypal' });
    assert.equal(c.ready.type, 'ready');
    assert.match(c.ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(c.ready.credentials, SANDBOX_CREDENTIALS);
    // Its outbox's SMTP server, which the launcher passes to the app as SMTP_URL.
    assert.match(c.ready.smtpUrl, /^smtp:\/\/127\.0\.0\.1:\d+$/);
    // The line and the message travel on different pipes; either may arrive first.
    await waitFor('the listening line on stdout', () => c.stdout.some((l) => JSON.parse(l).url === c.ready.url));
    const settings = (await (await fetch(`${c.ready.url}/__sandbox/settings`)).json()) as { paypalWebhookUrl: string };
    assert.equal(settings.paypalWebhookUrl, 'http://127.0.0.1:9/hooks/paypal');
    c.proc.kill('SIGTERM');
    assert.deepEqual(await c.exited, { code: 0, signal: null });
  });

  it('keeps an acknowledged order and token through a SIGKILL', async () => {
    const dir = join(tempDir(), 'state');
    const first = await startBin({ SANDBOX_DATA_DIR: dir });
    const token = await paypalToken(first.ready.url);
    const orderId = await createOrder(first.ready.url, token);
    // Killed the moment the answer arrived: no chance to save anything on the way out.
    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await startBin({ SANDBOX_DATA_DIR: dir });
    const res = await fetch(`${second.ready.url}/v2/checkout/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { id: string }).id, orderId);
    second.proc.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });

  it('stops cleanly on SIGTERM and SIGINT, keeping its state under $DATA_DIR/sandbox by default', async () => {
    const dataDir = tempDir();
    const first = await startBin({ DATA_DIR: dataDir });
    const token = await paypalToken(first.ready.url);
    const orderId = await createOrder(first.ready.url, token);
    first.proc.kill('SIGINT');
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    assert.ok(existsSync(join(dataDir, 'sandbox', 'state.json')));

    const second = await startBin({ DATA_DIR: dataDir });
    const res = await fetch(`${second.ready.url}/v2/checkout/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    second.proc.kill('SIGTERM');
    assert.deepEqual(await second.exited, { code: 0, signal: null });
  });

  it('exits when its parent goes away (the IPC channel closes)', async () => {
    const c = await startBin({ SANDBOX_DATA_DIR: join(tempDir(), 'state') });
    c.proc.disconnect();
    assert.deepEqual(await c.exited, { code: 0, signal: null });
  });
});
