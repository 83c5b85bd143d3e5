import { isDeepStrictEqual } from 'node:util';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document's components, each schema once. fastify-type-provider-zod writes every
 * registered schema twice, as read by requests (`XInput`) and as written by answers (`X`), because
 * a zod schema with defaults or transforms differs between the two. Most do not differ; for those
 * the copy goes and its references point at `X`. A schema that only requests use keeps its plain
 * name, and one used only by answers loses the unused `XInput`. What remains as `XInput` is a
 * schema that both use and that genuinely differs.
 */

type Json = unknown;
type Doc = { components?: { schemas?: Record<string, Json> }; [k: string]: Json };

const PREFIX = '#/components/schemas/';

function rewriteRefs(node: Json, rename: Map<string, string>): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, rename));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith(PREFIX) && rename.has(v.slice(PREFIX.length)) ? PREFIX + rename.get(v.slice(PREFIX.length)) : rewriteRefs(v, rename);
  }
  return out;
}

function refsIn(node: Json, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const n of node) refsIn(n, into);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(PREFIX)) into.add(v.slice(PREFIX.length));
      else refsIn(v, into);
    }
  }
  return into;
}

/** The component names reachable from everything outside `components.schemas` (paths, security, …). */
function used(doc: Doc): Set<string> {
  const { components, ...rest } = doc;
  const { schemas = {}, ...otherComponents } = components ?? {};
  const seen = refsIn([rest, otherComponents], new Set());
  const queue = [...seen];
  while (queue.length) {
    for (const name of refsIn(schemas[queue.pop()!], new Set())) {
      if (!seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
    }
  }
  return seen;
}

export function dedupeSchemas(input: Doc): Doc {
  let doc = input;
  const schemas = () => doc.components?.schemas ?? {};
  // 1. An input copy equal to its output schema: one schema. Repeated, since merging one pair can
  //    make the copies that refer to it equal too.
  for (let changed = true; changed; ) {
    changed = false;
    const rename = new Map<string, string>();
    for (const name of Object.keys(schemas())) {
      const base = name.slice(0, -'Input'.length);
      if (!name.endsWith('Input') || !(base in schemas())) continue;
      const asOutput = rewriteRefs(schemas()[name], new Map([[name, base]]));
      if (isDeepStrictEqual(asOutput, schemas()[base])) rename.set(name, base);
    }
    if (rename.size) {
      changed = true;
      doc = rewriteRefs(doc, rename) as Doc;
      for (const name of rename.keys()) delete doc.components!.schemas![name];
    }
  }
  // 2. What nothing refers to goes; an input copy whose output twin went takes the plain name.
  const reachable = used(doc);
  for (const name of Object.keys(schemas())) if (!reachable.has(name)) delete doc.components!.schemas![name];
  const rename = new Map<string, string>();
  for (const name of Object.keys(schemas())) {
    const base = name.slice(0, -'Input'.length);
    if (name.endsWith('Input') && !(base in schemas())) rename.set(name, base);
  }
  if (rename.size) {
    doc = rewriteRefs(doc, rename) as Doc;
    const renamed: Record<string, Json> = {};
    for (const [name, schema] of Object.entries(schemas())) renamed[rename.get(name) ?? name] = schema;
    doc.components!.schemas = renamed;
  }
  // In name order, so that a reader (and a diff) finds a schema where expected.
  doc.components!.schemas = Object.fromEntries(Object.entries(schemas()).sort(([a], [b]) => a.localeCompare(b)));
  return doc;
}

/** fastify-swagger's `transformObject`: the provider's components, then each schema once. */
export const transformObject: typeof jsonSchemaTransformObject = (input) => dedupeSchemas(jsonSchemaTransformObject(input) as Doc) as ReturnType<typeof jsonSchemaTransformObject>;
