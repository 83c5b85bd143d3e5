import { pino } from 'pino';
import { startSandbox } from './server.ts';

/** `npm run sandbox`: the provider emulators alone, e.g. for integrators developing against them. */
const port = Number(process.env.SANDBOX_PORT ?? 4010);
const host = process.env.SANDBOX_HOST ?? '127.0.0.1';
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'leadscalendar-sandbox' } });
const sandbox = await startSandbox({ host, port, logger });
logger.info({ url: sandbox.url }, `sandbox listening on ${sandbox.url} (state: ${sandbox.url}/__sandbox)`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  });
}
