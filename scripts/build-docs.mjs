#!/usr/bin/env node
// Generates the documentation site's API reference from the running code, before `mkdocs build`:
//   docs/api-reference/openapi.json  the OpenAPI document the app serves at /api/v1/openapi.json
//   docs/api-reference/endpoints.md  its operations rendered as Markdown
// Both are generated files (not committed). Usage: `node scripts/build-docs.mjs [--check]`;
// --check only reports whether the files on disk are up to date (exit 1 if not).
import { register } from 'tsx/esm/api';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

register();

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'docs/api-reference');
const PUBLIC_BASE_URL = 'http://localhost:3000';

/**
 * The app's Fastify instance with the public API's routes, exactly as src/runtime.ts composes
 * them, but without a database or providers: only the route schemas matter for the document.
 * Ops, web and sign-in routes are hidden from the document in the running app too.
 */
export async function openApiDocument() {
  const { createServer } = await import('../src/http/server.ts');
  const { registerApiRoutes } = await import('../src/http/routes/api.ts');
  const { createLogger } = await import('../src/observability/logger.ts');
  const { createMetrics } = await import('../src/observability/metrics.ts');
  const unused = new Proxy({}, { get: () => { throw new Error('not available while generating the OpenAPI document'); } });
  const app = await createServer({
    log: createLogger('silent'),
    metrics: createMetrics(),
    trustProxy: false,
    publicBaseUrl: PUBLIC_BASE_URL,
    cookieSecret: 'x'.repeat(32),
    rateLimits: { counter: unused },
  });
  registerApiRoutes(app, { sessions: unused, events: unused, google: unused, users: unused });
  const { registerPaymentRoutes } = await import('../src/http/routes/payments.ts');
  const { registerWebhookRoutes } = await import('../src/http/routes/webhooks.ts');
  registerPaymentRoutes(app, { sessions: unused, payments: unused });
  registerWebhookRoutes(app, { payments: unused });
  const { registerCredentialRoutes } = await import('../src/http/routes/credentials.ts');
  registerCredentialRoutes(app, { sessions: unused, credentials: unused });
  const { registerWebhookEndpointRoutes } = await import('../src/http/routes/webhook-endpoints.ts');
  registerWebhookEndpointRoutes(app, { sessions: unused, webhooks: unused });
  const { registerAdminRoutes } = await import('../src/http/routes/admin.ts');
  registerAdminRoutes(app, { sessions: unused, users: unused, admins: unused, settings: unused });
  const { registerEventStreamRoute } = await import('../src/http/routes/event-stream.ts');
  // Closing the app ends the open streams: the one call the document's app makes.
  registerEventStreamRoute(app, { sessions: unused, events: unused, payments: unused, changes: { stop: async () => {} }, heartbeatSeconds: 15 });
  const { registerEventFileRoutes } = await import('../src/http/routes/event-files.ts');
  registerEventFileRoutes(app, { sessions: unused, events: unused, payments: unused, users: unused, publicBaseUrl: PUBLIC_BASE_URL });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return JSON.parse(JSON.stringify(doc));
}

// ---------------------------------------------------------------------------------------------
// Markdown rendering

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const cell = (s) => String(s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const refName = (ref) => ref.split('/').pop();
const anchor = (name) => `schema-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

function typeOf(schema) {
  if (!schema || typeof schema !== 'object') return 'any';
  if (schema.$ref) return `[${refName(schema.$ref)}](#${anchor(refName(schema.$ref))})`;
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    if (schema[k]) return schema[k].map(typeOf).join(k === 'allOf' ? ' & ' : ' \\| ');
  }
  const t = Array.isArray(schema.type) ? schema.type.join(' \\| ') : schema.type;
  if (t === 'array') return `array of ${typeOf(schema.items)}`;
  if (t === 'string' && schema.format) return `string (${schema.format})`;
  return t ?? 'object';
}

function constraints(schema) {
  const out = [];
  if (!schema || typeof schema !== 'object') return '';
  if (schema.default !== undefined) out.push(`default \`${JSON.stringify(schema.default)}\``);
  if (schema.minLength !== undefined) out.push(`min length ${schema.minLength}`);
  if (schema.maxLength !== undefined) out.push(`max length ${schema.maxLength}`);
  // zod's int() bounds (±2^53−1) say nothing a reader needs.
  if (schema.minimum !== undefined && Math.abs(schema.minimum) < Number.MAX_SAFE_INTEGER) out.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined && Math.abs(schema.maximum) < Number.MAX_SAFE_INTEGER) out.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined) out.push(`min ${schema.minItems} items`);
  if (schema.maxItems !== undefined) out.push(`max ${schema.maxItems} items`);
  if (schema.pattern !== undefined) out.push(`pattern \`${schema.pattern}\``);
  return out.join(', ');
}

