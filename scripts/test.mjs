#!/usr/bin/env node
// `npm test`: type-checks, then runs every *.test.ts under test/ with node's own test runner
// (one process per file), printing the spec report and a closing `N passed, N failed` line.
// Extra arguments narrow the run: `npm test -- test/sandbox` or a single file.
// Then the log scan (test/support/log-scan.ts): the log lines of every app the run started, left
// in test-results/logs, must hold no secret; a finding fails the run as a failed test does.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const skipTypecheck = process.env.SKIP_TYPECHECK === '1' || args.length > 0;

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const targets = args.length ? args.map((a) => resolve(a)) : [join(root, 'test')];
const files = targets.flatMap((t) => (statSync(t).isDirectory() ? find(t) : [t])).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

if (!skipTypecheck) {
  // The server and tests, then the web interface (its own settings: DOM, JSX).
  const tsc = [root, join(root, 'web')].map((p) => spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', p], { stdio: 'inherit' }));
  if (tsc.some((r) => r.status !== 0)) {
    console.error('type check failed');
    process.exit(1);
  }
}

// The scan reads what this run wrote, and only that.
for (const dir of ['test-results/logs', 'test-results/log-secrets']) rmSync(join(root, dir), { recursive: true, force: true });

const res = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } },
);
const scan = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/support/log-scan.ts')], { stdio: 'inherit', cwd: root });
process.exit(res.status !== 0 ? (res.status ?? 1) : scan.status === 0 ? 0 : 1);
