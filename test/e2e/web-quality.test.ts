import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axeViolations, checkPage, SHOTS } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, fillSchedule, signIn, withBrowserApp } from '../support/chromium.ts';

/** Keyboard only: Tab until the focused element matches `selector` (at most `max` presses). */
async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe('the web interface: keyboard, accessibility, layout, 404, sign out, live status', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  const newPage = () => b.newPage();

  it('every page passes axe-core (no serious or critical violation) at 375 and 1280 px, light and dark, with no horizontal overflow', async () => {
    const page = await newPage();
    // The check itself sees what it must: an image without a text alternative is critical.
    await page.setContent('<!doctype html><html lang="en"><title>x</title><main><img src="x.png"></main></html>');
    assert.deepEqual((await axeViolations(page)).map((v) => v.id), ['image-alt']);
    await page.goto(b.app.url);
    await checkPage(page, 'landing', () => page.getByRole('link', { name: 'Sign in with Google' }).waitFor());
    await page.goto(`${b.app.url}/tour`);
    await checkPage(page, 'tour', () => page.getByRole('heading', { level: 1, name: 'A tour of the sandbox' }).waitFor());
    await page.goto(`${b.app.url}/no/such/page`);
    await checkPage(page, 'not-found', () => page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor());
    // A page the server writes itself: a sign-in with a permission unticked.
    await page.goto(`${b.app.url}/auth/google/start`);
    await page.locator('input[type=email]').fill('unticked@example.com');
    await page.locator('input[name=scope]').last().uncheck();
    await page.getByRole('button', { name: /allow/i }).click();
    await checkPage(page, 'missing-permissions', () => page.getByRole('heading', { level: 1, name: 'Some permissions were not granted' }).waitFor());

    await signIn(page, b.app, 'a11y@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Accessible booking');
    await page.goto(`${b.app.url}/app`);
    await checkPage(page, 'dashboard', () => page.locator('#events li[data-state]').first().waitFor());
    await page.goto(`${b.app.url}/app/new`);
    await page.selectOption('#repeat', 'custom');
    await page.fill('#guests', 'guest@example.com,');
    await checkPage(page, 'create', () => page.locator('#preview li').first().waitFor());
    // The form's errors, each next to its field.
    await page.fill('#title', '');
    await page.fill('#end-time', '01:00');
    await page.getByRole('button', { name: /^Continue to payment/ }).click();
    await checkPage(page, 'create-errors', () => page.locator('#title-error').waitFor());
    await page.goto(`${b.app.url}/app/events/${id}`);
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await checkPage(page, 'event-pay', () => page.locator('#checkout figure svg').waitFor());
    await page.goto(`${b.app.url}/app/settings`);
    await checkPage(page, 'settings', () => page.getByRole('button', { name: 'Sign out' }).waitFor());
  });

  it('creates a recurring event with the keyboard alone', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'keyboard@example.com');
    const kb = page.keyboard;
    // From the dashboard: the "New event" link, reached with Tab, followed with Enter.
    await tabTo(page, 'nav a[href="/app/new"]');
    await kb.press('Enter');
    await page.waitForURL(`${b.app.url}/app/new`);
    await page.locator('#calendarId option').first().waitFor({ state: 'attached' });

    await tabTo(page, '#title');
    await kb.type('Standup');
    await tabTo(page, '#start-date');
    await kb.type('06022031'); // the browser's en-US date field: month, day, year (Monday 2 June 2031)
    await tabTo(page, '#start-time');
    await kb.type('0930AM');
    await tabTo(page, '#end-time');
    await kb.type('0945AM');
    await tabTo(page, '#timeZone');
    await kb.press('ControlOrMeta+A');
    await kb.type('Europe/Paris');
    // Repeat: the last preset is "Custom…": every 2 weeks on Monday and Wednesday, 4 times.
    await tabTo(page, '#repeat');
    await kb.press('End');
    await page.locator('#custom-repeat').waitFor();
    await tabTo(page, '#interval');
    await kb.press('ControlOrMeta+A');
    await kb.type('2');
    await tabTo(page, 'input[aria-label="Wednesday"]');
    await kb.press('Space');
    await tabTo(page, 'input[name="ends"]');
    await kb.press('ArrowDown');
    await kb.press('ArrowDown'); // "After"
    await tabTo(page, '#count');
    await kb.press('ControlOrMeta+A');
    await kb.type('4');
    const words = page.locator('#preview .rule-words');
    await words.getByText('Every 2 weeks on Monday and Wednesday, 4 times').waitFor();
    // The occurrences come from the server a moment after the words: the list for COUNT=4 has four.
    await page.waitForFunction(() => document.querySelectorAll('#preview li[data-start]').length === 4);
    assert.deepEqual(await page.locator('#preview li[data-start]').evaluateAll((els) => els.map((e) => e.getAttribute('data-start'))), [
      '2031-06-02T09:30:00+02:00',
      '2031-06-04T09:30:00+02:00',
      '2031-06-16T09:30:00+02:00',
      '2031-06-18T09:30:00+02:00',
    ]);
    // A guest typed, then Enter makes a chip.
    await tabTo(page, '#guests');
    await kb.type('colleague@example.com');
    await kb.press('Enter');
    await page.getByRole('button', { name: 'Remove colleague@example.com' }).waitFor();

    await tabTo(page, 'button[type="submit"]');
    await kb.press('Enter');
    await page.waitForURL((u) => u.pathname.startsWith('/app/events/'));
    await page.locator('#state[data-state="pending_payment"]').waitFor();
    const id = page.url().split('/').pop()!;
    const event = await (await page.request.get(`${b.app.url}/api/v1/events/${id}`)).json();
    assert.equal(event.title, 'Standup');
    assert.equal(event.timeZone, 'Europe/Paris');
    assert.equal(event.start, '2031-06-02T09:30:00');
    assert.equal(event.end, '2031-06-02T09:45:00');
    assert.deepEqual(event.recurrence, ['RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=4']);
    assert.deepEqual(event.attendees, [{ email: 'colleague@example.com' }]);
    // The event page says the repeat in words, never the rule.
    const summary = (await page.locator('.summary').textContent()) ?? '';
    assert.match(summary, /Every 2 weeks on Monday and Wednesday, 4 times/);
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /RRULE|pending_payment/);
  });

  it('books a one-day all-day event as one day', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'allday@example.com');
    await page.goto(`${b.app.url}/app/new`);
    await page.fill('#title', 'Holiday');
    await page.getByRole('switch', { name: 'All day' }).check();
    assert.equal(await page.locator('#start-time').count(), 0, 'no times for an all-day event');
    await page.fill('#start-date', '2031-07-14');
    await page.fill('#end-date', '2031-07-14');
    await page.getByRole('button', { name: /^Continue to payment/ }).click();
    await page.locator('#state[data-state="pending_payment"]').waitFor();
    const id = page.url().split('/').pop()!;
    const event = await (await page.request.get(`${b.app.url}/api/v1/events/${id}`)).json();
    assert.deepEqual([event.allDay, event.start, event.end], [true, '2031-07-14', '2031-07-15']);
  });

  it('refuses a start in the past, in words, next to the start, once', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'late@example.com');
    await page.goto(`${b.app.url}/app/new`);
    await page.fill('#title', 'Too late');
    await fillSchedule(page, '2020-01-06T10:00', '2020-01-06T11:00', 'Europe/Paris');
    await page.getByRole('button', { name: /^Continue to payment/ }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.deepEqual(await alert.allTextContents(), ['The start is in the past. Pick a later time.']);
    assert.equal(await alert.getAttribute('id'), 'start-error');
    // The field that needs a change has the focus, and says which error describes it.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'start-date');
    assert.match((await page.locator('#start-date').getAttribute('aria-describedby')) ?? '', /start-error/);
  });

  it('disconnects Google from the settings page, which then offers to reconnect', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'disconnect@example.com');
    await page.getByRole('link', { name: 'Settings' }).click();
    assert.equal(await page.locator('#google-state').textContent(), 'Connected');
    await page.getByRole('button', { name: 'Disconnect Google' }).click();
    await page.getByRole('button', { name: 'Yes, disconnect' }).click();
    await page.getByText('Google is disconnected.').waitFor();
    assert.notEqual(await page.locator('#google-state').getAttribute('data-status'), 'active');
    // Every page now says so, with the way back.
    const banner = page.locator('#google-status');
    await banner.getByRole('link', { name: 'Reconnect Google' }).waitFor();
    const me = await (await page.request.get(`${b.app.url}/api/v1/me`)).json();
    assert.notEqual(me.google.status, 'active');
  });

  it('signs out from the settings page', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'leaving@example.com');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.locator('#account-email').getByText('leaving@example.com').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${b.app.url}/`);
    await page.getByRole('link', { name: 'Sign in with Google' }).waitFor();
    assert.equal((await page.request.get(`${b.app.url}/api/v1/me`)).status(), 401);
    await page.goto(`${b.app.url}/app`);
    assert.equal(page.url(), `${b.app.url}/`, 'the signed-in pages send a signed-out browser home');
  });

  it('answers an unknown address with the designed 404 page, and back home from there', async () => {
    const page = await newPage();
    const res = await page.goto(`${b.app.url}/nowhere/at/all`);
    assert.equal(res?.status(), 404);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    assert.equal(await page.title(), 'Page not found · LeadsCalendar');
    await page.getByRole('link', { name: 'Go to the home page' }).click();
    await page.getByRole('link', { name: 'Sign in with Google' }).waitFor();
    // The API keeps answering programs in its own language.
    const api = await page.request.get(`${b.app.url}/api/v1/nowhere`, { headers: { accept: 'text/html' } });
    assert.equal(api.status(), 404);
    assert.match(api.headers()['content-type'] ?? '', /application\/problem\+json/);
  });

  it('follows the event’s live stream when the server has one, without polling', async () => {
    const page = await newPage();
    await signIn(page, b.app, 'stream@example.com');
    const id = await createAndOpenEvent(page, b.app.url, 'Streamed');
    const event = await (await page.request.get(`${b.app.url}/api/v1/events/${id}`)).json();
    const { payments } = await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json();
    // A stream as the protocol has it: a snapshot, then a change (here: the event confirmed).
    // The change carries the event without its timeline: the page appends the change's entry.
    const { timeline: _, ...bare } = event;
    const confirmed = { ...bare, state: 'confirmed', google: { ...event.google, htmlLink: 'https://calendar.google.com/event?eid=x' } };
    const entry = { id: '999', at: new Date().toISOString(), reason: 'on the calendar', subject: 'event', from: 'paid', to: 'confirmed' };
    await page.route(`${b.app.url}/api/v1/events/${id}/stream`, (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' },
        body: `retry: 600000\n: heartbeat\n\nevent: snapshot\nid: 1\ndata: ${JSON.stringify({ event, payments })}\n\nevent: change\nid: 999\ndata: ${JSON.stringify({ entry, event: confirmed, payments })}\n\n`,
      }),
    );
    let polls = 0;
    page.on('request', (r) => {
      if (r.url() === `${b.app.url}/api/v1/events/${id}`) polls++;
    });
    await page.reload();
    await page.locator('#state[data-state="confirmed"]').waitFor();
    assert.equal(await page.locator('#google-link').getAttribute('href'), 'https://calendar.google.com/event?eid=x');
    assert.equal(polls, 0, 'no polling while the stream answers');
    assert.equal(await page.locator('.timeline li').count(), event.timeline.length + 1);
    assert.equal(await page.locator('.timeline li').last().getAttribute('data-to'), 'confirmed');
  });
});

describe('a revoked Google connection, reconnected from the banner', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  it('says Google needs a new sign-in, with a working link, and books again once reconnected', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'revoked@example.com');
    const revoke = await fetch(`${b.app.runtime.sandbox!.url}/__sandbox/google/users/revoked@example.com/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(revoke.status, 200);

    // The form needs the calendars: Google refuses, and the page says what to do, once.
    await page.getByRole('link', { name: 'New event' }).first().click();
    const banner = page.locator('#google-status[data-status="needs_reconnect"]');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /Google needs you to sign in again/);
    assert.equal(await page.locator('#create-event').count(), 0, 'no form that could not be booked');
    await page.screenshot({ path: join(SHOTS, 'web-reconnect-banner-1280-light.png'), fullPage: true });

    await banner.getByRole('link', { name: 'Reconnect Google' }).click();
    await page.waitForURL(b.toSandbox);
    const email = page.locator('input[type=email]');
    if (await email.isEditable()) await email.fill('revoked@example.com');
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL(`${b.app.url}/app`);
    await page.getByRole('heading', { level: 1, name: 'Your events' }).waitFor();
    assert.equal(await page.locator('#google-status').count(), 0, 'no banner once reconnected');
    await createAndOpenEvent(page, b.app.url, 'After reconnecting');
  });
});
