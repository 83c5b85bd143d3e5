import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/env.ts';
import { resolveSecrets } from '../../src/config/secrets.ts';
import { TokenCipher } from '../../src/crypto/token-cipher.ts';
import { sandboxEnv } from '../support/app.ts';

describe('secrets', () => {
  it('generates sandbox secrets once, keeps them in the data folder (0600) and reuses them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lc-secrets-'));
    try {
      const config = loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), DATA_DIR: dir });
      const a = await resolveSecrets(config);
      const b = await resolveSecrets(config);
      assert.equal(a.encryptionKey.length, 32);
      assert.ok(a.encryptionKey.equals(b.encryptionKey));
      assert.equal(a.sessionSecret, b.sessionSecret);
      assert.equal((await stat(join(dir, 'sandbox-secrets.json'))).mode & 0o777, 0o600);
      assert.ok((await readFile(join(dir, 'sandbox-secrets.json'), 'utf8')).length > 40);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes them from the environment when given', async () => {
    const key = randomBytes(32);
    const s = await resolveSecrets(loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), DATA_DIR: '/nonexistent-never-written', SESSION_SECRET: 'y'.repeat(40), ENCRYPTION_KEY: key.toString('base64') }));
    assert.ok(s.encryptionKey.equals(key));
    assert.equal(s.sessionSecret, 'y'.repeat(40));
  });
});

describe('token encryption (AES-256-GCM)', () => {
  const cipher = new TokenCipher(randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const a = cipher.encrypt('1//refresh-token', 'user-1');
    const b = cipher.encrypt('1//refresh-token', 'user-1');
    assert.notDeepEqual(a, b);
    assert.equal(cipher.decrypt(a, 'user-1'), '1//refresh-token');
    assert.ok(!a.toString('latin1').includes('refresh-token'));
  });

  it('refuses a ciphertext moved to another user', () => {
    assert.throws(() => cipher.decrypt(cipher.encrypt('secret', 'user-1'), 'user-2'));
  });

  it('refuses a tampered ciphertext and a wrong key', () => {
    const c = cipher.encrypt('secret', 'user-1');
    c[c.length - 1]! ^= 1;
    assert.throws(() => cipher.decrypt(c, 'user-1'));
    assert.throws(() => new TokenCipher(randomBytes(32)).decrypt(cipher.encrypt('secret', 'u'), 'u'));
    assert.throws(() => new TokenCipher(randomBytes(16)), /32 bytes/);
  });
});
