import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';
import { apiPost, csrf, signIn } from '../support/google.ts';
import type { Browser } from '../support/browser.ts';
import { rawRequest } from './raw-http.ts';

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(',');
const times = (n: number, line: string) => Array.from({ length: n }, () => line);

/**
 * The most expensive recurrences found (each line under 1,000 characters, ten lines at most):
 * before the bound, the first cost about 8 s on the preview and 17 s on the events route, with
 * every other request waiting.
 */
const WORST: Record<string, string[]> = {
  'repeated BYMONTH values': [
    `RRULE:FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=${range(470, () => '2')}`,
    ...times(9, `EXRULE:FREQ=YEARLY;BYMONTHDAY=30;BYMONTH=${range(470, () => '2')}`),
  ],
  'rules that never match': ['RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', ...times(9, 'EXRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30,31')],
  'huge COUNT, everything excluded': ['RRULE:FREQ=HOURLY;COUNT=10000', ...times(9, 'EXRULE:FREQ=HOURLY;COUNT=10000')],
  'many RDATE and EXDATE values': [
    'RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30',
    ...times(5, `RDATE:${range(55, (i) => `2027${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}T0${i % 10}0000Z`)}`),
    ...times(4, `EXDATE:${range(55, (i) => `2027${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}T0${i % 10}0000Z`)}`),
  ],
  'BYSETPOS over many times of day': [
    `RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=${range(24, String)};BYMINUTE=0,30;BYSETPOS=${range(100, (i) => String(i + 1))}`,
    ...times(9, `EXRULE:FREQ=MONTHLY;BYDAY=${range(35, (i) => `${(i % 5) + 1}${['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'][i % 7]}`)};BYHOUR=${range(24, String)}`),
  ],
};

/** Generous: the bounded expansion takes tens of milliseconds; before, seconds. */
const ANSWER_WITHIN_MS = 5_000;
const HEALTHZ_WITHIN_MS = 2_500;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

describe('hostile input', () => {
  let app: TestApp;
  let browser: Browser;
  before(async () => {
    app = await startTestApp();
    ({ browser } = await signIn(app, { email: 'hostile@example.com' }));
  });
  after(() => app.close());

  it('answers the worst recurrences quickly on both routes while /healthz stays fast', async (t) => {
    for (const line of Object.values(WORST).flat()) assert.ok(line.length < 1000, `${line.length} characters`);
    let polling = true;
    let slowestHealthz = 0;
    let healthChecks = 0;
    const poller = (async () => {
      while (polling) {
        const { value, ms } = await timed(() => fetch(`${app.url}/healthz`));
        assert.equal(value.status, 200);
        slowestHealthz = Math.max(slowestHealthz, ms);
        healthChecks++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const token = await csrf(app, browser);
      for (const [name, recurrence] of Object.entries(WORST)) {
        const preview = await timed(() =>
          fetch(`${app.url}/api/v1/recurrence/preview`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ start: '2026-03-02T09:00', timeZone: 'America/New_York', recurrence, count: 100 }),
          }).then(async (r) => ({ status: r.status, body: await r.json() })),
        );
        t.diagnostic(`${name}: preview ${preview.ms.toFixed(0)} ms`);
        assert.ok(preview.ms < ANSWER_WITHIN_MS, `${name}: preview took ${preview.ms.toFixed(0)} ms`);
        assert.ok(preview.value.status === 200 || preview.value.body.code === 'recurrence_too_complex', `${name}: ${JSON.stringify(preview.value.body)}`);

        const created = await timed(() =>
          browser.json(`${app.url}/api/v1/events`, {
            method: 'POST',
            headers: { 'x-csrf-token': token },
            body: JSON.stringify({ title: name, timeZone: 'America/New_York', start: '2031-03-03T09:00', end: '2031-03-03T10:00', recurrence }),
          }),
        );
        t.diagnostic(`${name}: POST /api/v1/events ${created.ms.toFixed(0)} ms`);
        assert.ok(created.ms < ANSWER_WITHIN_MS, `${name}: POST /api/v1/events took ${created.ms.toFixed(0)} ms`);
        assert.ok(
          created.value.status === 201 || ['recurrence_too_complex', 'no_occurrences'].includes(created.value.body.code),
          `${name}: ${JSON.stringify(created.value.body)}`,
        );
      }
    } finally {
      polling = false;
      await poller;
    }
    t.diagnostic(`slowest /healthz of ${healthChecks}: ${slowestHealthz.toFixed(0)} ms`);
    assert.ok(healthChecks > 0);
    assert.ok(slowestHealthz < HEALTHZ_WITHIN_MS, `/healthz waited ${slowestHealthz.toFixed(0)} ms`);
  });

  it('refuses a rule too costly to expand with a 400 that says why', async () => {
    const res = await fetch(`${app.url}/api/v1/recurrence/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: '2026-03-02T09:00', timeZone: 'UTC', recurrence: [`RRULE:FREQ=YEARLY;BYHOUR=${range(24, String)};BYMINUTE=${range(60, String)}`] }),
    });
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.code, 'recurrence_too_complex');
    assert.match(body.detail, /checks for every year/);
    assert.deepEqual(body.errors.map((e: { path: string; code: string }) => [e.path, e.code]), [['body/recurrence/0', 'recurrence_too_complex']]);
  });

  it('refuses a NUL character in every stored text field with a 400 naming the field', async () => {
    const valid = {
      title: 'Lunch',
      description: 'With notes',
      location: 'Café',
      calendarId: 'primary',
      timeZone: 'Europe/Paris',
      start: '2031-05-04T12:00',
      end: '2031-05-04T13:00',
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
      attendees: [{ email: 'guest@example.com', displayName: 'Guest' }],
    };
    const NUL = '\u0000';
    const cases: [string, Record<string, unknown>][] = [
      ['body/title', { title: `Lun${NUL}ch` }],
      ['body/description', { description: `notes${NUL}` }],
      ['body/location', { location: `${NUL}Café` }],
      ['body/calendarId', { calendarId: `primary${NUL}` }],
      ['body/timeZone', { timeZone: `Europe/Paris${NUL}` }],
      ['body/start', { start: `2031-05-04T12:00${NUL}` }],
      ['body/recurrence/0', { recurrence: [`RRULE:FREQ=WEEKLY;COUNT=2${NUL}`] }],
      ['body/attendees/0/email', { attendees: [{ email: `guest${NUL}@example.com` }] }],
      ['body/attendees/0/displayName', { attendees: [{ email: 'guest@example.com', displayName: `Gu${NUL}est` }] }],
    ];
    for (const [path, change] of cases) {
      const res = await apiPost(app, browser, '/api/v1/events', { ...valid, ...change });
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'validation_failed');
      assert.ok(
        res.body.errors.some((e: { path: string; code: string }) => e.path === path && e.code === 'invalid_character'),
        `${path}: ${JSON.stringify(res.body.errors)}`,
      );
    }
    const preview = await fetch(`${app.url}/api/v1/recurrence/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: '2026-03-02T09:00', timeZone: `UTC${NUL}` }),
    });
    assert.equal(preview.status, 400);
    assert.equal((await preview.json()).errors[0].code, 'invalid_character');
    // The same body without the NUL is stored: the refusals above are about the character only.
    assert.equal((await apiPost(app, browser, '/api/v1/events', valid)).status, 201);
  });
});

