import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { after, afterEach, before } from 'node:test';
import { startTestApp, type TestApp } from './app.ts';
import { SHOTS } from './a11y.ts';
import { recordSessionCookie } from './log-files.ts';

/** Debian's chromium, never a downloaded one; .ci/run installs it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${CHROMIUM} is missing (apt-get install chromium)`);
  return `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); skipping`;
}

export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'lc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags chromium keeps calling Google's hosts, which this
    // machine's closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs the browser in through the app's "Sign in with Google" link and the sandbox's consent page. */
export async function signIn(page: Page, app: TestApp, email: string): Promise<void> {
  await page.goto(app.url);
  await page.getByRole('link', { name: 'Sign in with Google' }).click();
  await page.waitForURL((u) => u.toString().startsWith(app.runtime.sandbox!.url));
  await page.locator('input[type=email]').fill(email);
  await page.getByRole('button', { name: /allow/i }).click();
  await page.waitForURL(`${app.url}/app`);
  await page.getByRole('heading', { level: 1, name: 'Your events' }).waitFor();
  // For the log scan: a session id has no shape of its own.
  for (const c of await page.context().cookies(app.url)) if (/lc_session$/.test(c.name)) recordSessionCookie(c.value);
}

/** Fills the create form's schedule: `start`/`end` as YYYY-MM-DDTHH:mm wall-clock times. */
export async function fillSchedule(page: Page, start: string, end: string, timeZone: string): Promise<void> {
  await page.fill('#start-date', start.slice(0, 10));
  await page.fill('#start-time', start.slice(11, 16));
  await page.fill('#end-date', end.slice(0, 10));
  await page.fill('#end-time', end.slice(11, 16));
  await page.fill('#timeZone', timeZone);
}

/** Submits the create form and waits for the new event's page (where it is paid for). */
export async function submitEvent(page: Page, appUrl: string): Promise<void> {
  await page.getByRole('button', { name: /^Continue to payment/ }).click();
  await page.waitForURL((u) => u.toString().startsWith(`${appUrl}/app/events/`));
  await page.locator('#state[data-state="pending_payment"]').waitFor();
}

/** Creates an event through the form of /app/new (the browser is signed in), which opens its page; returns the event's id. */
export async function createAndOpenEvent(page: Page, appUrl: string, title: string): Promise<string> {
  await page.goto(`${appUrl}/app/new`);
  await page.fill('#title', title);
  await fillSchedule(page, '2031-06-02T10:00', '2031-06-02T11:00', 'Europe/London');
  await submitEvent(page, appUrl);
  return page.url().split('/').pop()!;
}

export interface BrowserApp {
  /** The app under test; set once the suite's `before` has run. */
  readonly app: TestApp;
  /** A new page, closed after the test that opened it; signed out unless the suite shares its session. */
  newPage(): Promise<Page>;
  /** True for a URL of the sandbox's own pages (consent, approval, checkout). */
  toSandbox(u: URL): boolean;
}

/**
 * One app and one browser for a describe block: started before its tests, closed after them.
 * Each test's pages close after it: an open event page holds a live status stream, and a browser
 * has about six HTTP/1.1 connections per site for all its pages together.
 */
export function withBrowserApp(opts: Parameters<typeof startTestApp>[0] = {}, { shareSession = false } = {}): BrowserApp {
  let app: TestApp | undefined;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  const pages: Page[] = [];
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await startTestApp(opts);
    browser = await launch();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close().catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });
  const running = () => {
    if (!app || !browser) throw new Error('withBrowserApp: the suite has not started');
    return { app, browser };
  };
  return {
    get app() {
      return running().app;
    },
    async newPage() {
      const { browser } = running();
      if (!shareSession) await browser.context.clearCookies();
      const page = await browser.context.newPage();
      pages.push(page);
      page.setDefaultTimeout(30_000);
      return page;
    },
    toSandbox: (u) => u.toString().startsWith(running().app.runtime.sandbox!.url),
  };
}
