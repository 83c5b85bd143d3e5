import { randomInt } from 'node:crypto';
import { closeAll } from './cluster.ts';
import { formatReport, runChaos } from './run.ts';

/**
 * `npm run chaos`: CHAOS_BOOKINGS (default 1000) bookings under faults and SIGKILLs, seeded by
 * CHAOS_SEED (random if unset; printed, so a failing run can be replayed). Exits 1 on any violation.
 */

const bookings = Number(process.env.CHAOS_BOOKINGS ?? 1000);
const seed = process.env.CHAOS_SEED === undefined ? randomInt(1, 2 ** 31) : Number(process.env.CHAOS_SEED);
const concurrency = Number(process.env.CHAOS_CONCURRENCY ?? 6);
if (!Number.isInteger(bookings) || bookings < 1 || !Number.isInteger(seed) || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('CHAOS_BOOKINGS, CHAOS_SEED and CHAOS_CONCURRENCY must be positive whole numbers\n');
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping the app processes and dropping the run's database\n`);
    void closeAll().finally(() => process.exit(130));
  });
}
const at = () => new Date().toISOString().slice(11, 19);
process.stdout.write(`chaos: ${bookings} bookings, seed ${seed} (replay: CHAOS_SEED=${seed} CHAOS_BOOKINGS=${bookings} npm run chaos)\n`);
const report = await runChaos({ bookings, seed, concurrency, log: (line) => process.stdout.write(`[${at()}] ${line}\n`) });
process.stdout.write(`${formatReport(report)}\n`);
process.exit(report.violations.length ? 1 : 0);
