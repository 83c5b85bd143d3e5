#!/usr/bin/env node
// `npm start`: runs LeadsCalendar as two processes that share nothing but the environment.
//
// Sandbox mode (APP_MODE unset or `sandbox`): starts the provider emulators first, waits for their
// `{ type: 'ready', url, smtpUrl, credentials }` message, then starts the app with the sandbox's base
// URLs, credentials and mail server (its outbox) in its environment. Live mode: starts the app alone.
//
// SIGTERM/SIGINT stop the app first (gracefully: it finishes in-flight requests and jobs), then
// the sandbox; the exit status is 0 only if both stopped cleanly. If either process dies on its
// own, the other is stopped and the launcher exits non-zero, so a supervisor restarts the pair.
//
// Plain node on purpose: it imports nothing from src/ or sandbox/, and runs before any build
// output could be trusted. Two variables point it elsewhere (tests and development use them):
//   LEADSCALENDAR_APP_BIN      the app's entry (default: dist/main.js beside this folder)
//   LEADSCALENDAR_SANDBOX_BIN  the sandbox's entry (default: sandbox/dist/main.js)
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const env = process.env;
const mode = env.APP_MODE || 'sandbox';
const appBin = resolve(env.LEADSCALENDAR_APP_BIN || resolve(ROOT, 'dist/main.js'));
const sandboxBin = resolve(env.LEADSCALENDAR_SANDBOX_BIN || resolve(ROOT, 'sandbox/dist/main.js'));
// Past the app's own shutdown deadline (SHUTDOWN_TIMEOUT_MS, which it enforces itself), a child
// that still has not exited is killed.
const shutdownTimeoutMs = (Number(env.SHUTDOWN_TIMEOUT_MS) || 15_000) + 5_000;
const readyTimeoutMs = Number(env.SANDBOX_READY_TIMEOUT_MS) || 60_000;

const say = (msg) => process.stderr.write(`launcher: ${msg}\n`);

/** Starts `bin` in its own process group, so a terminal's Ctrl-C reaches it only through us, in order. */
function start(name, bin, childEnv) {
  const child = fork(bin, [], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { name, child, exited, stopping: false };
}

/** SIGTERM, then SIGKILL if it outlives the deadline. Resolves with how it ended. */
async function stop(proc) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return proc ? proc.exited : null;
  proc.stopping = true;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    say(`${proc.name} did not stop within ${shutdownTimeoutMs} ms: killing it`);
    proc.child.kill('SIGKILL');
  }, shutdownTimeoutMs);
  const end = await proc.exited;
  clearTimeout(timer);
  return end;
}

const clean = (end) => end === null || end.code === 0;

let sandbox = null;
let app = null;
let shuttingDown = null;

async function shutdown(reason, failed) {
  shuttingDown ??= (async () => {
    if (reason) say(reason);
    const appEnd = await stop(app);
    const sandboxEnd = await stop(sandbox);
    process.exit(failed || !clean(appEnd) || !clean(sandboxEnd) ? 1 : 0);
  })();
  return shuttingDown;
}

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    // A second signal means "now": the app exits at once on its own second signal.
    if (++signals > 1) {
      for (const p of [app, sandbox]) p?.child.kill(signal);
      return;
    }
    void shutdown(null, false);
  });
}

function watch(proc) {
  proc.exited.then((end) => {
    if (proc.stopping || shuttingDown) return;
    void shutdown(`${proc.name} exited unexpectedly (${end.signal ?? `code ${end.code}`}); stopping`, true);
  });
}

/** The variables the app reads in place of a live provider's: see src/config/env.ts. */
function providerEnv(url, smtpUrl, c) {
  return {
    SANDBOX_URL: url,
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
    GOOGLE_OAUTH_BASE_URL: url,
    GOOGLE_API_BASE_URL: url,
    PAYPAL_API_BASE_URL: url,
    BINANCE_API_BASE_URL: url,
    GOOGLE_CLIENT_ID: c.google.clientId,
    GOOGLE_CLIENT_SECRET: c.google.clientSecret,
    PAYPAL_CLIENT_ID: c.paypal.clientId,
    PAYPAL_CLIENT_SECRET: c.paypal.clientSecret,
    PAYPAL_WEBHOOK_ID: c.paypal.webhookId,
    BINANCE_API_KEY: c.binance.apiKey,
    BINANCE_SECRET_KEY: c.binance.secretKey,
  };
}

async function startSandbox() {
  const dataDir = env.DATA_DIR || './data';
  const publicBaseUrl = (env.PUBLIC_BASE_URL || `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  sandbox = start('sandbox', sandboxBin, {
    ...env,
    SANDBOX_HOST: env.SANDBOX_HOST || '127.0.0.1',
    SANDBOX_PORT: env.SANDBOX_PORT || '4010',
    SANDBOX_DATA_DIR: resolve(dataDir, 'sandbox'),
    SANDBOX_PAYPAL_WEBHOOK_URL: `${publicBaseUrl}/webhooks/paypal`,
    SANDBOX_BINANCE_WEBHOOK_URL: `${publicBaseUrl}/webhooks/binance`,
    LOG_LEVEL: env.LOG_LEVEL || 'info',
  });
  const ready = await new Promise((resolveReady) => {
    const timer = setTimeout(() => resolveReady(null), readyTimeoutMs);
    sandbox.child.on('message', (msg) => {
      if (msg?.type === 'ready' && typeof msg.url === 'string' && msg.credentials) {
        clearTimeout(timer);
        resolveReady(msg);
      }
    });
    sandbox.exited.then(() => {
      clearTimeout(timer);
      resolveReady(null);
    });
  });
  if (!ready) {
    await shutdown(`the sandbox did not become ready${sandbox.child.exitCode === null ? ` within ${readyTimeoutMs} ms` : ''}`, true);
    return null;
  }
  watch(sandbox);
  return ready;
}

if (mode !== 'sandbox' && mode !== 'live') {
  say(`APP_MODE must be "sandbox" or "live", not ${JSON.stringify(mode)}`);
  process.exit(1);
}
// Both entries are checked before either starts, so a missing build never leaves a lone sandbox.
for (const [name, bin] of mode === 'sandbox' ? [['app', appBin], ['sandbox', sandboxBin]] : [['app', appBin]]) {
  if (!existsSync(bin)) {
    say(`the ${name}'s entry ${bin} does not exist: run \`npm install\` (or \`npm run build\`) first`);
    process.exit(1);
  }
}
let appEnv = { ...env };
if (mode === 'sandbox') {
  const ready = await startSandbox();
  if (!ready) await new Promise(() => {}); // shutdown() exits
  appEnv = { ...env, ...providerEnv(ready.url, typeof ready.smtpUrl === 'string' ? ready.smtpUrl : undefined, ready.credentials) };
}
if (!shuttingDown) {
  app = start('app', appBin, appEnv);
  watch(app);
}
