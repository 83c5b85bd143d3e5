import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sameOriginPath } from '../../src/app/sign-in.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { Browser } from '../support/browser.ts';
import { consentUntilCallback } from './consent.ts';

/**
 * After sign-in the browser goes back where it came from (`returnTo`), but only to a path on our
 * own origin: anything a browser would resolve to another host lands on /app instead.
 */

const HOSTILE = [
  '//evil.example',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  'https://evil.example/app',
  'http://evil.example',
  'http:evil.example',
  'https:evil.example',
  '/%2F%2Fevil.example',
  '%2F%2Fevil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '\t//evil.example',
  ' //evil.example',
  'javascript:alert(document.domain)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
];

describe('sign-in returnTo: same-origin paths only', () => {
  let app: TestApp;
  let n = 0;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  /** Where the app's callback sends the browser once Google said yes, resolved as a browser resolves it. */
  async function landing(returnTo: string | null): Promise<{ raw: string; url: URL }> {
    const browser = new Browser();
    const start = returnTo === null ? '/auth/google/start' : `/auth/google/start?returnTo=${encodeURIComponent(returnTo)}`;
    const callback = await consentUntilCallback(app, browser, start, `returner${++n}@example.com`);
    const res = await browser.request(callback.toString());
    assert.equal(res.status, 302, await res.clone().text());
    const raw = res.headers.get('location')!;
    return { raw, url: new URL(raw, app.url) };
  }

  for (const hostile of HOSTILE) {
    it(`keeps the browser on our origin for returnTo=${JSON.stringify(hostile)}`, async () => {
      const { raw, url } = await landing(hostile);
      assert.equal(url.origin, new URL(app.url).origin, `sent to ${raw}`);
      // What the header says must be unambiguous for any client, not only WHATWG-conformant ones.
      assert.match(raw, /^\/(?![/\\])/, `Location ${JSON.stringify(raw)} is a plain absolute path`);
      assert.doesNotMatch(raw, /[\\\s]/);
    });
  }

  it('returns to a good path with its query and fragment', async () => {
    const good = '/app/events/3f6c1a52-0000-4000-8000-000000000001?tab=history&x=%2F#top';
    assert.equal((await landing(good)).raw, good);
  });

  it('lands on /app when no returnTo was given', async () => {
    assert.equal((await landing(null)).raw, '/app');
  });

  it('the check resolves against PUBLIC_BASE_URL: another port or scheme is another origin', () => {
    const base = 'https://lc.example:8443';
    assert.equal(sameOriginPath('/app?x=1', base), '/app?x=1');
    assert.equal(sameOriginPath('https://lc.example:8443/app', base), '/app');
    assert.equal(sameOriginPath('https://lc.example/app', base), null);
    assert.equal(sameOriginPath('http://lc.example:8443/app', base), null);
    assert.equal(sameOriginPath('//lc.example.evil.example/app', base), null);
  });
});