/** A property table for an object schema; nested objects are flattened with dotted names. */
function propertyRows(schema, prefix = '', rows = []) {
  const required = new Set(schema.required ?? []);
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const full = `${prefix}${name}`;
    rows.push(`| \`${full}\` | ${typeOf(prop)} | ${required.has(name) ? 'yes' : 'no'} | ${cell([prop.description, constraints(prop)].filter(Boolean).join('. '))} |`);
    if (prop.type === 'object' && prop.properties) propertyRows(prop, `${full}.`, rows);
    if (prop.type === 'array' && prop.items?.type === 'object' && prop.items.properties) propertyRows(prop.items, `${full}[].`, rows);
  }
  return rows;
}

function schemaBlock(schema) {
  if (!schema) return ['No body.'];
  if (schema.$ref) return [`${typeOf(schema)} (see below).`];
  if (schema.type === 'object' && schema.properties) {
    return ['| field | type | required | notes |', '|---|---|---|---|', ...propertyRows(schema)];
  }
  return [`${typeOf(schema)}`];
}

export function renderEndpoints(doc) {
  const lines = [
    '# Endpoints',
    '',
    '<!-- Generated by scripts/build-docs.mjs from the running code. Do not edit. -->',
    '',
    `Generated from the OpenAPI ${doc.openapi} document of **${doc.info.title} ${doc.info.version}** — the same`,
    'document the app serves at `/api/v1/openapi.json` (download this build\'s copy: [openapi.json](openapi.json)).',
    'Every error answer is a [problem document](index.md#errors-problem-details).',
    '',
  ];
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) if (item[method]) ops.push({ path, method, op: item[method] });
  }
  lines.push('| method | path | summary |', '|---|---|---|');
  for (const { path, method, op } of ops) {
    lines.push(`| \`${method.toUpperCase()}\` | [\`${path}\`](#${method}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}) | ${cell(op.summary)} |`);
  }
  lines.push('');
  for (const { path, method, op } of ops) {
    const id = `${method}-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}`;
    lines.push(`## \`${method.toUpperCase()} ${path}\` {#${id}}`, '');
    if (op.summary) lines.push(op.summary + '.', '');
    if (op.tags?.length) lines.push(`Tags: ${op.tags.map((t) => `\`${t}\``).join(', ')}`, '');
    const params = op.parameters ?? [];
    if (params.length) {
      lines.push('**Parameters**', '', '| name | in | type | required | notes |', '|---|---|---|---|---|');
      for (const p of params) lines.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${cell([p.description, constraints(p.schema)].filter(Boolean).join('. '))} |`);
      lines.push('');
    }
    const body = op.requestBody?.content?.['application/json']?.schema;
    if (body) lines.push('**Request body** (`application/json`)', '', ...schemaBlock(body), '');
    lines.push('**Responses**', '', '| status | content | body |', '|---|---|---|');
    const inline = [];
    for (const [status, res] of Object.entries(op.responses ?? {})) {
      const [type, media] = Object.entries(res.content ?? {})[0] ?? ['—', {}];
      const schema = media.schema;
      const shown = schema ? (schema.$ref ? typeOf(schema) : schema.type === 'object' && schema.properties ? `object (fields below)` : typeOf(schema)) : 'no body';
      if (schema && !schema.$ref && schema.type === 'object' && schema.properties) inline.push([status, schema]);
      lines.push(`| ${status} | ${type === '—' ? '—' : `\`${type}\``} | ${cell(shown)} |`);
    }
    lines.push('');
    for (const [status, schema] of inline) lines.push(`**${status} response body**`, '', ...schemaBlock(schema), '');
  }
  const schemas = doc.components?.schemas ?? {};
  if (Object.keys(schemas).length) {
    lines.push('## Schemas', '');
    for (const [name, schema] of Object.entries(schemas)) {
      lines.push(`### ${name} {#${anchor(name)}}`, '');
      if (schema.description) lines.push(schema.description, '');
      lines.push(...schemaBlock(schema), '');
    }
  }
  return lines.join('\n');
}

async function main() {
  const check = process.argv.includes('--check');
  const doc = await openApiDocument();
  const files = {
    'openapi.json': JSON.stringify(doc, null, 2) + '\n',
    'endpoints.md': renderEndpoints(doc) + '\n',
  };
  if (check) {
    let stale = false;
    for (const [name, text] of Object.entries(files)) {
      const current = await readFile(join(outDir, name), 'utf8').catch(() => null);
      if (current !== text) {
        console.error(`docs/api-reference/${name} is missing or out of date`);
        stale = true;
      }
    }
    process.exit(stale ? 1 : 0);
  }
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(outDir, name), text);
  const count = Object.values(doc.paths ?? {}).reduce((n, item) => n + METHODS.filter((m) => item[m]).length, 0);
  console.log(`docs/api-reference: openapi.json and endpoints.md written (${count} operations)`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
