// A node:test reporter that prints one plain closing line, `N passed, N failed, N skipped`,
// counting test cases (not suites or files), plus the names of the failures.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.details?.type === 'suite') continue;
    // A file-level failure (a crash outside any test) arrives as a test named after the file.
    if (d.skip || d.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else {
      failed++;
      failures.push(`${d.file ?? ''} › ${d.name}`);
    }
  }
  if (failures.length) yield `\nFailed:\n${failures.map((f) => `  ✖ ${f}`).join('\n')}\n`;
  yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
