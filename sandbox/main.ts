#!/usr/bin/env node
import { resolve } from 'node:path';
import { pino } from 'pino';
import { SANDBOX_CREDENTIALS } from './credentials.ts';
import { startSandbox, type SandboxOptions } from './server.ts';

/**
 * `leadscalendar-sandbox`: the provider emulators as a process of their own. The app's launcher
 * starts it as a child with an IPC channel and waits for the `ready` message; a person or another
 * project's CI runs it directly. The contract (env, messages, signals) is in README.md.
 */

const env = process.env;
const host = env.SANDBOX_HOST || '127.0.0.1';
const port = env.SANDBOX_PORT === undefined || env.SANDBOX_PORT === '' ? 4010 : Number(env.SANDBOX_PORT);
const dataDir = resolve(env.SANDBOX_DATA_DIR || `${env.DATA_DIR || './data'}/sandbox`);
const logger = pino({ level: env.LOG_LEVEL || 'info', base: { service: 'leadscalendar-sandbox' } });

if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  logger.fatal(`SANDBOX_PORT must be a port number (0 picks a free one), not ${JSON.stringify(env.SANDBOX_PORT)}`);
  process.exit(2);
}

const smtpPort = env.SANDBOX_SMTP_PORT === undefined || env.SANDBOX_SMTP_PORT === '' ? 0 : Number(env.SANDBOX_SMTP_PORT);
if (!Number.isInteger(smtpPort) || smtpPort < 0 || smtpPort > 65_535) {
  logger.fatal(`SANDBOX_SMTP_PORT must be a port number (0 picks a free one), not ${JSON.stringify(env.SANDBOX_SMTP_PORT)}`);
  process.exit(2);
}

const settings: SandboxOptions['settings'] = {};
if (env.SANDBOX_PAYPAL_WEBHOOK_URL) settings.paypalWebhookUrl = env.SANDBOX_PAYPAL_WEBHOOK_URL;
if (env.SANDBOX_BINANCE_WEBHOOK_URL) settings.binanceWebhookUrl = env.SANDBOX_BINANCE_WEBHOOK_URL;

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
try {
  sandbox = await startSandbox({ host, port, logger, dataDir, settings, smtpPort });
} catch (err) {
  logger.fatal({ err }, 'the sandbox could not start');
  process.exit(1);
}

logger.info({ url: sandbox.url, smtpUrl: sandbox.smtpUrl, dataDir }, `sandbox listening on ${sandbox.url} (control: ${sandbox.url}/__sandbox, outbox: ${sandbox.url}/__sandbox/mail)`);
process.send?.({ type: 'ready', url: sandbox.url, smtpUrl: sandbox.smtpUrl, credentials: SANDBOX_CREDENTIALS });

let stopping = false;
function stop(reason: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'sandbox stopping');
  sandbox.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'sandbox did not close cleanly');
      process.exit(1);
    },
  );
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
// Started by a parent with an IPC channel: when the parent dies the channel closes, and an
// orphaned sandbox would keep the port and the data folder busy.
if (process.send) process.once('disconnect', () => stop('parent disconnected'));
