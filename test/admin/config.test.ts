import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { sandboxEnv } from '../support/app.ts';

describe('ADMIN_EMAILS', () => {
  const env = sandboxEnv('http://127.0.0.1:4010');
  it('is empty by default: no admin area', () => {
    assert.deepEqual(loadConfig(env).adminEmails, []);
    assert.deepEqual(loadConfig({ ...env, ADMIN_EMAILS: '' }).adminEmails, []);
  });
  it('is a comma-separated list, trimmed and lower-cased', () => {
    assert.deepEqual(loadConfig({ ...env, ADMIN_EMAILS: ' Ops@Example.com,lead@example.com ,' }).adminEmails, ['ops@example.com', 'lead@example.com']);
  });
  it('refuses a value that is not an e-mail address, naming the variable', () => {
    assert.throws(
      () => loadConfig({ ...env, ADMIN_EMAILS: 'ops@example.com, not-an-address' }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('ADMIN_EMAILS') && /e-mail address/.test(p)),
    );
  });
});
