import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readSpecJson } from '../support/specs.ts';

/**
 * Response schemas from PayPal's official OpenAPI 3.0 files (read from ../shared/specs at test
 * time, never copied): each spec is added to Ajv under its file name, and a response schema is
 * compiled as a `$ref` into it, so the spec's own `$ref`s resolve inside their document.
 */

const FILES = ['checkout_orders_v2.json', 'payments_payment_v2.json', 'notifications_webhooks_v1.json'] as const;

type Spec = { paths: Record<string, Record<string, any>> };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export class PaypalSchemas {
  readonly #ajv: Ajv;
  readonly #ops = new Map<string, { file: string; op: any }>();
  readonly #cache = new Map<string, ValidateFunction>();

  constructor() {
    // strict:false: OpenAPI keywords (example, readOnly, discriminator…) are not JSON Schema;
    // Ajv understands OpenAPI 3.0's `nullable` itself. Some spec patterns (email) are not valid
    // with the `u` flag, hence unicodeRegExp:false.
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
    addFormats(this.#ajv);
    for (const file of FILES) {
      const spec = readSpecJson<Spec>('paypal', file);
      // PayPal's own formats (ppaas_date_time_v3, …): the patterns next to them do the checking.
      for (const f of collectFormats(spec)) if (!this.#ajv.formats[f]) this.#ajv.addFormat(f, true);
      this.#ajv.addSchema(spec as object, file);
      for (const [path, methods] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (op && typeof op === 'object' && op.operationId) this.#ops.set(op.operationId, { file, op: { ...op, path, method } });
        }
      }
    }
  }

  /** The validator for an operation's response with this status (falls back to `default`). */
  response(operationId: string, status: number): ValidateFunction {
    const key = `${operationId}:${status}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const entry = this.#ops.get(operationId);
    if (!entry) throw new Error(`no operation ${operationId} in the PayPal specs`);
    const declared = entry.op.responses[String(status)] ? String(status) : 'default';
    const resp = entry.op.responses[declared];
    if (!resp) throw new Error(`${operationId} declares no ${status} response`);
    // A response is inline, or a $ref to components/responses within the same document.
    const ref = resp.$ref ? `${entry.file}${resp.$ref}` : `${entry.file}#/paths/${pointer(entry.op.path)}/${entry.op.method}/responses/${declared}`;
    const validate = this.#ajv.compile({ $ref: `${ref}/content/application~1json/schema` });
    this.#cache.set(key, validate);
    return validate;
  }

  /** A named schema of one spec file, e.g. ('checkout_orders_v2.json', 'error_422'). */
  schema(file: (typeof FILES)[number], name: string): ValidateFunction {
    const key = `${file}:${name}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const validate = this.#ajv.compile({ $ref: `${file}#/components/schemas/${name}` });
    this.#cache.set(key, validate);
    return validate;
  }

  errorsText(v: ValidateFunction): string {
    return this.#ajv.errorsText(v.errors, { separator: '\n' });
  }
}

function pointer(path: string): string {
  return path.replace(/~/g, '~0').replace(/\//g, '~1');
}

function collectFormats(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) collectFormats(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'format' && typeof v === 'string') out.add(v);
      else collectFormats(v, out);
    }
  }
  return out;
}
