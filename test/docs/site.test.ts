import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BINANCE_OPERATIONS } from '../../sandbox/binance/emulator.ts';
import { FaultRequest } from '../../sandbox/control.ts';
import { GOOGLE_OPERATIONS } from '../../sandbox/google/emulator.ts';
import { PAYPAL_OPERATIONS } from '../../sandbox/paypal/emulator.ts';
import { ERROR_KINDS, type ErrorKind } from '../../src/errors.ts';
import { problemType } from '../../src/http/problem.ts';
import { SIGN_IN_FAILURE_TITLES } from '../../src/http/routes/auth.ts';

/**
 * The documentation site: it builds with `mkdocs build --strict`, and it cannot silently fall
 * behind the code — every setting, fault kind, provider operation, control route, error kind and
 * sign-in page the code has must be documented.
 */

const root = resolve(import.meta.dirname, '../..');
// Debian's mkdocs (with its mkdocs-material and pymdownx packages); MKDOCS_BIN overrides the path.
const MKDOCS = process.env.MKDOCS_BIN ?? '/usr/bin/mkdocs';
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const docs = (page: string) => read(`docs/${page}`);

function generate() {
  const res = spawnSync(process.execPath, [join(root, 'scripts/build-docs.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(res.status, 0, `scripts/build-docs.mjs failed:\n${res.stdout}\n${res.stderr}`);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('documentation site: coverage of the code', () => {
  before(generate);

  it('states the Node.js version package.json requires, wherever it names one', () => {
    const required = JSON.parse(read('package.json')).engines.node.replace(/^>=\s*/, '');
    for (const page of ['README.md', 'docs/getting-started.md']) {
      const named = [...read(page).matchAll(/Node(?:\.js)?\W{0,4}(\d+\.\d+)(?:\W{0,4})or newer/g)].map((m) => m[1]);
      assert.ok(named.length > 0, `${page} names no Node.js version`);
      assert.deepEqual([...new Set(named)], [required], `${page} names Node.js ${named.join(', ')}; package.json requires ${required}`);
    }
  });

  it('documents every environment variable of src/config/env.ts in configuration.md', () => {
    const src = read('src/config/env.ts');
    const schema = src.slice(src.indexOf('const base = z.object({'), src.indexOf('});', src.indexOf('const base = z.object({')));
    const vars = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    assert.ok(vars.length >= 30, `found only ${vars.length} variables: the parser needs updating`);
    const page = docs('configuration.md');
    const missing = vars.filter((v) => !page.includes(`\`${v}\``));
    assert.deepEqual(missing, [], 'variables missing from docs/configuration.md');
    // .env.example, which the README sends people to, names each too.
    const example = read('.env.example');
    assert.deepEqual(vars.filter((v) => !new RegExp(`^${v}=`, 'm').test(example)), [], 'variables missing from .env.example');
    // And the summary table has a row for each.
    const rows = vars.filter((v) => !new RegExp(`^\\| \\[\`${v}\`\\]`, 'm').test(page));
    assert.deepEqual(rows, [], 'variables missing from the summary table');
  });

  it('documents every fault kind, with its fields, in sandbox.md', () => {
    const page = docs('sandbox.md');
    const kinds = FaultRequest.options.map((o) => o.shape.fault.value);
    assert.equal(kinds.length, 10);
    for (const option of FaultRequest.options) {
      const kind = option.shape.fault.value;
      const at = page.indexOf(`\n\`${kind}\`\n:   `);
      assert.ok(at >= 0, `fault kind ${kind} has no definition entry in docs/sandbox.md`);
      const entry = page.slice(at, page.indexOf('\n\n`', at + 1) === -1 ? undefined : page.indexOf('\n\n`', at + 1));
      for (const field of Object.keys(option.shape).filter((f) => f !== 'fault')) {
        assert.ok(entry.includes(`\`${field}\``), `fault ${kind}: field ${field} not documented`);
      }
      assert.ok(existsSync(join(root, `examples/sandbox/fault-${kind.replace(/_/g, '-')}.sh`)), `no example for fault ${kind}`);
    }
  });

  it('documents every provider operation name in sandbox.md', () => {
    const page = docs('sandbox.md');
    const all = { google: GOOGLE_OPERATIONS, paypal: PAYPAL_OPERATIONS, binance: BINANCE_OPERATIONS };
    for (const [provider, ops] of Object.entries(all)) {
      const missing = ops.filter((op) => !page.includes(`| \`${op}\` |`));
      assert.deepEqual(missing, [], `${provider} operations missing from the operation tables`);
    }
  });

  it('documents every sandbox control route in sandbox.md', () => {
    const page = docs('sandbox.md');
    const routes: string[] = [];
    const collect = (file: string, base = '') => {
      for (const m of read(file).matchAll(/app\.(get|post|patch|delete|put)(?:<[^>]*>)?\(\s*[`'"]([^`'"]+)[`'"]/g)) {
        const path = m[2]!.replace('${base}', base).replace(/:([a-zA-Z]+)/g, '{$1}');
        if (path.startsWith('/__sandbox')) routes.push(`${m[1]!.toUpperCase()} ${path}`);
      }
    };
    collect('sandbox/control.ts');
    collect('sandbox/google/control.ts');
    collect('sandbox/paypal/control.ts');
    collect('sandbox/binance/emulator.ts', '/__sandbox/binance');
    assert.ok(routes.length >= 30, `found only ${routes.length} routes: the parser needs updating`);
    const missing = routes.filter((r) => !page.includes(`\`${r}\``));
    assert.deepEqual(missing, [], 'control routes missing from docs/sandbox.md');
  });

  it('gives every error kind a troubleshooting section whose anchor matches its problem type', () => {
    const page = docs('troubleshooting.md');
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      const anchor = problemType(kind).split('/').pop()!;
      assert.match(page, new RegExp(`^### \`${kind}\` \\{#${anchor}\\}$`, 'm'), `no section for ${kind} (#${anchor})`);
      const section = page.slice(page.indexOf(`### \`${kind}\``)).split('\n### ')[0]!;
      assert.match(section, /\*\*Cause\.\*\*/, `${kind}: no cause`);
      assert.match(section, /\*\*Fix\.\*\*/, `${kind}: no fix`);
    }
  });

  it('explains every sign-in page of src/http/routes/auth.ts on the troubleshooting page', () => {
    const headings = Object.values(SIGN_IN_FAILURE_TITLES);
    assert.ok(headings.length >= 5);
    const page = docs('troubleshooting.md');
    const missing = [...new Set(headings)].filter((h) => !new RegExp(`^### ${h} \\{#`, 'm').test(page));
    assert.deepEqual(missing, [], 'sign-in pages without a troubleshooting section');
  });

  it('includes only existing examples, and every example somewhere', () => {
    const pages = walk(join(root, 'docs')).filter((p) => p.endsWith('.md'));
    const included = new Set<string>();
    for (const p of pages) {
      for (const m of readFileSync(p, 'utf8').matchAll(/--8<-- "([^"]+)"/g)) {
        assert.ok(existsSync(join(root, m[1]!)), `${relative(root, p)} includes a missing file ${m[1]}`);
        included.add(m[1]!);
      }
    }
    const examples = walk(join(root, 'examples')).map((p) => relative(root, p));
    const orphans = examples.filter((e) => !included.has(e));
    assert.deepEqual(orphans, [], 'examples no page shows');
  });
});

describe('documentation site: mkdocs build --strict', () => {
  const available = existsSync(MKDOCS);
  if (!available) {
    const notice = `${MKDOCS} not found: install the Debian packages mkdocs, mkdocs-material and python3-pymdownx`;
    if (process.env.CI === 'true') {
      it('has mkdocs (required under CI=true)', () => assert.fail(notice));
      return;
    }
    console.log(`# notice: skipping the site build: ${notice}`);
  }

  let siteDir: string;
  let built: ReturnType<typeof spawnSync> | undefined;
  before(() => {
    if (!available) return;
    generate();
    siteDir = mkdtempSync(join(tmpdir(), 'lc-site-'));
    built = spawnSync(MKDOCS, ['build', '--strict', '--site-dir', siteDir], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  });
  after(() => {
    if (siteDir) rmSync(siteDir, { recursive: true, force: true });
  });

  it('builds without a warning', { skip: !available && 'mkdocs not installed' }, () => {
    assert.equal(built!.status, 0, `mkdocs build --strict failed:\n${built!.stdout}\n${built!.stderr}`);
    assert.doesNotMatch(String(built!.stderr), /^WARNING/m);
  });

  it('has every page, the generated API reference and the OpenAPI document', { skip: !available && 'mkdocs not installed' }, () => {
    for (const page of [
      'index.html',
      'getting-started/index.html',
      'concepts/index.html',
      'configuration/index.html',
      'google-calendar/index.html',
      'paypal/index.html',
      'binance-pay/index.html',
      'sandbox/index.html',
      'api-reference/index.html',
      'api-reference/endpoints/index.html',
      'security/index.html',
      'operations/index.html',
      'troubleshooting/index.html',
      'testing/index.html',
      'performance/index.html',
    ]) {
      assert.ok(existsSync(join(siteDir, page)), `${page} missing from the built site`);
    }
    const openapi = JSON.parse(readFileSync(join(siteDir, 'api-reference/openapi.json'), 'utf8'));
    assert.equal(openapi.openapi, '3.1.0');
    const endpoints = readFileSync(join(siteDir, 'api-reference/endpoints/index.html'), 'utf8');
    for (const [path, item] of Object.entries(openapi.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) assert.ok(endpoints.includes(`${method.toUpperCase()} ${path}`), `${method} ${path} not rendered`);
    }
  });

  it('includes the example files and resolves every in-site anchor', { skip: !available && 'mkdocs not installed' }, () => {
    const html = walk(siteDir).filter((p) => p.endsWith('.html'));
    const ids = new Map(html.map((p) => [p, new Set([...readFileSync(p, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!))]));
    const broken: string[] = [];
    for (const p of html) {
      const text = readFileSync(p, 'utf8');
      assert.doesNotMatch(text, /--8&lt;--|--8<--/, `${relative(siteDir, p)}: a snippet was not included`);
      for (const [, href] of text.matchAll(/href="([^"]+)"/g)) {
        if (/^(https?:|mailto:|\/\/)/.test(href!)) continue;
        const [path, frag] = href!.split('#');
        if (!frag) continue;
        let target = path ? normalize(join(dirname(p), path)) : p;
        if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.html');
        if (ids.has(target) && !ids.get(target)!.has(frag)) broken.push(`${relative(siteDir, p)} → ${href}`);
      }
    }
    assert.deepEqual(broken, [], 'links to anchors that do not exist');
    const trouble = readFileSync(join(siteDir, 'troubleshooting/index.html'), 'utf8');
    for (const kind of Object.keys(ERROR_KINDS) as ErrorKind[]) {
      assert.ok(trouble.includes(`id="${problemType(kind).split('/').pop()}"`), `no anchor for ${kind}`);
    }
  });
});
