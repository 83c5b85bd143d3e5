import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { signIn } from '../support/google.ts';
import { captureChildOutput, recordDataDirSecrets } from '../support/log-files.ts';
import { waitFor } from '../support/wait.ts';

/**
 * The product as `npm start` runs it — the launcher, the sandbox process and the app process —
 * stopped and started again on the same data folder: a person signed in before the restart is
 * still signed in after it, and Google (the emulator) still honours the grant.
 */

const ROOT = join(import.meta.dirname, '../..');

function launch(env: Record<string, string>) {
  // From source: tsx reaches both children, which the launcher forks with its own exec arguments.
  const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/start.mjs'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LEADSCALENDAR_APP_BIN: 'src/main.ts', LEADSCALENDAR_SANDBOX_BIN: 'sandbox/main.ts', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  captureChildOutput(child, 'launcher');
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output, exited };
}

describe('a restart changes nothing a person can see', () => {
  it('keeps the Google grant, the session and the calendars across a stop and a start', { timeout: 300_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lc-restart-'));
    const port = await freePort();
    const sandboxPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), PUBLIC_BASE_URL: base, SANDBOX_PORT: String(sandboxPort), DATA_DIR: dataDir };
    // signIn needs only the two addresses.
    const app = { url: base, runtime: { sandbox: { url: `http://127.0.0.1:${sandboxPort}` } } } as unknown as TestApp;
    const browser = new Browser();
    let run = launch(env);
    try {
      await waitFor('the app to listen', () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 180_000, 200);
      await signIn(app, { email: 'restart@example.com' }, browser);
      const before = await browser.json(`${base}/api/v1/calendars`);
      assert.equal(before.status, 200, JSON.stringify(before.body));
      assert.ok(before.body.calendars.length > 0);

      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0, run.output.join(''));

      run = launch(env);
      await waitFor('the app to listen again', () => fetch(`${base}/readyz`).then((r) => r.ok, () => false), 180_000, 200);
      const me = await browser.json(`${base}/api/v1/me`);
      assert.equal(me.status, 200, 'still signed in');
      assert.equal(me.body.google.status, 'active');
      const after = await browser.json(`${base}/api/v1/calendars`);
      assert.equal(after.status, 200, `Google still honours the grant: ${JSON.stringify(after.body)}`);
      assert.deepEqual(after.body.calendars, before.body.calendars, 'the same calendars');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      recordDataDirSecrets(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
