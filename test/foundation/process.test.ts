import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { freePort } from '../support/app.ts';
import { captureChildOutput, recordDataDirSecrets } from '../support/log-files.ts';
import { startMain } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

describe('the app process', () => {
  it('starts through the launcher with no configuration, serves / and /healthz, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lc-main-'));
    const port = await freePort();
    const sandboxPort = await freePort();
    // `npm start`, with the app and the real emulators from source (tsx reaches both children).
    const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/start.mjs'], {
      cwd: join(import.meta.dirname, '../..'),
      env: {
        PATH: process.env.PATH ?? '',
        LEADSCALENDAR_APP_BIN: 'src/main.ts',
        LEADSCALENDAR_SANDBOX_BIN: 'sandbox/main.ts',
        PORT: String(port),
        SANDBOX_PORT: String(sandboxPort),
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    captureChildOutput(child, 'launcher');
    const stdout: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(...d.split('\n').filter(Boolean)));
    const p = { child, stdout, exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the app to listen', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false), 120_000, 200);
      assert.equal((await fetch(`${base}/`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${sandboxPort}/__sandbox/state`)).status, 200, 'the sandbox runs beside the app');
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
      assert.ok(p.stdout.some((l) => l.includes('LeadsCalendar stopped')), p.stdout.join('\n'));
      await assert.rejects(fetch(`${base}/healthz`), 'no longer listening');
      await assert.rejects(fetch(`http://127.0.0.1:${sandboxPort}/__sandbox/state`), 'the sandbox stopped too');
    } finally {
      // SIGTERM, not SIGKILL: the launcher's children run in their own process groups.
      p.child.kill('SIGTERM');
      await p.exited;
      recordDataDirSecrets(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start in live mode with missing or bad settings, listing them all', async () => {
    const p = startMain({ APP_MODE: 'live', PORT: 'x' });
    assert.equal(await p.exited, 1);
    const err = p.stderr.join('');
    assert.match(err, /PORT:/);
    assert.match(err, /PAYPAL_CLIENT_SECRET: required in live mode/);
    assert.match(err, /GOOGLE_CLIENT_ID: required in live mode/);
  });

  it('started alone in sandbox mode, says to use npm start instead of failing on a missing provider', async () => {
    const p = startMain({ PORT: String(await freePort()) });
    assert.equal(await p.exited, 1);
    assert.match(p.stderr.join(''), /sandbox mode needs the provider emulators' address and credentials.*Start with `npm start`/);
  });
});
