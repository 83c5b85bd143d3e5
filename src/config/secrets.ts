import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './env.ts';

export interface Secrets {
  sessionSecret: string;
  /** 32 bytes for AES-256-GCM. */
  encryptionKey: Buffer;
}

/**
 * Live mode takes both secrets from the environment (loadConfig has already required them).
 * Sandbox mode generates them once and keeps them in the data folder, so that sessions and
 * encrypted tokens survive a restart without anyone having to configure anything.
 */
export async function resolveSecrets(config: Config): Promise<Secrets> {
  if (config.sessionSecret && config.encryptionKey) {
    return { sessionSecret: config.sessionSecret, encryptionKey: Buffer.from(config.encryptionKey, 'base64') };
  }
  const file = join(config.dataDir, 'sandbox-secrets.json');
  let stored: { sessionSecret: string; encryptionKey: string } | undefined;
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!stored) {
    stored = { sessionSecret: randomBytes(32).toString('base64url'), encryptionKey: randomBytes(32).toString('base64') };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' }).catch(async (err) => {
      // Another instance wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      stored = JSON.parse(await readFile(file, 'utf8'));
    });
  }
  return {
    sessionSecret: config.sessionSecret ?? stored!.sessionSecret,
    encryptionKey: Buffer.from(config.encryptionKey ?? stored!.encryptionKey, 'base64'),
  };
}
