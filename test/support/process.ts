import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { captureChildOutput, recordDataDirSecrets, recordEnvSecrets } from './log-files.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Runs `src/main.ts` as `npm start` does, with exactly the given environment (plus PATH). */
export function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordEnvSecrets(env);
  captureChildOutput(child, 'main');
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(...d.split('\n').filter(Boolean)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      // Sandbox mode generated its secrets into the data folder; the test may remove it once this resolves.
      if (env['DATA_DIR']) recordDataDirSecrets(env['DATA_DIR']);
      r(code);
    }),
  );
  return { child, stdout, stderr, exited };
}
