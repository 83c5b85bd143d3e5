import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { Sandbox } from '../../sandbox/server.ts';
import { withSandbox } from '../support/sandbox.ts';
import {
  api,
  assertGoogleError,
  authorize,
  control,
  GOOGLE,
  pkce,
  RECOMMENDED_SCOPES,
  REDIRECT_URI,
  S,
  signIn,
  timedEvent,
  tokenRequest,
} from './google-helpers.ts';

/** The emulated Google OAuth 2.0 endpoints: the answers Google gives on each failure branch. */

const client = { client_id: GOOGLE.clientId, client_secret: GOOGLE.clientSecret };

describe('Google emulator: OAuth 2.0', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await withSandbox();
  });
  beforeEach(async () => {
    await fetch(`${sb.url}/__sandbox/reset`, { method: 'POST' });
  });
  after(() => sb.close());

  const authUrl = (params: Record<string, string>) =>
    `${sb.url}/o/oauth2/v2/auth?${new URLSearchParams({
      client_id: GOOGLE.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      ...params,
    })}`;

  describe('authorization request', () => {
    it('shows an error page, not a redirect, for an unknown client or a malformed request', async () => {
      const unknown = await fetch(authUrl({ client_id: 'nope.apps.googleusercontent.com' }), { redirect: 'manual' });
      assert.equal(unknown.status, 401);
      assert.match(await unknown.text(), /invalid_client/);
      for (const [params, error] of [
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ scope: 'openid https://www.googleapis.com/auth/nonsense' }, 'invalid_scope'],
        [{ scope: '' }, 'invalid_request'],
        [{ redirect_uri: 'not a url' }, 'redirect_uri_mismatch'],
        [{ code_challenge_method: 'S256' }, 'invalid_request'],
        [{ access_type: 'forever' }, 'invalid_request'],
      ] as const) {
        const res = await fetch(authUrl(params), { redirect: 'manual' });
        assert.equal(res.status, 400, JSON.stringify(params));
        assert.match(await res.text(), new RegExp(error));
      }
    });

    it('redirects a denied consent with error=access_denied and the state', async () => {
      const params = await authorize(sb, { decision: 'deny', state: 'keep-me' });
      assert.equal(params.get('error'), 'access_denied');
      assert.equal(params.get('state'), 'keep-me');
      assert.equal(params.get('code'), null);
    });

    it('creates a test user from a typed email, with a stable numeric sub', async () => {
      const tokens = await signIn(sb, { typeEmail: 'New.Person@Example.net' });
      const claims = decodeJwt(tokens.id_token!);
      assert.equal(claims.email, 'new.person@example.net');
      assert.match(String(claims.sub), /^\d{21}$/);
      const users = (await control(sb, 'GET', '/users')).body.users as { email: string; sub: string; calendars: unknown[] }[];
      const user = users.find((u) => u.email === 'new.person@example.net');
      assert.ok(user);
      assert.equal(user.sub, claims.sub);
      assert.equal(user.calendars.length, 3, 'primary, secondary, shared');
      // The same email signs in as the same person after a reset.
      await fetch(`${sb.url}/__sandbox/reset`, { method: 'POST' });
      const again = decodeJwt((await signIn(sb, { typeEmail: 'new.person@example.net' })).id_token!);
      assert.equal(again.sub, claims.sub);
    });
  });

  describe('token endpoint', () => {
    it('answers like Google: access_token, expires_in from settings, refresh_token, scope, Bearer, id_token', async () => {
      await fetch(`${sb.url}/__sandbox/settings`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ googleAccessTokenTtlSeconds: 1234 }),
      });
      const t = await signIn(sb);
      assert.deepEqual(Object.keys(t), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type', 'id_token']);
      assert.equal(t.expires_in, 1234);
      assert.equal(t.token_type, 'Bearer');
      assert.deepEqual(t.scope.split(' ').sort(), ['openid', S.userinfoEmail, S.eventsOwned, S.freebusy, S.calendarListReadonly].sort());
      await fetch(`${sb.url}/__sandbox/settings`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ googleAccessTokenTtlSeconds: 3599 }),
      });
    });

    it('gives a refresh_token only for offline access with consent given this time', async () => {
      assert.ok((await signIn(sb, { accessType: 'offline', prompt: 'consent' })).refresh_token);
      // Same user and scopes again, no prompt=consent: the existing grant covers it, no new refresh token.
      const again = await signIn(sb, { accessType: 'offline', prompt: 'select_account' });
      assert.equal(again.refresh_token, undefined);
      const online = await signIn(sb, { accessType: 'online', prompt: 'consent' });
      assert.equal(online.refresh_token, undefined);
      const noOpenid = await signIn(sb, { scopes: [S.eventsOwned], account: 'grace.tester@example.com' });
      assert.equal(noOpenid.id_token, undefined);
    });

    it('refuses a reused code with invalid_grant "Bad Request"', async () => {
      const { verifier, challenge } = pkce();
      const code = (await authorize(sb, { challenge })).get('code')!;
      const form = { ...client, grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI };
      assert.equal((await tokenRequest(sb, form)).status, 200);
      const reused = await tokenRequest(sb, form);
      assert.equal(reused.status, 400);
      assert.deepEqual(reused.body, { error: 'invalid_grant', error_description: 'Bad Request' });
    });

    it('refuses a wrong or missing PKCE verifier and a different redirect_uri', async () => {
      const { challenge } = pkce();
      const code = (await authorize(sb, { challenge })).get('code')!;
      const base = { ...client, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
      const wrong = await tokenRequest(sb, { ...base, code_verifier: pkce().verifier });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      const missing = await tokenRequest(sb, base);
      assert.equal(missing.body.error, 'invalid_grant');
      const mismatch = await tokenRequest(sb, { ...base, code_verifier: 'x'.repeat(43), redirect_uri: 'http://127.0.0.1:9/other' });
      assert.equal(mismatch.body.error, 'redirect_uri_mismatch');
    });

    it('authenticates the client in the body or with Basic, and refuses others with 401 invalid_client', async () => {
      const t = await signIn(sb);
      const unknown = await tokenRequest(sb, { client_id: 'x.apps.googleusercontent.com', client_secret: 's', grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error, 'invalid_client');
      const badSecret = await tokenRequest(sb, { client_id: GOOGLE.clientId, client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      assert.equal(badSecret.status, 401);
      const basic = await fetch(`${sb.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${GOOGLE.clientId}:${GOOGLE.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token! }),
      });
      assert.equal(basic.status, 200);
      const body = await basic.json();
      assert.equal(body.refresh_token, undefined, 'a refresh answer carries no refresh_token');
      assert.ok(body.id_token, 'openid was granted, so a refresh carries an id_token');
      const unsupported = await tokenRequest(sb, { ...client, grant_type: 'password' });
      assert.equal(unsupported.body.error, 'unsupported_grant_type');
    });

    it('answers an unknown or revoked refresh token with invalid_grant "Token has been expired or revoked."', async () => {
      const dead = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
      const unknown = await tokenRequest(sb, { ...client, grant_type: 'refresh_token', refresh_token: '1//0gnot-a-token' });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, dead);
      const t = await signIn(sb);
      assert.equal((await api(sb, t.access_token, 'GET', '/calendar/v3/calendars/primary/events')).status, 200);
      // The "revoked Google grant" fault, switched from the control API.
      const revoked = await control(sb, 'POST', '/users/ada.tester@example.com/revoke', {});
      assert.deepEqual(revoked.body, { revoked: 1 });
      const refresh = await tokenRequest(sb, { ...client, grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      assert.equal(refresh.status, 400);
      assert.deepEqual(refresh.body, dead);
      assertGoogleError(await api(sb, t.access_token, 'GET', '/calendar/v3/calendars/primary/events'), 401, 'authError', 'Invalid Credentials');
    });
  });

  describe('revoke, tokeninfo, userinfo, certificates', () => {
    it('revokes by access token in a form body: the whole grant dies; a second revoke is invalid_token', async () => {
      const t = await signIn(sb);
      const res = await fetch(`${sb.url}/revoke`, { method: 'POST', body: new URLSearchParams({ token: t.access_token }) });
      assert.equal(res.status, 200);
      const refresh = await tokenRequest(sb, { ...client, grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      assert.equal(refresh.body.error, 'invalid_grant');
      assertGoogleError(await api(sb, t.access_token, 'GET', '/calendar/v3/users/me/calendarList'), 401, 'authError');
      const again = await fetch(`${sb.url}/revoke?token=${encodeURIComponent(t.refresh_token!)}`, { method: 'POST' });
      assert.equal(again.status, 400);
      assert.equal((await again.json()).error, 'invalid_token');
    });

    it('expires access tokens on request; a refresh brings the API back', async () => {
      const t = await signIn(sb);
      assert.deepEqual((await control(sb, 'POST', '/tokens/expire', {})).body, { expired: 1 });
      const err = assertGoogleError(await api(sb, t.access_token, 'GET', '/calendar/v3/users/me/calendarList'), 401, 'authError');
      assert.equal(err.status, 'UNAUTHENTICATED');
      assert.equal(err.errors[0].location, 'Authorization');
      const fresh = await tokenRequest(sb, { ...client, grant_type: 'refresh_token', refresh_token: t.refresh_token! });
      assert.equal((await api(sb, fresh.body.access_token, 'GET', '/calendar/v3/users/me/calendarList')).status, 200);
    });

    it('serves tokeninfo and OIDC userinfo for a live token', async () => {
      const t = await signIn(sb);
      const info = await (await fetch(`${sb.url}/tokeninfo?access_token=${encodeURIComponent(t.access_token)}`)).json();
      assert.equal(info.aud, GOOGLE.clientId);
      assert.equal(info.email, 'ada.tester@example.com');
      assert.equal(info.access_type, 'offline');
      assert.match(info.expires_in, /^\d+$/);
      const bad = await fetch(`${sb.url}/tokeninfo?access_token=nope`);
      assert.equal(bad.status, 400);
      const me = await fetch(`${sb.url}/v1/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
      assert.equal(me.status, 200);
      const body = await me.json();
      assert.equal(body.email, 'ada.tester@example.com');
      assert.equal(body.sub, decodeJwt(t.id_token!).sub);
      assert.equal((await fetch(`${sb.url}/v1/userinfo`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    });

    it('publishes the id_token key as a PEM map (v1) and a JWKS (v3); the token verifies against both', async () => {
      const t = await signIn(sb);
      const v1 = await (await fetch(`${sb.url}/oauth2/v1/certs`)).json();
      const kids = Object.keys(v1);
      assert.equal(kids.length, 1);
      assert.match(v1[kids[0]!], /^-----BEGIN CERTIFICATE-----/);
      const v3 = await fetch(`${sb.url}/oauth2/v3/certs`);
      assert.match(v3.headers.get('cache-control') ?? '', /max-age=\d+/);
      const jwks = await v3.json();
      assert.equal(jwks.keys[0].kid, kids[0]);
      const { payload, protectedHeader } = await jwtVerify(t.id_token!, createLocalJWKSet(jwks), {
        issuer: 'https://accounts.google.com',
        audience: GOOGLE.clientId,
      });
      assert.equal(protectedHeader.kid, kids[0]);
      assert.equal(payload.email, 'ada.tester@example.com');
      assert.ok(typeof payload.iat === 'number' && typeof payload.exp === 'number');
    });
  });

  describe('scopes', () => {
    it('an unticked scope is not granted and later gives 403 insufficientPermissions', async () => {
      const params = await authorize(sb, { untick: [S.calendarListReadonly] });
      assert.ok(!params.get('scope')!.split(' ').includes(S.calendarListReadonly));
      const t = await signIn(sb, { untick: [S.calendarListReadonly, S.freebusy] });
      assert.ok(!t.scope.split(' ').includes(S.calendarListReadonly));
      const list = await api(sb, t.access_token, 'GET', '/calendar/v3/users/me/calendarList');
      const err = assertGoogleError(list, 403, 'insufficientPermissions', 'Insufficient Permission');
      assert.equal(err.message, 'Request had insufficient authentication scopes.');
      assert.equal(err.status, 'PERMISSION_DENIED');
      assert.equal(list.body.error.details[0].metadata.method, 'calendar.v3.CalendarList.List');
      const fb = await api(sb, t.access_token, 'POST', '/calendar/v3/freeBusy', {
        timeMin: '2030-01-01T00:00:00Z',
        timeMax: '2030-01-02T00:00:00Z',
        items: [{ id: 'primary' }],
      });
      assertGoogleError(fb, 403, 'insufficientPermissions');
      assert.equal(fb.body.error.details[0].metadata.method, 'calendar.v3.Freebusy.Query');
      // events.owned still works on the user's own calendar.
      assert.equal((await api(sb, t.access_token, 'GET', '/calendar/v3/calendars/primary/events')).status, 200);
    });

    it('names every refused method as Google does (calendar.v3.<Resource>.<Verb>) in the ErrorInfo', async () => {
      const t = await signIn(sb, { scopes: ['openid', 'email'] });
      const calls: [string, string, string, unknown?][] = [
        ['calendar.v3.CalendarList.List', 'GET', '/calendar/v3/users/me/calendarList'],
        ['calendar.v3.Events.Insert', 'POST', '/calendar/v3/calendars/primary/events', timedEvent('2030-01-01T10:00:00Z')],
        ['calendar.v3.Events.Get', 'GET', '/calendar/v3/calendars/primary/events/abc123'],
        ['calendar.v3.Events.Patch', 'PATCH', '/calendar/v3/calendars/primary/events/abc123', { summary: 'x' }],
        ['calendar.v3.Events.Delete', 'DELETE', '/calendar/v3/calendars/primary/events/abc123'],
        ['calendar.v3.Events.List', 'GET', '/calendar/v3/calendars/primary/events'],
        ['calendar.v3.Freebusy.Query', 'POST', '/calendar/v3/freeBusy', { timeMin: '2030-01-01T00:00:00Z', timeMax: '2030-01-02T00:00:00Z', items: [] }],
      ];
      for (const [method, verb, path, body] of calls) {
        const res = await api(sb, t.access_token, verb, path, body);
        assertGoogleError(res, 403, 'insufficientPermissions');
        assert.deepEqual(res.body.error.details, [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
            domain: 'googleapis.com',
            metadata: { service: 'calendar-json.googleapis.com', method },
          },
        ]);
      }
    });

    it('events.owned reaches only calendars the user owns', async () => {
      const t = await signIn(sb, { scopes: RECOMMENDED_SCOPES });
      const calendars = (await api(sb, t.access_token, 'GET', '/calendar/v3/users/me/calendarList')).body.items as { id: string; accessRole: string }[];
      const shared = calendars.find((c) => c.accessRole === 'reader')!;
      const res = await api(sb, t.access_token, 'GET', `/calendar/v3/calendars/${encodeURIComponent(shared.id)}/events`);
      assertGoogleError(res, 403, 'insufficientPermissions');
      assert.equal(res.body.error.details[0].metadata.method, 'calendar.v3.Events.List');
      const missing = await fetch(`${sb.url}/calendar/v3/users/me/calendarList`);
      assertGoogleError({ status: missing.status, body: await missing.json() }, 401, 'required', 'Login Required.');
    });
  });
});
