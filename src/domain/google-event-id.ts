/**
 * Google Calendar event ids derived from our event ids, so that inserting the same event twice
 * is answered 409 `duplicate` instead of creating a second copy.
 *
 * Google's rule for client-chosen ids: characters of base32hex (`a-v`, `0-9`), length 5–1024,
 * unique per calendar, and an id stays taken after the event is deleted.
 */

/** RFC 4648 §7 "base32hex" alphabet, lower-case (Google wants lower-case). */
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Google's rule for a client-chosen event id. */
export const GOOGLE_EVENT_ID_RE = /^[a-v0-9]{5,1024}$/;

/** RFC 4648 §7 base32hex of `bytes`, lower-case, without `=` padding. */
export function base32hex(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function uuidBytes(uuid: string): Uint8Array {
  if (!UUID_RE.test(uuid)) throw new TypeError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Uint8Array.from(uuid.replace(/-/g, '').match(/../g)!, (h) => parseInt(h, 16));
}

/**
 * The Google Calendar event id of our event: base32hex (lower-case, unpadded) of the 16 UUID
 * bytes, always 26 characters. Deterministic, so a retried insert reuses it.
 *
 * @example googleEventId('00000000-0000-0000-0000-000000000001') // '00000000000000000000000004'
 */
export function googleEventId(uuid: string): string {
  return base32hex(uuidBytes(uuid));
}

/**
 * A fresh id for the same event, for when the plain id is taken by a cancelled event that cannot
 * be restored: {@link googleEventId} followed by `n` (an integer ≥ 1) in base 32 with the same
 * alphabet (`n.toString(32)`). The prefix has a fixed length of 26 characters and `n` has no
 * leading zero, so different `n` never give the same id, nor the plain id.
 *
 * @example googleEventIdWithSuffix('00000000-0000-0000-0000-000000000001', 33) // '0000000000000000000000000411'
 */
export function googleEventIdWithSuffix(uuid: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`suffix must be an integer >= 1; got ${n}`);
  return googleEventId(uuid) + n.toString(32);
}
