import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * The shape DESIGN.md §4 promises, checked on the import statements of every file under src/:
 * http → app → domain, providers and db behind ports, web a client of http, the sandbox a program
 * of its own, and no cycle between folders. A "unit" is a folder under src/ (domain, app, http…)
 * or a file directly in src/ (errors, runtime, main).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** The error vocabulary every layer speaks; it must itself import nothing from src. */
const SHARED_KERNEL = new Set(['errors']);
/** Pure computation libraries the domain may use (no I/O). Add one here only if that holds. */
const DOMAIN_PACKAGES = new Set(['luxon', 'rrule']);
/** Where the product is composed: may import every unit. */
const COMPOSITION_ROOTS = new Set(['runtime', 'main']);

const RULES: { unit: string; mayNotImport: string[]; why: string }[] = [
  { unit: 'http', mayNotImport: ['db', 'providers', 'jobs'], why: 'http reaches data and providers only through app use cases' },
  { unit: 'http', mayNotImport: ['web'], why: 'web builds on http, never the reverse' },
  { unit: 'web', mayNotImport: ['db', 'providers', 'jobs'], why: 'the web interface is a client of the API' },
  { unit: 'app', mayNotImport: ['http', 'web'], why: 'use cases know nothing of their callers' },
  { unit: 'db', mayNotImport: ['app', 'http', 'web', 'providers', 'jobs'], why: 'adapters sit behind ports' },
  { unit: 'providers', mayNotImport: ['app', 'http', 'web', 'db', 'jobs'], why: 'adapters sit behind ports' },
  { unit: 'jobs', mayNotImport: ['app', 'http', 'web'], why: 'the queue is infrastructure the use cases drive' },
  { unit: 'ports', mayNotImport: ['app', 'http', 'web', 'db', 'providers', 'jobs'], why: 'a port is the contract between use cases and adapters, in our own words' },
];

export interface ImportEdge {
  from: string; // path relative to the repository
  to: string; // resolved path relative to the repository, or a package name
  external: boolean;
}

export function unitOf(path: string): string | null {
  if (!path.startsWith('src/')) return null;
  const rest = path.slice(4);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest.replace(/\.ts$/, '') : rest.slice(0, slash);
}

/** Every import, export-from and dynamic import of every .ts file under src/. */
function readImports(): ImportEdge[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) files.push(p);
    }
  };
  walk(SRC);
  return files.flatMap((file) =>
    ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(({ fileName }) => {
      const relativeImport = fileName.startsWith('.');
      return {
        from: relative(ROOT, file),
        to: relativeImport ? relative(ROOT, resolve(dirname(file), fileName)) : fileName,
        external: !relativeImport,
      };
    }),
  );
}

