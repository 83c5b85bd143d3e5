import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { insertEvent } from '../../src/db/repos/events.ts';
import { googleEventId } from '../../src/domain/google-event-id.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { chromiumSkip, launch } from '../support/chromium.ts';

/** The web interface shows the first page of events and fetches older ones on request. */
describe('events list in a real browser', { skip: chromiumSkip() }, () => {
  let app: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;
  before(async () => {
    app = await startTestApp();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows 50 events, then the older ones after "Show older events", each with its state in words', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${app.url}/auth/google/start`);
    await page.locator('input[type=email]').fill('many-events@example.com');
    await page.getByRole('button', { name: /allow/i }).click();
    await page.waitForURL(`${app.url}/app`);

    const [user] = await app.db.db.query<{ id: string }>(`select id from users where email = 'many-events@example.com'`);
    for (let i = 0; i < 55; i++) {
      const id = randomUUID();
      await insertEvent(app.db.db, {
        id, userId: user!.id, title: `Event ${i}`, description: null, location: null, calendarId: 'primary', timeZone: 'UTC', allDay: false,
        startLocal: '2031-05-01T10:00', endLocal: '2031-05-01T11:00', startAt: new Date('2031-05-01T10:00Z'), endAt: new Date('2031-05-01T11:00Z'),
        recurrence: [], attendees: [], sendUpdates: 'none', priceCurrency: 'USD', priceMinor: 100n, googleEventId: googleEventId(id),
        pendingUntil: new Date(Date.now() + 3600_000),
      }, 'test');
    }
    await page.reload();
    const rows = page.locator('#events li[data-state]');
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);
    assert.equal(await rows.first().locator('.state').textContent(), 'Waiting for payment');
    await page.getByRole('button', { name: 'Show older events' }).click();
    await rows.nth(54).waitFor();
    assert.equal(await rows.count(), 55);
    assert.equal(await rows.last().locator('a.title').textContent(), 'Event 0');
    assert.equal(await page.locator('#more-events').count(), 0, 'no button once every event is shown');
  });
});
