import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { openPglite } from '../../src/db/pglite.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/open-pglite.ts');

/** Runs the fixture in its own process group; `killAfterMs` SIGKILLs the group that long after `opening`. */
function openInChild(dir: string, opts: { value?: string; killAfterMs?: number } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, ...(opts.value ? [opts.value] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let scheduled = false;
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch (err) {
      // Already gone: the child finished before the kill was due.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    // Once: later chunks still find 'opening' in what was read so far.
    if (opts.killAfterMs !== undefined && out.includes('opening\n') && !scheduled) {
      scheduled = true;
      setTimeout(killGroup, opts.killAfterMs);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise<{ code: number | null; out: string }>((r) => child.once('exit', (code) => r({ code, out })));
}

async function modes(dir: string): Promise<{ path: string; mode: number; dir: boolean }[]> {
  const st = await lstat(dir);
  const here = [{ path: dir, mode: st.mode & 0o777, dir: st.isDirectory() }];
  if (!st.isDirectory()) return here;
  for (const entry of await readdir(dir)) here.push(...(await modes(join(dir, entry))));
  return here;
}

describe('the embedded database folder', () => {
  it('survives a kill -9 during its first start (initdb) at any moment: the next start opens it', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'lc-initdb-kill-'));
    const dir = join(parent, 'pglite');
    try {
      for (const killAfterMs of [0, 200, 800, 2500, 6000]) {
        const run = await openInChild(dir, { killAfterMs });
        if (run.out.includes('opened')) break; // this machine finished first: nothing left to interrupt
        // Nothing half-made is ever at the target: either no folder, or a database.
        if (existsSync(dir)) assert.ok(existsSync(join(dir, 'PG_VERSION')), `killed after ${killAfterMs} ms left an incomplete ${dir}: ${(await readdir(dir)).join(' ')}`);
      }
      const next = await openInChild(dir, { value: 'after the kills' });
      assert.equal(next.code, 0, next.out);
      const db = await openPglite({ dataDir: dir });
      try {
        assert.deepEqual(await db.query('select value from notes'), [{ value: 'after the kills' }]);
      } finally {
        await db.close();
      }
      assert.deepEqual((await readdir(parent)).sort(), ['pglite'], 'no temporary folder is left behind');
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('is private to the user: folders 0700, files 0600, and so is what PostgreSQL writes later', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'lc-private-'));
    const dir = join(parent, 'pglite');
    try {
      const db = await openPglite({ dataDir: dir });
      const wrong = (await modes(dir)).filter((m) => m.mode !== (m.dir ? 0o700 : 0o600));
      assert.deepEqual(wrong, [], 'every entry private once opened');
      await db.exec('create table grown (n int); insert into grown select generate_series(1, 20000); checkpoint;');
      await db.close();
      const shared = (await modes(dir)).filter((m) => (m.mode & 0o077) !== 0);
      assert.deepEqual(shared, [], 'nothing readable or writable by others after use');

      // A folder made by an older version (files 0666) is repaired on open.
      await chmod(join(dir, 'PG_VERSION'), 0o666);
      await chmod(join(dir, 'base'), 0o777);
      await (await openPglite({ dataDir: dir })).close();
      assert.equal((await lstat(join(dir, 'PG_VERSION'))).mode & 0o777, 0o600);
      assert.equal((await lstat(join(dir, 'base'))).mode & 0o777, 0o700);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('runs PostgreSQL with fsync on and a WAL opened for synchronous writes', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'lc-durable-'));
    try {
      const db = await openPglite({ dataDir: join(parent, 'pglite') });
      try {
        const rows = await db.query<{ name: string; setting: string }>(
          `select name, setting from pg_settings where name in ('fsync', 'wal_sync_method', 'synchronous_commit', 'full_page_writes') order by name`,
        );
        assert.deepEqual(Object.fromEntries(rows.map((r) => [r.name, r.setting])), {
          fsync: 'on',
          full_page_writes: 'on',
          synchronous_commit: 'on',
          wal_sync_method: 'open_datasync',
        });
      } finally {
        await db.close();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
