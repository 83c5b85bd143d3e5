import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { sandboxEnv } from '../support/app.ts';

const LIVE_OK = {
  APP_MODE: 'live',
  PUBLIC_BASE_URL: 'https://calendar.example.com',
  SESSION_SECRET: 'x'.repeat(40),
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'gsecret',
  PAYPAL_CLIENT_ID: 'pp-id',
  PAYPAL_CLIENT_SECRET: 'pp-secret',
  PAYPAL_WEBHOOK_ID: 'WH-1',
  BINANCE_API_KEY: 'bkey',
  BINANCE_SECRET_KEY: 'bsecret',
  SMTP_URL: 'smtps://mailer:mail-password@mail.example.com:465',
  MAIL_FROM: 'LeadsCalendar <bookings@example.com>',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('runs in sandbox mode with nothing but what the launcher passes', () => {
    const c = loadConfig(sandboxEnv('http://127.0.0.1:4010'));
    assert.equal(c.mode, 'sandbox');
    assert.equal(c.port, 3000);
    // Anyone who can reach a sandbox can sign in without a real account: loopback unless asked.
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicBaseUrl, 'http://localhost:3000');
    assert.deepEqual(c.database, { kind: 'pglite', dataDir: './data/pglite' });
    assert.equal(c.sandboxUrl, 'http://127.0.0.1:4010');
    assert.equal(c.endpoints.paypalApi, 'http://127.0.0.1:4010');
    assert.equal(c.endpoints.googleOAuth, 'http://127.0.0.1:4010');
    assert.equal(c.paypal.clientId, SANDBOX_CREDENTIALS.paypal.clientId);
    assert.equal(c.google.clientSecret, SANDBOX_CREDENTIALS.google.clientSecret);
  });

  it('live status streams: a 15 s heartbeat and stream limits by default, each validated', () => {
    const c = loadConfig(sandboxEnv('http://127.0.0.1:4010'));
    assert.deepEqual(c.liveStatus, { heartbeatSeconds: 15, maxStreamsPerUser: 10, maxStreams: 1000 });
    assert.equal(loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), SSE_HEARTBEAT_SECONDS: '1' }).liveStatus.heartbeatSeconds, 1);
    const problems = problemsOf({ ...sandboxEnv('http://127.0.0.1:4010'), SSE_HEARTBEAT_SECONDS: '0', SSE_MAX_STREAMS_PER_USER: 'many', SSE_MAX_STREAMS: '-1' });
    for (const key of ['SSE_HEARTBEAT_SECONDS', 'SSE_MAX_STREAMS_PER_USER', 'SSE_MAX_STREAMS']) assert.ok(problems.some((p) => p.startsWith(`${key}:`)), `${key} in ${problems.join('; ')}`);
  });

  it('refuses sandbox mode without the sandbox\'s address and credentials, pointing at npm start', () => {
    const problems = problemsOf({});
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /npm start/);
    for (const key of ['GOOGLE_CLIENT_ID', 'PAYPAL_WEBHOOK_ID', 'BINANCE_SECRET_KEY', 'PAYPAL_API_BASE_URL']) assert.match(problems[0]!, new RegExp(key));
    const { SANDBOX_URL: _, ...noUrl } = sandboxEnv('http://127.0.0.1:4010');
    assert.match(problemsOf(noUrl)[0]!, /GOOGLE_OAUTH_BASE_URL, GOOGLE_API_BASE_URL, PAYPAL_API_BASE_URL, BINANCE_API_BASE_URL/);
  });

  it('uses a PostgreSQL server when DATABASE_URL is set', () => {
    const c = loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), DATABASE_URL: 'postgres://u@db:5432/lc' });
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u@db:5432/lc' });
  });

  it('refuses a price outside USD: Binance Pay orders are converted from USD', () => {
    const problems = problemsOf({ ...sandboxEnv('http://127.0.0.1:4010'), EVENT_PRICE_CURRENCY: 'EUR' });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^EVENT_PRICE_CURRENCY: .*USD/);
    assert.equal(loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), EVENT_PRICE_CURRENCY: 'USD', BINANCE_USDT_RATE: '0.9985' }).payments.binanceUsdtRate, '0.9985');
    assert.match(problemsOf({ ...sandboxEnv('http://127.0.0.1:4010'), BINANCE_USDT_RATE: '0' })[0]!, /^BINANCE_USDT_RATE/);
  });

  it('treats empty values as unset', () => {
    assert.equal(loadConfig({ ...sandboxEnv('http://127.0.0.1:4010'), PORT: '', DATABASE_URL: '' }).port, 3000);
  });

  it('accepts a complete live configuration and points at the real providers', () => {
    const c = loadConfig(LIVE_OK);
    assert.equal(c.mode, 'live');
    assert.equal(c.host, '0.0.0.0', 'live mode listens on every interface, behind its proxy');
    assert.equal(loadConfig({ ...LIVE_OK, HOST: '10.0.0.5' }).host, '10.0.0.5');
    assert.equal(c.sandboxUrl, null);
    assert.equal(c.endpoints.paypalApi, 'https://api-m.paypal.com');
    assert.equal(c.endpoints.binanceApi, 'https://bpay.binanceapi.com');
  });

  it('lists every missing live variable at once', () => {
    const problems = problemsOf({ APP_MODE: 'live' });
    for (const key of ['PUBLIC_BASE_URL', 'SESSION_SECRET', 'ENCRYPTION_KEY', 'SMTP_URL', 'MAIL_FROM', 'GOOGLE_CLIENT_ID', 'PAYPAL_WEBHOOK_ID', 'BINANCE_SECRET_KEY'])
      assert.ok(problems.some((p) => p.startsWith(`${key}: required in live mode`)), `${key} missing from ${problems.join('; ')}`);
  });

  it('lists every malformed value at once, naming the variable', () => {
    const problems = problemsOf({
      ...LIVE_OK,
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      ENCRYPTION_KEY: 'short',
      SESSION_SECRET: 'short',
      LOG_LEVEL: 'loud',
    });
    for (const key of ['PORT', 'DATABASE_URL', 'ENCRYPTION_KEY', 'SESSION_SECRET', 'LOG_LEVEL'])
      assert.ok(problems.some((p) => p.startsWith(`${key}:`)), `${key} not reported in ${problems.join('; ')}`);
    assert.equal(problems.length, 5);
  });

  it('refuses a plain-http public URL in live mode', () => {
    const problems = problemsOf({ ...LIVE_OK, PUBLIC_BASE_URL: 'http://calendar.example.com' });
    assert.match(problems.join('\n'), /PUBLIC_BASE_URL: must be an https:\/\/ URL/);
  });

  it('sends mail through SMTP_URL: required in both modes (the launcher passes the sandbox outbox), never echoed', () => {
    const c = loadConfig(LIVE_OK);
    assert.deepEqual(c.mail, { smtpUrl: LIVE_OK.SMTP_URL, from: LIVE_OK.MAIL_FROM, reminderMinutes: 10 });
    const { SMTP_URL: _, ...noSmtp } = sandboxEnv('http://127.0.0.1:4010');
    assert.match(problemsOf(noSmtp)[0]!, /SMTP_URL/);
    assert.equal(loadConfig(sandboxEnv('http://127.0.0.1:4010')).mail.from, 'LeadsCalendar sandbox <bookings@leadscalendar.localhost>');
    const bad = problemsOf({ ...LIVE_OK, SMTP_URL: 'http://mailer:hunter2-secret@mail.example.com', MAIL_FROM: 'not an address' });
    assert.deepEqual(bad.map((p) => p.split(':')[0]), ['SMTP_URL', 'MAIL_FROM']);
    assert.doesNotMatch(bad.join('\n'), /hunter2-secret/);
  });

  it('sends the payment reminder before the deadline: PAYMENT_REMINDER_MINUTES below PAYMENT_TTL_MINUTES, 0 for none', () => {
    const env = sandboxEnv('http://127.0.0.1:4010');
    assert.equal(loadConfig(env).mail.reminderMinutes, 10);
    assert.equal(loadConfig({ ...env, PAYMENT_TTL_MINUTES: '6' }).mail.reminderMinutes, 3, 'a short window gets its middle by default');
    assert.equal(loadConfig({ ...env, PAYMENT_TTL_MINUTES: '1' }).mail.reminderMinutes, 0);
    assert.equal(loadConfig({ ...env, PAYMENT_REMINDER_MINUTES: '0', PAYMENT_TTL_MINUTES: '5' }).mail.reminderMinutes, 0);
    assert.match(problemsOf({ ...env, PAYMENT_REMINDER_MINUTES: '30' })[0]!, /^PAYMENT_REMINDER_MINUTES: .*less than PAYMENT_TTL_MINUTES \(30\)/);
  });

  it('never echoes a secret value in its messages', () => {
    const err = (() => {
      try {
        loadConfig({ ...LIVE_OK, ENCRYPTION_KEY: 'not-a-key-but-secret-looking', PORT: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    assert.ok(err);
    assert.doesNotMatch(err.message, /not-a-key-but-secret-looking/);
  });
});
