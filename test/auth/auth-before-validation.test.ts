import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn } from '../support/google.ts';

/**
 * Who is asking is checked before what they sent: a request without a session gets 401 and one
 * without the CSRF token 403 whatever its body, so a stranger learns nothing of the schema and a
 * client is told first what it must fix first.
 */
describe('authentication comes before validation', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers 401 to a bad body without a session, on every signed-in route', async () => {
    for (const path of ['/api/v1/events', '/api/v1/availability', '/api/v1/events/00000000-0000-4000-8000-000000000000/cancel', '/api/v1/google/disconnect']) {
      const res = await post(path, '{"title": 42, "unknown": true}');
      assert.equal(res.status, 401, path);
      assert.equal((await res.json()).code, 'unauthorized', path);
    }
    const bad = await fetch(`${app.url}/api/v1/events/not-a-uuid`);
    assert.equal(bad.status, 401, 'path parameters too');
  });

  it('answers 403 to a signed-in POST without its CSRF token, whatever the body', async () => {
    const { browser } = await signIn(app, { email: 'order@example.com' });
    const res = await browser.json(`${app.url}/api/v1/events`, { method: 'POST', body: '{"title": 42}' });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.code, 'forbidden');
  });

  it('still validates once the person is known', async () => {
    const { browser } = await signIn(app, { email: 'order@example.com' });
    const me = await browser.json(`${app.url}/api/v1/me`);
    const res = await browser.json(`${app.url}/api/v1/events`, { method: 'POST', body: '{"title": 42}', headers: { 'x-csrf-token': me.body.csrfToken } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'validation_failed');
  });
});