/** Every broken rule, in words that name the file and the import. */
export function violations(edges: ImportEdge[]): string[] {
  const out: string[] = [];
  const graph = new Map<string, Map<string, string>>(); // unit → unit → one file edge as evidence
  for (const e of edges) {
    const from = unitOf(e.from)!;
    if (e.external) {
      const pkg = e.to.startsWith('@') ? e.to.split('/').slice(0, 2).join('/') : e.to.split('/')[0]!;
      if (from === 'domain' && !DOMAIN_PACKAGES.has(pkg)) out.push(`${e.from} imports the package ${e.to}: the domain is pure`);
      continue;
    }
    if (e.to === 'sandbox' || e.to.startsWith('sandbox/')) {
      out.push(`${e.from} imports ${e.to}: the sandbox is a separate program`);
      continue;
    }
    const to = unitOf(e.to);
    if (to === null) {
      out.push(`${e.from} imports ${e.to}, outside src/`);
      continue;
    }
    if (from === to) continue;
    if (from === 'domain' && !SHARED_KERNEL.has(to)) out.push(`${e.from} imports ${e.to}: the domain imports only the domain`);
    if (SHARED_KERNEL.has(from)) out.push(`${e.from} imports ${e.to}: the shared kernel imports nothing from src`);
    for (const r of RULES) if (r.unit === from && r.mayNotImport.includes(to)) out.push(`${e.from} imports ${e.to}: ${r.why}`);
    if (!graph.has(from)) graph.set(from, new Map());
    if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${e.from} → ${e.to}`);
  }
  for (const cycle of unitCycles(graph)) out.push(`import cycle between ${cycle.units.join(' → ')}: ${cycle.evidence.join('; ')}`);
  return out;
}

/** One cycle per strongly connected group of units (Tarjan), with a file import for each step. */
function unitCycles(graph: Map<string, Map<string, string>>): { units: string[]; evidence: string[] }[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return groups.map((group) => {
    // Walk inside the group from its first unit back to it, to name one concrete cycle.
    const inGroup = new Set(group);
    const start = group.sort()[0]!;
    const path = [start];
    const seen = new Set([start]);
    const find = (v: string): boolean => {
      for (const w of graph.get(v)?.keys() ?? []) {
        if (!inGroup.has(w)) continue;
        if (w === start) return true;
        if (seen.has(w)) continue;
        seen.add(w);
        path.push(w);
        if (find(w)) return true;
        path.pop();
      }
      return false;
    };
    find(start);
    const units = [...path, start];
    return { units, evidence: units.slice(1).map((u, i) => graph.get(units[i]!)!.get(u)!) };
  });
}

describe('layering', () => {
  it('src/ keeps http → app → domain, adapters behind ports, no sandbox import and no folder cycle', () => {
    const edges = readImports();
    assert.ok(edges.length > 50, `read the imports of src/ (${edges.length})`);
    assert.ok(COMPOSITION_ROOTS.has(unitOf('src/runtime.ts')!));
    assert.deepEqual(violations(edges), []);
  });

  // The checker itself: each rule trips on the smallest tree that breaks it.
  const edge = (from: string, to: string): ImportEdge => ({ from, to, external: !to.startsWith('src/') && !to.startsWith('sandbox') });
  const cases: [string, ImportEdge[], RegExp][] = [
    ['domain importing an adapter', [edge('src/domain/a.ts', 'src/db/repos/x.ts')], /the domain imports only the domain/],
    ['domain importing an I/O package', [edge('src/domain/a.ts', 'pg')], /the domain is pure/],
    ['http reading a repository', [edge('src/http/routes/api.ts', 'src/db/repos/users.ts')], /through app use cases/],
    ['http calling a provider', [edge('src/http/routes/auth.ts', 'src/providers/google/oauth.ts')], /through app use cases/],
    ['app importing http', [edge('src/app/a.ts', 'src/http/server.ts')], /know nothing of their callers/],
    ['src importing the sandbox', [edge('src/config/env.ts', 'sandbox/credentials.ts')], /separate program/],
    ['a cycle of folders', [edge('src/config/a.ts', 'src/crypto/b.ts'), edge('src/crypto/b.ts', 'src/observability/c.ts'), edge('src/observability/c.ts', 'src/config/d.ts')], /import cycle between config → crypto → observability → config/],
  ];
  for (const [name, edges, expected] of cases) {
    it(`flags ${name}`, () => {
      const found = violations(edges);
      assert.ok(found.some((v) => expected.test(v)), found.join('\n') || 'nothing flagged');
    });
  }
  it('flags nothing in a tree that follows the rules', () => {
    assert.deepEqual(
      violations([
        edge('src/http/routes/api.ts', 'src/app/events.ts'),
        edge('src/app/events.ts', 'src/db/repos/events.ts'),
        edge('src/db/repos/events.ts', 'src/domain/event-state.ts'),
        edge('src/domain/recurrence.ts', 'rrule'),
        edge('src/runtime.ts', 'src/http/server.ts'),
      ]),
      [],
    );
  });
});

describe('the sandbox package stands alone', () => {
  it('imports nothing outside sandbox/ and only the packages its package.json declares', () => {
    const dir = join(ROOT, 'sandbox');
    const declared = new Set(Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {}));
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (name === 'dist' || name === 'node_modules') continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (name.endsWith('.ts')) files.push(p);
      }
    };
    walk(dir);
    assert.ok(files.length > 30, `read sandbox/ (${files.length} files)`);
    const problems: string[] = [];
    for (const file of files) {
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.')) {
          const to = relative(dir, resolve(dirname(file), fileName));
          if (to.startsWith('..')) problems.push(`${relative(ROOT, file)} imports ${fileName}, outside the package`);
        } else if (!fileName.startsWith('node:')) {
          const pkg = fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : fileName.split('/')[0]!;
          if (!declared.has(pkg)) problems.push(`${relative(ROOT, file)} imports ${pkg}, which sandbox/package.json does not declare`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});

