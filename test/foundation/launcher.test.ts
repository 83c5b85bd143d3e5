import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/app.ts';
import { captureChildOutput, recordDataDirSecrets } from '../support/log-files.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FAKE_SANDBOX = join(ROOT, 'test/fixtures/fake-sandbox.mjs');

/**
 * `npm start` as a person runs it: launcher/start.mjs, with the app from source (tsx, passed down
 * to the children through execArgv) and the fake sandbox that speaks the launcher's protocol.
 */
async function launch(env: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-launcher-'));
  const sandboxLog = join(dataDir, 'fake-sandbox.log');
  const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/start.mjs'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      LEADSCALENDAR_APP_BIN: 'src/main.ts',
      LEADSCALENDAR_SANDBOX_BIN: FAKE_SANDBOX,
      FAKE_SANDBOX_LOG: sandboxLog,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  captureChildOutput(child, 'launcher');
  const out: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => out.push(d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    dataDir,
    output: () => out.join(''),
    sandboxLog: () => readFile(sandboxLog, 'utf8').catch(() => ''),
    async cleanup() {
      // SIGTERM, not SIGKILL: the launcher's children run in their own process groups.
      child.kill('SIGTERM');
      await exited;
      recordDataDirSecrets(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const up = (url: string) => fetch(url).then((r) => r.ok, () => false);

describe('the launcher (npm start)', () => {
  it('starts the sandbox, then the app with its URL and credentials; on SIGTERM stops the app first, then the sandbox', async () => {
    const port = await freePort();
    const sandboxPort = await freePort();
    const app = `http://127.0.0.1:${port}`;
    const l = await launch({ PORT: String(port), SANDBOX_PORT: String(sandboxPort), FAKE_SANDBOX_PROBE_URL: `${app}/healthz` });
    try {
      await waitFor('the app to be ready', () => up(`${app}/readyz`), 120_000, 100);
      const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
      const given = (await (await fetch(sandboxUrl)).json()) as { env: Record<string, string> };
      assert.equal(given.env.SANDBOX_DATA_DIR, join(l.dataDir, 'sandbox'));
      assert.equal(given.env.SANDBOX_PAYPAL_WEBHOOK_URL, `http://localhost:${port}/webhooks/paypal`);
      assert.equal(given.env.SANDBOX_BINANCE_WEBHOOK_URL, `http://localhost:${port}/webhooks/binance`);
      assert.equal(given.env.LOG_LEVEL, 'info');
      // The app took the sandbox's address from the ready message: its sign-in goes there.
      // The page's script reads the server's facts from a meta tag (it links the sandbox badge there).
      const home = await (await fetch(`${app}/`)).text();
      const meta = /<meta name="lc-config" content="([^"]*)">/.exec(home);
      assert.ok(meta, 'the shell carries the server’s facts');
      const facts = JSON.parse(meta[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      assert.equal(facts.sandboxUrl, sandboxUrl, 'the UI links to the sandbox');
      const signIn = await fetch(`${app}/auth/google/start`, { redirect: 'manual' });
      const location = new URL(signIn.headers.get('location')!);
      assert.equal(location.origin, sandboxUrl);
      assert.equal(location.searchParams.get('client_id'), 'fake-google-id', 'the credentials came from the ready message');

      l.child.kill('SIGTERM');
      assert.equal(await l.exited, 0, l.output());
      assert.match(l.output(), /LeadsCalendar stopped/);
      assert.deepEqual((await l.sandboxLog()).trim().split('\n'), [`ready ${sandboxUrl}`, 'SIGTERM app-down', 'stopped']);
      assert.equal(await up(`${app}/healthz`), false);
    } finally {
      await l.cleanup();
    }
  });

  it('stops the app gracefully and exits non-zero when the sandbox dies on its own', async () => {
    const port = await freePort();
    const sandboxPort = await freePort();
    const l = await launch({ PORT: String(port), SANDBOX_PORT: String(sandboxPort) });
    try {
      await waitFor('the app to be ready', () => up(`http://127.0.0.1:${port}/readyz`), 120_000, 100);
      await fetch(`http://127.0.0.1:${sandboxPort}/crash`, { method: 'POST' }).catch(() => {});
      assert.notEqual(await l.exited, 0);
      assert.match(l.output(), /sandbox exited unexpectedly \(code 3\)/);
      assert.match(l.output(), /LeadsCalendar stopped/, 'the app shut down gracefully');
    } finally {
      await l.cleanup();
    }
  });

  it('stops the sandbox and exits non-zero when the app cannot start', async () => {
    const l = await launch({ PORT: 'not-a-port', SANDBOX_PORT: '0' });
    try {
      assert.equal(await l.exited, 1);
      assert.match(l.output(), /PORT:/);
      assert.match(l.output(), /app exited unexpectedly \(code 1\)/);
      assert.match(await l.sandboxLog(), /^SIGTERM\nstopped$/m, 'the sandbox was stopped');
    } finally {
      await l.cleanup();
    }
  });

  it('in live mode starts the app alone', async () => {
    const l = await launch({ APP_MODE: 'live', PORT: 'x' });
    try {
      assert.equal(await l.exited, 1);
      assert.match(l.output(), /PAYPAL_CLIENT_SECRET: required in live mode/);
      assert.equal(await l.sandboxLog(), '', 'no sandbox was started');
    } finally {
      await l.cleanup();
    }
  });
});
