import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { dedupeSchemas } from '../../src/http/openapi.ts';
import type { RouteEntry } from '../../src/http/server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * The OpenAPI document names each schema once: no `XInput` copy of a schema that reads and writes
 * the same, every reference resolves, and the ways to authenticate are declared.
 */

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, any> }; security: unknown[] };

let doc: Doc;
before(async () => {
  // The document the docs site and the web types are built from (test/docs/examples.test.ts
  // checks the app serves the same).
  // @ts-expect-error: a plain .mjs module without type declarations
  const { openApiDocument } = await import('../../scripts/build-docs.mjs');
  doc = await openApiDocument();
});

function refs(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, into);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) k === '$ref' && typeof v === 'string' ? into.push(v) : refs(v, into);
  return into;
}

describe('the OpenAPI document', () => {
  it('has no Input copy of a schema unless the input genuinely differs from the output', () => {
    const names = Object.keys(doc.components.schemas);
    assert.ok(names.length > 10, names.join(' '));
    for (const name of names.filter((n) => n.endsWith('Input'))) {
      const base = name.slice(0, -'Input'.length);
      assert.ok(base in doc.components.schemas, `${name} has no output twin: it should carry the plain name`);
      assert.ok(!isDeepStrictEqual(doc.components.schemas[name], doc.components.schemas[base]), `${name} equals ${base}`);
    }
    for (const expected of ['Event', 'Problem', 'CreateEvent', 'ApiKey', 'CreatedApiKey', 'OAuthClient', 'TokenRequest', 'TokenResponse']) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(' ')}`);
    }
  });

  it('lists only schemas something refers to, and every reference resolves', () => {
    const all = refs(doc);
    for (const r of all) assert.ok(r.startsWith('#/components/schemas/') && r.slice(21) in doc.components.schemas, `dangling ${r}`);
    const { components, ...rest } = doc;
    const used = new Set(refs([rest, ...Object.values(components.schemas)]).map((r) => r.slice(21)));
    assert.deepEqual(Object.keys(components.schemas).filter((n) => !used.has(n)), []);
  });

  it('declares bearer, cookie session and OAuth 2.0 client credentials, and says which operations need none', () => {
    const s = doc.components.securitySchemes;
    assert.deepEqual(s.bearer, { ...s.bearer, type: 'http', scheme: 'bearer' });
    assert.equal(s.session.in, 'cookie');
    assert.equal(s.oauth2.flows.clientCredentials.tokenUrl, '/oauth/token');
    assert.deepEqual(Object.keys(s.oauth2.flows.clientCredentials.scopes), ['read', 'write']);
    assert.deepEqual(doc.security, [{ bearer: [] }, { session: [] }, { oauth2: [] }]);
    assert.deepEqual(doc.paths['/oauth/token']!.post.security, []);
    assert.deepEqual(doc.paths['/api/v1/recurrence/preview']!.post.security, []);
    assert.ok(doc.paths['/oauth/token']!.post.requestBody.content['application/x-www-form-urlencoded']);
  });
});

describe('the routes of the running app', () => {
  let app: TestApp;
  const routes: RouteEntry[] = [];
  before(async () => {
    app = await startTestApp({ onRoute: (r) => routes.push(r) });
  });
  after(() => app?.close());

  /** `/a/:id` → `/a/{id}`, as OpenAPI writes a path. */
  const asOpenApi = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const operationsOf = (d: Doc) => new Set(Object.entries(d.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));

  it('are each documented, unless hidden on purpose (pages, probes, the reference itself)', async () => {
    assert.ok(routes.some((r) => r.url === '/api/v1/events' && r.method === 'POST'), 'the route table was seen');
    const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
    // Fastify answers HEAD for every GET by itself; the document describes the GET.
    const shown = routes.filter((r) => !r.hidden && !(r.method === 'HEAD' && gets.has(r.url)));
    const served = operationsOf(await (await fetch(`${app.url}/api/v1/openapi.json`)).json());
    for (const [name, documented] of [['the served document', served], ['the docs build’s document (scripts/build-docs.mjs)', operationsOf(doc)]] as const) {
      const missing = shown.map((r) => `${r.method} ${asOpenApi(r.url)}`).filter((o) => !documented.has(o));
      assert.deepEqual(missing, [], `routes missing from ${name}: ${missing.join(', ')}`);
    }
    // And nothing documented that the app does not route.
    const routed = new Set(shown.map((r) => `${r.method} ${asOpenApi(r.url)}`));
    assert.deepEqual([...operationsOf(doc)].filter((o) => !routed.has(o)), []);
  });
});

describe('dedupeSchemas', () => {
  const op = (input: string, output: string) => ({
    post: {
      requestBody: { content: { 'application/json': { schema: { $ref: `#/components/schemas/${input}` } } } },
      responses: { 200: { content: { 'application/json': { schema: { $ref: `#/components/schemas/${output}` } } } } },
    },
  });

  it('keeps an input copy that both sides use and that differs; merges equal ones, also through references', () => {
    const doc = dedupeSchemas({
      paths: { '/a': op('ThingInput', 'Thing'), '/b': op('WrapInput', 'Wrap') },
      components: {
        schemas: {
          Thing: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } },
          ThingInput: { type: 'object', properties: { n: { type: 'number', default: 1 } } },
          Part: { type: 'string' },
          PartInput: { type: 'string' },
          Wrap: { type: 'object', properties: { p: { $ref: '#/components/schemas/Part' } } },
          WrapInput: { type: 'object', properties: { p: { $ref: '#/components/schemas/PartInput' } } },
          Unused: { type: 'string' },
          UnusedInput: { type: 'string' },
        },
      },
    });
    assert.deepEqual(Object.keys(doc.components!.schemas!), ['Part', 'Thing', 'ThingInput', 'Wrap']);
    assert.deepEqual((doc as any).paths['/b'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/Wrap' });
  });

  it('gives an input-only schema its plain name', () => {
    const doc = dedupeSchemas({
      paths: { '/a': op('AskInput', 'Answer') },
      components: { schemas: { Ask: { type: 'object' }, AskInput: { type: 'object', properties: { x: { default: 1 } } }, Answer: { type: 'string' }, AnswerInput: { type: 'number' } } },
    });
    assert.deepEqual(Object.keys(doc.components!.schemas!), ['Answer', 'Ask']);
    assert.deepEqual((doc as any).components.schemas.Ask, { type: 'object', properties: { x: { default: 1 } } });
    assert.deepEqual((doc as any).paths['/a'].post.requestBody.content['application/json'].schema, { $ref: '#/components/schemas/Ask' });
  });
});
