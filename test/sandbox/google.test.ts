import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import type { Sandbox } from '../../sandbox/server.ts';
import { withSandbox } from '../support/sandbox.ts';
import { assertSchema } from './google-discovery-schema.ts';
import { consentBody, control, GOOGLE, RECOMMENDED_SCOPES } from './google-helpers.ts';

/**
 * The emulated Google driven by the official libraries, as the app drives the real one:
 * google-auth-library for sign-in, @googleapis/calendar for the API, both pointed at the sandbox.
 */

/** A gaxios error's HTTP status and Google error body. */
async function failure(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; response?: { status: number; data: unknown } };
    assert.ok(e.response, `not an HTTP error: ${String(err)}`);
    return { status: e.response.status, data: e.response.data };
  }
  assert.fail('expected the call to fail');
}

describe('Google emulator with the official Node libraries', () => {
  let sb: Sandbox;
  let callback: Server;
  let redirectUri: string;
  const received: URL[] = [];
  let oauth: OAuth2Client;
  let cal: calendar_v3.Calendar;
  let tokens: Credentials;
  const refreshed: Credentials[] = [];
  const eventId = 'lcbk0000000000000000000001';

  const newClient = () =>
    new OAuth2Client({
      clientId: GOOGLE.clientId,
      clientSecret: GOOGLE.clientSecret,
      redirectUri,
      forceRefreshOnFailure: true,
      endpoints: {
        oauth2AuthBaseUrl: `${sb.url}/o/oauth2/v2/auth`,
        oauth2TokenUrl: `${sb.url}/token`,
        oauth2RevokeUrl: `${sb.url}/revoke`,
        oauth2FederatedSignonPemCertsUrl: `${sb.url}/oauth2/v1/certs`,
        tokenInfoUrl: `${sb.url}/tokeninfo`,
      },
    });

  before(async () => {
    sb = await withSandbox();
    // The app's callback, as a browser reaches it after the consent page.
    callback = createServer((req, res) => {
      received.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('signed in');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/oauth/google/callback`;
    oauth = newClient();
    oauth.on('tokens', (t) => refreshed.push(t));
  });
  after(async () => {
    await sb.close();
    await new Promise((resolve) => callback.close(resolve));
  });

  it('signs a test user in: auth URL, consent form, redirect, code + PKCE verifier exchange', async () => {
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const url = oauth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: true,
      scope: RECOMMENDED_SCOPES,
      state: 'csrf-123',
      login_hint: 'grace.tester@example.com',
      code_challenge_method: CodeChallengeMethod.S256,
      code_challenge: codeChallenge,
    });
    assert.ok(url.startsWith(`${sb.url}/o/oauth2/v2/auth?`));
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /<script/i, 'the consent page must work without scripts');
    const { action, body } = consentBody(html);
    assert.equal(body.get('account'), 'grace.tester@example.com', 'login_hint preselects the account');
    // The browser posts the form and follows Google's redirect to the app.
    const res = await fetch(new URL(action, sb.url), { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'signed in');
    const cb = received.at(-1)!;
    assert.equal(cb.pathname, '/oauth/google/callback');
    assert.equal(cb.searchParams.get('state'), 'csrf-123');
    const granted = cb.searchParams.get('scope')!.split(' ');
    for (const s of RECOMMENDED_SCOPES) assert.ok(granted.includes(s), `${s} granted`);

    const r = await oauth.getToken({ code: cb.searchParams.get('code')!, codeVerifier });
    tokens = r.tokens;
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.expiry_date! > Date.now());
    assert.ok(tokens.scope!.split(' ').includes('https://www.googleapis.com/auth/calendar.events.owned'));
    oauth.setCredentials(tokens);
  });

  it('issues an id_token that verifyIdToken accepts (PEM certificates from the sandbox)', async () => {
    const ticket = await oauth.verifyIdToken({ idToken: tokens.id_token!, audience: GOOGLE.clientId });
    const payload = ticket.getPayload()!;
    assert.equal(payload.iss, 'https://accounts.google.com');
    assert.equal(payload.aud, GOOGLE.clientId);
    assert.equal(payload.azp, GOOGLE.clientId);
    assert.equal(payload.email, 'grace.tester@example.com');
    assert.equal(payload.email_verified, true);
    assert.match(payload.sub, /^\d{21}$/);
    assert.notEqual(payload.sub, payload.email);
    const info = await oauth.getTokenInfo(tokens.access_token!);
    assert.equal(info.sub, payload.sub);
    assert.ok(info.scopes.includes('https://www.googleapis.com/auth/calendar.freebusy'));
  });

  it('lists calendars through @googleapis/calendar', async () => {
    cal = calendar({ version: 'v3', auth: oauth, rootUrl: `${sb.url}/` });
    const res = await cal.calendarList.list({ minAccessRole: 'owner' });
    assertSchema('CalendarList', res.data);
    assert.equal(res.data.items?.length, 2);
    assert.equal(res.data.items?.[0]?.id, 'grace.tester@example.com');
    assert.equal(res.data.items?.[0]?.primary, true);
  });

  it('refreshes by itself after the sandbox expires the access token, then inserts', async () => {
    const expired = await control(sb, 'POST', '/tokens/expire', { email: 'grace.tester@example.com' });
    assert.equal(expired.status, 200);
    assert.ok(expired.body.expired >= 1);
    const before = refreshed.length;
    const res = await cal.events.insert({
      calendarId: 'primary',
      sendUpdates: 'all',
      requestBody: {
        id: eventId,
        summary: 'Consultation with Ada',
        start: { dateTime: '2030-05-06T10:00:00+02:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2030-05-06T10:30:00+02:00', timeZone: 'Europe/Berlin' },
        attendees: [{ email: 'client@example.org' }],
        extendedProperties: { private: { lcBookingId: 'bk_1' } },
      },
    });
    assert.equal(refreshed.length, before + 1, 'the library refreshed once');
    const grants = (await (await fetch(`${sb.url}/__sandbox/state`)).json()).google.grants;
    assert.equal(grants.length, 1);
    assert.equal(grants[0].refreshTokens.length, 1, 'refreshing issues no new refresh token');
    assert.equal(grants[0].accessTokens.filter((t: { expired: boolean }) => !t.expired).length, 1);
    assertSchema('Event', res.data);
    assert.equal(res.data.id, eventId);
    assert.equal(res.data.status, 'confirmed');
    assert.equal(res.data.organizer?.email, 'grace.tester@example.com');
    const sent = (await control(sb, 'GET', '/notifications')).body.notifications;
    assert.deepEqual(sent.at(-1).recipients, ['client@example.org']);
  });

  it('answers a duplicate insert with 409 duplicate, and finds the event by its private property', async () => {
    const dup = await failure(
      cal.events.insert({
        calendarId: 'primary',
        requestBody: { id: eventId, start: { dateTime: '2030-05-06T08:00:00Z' }, end: { dateTime: '2030-05-06T08:30:00Z' } },
      }),
    );
    assert.equal(dup.status, 409);
    assert.equal(dup.data.error.errors[0].reason, 'duplicate');
    assert.equal(dup.data.error.message, 'The requested identifier already exists.');

    const list = await cal.events.list({ calendarId: 'primary', privateExtendedProperty: ['lcBookingId=bk_1'], singleEvents: true, orderBy: 'startTime' });
    assertSchema('Events', list.data);
    assert.deepEqual(
      list.data.items?.map((e) => e.id),
      [eventId],
    );
    const got = await cal.events.get({ calendarId: 'grace.tester@example.com', eventId });
    assertSchema('Event', got.data);
    assert.equal(got.data.summary, 'Consultation with Ada');

    const fb = await cal.freebusy.query({
      requestBody: { timeMin: '2030-05-06T00:00:00Z', timeMax: '2030-05-07T00:00:00Z', items: [{ id: 'primary' }] },
    });
    assertSchema('FreeBusyResponse', fb.data);
    assert.deepEqual(fb.data.calendars?.primary?.busy, [{ start: '2030-05-06T08:00:00Z', end: '2030-05-06T08:30:00Z' }]);
  });

  it('revokes: the refresh token then fails with invalid_grant and the API answers 401', async () => {
    await oauth.revokeToken(tokens.refresh_token!);
    const again = newClient();
    again.setCredentials({ refresh_token: tokens.refresh_token! });
    const err = await failure(again.getAccessToken());
    assert.equal(err.status, 400);
    assert.deepEqual(err.data, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });

    const stale = newClient();
    stale.setCredentials({ access_token: refreshed.at(-1)!.access_token!, expiry_date: Date.now() + 3_000_000 });
    const api = calendar({ version: 'v3', auth: stale, rootUrl: `${sb.url}/` });
    const denied = await failure(api.events.list({ calendarId: 'primary' }));
    assert.equal(denied.status, 401);
    assert.equal(denied.data.error.errors[0].reason, 'authError');
  });
});
