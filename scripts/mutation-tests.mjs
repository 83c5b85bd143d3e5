#!/usr/bin/env node
// The test command Stryker runs once per mutant (`npm run mutate`; see stryker.config.mjs).
// It must run under tsx, and stops at the first failing test with the bail reporter:
// `node --import tsx --test-reporter=./scripts/mutation-bail-reporter.mjs scripts/mutation-tests.mjs`.
//
// Speed matters (one run per mutant, ~2,000 mutants): every chosen test file is imported into
// this one process (node:test runs them in-process and exits 1 when one fails), and when Stryker
// names the active mutant (__STRYKER_ACTIVE_MUTANT__) only the tests of the source file that
// holds it run. A file's own tests must kill its mutants; other tests that happen to use it do not
// count. With no active mutant (Stryker's dry run, or a person) every listed test runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Source file under mutation → the fast, offline tests that exercise it. */
export const TESTS_FOR = {
  'src/domain/crypto-price.ts': ['test/domain/crypto-price.test.ts'],
  'src/domain/event-state.ts': ['test/domain/event-state.test.ts'],
  'src/domain/event-time.ts': ['test/domain/event-time.test.ts'],
  'src/domain/google-connection.ts': ['test/domain/vocabularies.test.ts'],
  'src/domain/google-event-id.ts': ['test/domain/google-event-id.test.ts'],
  'src/domain/money.ts': ['test/domain/money.test.ts'],
  'src/domain/payment-integrity.ts': ['test/domain/payment-integrity.test.ts'],
  'src/domain/payment-state.ts': ['test/domain/payment-state.test.ts'],
  'src/domain/send-updates.ts': ['test/domain/vocabularies.test.ts'],
  'src/domain/recurrence.ts': ['test/domain/recurrence-rules.test.ts', 'test/domain/recurrence.test.ts', 'test/domain/recurrence-expansion.test.ts'],
  'src/providers/paypal/webhook-signature.ts': ['test/providers/paypal-webhook-signature-offline.test.ts'],
  'src/providers/binance/signature.ts': ['test/providers/binance-signature-offline.test.ts'],
};

const root = process.cwd();
const active = process.env.__STRYKER_ACTIVE_MUTANT__;

function testsFor(mutantId) {
  const marker = `stryMutAct_9fa48("${mutantId}")`;
  for (const [src, tests] of Object.entries(TESTS_FOR)) {
    let text;
    try {
      text = readFileSync(resolve(root, src), 'utf8');
    } catch {
      continue;
    }
    if (text.includes(marker)) return tests;
  }
  return null;
}

const chosen = (active !== undefined && testsFor(active)) || [...new Set(Object.values(TESTS_FOR).flat())];
for (const file of chosen) await import(pathToFileURL(resolve(root, file)).href);
