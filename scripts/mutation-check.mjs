#!/usr/bin/env node
// Second half of `npm run mutate`: reads Stryker's JSON report, sets aside the mutants listed in
// the reviewed file test/mutation/equivalent-mutants.json (each with the reason it cannot change
// behaviour), prints a per-file table and exits 1 when a file scores below the threshold, or when
// an entry of the reviewed file matches no surviving mutant (a stale entry must be removed, not
// left to excuse a future mutant).
//
//   node scripts/mutation-check.mjs [report.json] [--threshold 85]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const thresholdAt = args.indexOf('--threshold');
const threshold = thresholdAt >= 0 ? Number(args.splice(thresholdAt, 2)[1]) : 85;
const reportPath = resolve(root, args[0] ?? 'reports/mutation/mutation.json');
const equivalentsPath = resolve(root, 'test/mutation/equivalent-mutants.json');

const report = JSON.parse(readFileSync(reportPath, 'utf8'));
/** @type {{ file: string; line?: number; mutator: string; original: string; replacement: string; reason: string }[]} */
const equivalents = JSON.parse(readFileSync(equivalentsPath, 'utf8')).mutants;

const problems = [];
for (const [i, e] of equivalents.entries()) {
  for (const key of ['file', 'mutator', 'original', 'replacement', 'reason']) {
    if (typeof e[key] !== 'string' || e[key].trim() === '') problems.push(`equivalent-mutants.json entry ${i}: "${key}" is required`);
  }
}

/** The source text a mutant replaces (report locations: 1-based lines, 1-based columns). */
function originalText(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

const squash = (s) => s.replace(/\s+/g, ' ').trim();
const used = new Set();
const rows = [];
for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, equivalent: 0, other: 0 };
  for (const m of mutants) {
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      const original = squash(originalText(source, m.location));
      const replacement = squash(m.replacement ?? '');
      const at = equivalents.findIndex(
        (e) => e.file === file && e.mutator === m.mutatorName && squash(e.original) === original && squash(e.replacement) === replacement && (e.line === undefined || e.line === m.location.start.line),
      );
      if (at >= 0) {
        used.add(at);
        count.equivalent++;
        continue;
      }
    }
    if (m.status in count) count[m.status]++;
    else count.other++; // CompileError, RuntimeError, Ignored: not a verdict on the tests
  }
  const detected = count.Killed + count.Timeout;
  const valid = detected + count.Survived + count.NoCoverage;
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  rows.push({ file, ...count, valid, score });
}
for (const [i, e] of equivalents.entries()) {
  if (!used.has(i)) problems.push(`equivalent-mutants.json entry ${i} (${e.file}:${e.line ?? '?'} ${e.mutator} ${JSON.stringify(e.original)} → ${JSON.stringify(e.replacement)}) matches no surviving mutant: remove or update it`);
}

const header = ['file', 'killed', 'timeout', 'survived', 'no cov', 'equiv', 'score'];
const table = rows.map((r) => [r.file, r.Killed, r.Timeout, r.Survived, r.NoCoverage, r.equivalent, r.valid === 0 ? 'no mutants' : `${r.score.toFixed(2)}%`].map(String));
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of table) console.log(line(r));
const total = rows.reduce((a, r) => ({ d: a.d + r.Killed + r.Timeout, v: a.v + r.Killed + r.Timeout + r.Survived + r.NoCoverage }), { d: 0, v: 0 });
console.log(`\nall files: ${total.d}/${total.v} detected (${((100 * total.d) / Math.max(1, total.v)).toFixed(2)}%), ${used.size} reviewed equivalent mutant(s) set aside; threshold ${threshold}% per file`);

const below = rows.filter((r) => r.valid > 0 && r.score < threshold);
for (const r of below) problems.push(`${r.file}: ${r.score.toFixed(2)}% is below ${threshold}%`);
if (problems.length) {
  console.error(`\n${problems.join('\n')}`);
  process.exit(1);
}
