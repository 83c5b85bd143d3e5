// Mutation testing of the domain and the pure money/signature code (`npm run mutate`, issue #14).
// Stryker changes the code one small mutant at a time and runs scripts/mutation-tests.mjs, which
// runs only the tests of the mutated file; scripts/mutation-check.mjs then reads the JSON report,
// drops the reviewed equivalent mutants (test/mutation/equivalent-mutants.json) and fails under 85%.
import { resolve } from 'node:path';

// Stryker copies the project into .stryker-tmp/sandbox-*/, where test/support/specs.ts's default
// (../shared/specs beside the clone) would point nowhere: hand it the absolute folder.
const specsDir = resolve(process.env.LEADSCALENDAR_SPECS_DIR ?? resolve(import.meta.dirname, '../shared/specs'));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'command',
  commandRunner: {
    command: `LEADSCALENDAR_SPECS_DIR='${specsDir.replaceAll("'", "'\\''")}' NODE_ENV=test node --import tsx --test-reporter=./scripts/mutation-bail-reporter.mjs scripts/mutation-tests.mjs`,
  },
  mutate: ['src/domain/**/*.ts', 'src/providers/paypal/webhook-signature.ts', 'src/providers/binance/signature.ts'],
  // Machines running this are shared (CI runners, a 2-core dev box): two at a time by default.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  timeoutFactor: 2,
  ignorePatterns: ['dist', 'docs', 'site', 'bench', 'examples', 'reports', 'data', '.stryker-tmp'],
  reporters: ['json', 'html', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  // The per-file threshold is scripts/mutation-check.mjs's job (after removing reviewed equivalents).
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
