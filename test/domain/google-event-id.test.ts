import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { base32hex, GOOGLE_EVENT_ID_RE, googleEventId, googleEventIdWithSuffix } from '../../src/domain/google-event-id.ts';

describe('googleEventId', () => {
  it('encodes RFC 4648 §7 base32hex, lower-case and unpadded (the RFC test vectors)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'co'],
      ['fo', 'cpng'],
      ['foo', 'cpnmu'],
      ['foob', 'cpnmuog'],
      ['fooba', 'cpnmuoj1'],
      ['foobar', 'cpnmuoj1e8'],
    ];
    for (const [input, expected] of vectors) assert.equal(base32hex(new TextEncoder().encode(input)), expected);
  });

  it('gives known values for known UUIDs', () => {
    // Cross-checked with Python: base64.b32hexencode(uuid.UUID(u).bytes).lower().rstrip('=')
    assert.equal(googleEventId('f47ac10b-58cc-4372-a567-0e02b2c3d479'), 'uhtc22qoph1n59b71o1b5gukf4');
    assert.equal(googleEventId('00000000-0000-0000-0000-000000000001'), '00000000000000000000000004');
    assert.equal(googleEventId('F47AC10B-58CC-4372-A567-0E02B2C3D479'), 'uhtc22qoph1n59b71o1b5gukf4');
  });

  it('checks Google’s rule on the whole id', () => {
    for (const ok of ['abcde', 'v0v0v', '0'.repeat(1024)]) assert.match(ok, GOOGLE_EVENT_ID_RE);
    for (const bad of ['abcd', '0'.repeat(1025), 'abcdw', 'wabcde', 'abcde-', '-abcde', 'ABCDE']) assert.doesNotMatch(bad, GOOGLE_EVENT_ID_RE, bad);
  });

  it('is valid for Google and deterministic', () => {
    const uuid = randomUUID();
    const id = googleEventId(uuid);
    assert.match(id, GOOGLE_EVENT_ID_RE);
    assert.match(id, /^[a-v0-9]{5,1024}$/);
    assert.equal(id.length, 26);
    assert.equal(googleEventId(uuid), id);
    assert.notEqual(googleEventId(randomUUID()), id);
  });

  it('refuses what is not a UUID, even one character off', () => {
    assert.throws(() => googleEventId('bk_1'), TypeError);
    assert.throws(() => googleEventId('f47ac10b58cc4372a5670e02b2c3d479'), TypeError);
    const uuid = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
    for (const bad of [`${uuid}0`, `0${uuid}`, uuid.slice(1), uuid.slice(0, -1), uuid.replace('f47', 'g47'), uuid.replace('-58cc', '58cc-'), ` ${uuid}`, `${uuid}\n`]) {
      // The error names what was given, so a caller can tell which id was wrong.
      assert.throws(() => googleEventId(bad), (e: unknown) => e instanceof TypeError && e.message.includes(JSON.stringify(bad)), JSON.stringify(bad));
    }
  });

  it('encodes every byte value (the 16-bit buffer keeps the pending bits only)', () => {
    assert.equal(base32hex(Uint8Array.from([0xff])), 'vs');
    assert.equal(base32hex(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff])), 'vvvvvvvv');
    assert.equal(base32hex(Uint8Array.from([0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf])), '0123456789abcdefghijklmnopqrstuv');
    assert.equal(googleEventId('ffffffff-ffff-ffff-ffff-ffffffffffff'), 'vvvvvvvvvvvvvvvvvvvvvvvvvs');
  });
});

describe('googleEventIdWithSuffix', () => {
  it('appends n in base 32, stays valid and distinct from the plain id and other suffixes', () => {
    const uuid = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
    assert.equal(googleEventIdWithSuffix(uuid, 1), 'uhtc22qoph1n59b71o1b5gukf41');
    assert.equal(googleEventIdWithSuffix(uuid, 33), 'uhtc22qoph1n59b71o1b5gukf411');
    const ids = new Set([googleEventId(uuid)]);
    for (let n = 1; n <= 100; n++) {
      const id = googleEventIdWithSuffix(uuid, n);
      assert.match(id, GOOGLE_EVENT_ID_RE);
      assert.equal(googleEventIdWithSuffix(uuid, n), id);
      ids.add(id);
    }
    assert.equal(ids.size, 101);
  });

  it('refuses a suffix below 1 or not an integer', () => {
    assert.throws(() => googleEventIdWithSuffix('f47ac10b-58cc-4372-a567-0e02b2c3d479', 0), RangeError);
    assert.throws(() => googleEventIdWithSuffix('f47ac10b-58cc-4372-a567-0e02b2c3d479', 1.5), RangeError);
    assert.throws(() => googleEventIdWithSuffix('f47ac10b-58cc-4372-a567-0e02b2c3d479', -1), (e: unknown) => e instanceof RangeError && e.message.includes('-1'));
    assert.throws(() => googleEventIdWithSuffix('f47ac10b-58cc-4372-a567-0e02b2c3d479', 2 ** 53), RangeError);
    assert.equal(googleEventIdWithSuffix('f47ac10b-58cc-4372-a567-0e02b2c3d479', 2 ** 53 - 1), `uhtc22qoph1n59b71o1b5gukf4${(2 ** 53 - 1).toString(32)}`);
  });
});
