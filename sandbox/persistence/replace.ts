/** Refills a collection in place: other objects keep references to the emulators' maps. */
export function replaceMap<K, V>(target: Map<K, V>, source: Map<K, V>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}

type Kind = 'map' | 'set' | 'array' | 'number' | 'string' | 'object';

const isKind = (v: unknown, kind: Kind) =>
  kind === 'map' ? v instanceof Map
  : kind === 'set' ? v instanceof Set
  : kind === 'array' ? Array.isArray(v)
  : kind === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v)
  : typeof v === kind;

/**
 * Checks the top level of a stored document before it replaces live state, so that a file from
 * another version or edited by hand is refused at start (and the last good copy used) rather than
 * failing later, inside a request.
 */
export function checkShape<T extends Record<string, Kind>>(what: string, data: unknown, shape: T): { [K in keyof T]: any } {
  if (typeof data !== 'object' || data === null) throw new TypeError(`${what}: not an object`);
  for (const [key, kind] of Object.entries(shape)) {
    if (!isKind((data as Record<string, unknown>)[key], kind)) throw new TypeError(`${what}.${key}: expected ${kind}`);
  }
  return data as { [K in keyof T]: any };
}
