import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

/**
 * Where every app instance the tests start leaves its log lines, so that the log scan
 * (log-scan.ts, run by scripts/test.mjs after the suite) can prove that no secret reached them.
 * Beside it, the secrets that have no recognisable shape (a session id, a generated session
 * secret) as the tests saw them, for the scan to look for by value.
 */
export const LOG_DIR = resolve(import.meta.dirname, '../../test-results/logs');
export const KNOWN_SECRETS_DIR = resolve(import.meta.dirname, '../../test-results/log-secrets');

let counter = 0;

export interface LogFile {
  path: string;
  write(text: string): void;
}

/** A new file for one app instance's lines: `<pid>-<counter>-<label>.log`, unique within a run. */
export function openLogFile(label: string): LogFile {
  mkdirSync(LOG_DIR, { recursive: true });
  const path = join(LOG_DIR, `${process.pid}-${++counter}-${label.replace(/[^A-Za-z0-9_-]/g, '_')}.log`);
  writeFileSync(path, '');
  return {
    path,
    // Synchronous appends: a test process may end (or be killed by the runner's timeout) at any
    // moment, and a line still queued in a stream would escape the scan. Nothing to close, so a
    // line logged after the test closed its app is kept too.
    write(text) {
      if (text) appendFileSync(path, text);
    },
  };
}

/** Appends everything a child process prints, stdout and stderr, to a new log file. */
export function captureChildOutput(child: ChildProcess, label: string): LogFile {
  const file = openLogFile(label);
  child.stdout?.on('data', (d: Buffer | string) => file.write(String(d)));
  child.stderr?.on('data', (d: Buffer | string) => file.write(String(d)));
  return file;
}

/** Values shorter than this are not secrets a test configures, and would match by chance. */
const MIN_KNOWN_LENGTH = 16;

/** This process's records: `{ kind, value }`, one JSON object a line. */
export const KNOWN_SECRETS_FILE = join(KNOWN_SECRETS_DIR, `${process.pid}.jsonl`);

/** Tells the scan about a secret it could not recognise by its shape. */
export function recordSecret(kind: string, value: string | undefined): void {
  if (!value || value.length < MIN_KNOWN_LENGTH) return;
  mkdirSync(KNOWN_SECRETS_DIR, { recursive: true });
  appendFileSync(KNOWN_SECRETS_FILE, `${JSON.stringify({ kind, value })}\n`);
}

/** The app's session cookie as a browser holds it (`<session id>.<signature>`, URL-encoded). */
export function recordSessionCookie(value: string): void {
  const signed = decodeURIComponent(value);
  const dot = signed.lastIndexOf('.');
  recordSecret('session cookie', signed);
  recordSecret('session id', dot > 0 ? signed.slice(0, dot) : signed);
}

/** The settings of an app's environment that are secrets only this run knows. */
export function recordEnvSecrets(env: Record<string, string | undefined>): void {
  recordSecret('session secret', env['SESSION_SECRET']);
  recordSecret('encryption key', env['ENCRYPTION_KEY']);
}

/** The session and encryption secrets sandbox mode generated into a data folder, once it did. */
export function recordDataDirSecrets(dataDir: string): void {
  let stored: { sessionSecret?: string; encryptionKey?: string };
  try {
    stored = JSON.parse(readFileSync(join(dataDir, 'sandbox-secrets.json'), 'utf8'));
  } catch {
    return;
  }
  recordSecret('session secret', stored.sessionSecret);
  recordSecret('encryption key', stored.encryptionKey);
}
