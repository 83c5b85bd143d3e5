import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { calendar } from '@googleapis/calendar';
import { OAuth2Client } from 'google-auth-library';
import { GOOGLE_OPERATIONS } from '../../sandbox/google/emulator.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { addFault, withSandbox } from '../support/sandbox.ts';
import { assertSchema } from './google-discovery-schema.ts';
import { api, assertGoogleError, GOOGLE, REDIRECT_URI, signIn, timedEvent, tokenRequest, type Tokens } from './google-helpers.ts';

/** Each fault switch, seen on the wire against the emulated Google's routes. */

const EVENTS = '/calendar/v3/calendars/primary/events';

describe('Google emulator: fault injection', () => {
  let sb: Sandbox;
  let tokens: Tokens;
  before(async () => {
    sb = await withSandbox();
  });
  beforeEach(async () => {
    await fetch(`${sb.url}/__sandbox/reset`, { method: 'POST' });
    tokens = await signIn(sb);
  });
  after(() => sb.close());

  const fired = () => sb.ctx.faults.fired.map((f) => [f.operation, f.fault]);

  it('every operation name matches its route on the wire', async () => {
    const requests: Record<(typeof GOOGLE_OPERATIONS)[number], [string, string]> = {
      'oauth.authorize': ['GET', '/o/oauth2/v2/auth'],
      'oauth.token': ['POST', '/token'],
      'oauth.revoke': ['POST', '/revoke'],
      'oauth.userinfo': ['GET', '/v1/userinfo'],
      'oauth.certs': ['GET', '/oauth2/v1/certs'],
      'calendar.calendarList.list': ['GET', '/calendar/v3/users/me/calendarList'],
      'calendar.events.insert': ['POST', EVENTS],
      'calendar.events.get': ['GET', `${EVENTS}/abcdefgh`],
      'calendar.events.patch': ['PATCH', `${EVENTS}/abcdefgh`],
      'calendar.events.delete': ['DELETE', `${EVENTS}/abcdefgh`],
      'calendar.events.list': ['GET', EVENTS],
      'calendar.freebusy.query': ['POST', '/calendar/v3/freeBusy'],
    };
    for (const operation of GOOGLE_OPERATIONS) {
      await addFault(sb, { provider: 'google', operation, fault: 'http_error', status: 418 });
      const [method, path] = requests[operation];
      const res = await fetch(`${sb.url}${path}`, { method });
      assert.equal(res.status, 418, operation);
      await res.arrayBuffer();
    }
    assert.deepEqual(
      fired().map(([op]) => op),
      [...GOOGLE_OPERATIONS],
    );
  });

  it('latency: the answer still comes, and the fault is recorded', async () => {
    await addFault(sb, { provider: 'google', operation: 'calendar.events.list', fault: 'latency', ms: 20 });
    const res = await api(sb, tokens.access_token, 'GET', EVENTS);
    assert.equal(res.status, 200);
    assert.deepEqual(fired(), [['calendar.events.list', 'latency']]);
  });

  it('http_error 429 with Retry-After: usageLimits/rateLimitExceeded', async () => {
    await addFault(sb, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 429, retryAfterSeconds: 7 });
    const res = await api(sb, tokens.access_token, 'POST', EVENTS, timedEvent('2030-01-07T09:00:00Z'));
    const err = assertGoogleError(res, 429, 'rateLimitExceeded', 'Rate Limit Exceeded');
    assert.equal(err.errors[0].domain, 'usageLimits');
    assert.equal(err.status, 'RESOURCE_EXHAUSTED');
    assert.equal(res.headers.get('retry-after'), '7');
    // One firing only: the retry goes through and nothing was written by the failed call.
    const ok = await api(sb, tokens.access_token, 'POST', EVENTS, timedEvent('2030-01-07T09:00:00Z'));
    assert.equal(ok.status, 200);
    assert.equal((await api(sb, tokens.access_token, 'GET', EVENTS)).body.items.length, 1);
  });

  it('http_error 5xx: global/backendError', async () => {
    await addFault(sb, { provider: 'google', operation: 'calendar.freebusy.query', fault: 'http_error', status: 503 });
    await addFault(sb, { provider: 'google', operation: 'calendar.events.patch', fault: 'http_error', status: 500 });
    const fb = await api(sb, tokens.access_token, 'POST', '/calendar/v3/freeBusy', { timeMin: '2030-01-07T00:00:00Z', timeMax: '2030-01-08T00:00:00Z', items: [] });
    assert.equal(assertGoogleError(fb, 503, 'backendError', 'Backend Error').status, 'UNAVAILABLE');
    const patch = await api(sb, tokens.access_token, 'PATCH', `${EVENTS}/abcdefgh`, { summary: 'x' });
    assert.equal(assertGoogleError(patch, 500, 'backendError').errors[0].domain, 'global');
  });

  it('http_error 403 with a reason: quotaExceeded, rateLimitExceeded, userRateLimitExceeded', async () => {
    for (const [reason, message] of [
      ['quotaExceeded', 'Calendar usage limits exceeded.'],
      ['rateLimitExceeded', 'Rate Limit Exceeded'],
      ['userRateLimitExceeded', 'User Rate Limit Exceeded'],
    ] as const) {
      await addFault(sb, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 403, reason });
      const res = await api(sb, tokens.access_token, 'POST', EVENTS, timedEvent('2030-01-07T09:00:00Z'));
      const err = assertGoogleError(res, 403, reason, message);
      assert.equal(err.errors[0].domain, 'usageLimits');
    }
  });

  it('http_error 401 on the API and 500 on the token endpoint, each in its own shape', async () => {
    await addFault(sb, { provider: 'google', operation: 'calendar.calendarList.list', fault: 'http_error', status: 401 });
    assertGoogleError(await api(sb, tokens.access_token, 'GET', '/calendar/v3/users/me/calendarList'), 401, 'authError');
    await addFault(sb, { provider: 'google', operation: 'oauth.token', fault: 'http_error', status: 500 });
    const res = await tokenRequest(sb, { client_id: GOOGLE.clientId, client_secret: GOOGLE.clientSecret, grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    assert.equal(res.status, 500);
    assert.equal(res.body.error, 'internal_failure');
    await addFault(sb, { provider: 'google', operation: 'oauth.authorize', fault: 'http_error', status: 503 });
    const page = await fetch(`${sb.url}/o/oauth2/v2/auth?client_id=${GOOGLE.clientId}`);
    assert.equal(page.status, 503);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });

  it('decline: the consent is refused, a refresh token is dead, an API call is forbidden', async () => {
    await addFault(sb, { provider: 'google', operation: 'oauth.authorize', fault: 'decline' });
    const q = new URLSearchParams({ client_id: GOOGLE.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's1' });
    const res = await fetch(`${sb.url}/o/oauth2/v2/auth?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('state'), 's1');
    await addFault(sb, { provider: 'google', operation: 'oauth.token', fault: 'decline' });
    const refresh = await tokenRequest(sb, { client_id: GOOGLE.clientId, client_secret: GOOGLE.clientSecret, grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    assert.deepEqual(refresh.body, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    await addFault(sb, { provider: 'google', operation: 'calendar.events.insert', fault: 'decline' });
    assertGoogleError(await api(sb, tokens.access_token, 'POST', EVENTS, timedEvent('2030-01-07T09:00:00Z')), 403, 'forbidden', 'Forbidden');
  });

  it('timeout: no answer ever comes, so the client aborts', async () => {
    await addFault(sb, { provider: 'google', operation: 'calendar.events.get', fault: 'timeout' });
    await assert.rejects(
      fetch(`${sb.url}${EVENTS}/abcdefgh`, { headers: { authorization: `Bearer ${tokens.access_token}` }, signal: AbortSignal.timeout(300) }),
      (err: Error) => err.name === 'TimeoutError',
    );
    assert.deepEqual(fired(), [['calendar.events.get', 'timeout']]);
  });

  it('reset: the connection is closed with no answer', async () => {
    await addFault(sb, { provider: 'google', operation: 'oauth.revoke', fault: 'reset' });
    await assert.rejects(fetch(`${sb.url}/revoke?token=${encodeURIComponent(tokens.access_token)}`, { method: 'POST' }), TypeError);
    // The grant is untouched: the request never reached the route.
    assert.equal((await api(sb, tokens.access_token, 'GET', EVENTS)).status, 200);
  });

  it('the official client retries a GET through a 503 by itself, but not a POST', async () => {
    const oauth = new OAuth2Client({ clientId: GOOGLE.clientId, clientSecret: GOOGLE.clientSecret, redirectUri: REDIRECT_URI });
    oauth.setCredentials({ access_token: tokens.access_token, expiry_date: Date.now() + 3_000_000 });
    const cal = calendar({ version: 'v3', auth: oauth, rootUrl: `${sb.url}/` });
    await addFault(sb, { provider: 'google', operation: 'calendar.events.list', fault: 'http_error', status: 503 });
    const list = await cal.events.list({ calendarId: 'primary' });
    assert.equal(list.status, 200);
    assertSchema('Events', list.data);
    await addFault(sb, { provider: 'google', operation: 'calendar.events.insert', fault: 'http_error', status: 503 });
    await assert.rejects(
      cal.events.insert({ calendarId: 'primary', requestBody: timedEvent('2030-01-07T09:00:00Z') }),
      (err: { status?: number }) => err.status === 503,
    );
  });
});
