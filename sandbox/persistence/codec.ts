/**
 * JSON for the emulators' state, which holds Maps, Sets and bigints (money in minor units, long
 * ids). Each of those becomes a one-key tagged object; a plain object that happens to look like a
 * tag is wrapped in `$object`, so any state reads back exactly as it was written.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TAGS = new Set(['$bigint', '$map', '$set', '$object']);

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function toJson(v: unknown): Json {
  switch (typeof v) {
    case 'bigint':
      return { $bigint: v.toString() };
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`cannot store the number ${v}`);
      return v;
    case 'undefined':
      return null;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toJson);
      if (v instanceof Map) return { $map: [...v].map(([k, x]) => [toJson(k), toJson(x)]) };
      if (v instanceof Set) return { $set: [...v].map(toJson) };
      if (!isPlainObject(v)) throw new TypeError(`cannot store a ${v.constructor?.name ?? 'non-plain'} object`);
      const out: Record<string, Json> = {};
      // Absent and undefined properties read back alike; dropping them keeps the file stable.
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x);
      const keys = Object.keys(out);
      return keys.length === 1 && TAGS.has(keys[0]!) ? { $object: out } : out;
    }
    default:
      throw new TypeError(`cannot store a ${typeof v}`);
  }
}

function fromJson(v: Json): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(fromJson);
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [tag] = keys as [string];
    const x = v[tag]!;
    switch (tag) {
      case '$bigint':
        if (typeof x !== 'string') throw new TypeError('$bigint must hold a string');
        return BigInt(x);
      case '$map':
        if (!Array.isArray(x)) throw new TypeError('$map must hold an array of pairs');
        return new Map(x.map((pair) => {
          if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('$map entries must be pairs');
          return [fromJson(pair[0]!), fromJson(pair[1]!)] as const;
        }));
      case '$set':
        if (!Array.isArray(x)) throw new TypeError('$set must hold an array');
        return new Set(x.map(fromJson));
      case '$object':
        if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new TypeError('$object must hold an object');
        return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fromJson(y)]));
    }
  }
  return Object.fromEntries(Object.entries(v).map(([k, y]) => [k, fromJson(y)]));
}

export function encodeState(value: unknown): string {
  return JSON.stringify(toJson(value));
}

/** Throws on text that is not JSON or whose tags are malformed. */
export function decodeState(text: string): unknown {
  return fromJson(JSON.parse(text) as Json);
}