describe('every error is a problem document', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  function assertProblem(res: { status: number; headers: Record<string, string>; body: string }, status: number, code: string, withRequestId: boolean) {
    assert.equal(res.status, status, res.body);
    assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
    const body = JSON.parse(res.body);
    assert.equal(body.status, status);
    assert.equal(body.code, code);
    assert.match(body.type, /^https:\/\/leadscalendar\.dev\/errors\//);
    assert.equal(typeof body.title, 'string');
    assert.ok(body.detail.length > 10, body.detail);
    if (withRequestId) {
      assert.match(body.requestId, /^req_/);
      assert.equal(res.headers['x-request-id'], body.requestId);
    }
    return body;
  }

  const host = () => `Host: ${new URL(app.url).host}\r\n`;

  it('a URL that cannot be decoded', async () => {
    assertProblem(await rawRequest(app.url, `GET /api/v1/events/%ZZ HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`), 400, 'malformed_url', true);
  });

  it('oversized headers (431)', async () => {
    const big = `X-Big: ${'a'.repeat(20_000)}\r\n`;
    assertProblem(await rawRequest(app.url, `GET /healthz HTTP/1.1\r\n${host()}${big}\r\n`), 431, 'headers_too_large', false);
  });

  it('framing errors: a bad Content-Length, broken chunking, an invalid header', async () => {
    const post = `POST /api/v1/recurrence/preview HTTP/1.1\r\n${host()}Content-Type: application/json\r\n`;
    assertProblem(await rawRequest(app.url, `${post}Content-Length: abc\r\n\r\n{}`), 400, 'malformed_request', false);
    assertProblem(await rawRequest(app.url, `${post}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`), 400, 'malformed_request', false);
    assertProblem(await rawRequest(app.url, `${post}Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`), 400, 'malformed_request', false);
    assertProblem(await rawRequest(app.url, `GET /healthz HTTP/1.1\r\n${host()}Bad Header: x\r\n\r\n`), 400, 'malformed_request', false);
  });

  it('bodies too large, wrong content types, broken or empty JSON, unknown routes', async () => {
    const send = async (path: string, init: RequestInit) => {
      const res = await fetch(`${app.url}${path}`, init);
      return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    };
    const json = { 'content-type': 'application/json' };
    assertProblem(await send('/api/v1/recurrence/preview', { method: 'POST', headers: json, body: JSON.stringify({ pad: 'x'.repeat(300_000) }) }), 413, 'body_too_large', true);
    assertProblem(await send('/api/v1/recurrence/preview', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }), 415, 'unsupported_media_type', true);
    assertProblem(await send('/api/v1/recurrence/preview', { method: 'POST', headers: json, body: '{"start": ' }), 400, 'malformed_json', true);
    assertProblem(await send('/api/v1/recurrence/preview', { method: 'POST', headers: json, body: '' }), 400, 'malformed_json', true);
    assertProblem(await send('/api/v1/nope', { method: 'GET' }), 404, 'route_not_found', true);
    const invalid = assertProblem(await send('/api/v1/recurrence/preview', { method: 'POST', headers: json, body: '{"count": "ten", "extra": 1}' }), 400, 'validation_failed', true);
    assert.deepEqual(
      invalid.errors.map((e: { path: string; code: string }) => [e.path, e.code]).sort(),
      [
        ['body/count', 'invalid_type'],
        ['body/extra', 'unrecognized_field'],
        ['body/start', 'required'],
        ['body/timeZone', 'required'],
      ].sort(),
    );
  });
});
