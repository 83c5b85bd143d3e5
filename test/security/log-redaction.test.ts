import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { apiPost, signIn } from '../support/google.ts';

/** A logger writing into an array of lines, as the app's does. */
function capture() {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { log: createLogger('info', sink), text: () => text };
}

/** Every key kind the issue names, each with a value that must never be printed. */
const SECRET_KEYS = [
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'secret',
  'client_secret',
  'secretKey',
  'apiKey',
  'api_key',
  'password',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'paypal-transmission-sig',
  'binancepay-signature',
  'webhookSecret',
  'x-api-key',
  'csrfToken',
  'code_verifier',
];

function nest(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let obj = leaf;
  for (let i = 0; i < depth; i++) obj = { [`level${i}`]: obj };
  return obj;
}

describe('log redaction at any depth', () => {
  it('hides every kind of secret at the top level, nested 1, 3 and 5 deep, in arrays and in Errors', () => {
    const { log, text } = capture();
    const values: string[] = [];
    for (const key of SECRET_KEYS) {
      const value = (where: string) => {
        const v = `S3CR3T-${key}-${where}`;
        values.push(v);
        return v;
      };
      log.info({ [key]: value('top') }, 'top');
      for (const depth of [1, 3, 5]) log.info(nest(depth, { [key]: value(`depth${depth}`) }), 'nested');
      log.info({ list: [{ ok: 1 }, { [key]: value('array') }], deeper: [[nest(2, { [key]: value('array-nested') })]] }, 'arrays');
      const err = Object.assign(new Error('provider failed'), { response: { headers: { [key]: value('error-prop') } }, [key]: value('error-top') });
      log.error({ err }, 'error');
      log.error({ context: { cause: err } }, 'nested error');
      log.warn({ headers: { [key]: value('headers') }, req: { headers: { [key]: value('req-headers') } } }, 'headers');
    }
    // A cycle must not break the line, nor hide a secret inside it.
    const cyclic: Record<string, unknown> = { access_token: 'S3CR3T-cycle' };
    cyclic['self'] = cyclic;
    values.push('S3CR3T-cycle');
    log.info({ cyclic }, 'cycle');
    const out = text();
    for (const v of values) assert.ok(!out.includes(v), `${v} was logged`);
    // The lines are still there and still JSON, with the keys kept and the values redacted.
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, SECRET_KEYS.length * 8 + 1);
    assert.equal(lines[0].access_token, '[redacted]');
    assert.equal(lines.at(-1).msg, 'cycle');
  });

  it('hides OAuth code and state in URLs and query objects, keeping the rest', () => {
    const { log, text } = capture();
    log.info({ req: { url: '/auth/google/callback?code=SECRETCODE&state=SECRETSTATE&scope=openid' } }, 'incoming');
    log.info({ nested: { location: 'https://app.example/cb?state=SECRETSTATE2#code=SECRETCODE2' }, query: { code: 'SECRETCODE3', state: 'SECRETSTATE3', error: 'x' } }, 'x');
    log.info('redirect to /auth/google/callback?code=SECRETCODE4&state=SECRETSTATE4');
    const out = text();
    for (const s of ['SECRETCODE', 'SECRETSTATE']) assert.ok(!out.includes(s), `${s} was logged:\n${out}`);
    assert.match(out, /scope=openid/);
    assert.match(out, /"error":"x"/);
  });

  it('keeps the SQL text of a failed statement but none of its values', () => {
    const { log, text } = capture();
    const pgError = Object.assign(new Error('new row for relation "events" violates check constraint "boom"'), {
      severity: 'ERROR',
      code: '23514',
      detail: 'Failing row contains (1, Secret title, ada@example.com).',
      query: 'insert into events (id, title, email) values ($1, $2, $3)',
      params: [1, 'Secret title', 'ada@example.com'],
      routine: 'ExecConstraints',
    });
    log.error({ err: pgError }, 'request failed');
    log.error({ failure: { values: ['Secret title'], sql: 'select 1' } }, 'wrapped');
    const out = text();
    assert.ok(!out.includes('Secret title'), out);
    assert.ok(!out.includes('ada@example.com'), out);
    assert.match(out, /insert into events \(id, title, email\) values \(\$1, \$2, \$3\)/);
  });
});

describe('redaction in the running app', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  it('the sign-in callback leaves neither the code nor the state in the logs', async () => {
    const res = await fetch(`${app.url}/auth/google/callback?code=SECRETCODE&state=SECRETSTATE`);
    assert.equal(res.status, 400);
    await res.text();
    const logs = JSON.stringify(app.logs);
    assert.match(logs, /\/auth\/google\/callback/, 'the request was logged');
    assert.ok(!logs.includes('SECRETCODE'), 'the code was logged');
    assert.ok(!logs.includes('SECRETSTATE'), 'the state was logged');
  });

  it('a 500 from the database logs no parameter values', async () => {
    const { browser } = await signIn(app, { email: 'redact@example.com' });
    // A constraint only this test's title breaks: the insert fails inside the database.
    await app.runtime.db.query(`alter table events add constraint lc_test_boom check (title <> 'Boom Secret Title')`);
    const res = await apiPost(app, browser, '/api/v1/events', {
      title: 'Boom Secret Title',
      description: 'Secret description',
      timeZone: 'Europe/Paris',
      start: '2031-05-04T12:00',
      end: '2031-05-04T13:00',
      attendees: [{ email: 'secret-attendee@example.com' }],
    });
    assert.equal(res.status, 500, JSON.stringify(res.body));
    assert.equal(res.body.code, 'internal');
    const failure = app.logs.find((l) => l['requestId'] === res.body.requestId && l['level'] === 50);
    assert.ok(failure, 'the failure was logged with its request id');
    const logs = JSON.stringify(app.logs);
    for (const value of ['Boom Secret Title', 'Secret description', 'secret-attendee@example.com']) {
      assert.ok(!logs.includes(value), `${value} was logged`);
    }
  });
});
