// node:test reporter for scripts/mutation-tests.mjs: stops the run at the first failing test.
// Stryker only needs to know that some test noticed the mutant; the rest would cost time.
export default async function* bail(source) {
  for await (const event of source) {
    if (event.type === 'test:fail') {
      yield `not ok: ${event.data.name}\n`;
      process.exit(1);
    }
  }
}
