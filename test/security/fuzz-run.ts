// `npm run fuzz`: the fuzz properties of fuzz.test.ts over a long run (FUZZ_RUNS, 10,000 by
// default; FUZZ_SEED to replay a run; FUZZ_WORKERS concurrent sequences). Prints the summary and
// exits non-zero on any failing input.
import { formatSummary, fuzz, REQUEST_BOUND_MS, startFuzzWorld } from './fuzz.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const workers = Number(process.env.FUZZ_WORKERS ?? 2);
console.log(`fuzzing: ${runs} inputs, seed ${seed}, ${workers} workers, bound ${REQUEST_BOUND_MS} ms (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`);
const world = await startFuzzWorld();
let failed = true;
try {
  const step = Math.max(1, Math.floor(runs / 10));
  const summary = await fuzz(world, { seed, runs, workers, onProgress: (n) => n % step === 0 && console.log(`  ${n}/${runs}`) });
  const healthz = await fetch(`${world.app.url}/healthz`).then((r) => r.status, () => 0);
  console.log(formatSummary(summary));
  console.log(`after the run /healthz answers ${healthz}`);
  failed = summary.failures.length > 0 || summary.healthz.failures > 0 || summary.healthz.slowestMs > REQUEST_BOUND_MS || healthz !== 200;
} finally {
  await world.app.close();
}
process.exit(failed ? 1 : 0);
