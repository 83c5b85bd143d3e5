import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { redactLogValue } from '../../src/observability/logger.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { apiPost, signIn } from '../support/google.ts';
import { KNOWN_SECRETS_DIR, KNOWN_SECRETS_FILE } from '../support/log-files.ts';
import { scanLogs, type KnownSecret, type ScanResult } from '../support/log-scan.ts';
import { requestToken } from '../sandbox/paypal-support.ts';

/**
 * The log scan that closes `npm test` (test/support/log-scan.ts) finds each kind of secret the
 * issue names in a log line: a configured secret, tokens and codes the emulators issued, the
 * app's session ids and API keys. The values are real ones, issued by a running app and its
 * sandbox, so that a change of their shape that the scan does not follow fails here. The same
 * lines as the logger writes them, redacted, are not flagged.
 */

const ROOT = resolve(import.meta.dirname, '../..');

let app: TestApp;
let dir: string;
const secrets: Record<string, string> = {};

before(async () => {
  app = await startTestApp();
  const { browser } = await signIn(app, { email: 'log-scan@example.com' });
  const cookie = decodeURIComponent(browser.cookie(app.url, 'lc_session')!);
  secrets['session id'] = cookie.slice(0, cookie.lastIndexOf('.'));
  secrets['session cookie'] = cookie;
  const key = await apiPost(app, browser, '/api/v1/api-keys', { name: 'scan', scope: 'read' });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  secrets['API key'] = key.body.secret;
  const google = app.runtime.sandbox.emulators.google.state;
  secrets['Google access token'] = [...google.accessTokens.keys()][0]!;
  secrets['Google refresh token'] = [...google.refreshTokens.keys()][0]!;
  secrets['Google authorization code'] = [...google.codes.keys()][0]!;
  secrets['PayPal access token'] = (await requestToken(app.runtime.sandbox)).body.access_token;
  secrets['PayPal client secret'] = SANDBOX_CREDENTIALS.paypal.clientSecret;
  secrets['Binance secret key'] = SANDBOX_CREDENTIALS.binance.secretKey;
  secrets['private key'] = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Sandbox mode generated it into the app's data folder; startTestApp told the scan.
  const recorded = readFileSync(KNOWN_SECRETS_FILE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as KnownSecret);
  const session = recorded.find((s) => s.kind === 'session secret');
  assert.ok(session, 'the generated session secret was recorded');
  secrets['session secret'] = session.value;
  for (const [kind, value] of Object.entries(secrets)) assert.ok(value && value.length >= 16, `${kind}: ${value}`);
  dir = mkdtempSync(join(tmpdir(), 'lc-log-scan-'));
});
after(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Where a secret might escape: a message, a field, a URL, a header. */
function planted(kind: string, value: string): Record<string, unknown> {
  switch (kind) {
    case 'session cookie':
      return { level: 30, msg: 'incoming request', req: { headers: { Cookie: `lc_session=${encodeURIComponent(value)}` } } };
    case 'Google authorization code':
      return { level: 30, msg: 'incoming request', req: { url: `/auth/google/callback?code=${encodeURIComponent(value)}&state=x` } };
    case 'private key':
      return { level: 50, msg: 'could not sign', err: { message: `bad key ${value}` } };
    default:
      return { level: 40, msg: `provider said no to ${value}`, detail: { value } };
  }
}

function writeLines(name: string, lines: unknown[]): string {
  const logs = join(dir, name);
  mkdirSync(logs);
  writeFileSync(join(logs, 'app.log'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return logs;
}

describe('the log scan', () => {
  let result: ScanResult;
  let kinds: string[];

  before(() => {
    kinds = Object.keys(secrets);
    const lines = [{ level: 30, msg: 'a clean line first' }, ...kinds.map((k) => planted(k, secrets[k]!))];
    result = scanLogs(writeLines('leaky', lines), KNOWN_SECRETS_DIR);
  });

  it('finds each kind of secret, on its own line, and names it', () => {
    assert.equal(result.files, 1);
    assert.equal(result.lines, kinds.length + 1);
    for (const [i, kind] of kinds.entries()) {
      const found = result.findings.filter((f) => f.line === i + 2);
      assert.ok(found.length > 0, `${kind} was not found`);
      assert.ok(
        found.some((f) => f.kind === kind),
        `${kind} was found as ${found.map((f) => f.kind).join(', ')}`,
      );
      assert.ok(found.every((f) => f.file.endsWith('app.log')));
    }
    assert.ok(!result.findings.some((f) => f.line === 1), 'the clean line was flagged');
  });

  it('finds the tokens that have a shape without being told their values', () => {
    const blind = scanLogs(join(dir, 'leaky'), join(dir, 'nothing-recorded'));
    const unshaped = ['session id', 'session secret'];
    for (const [i, kind] of kinds.entries()) {
      const found = blind.findings.some((f) => f.line === i + 2 && f.kind === kind);
      assert.equal(found, !unshaped.includes(kind), `${kind} ${found ? 'was' : 'was not'} found`);
    }
  });

  it('never prints a secret in full', () => {
    const printed = JSON.stringify(result.findings);
    for (const [kind, value] of Object.entries(secrets)) {
      assert.ok(!printed.includes(value) && !printed.includes(encodeURIComponent(value)), `${kind} printed`);
    }
  });

  it('flags nothing the logger redacted, nor what is logged on purpose', () => {
    const redacted = kinds.map((k) => redactLogValue(planted(k, secrets[k]!)));
    // The logger's own redaction of these lines leaves some secrets (those it cannot tell by key
    // or shape) in place: the scan exists for them. Only the lines it fully redacted count here.
    const forms = Object.values(secrets).flatMap((v) => [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)]);
    const clean = redacted.filter((l) => !forms.some((v) => JSON.stringify(l).includes(v)));
    assert.ok(clean.length >= 2, JSON.stringify(redacted));
    const onPurpose = [
      { level: 30, msg: 'API key used', keyPrefix: secrets['API key']!.slice(0, 'lc_test_'.length + 12) },
      { level: 30, msg: 'client', clientId: 'lcc_test_0123456789abcdef', google: SANDBOX_CREDENTIALS.google.clientId, webhookId: SANDBOX_CREDENTIALS.paypal.webhookId },
      { level: 30, msg: 'request', requestId: 'req_0123456789abcdef0123456789abcdef', id: '6f1c2f8e-3e0f-4a8e-9a53-1b7e0f8f0a11', access_token: '[redacted]' },
      { level: 30, msg: 'incoming request', req: { url: '/auth/google/callback?code=[redacted]&state=[redacted]', headers: { cookie: '[redacted]', authorization: '[redacted]' } } },
      { level: 30, msg: 'Basic authentication and Bearer tokens are accepted' },
    ];
    const res = scanLogs(writeLines('clean', [...clean, ...onPurpose]), KNOWN_SECRETS_DIR);
    assert.deepEqual(res.findings, []);
  });

  it('from the command line: one summary line, the findings masked, and a failing exit code', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/log-scan.ts', join(dir, 'leaky'), KNOWN_SECRETS_DIR], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`^log scan: 1 files, ${kinds.length + 1} lines, ${result.findings.length} findings$`, 'm'));
    assert.match(run.stdout, /app\.log:2: /);
    for (const value of Object.values(secrets)) assert.ok(!run.stdout.includes(value), 'a secret was printed');
    const clean = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/log-scan.ts', join(dir, 'clean'), KNOWN_SECRETS_DIR], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stdout);
    assert.match(clean.stdout, /^log scan: 1 files, \d+ lines, 0 findings$/m);
  });
});
