import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readSpecJson, specsAvailable } from '../support/specs.ts';

/**
 * Turns the `schemas` of Google's Calendar v3 discovery document (read from ../shared/specs at
 * test time, never copied) into JSON Schema and validates emulator responses with ajv.
 *
 * Discovery `$ref: "Name"` becomes `#/definitions/Name`; `type: "any"` becomes `{}`; objects with
 * declared `properties` and no `additionalProperties` are closed, so a misspelled or invented
 * field fails the check. int64 values are strings of digits, as in the discovery format.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type DiscoverySchema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: string[];
  items?: DiscoverySchema;
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
};

export function toJsonSchema(s: DiscoverySchema): Record<string, unknown> {
  if (s.$ref) return { $ref: `#/definitions/${s.$ref}` };
  if (s.type === 'any') return {};
  const out: Record<string, unknown> = {};
  if (s.type) out.type = s.type;
  if (s.format) out.format = s.format;
  if (s.enum) out.enum = s.enum;
  if (s.items) out.items = toJsonSchema(s.items);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toJsonSchema(v)]));
    out.additionalProperties = s.additionalProperties ? toJsonSchema(s.additionalProperties) : false;
  } else if (s.additionalProperties) {
    out.additionalProperties = toJsonSchema(s.additionalProperties);
  }
  return out;
}

export const DISCOVERY_FILE = ['google', 'calendar-v3-discovery.json'] as const;

let validators: Map<string, ValidateFunction> | null = null;

function load(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const doc = readSpecJson<{ schemas: Record<string, DiscoverySchema> }>(...DISCOVERY_FILE);
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'string', validate: /^-?\d+$/ });
  const definitions = Object.fromEntries(Object.entries(doc.schemas).map(([k, v]) => [k, toJsonSchema(v)]));
  ajv.addSchema({ $id: 'calendar-v3', definitions });
  validators = new Map();
  for (const name of Object.keys(doc.schemas)) validators.set(name, ajv.getSchema(`calendar-v3#/definitions/${name}`)!);
  return validators;
}

/** The validation errors of `data` against discovery schema `name` (empty: valid). */
export function schemaErrors(name: string, data: unknown): string[] {
  const v = load().get(name);
  assert.ok(v, `no discovery schema named ${name}`);
  return v(data) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Asserts `data` matches discovery schema `name`; a no-op where the specs folder is absent. */
export function assertSchema(name: string, data: unknown): void {
  if (!specsAvailable) return;
  const errors = schemaErrors(name, data);
  assert.deepEqual(errors, [], `${name} response does not match the discovery schema:\n${errors.join('\n')}\n${JSON.stringify(data, null, 1).slice(0, 2000)}`);
}

/** The discovery schema of a successful Calendar JSON response, by method and path. */
export function schemaFor(method: string, path: string): string | null {
  const p = new URL(path, 'http://x').pathname;
  if (p === '/calendar/v3/users/me/calendarList') return 'CalendarList';
  if (p === '/calendar/v3/freeBusy') return 'FreeBusyResponse';
  if (/^\/calendar\/v3\/calendars\/[^/]+\/events$/.test(p)) return method === 'GET' ? 'Events' : 'Event';
  if (/^\/calendar\/v3\/calendars\/[^/]+\/events\/[^/]+$/.test(p)) return 'Event';
  return null;
}
