#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm install` runs it): compiles src/ to dist/ with tsc, copies
// what tsc does not (SQL migrations: files the code reads beside itself through import.meta.url),
// builds the web interface (web/ → dist/client, scripts/build-web.mjs), then every workspace that
// has a build script.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args) => {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')]);
cpSync(join(root, 'src/db/migrations'), join(root, 'dist/db/migrations'), { recursive: true });
run(process.execPath, [join(root, 'scripts/build-web.mjs')]);

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (workspaces?.length) run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--workspaces', '--if-present']);
