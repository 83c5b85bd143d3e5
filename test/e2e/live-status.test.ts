import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request } from 'playwright-core';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';
import { PAYMENT_LABEL as PAYMENT_STATE_LABEL, STATE_LABEL } from '../../web/src/strings.ts';
import { SHOTS } from '../support/a11y.ts';
import { EVENT_STATES } from '../../src/domain/event-state.ts';
import { PAYMENT_STATES } from '../../src/domain/payment-state.ts';

/**
 * Issue #9, "Live status" in the page: the event page follows its event through the stream
 * (EventSource), not by polling, and shows the audit trail as a timeline in words.
 */
describe('the event page’s live status in a real browser', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp();

  it('goes to confirmed from the stream, without polling, and shows the timeline in words', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'live@example.com');
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    const id = await createAndOpenEvent(page, b.app.url, 'Live status');
    const stream = requests.find((r) => new URL(r.url()).pathname === `/api/v1/events/${id}/stream`) ?? (await page.waitForRequest((r) => r.url().includes(`/api/v1/events/${id}/stream`)));
    assert.equal(stream.resourceType(), 'eventsource');
    await stream.response();

    // From here on, the page asks the API for nothing by itself: every change comes down the stream.
    const polls = () => requests.filter((r) => r.method() === 'GET' && /^\/api\/v1\/events\/[^/]+(\/payments)?$/.test(new URL(r.url()).pathname)).length;
    const before = polls();
    await page.getByRole('button', { name: 'Pay with Binance Pay' }).click();
    await page.locator('#checkout svg').first().waitFor();
    const [payment] = (await (await page.request.get(`${b.app.url}/api/v1/events/${id}/payments`)).json()).payments;
    const paid = await fetch(`${b.app.runtime.sandbox.url}/__sandbox/binance/orders/${payment.providerReference.orderId}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(paid.status, 200);
    await page.locator('#state[data-state="confirmed"]').waitFor();
    // Longer than two polling intervals (2 s) of the old page.
    await page.waitForTimeout(5000);
    assert.equal(polls() - before, 0, 'no polling while the stream is open');

    // The timeline: each entry in words, in the reader's locale, with the provider's reference.
    const items = page.locator('#timeline li');
    const texts = await items.allTextContents();
    const whats = await page.locator('#timeline li strong').allTextContents();
    const words = new Set([...Object.values(STATE_LABEL), ...Object.values(PAYMENT_STATE_LABEL).map((l) => `Binance Pay payment: ${l}`)]);
    for (const w of whats) assert.ok(words.has(w), `"${w}" is a label`);
    assert.ok(whats.includes(STATE_LABEL.confirmed));
    assert.ok(whats.includes(`Binance Pay payment: ${PAYMENT_STATE_LABEL.captured}`));
    const codes = [...EVENT_STATES, ...PAYMENT_STATES].filter((c) => c.includes('_') || !Object.values({ ...STATE_LABEL, ...PAYMENT_STATE_LABEL }).some((l) => l.toLowerCase().includes(c)));
    for (const t of texts) for (const c of codes) assert.ok(!new RegExp(`\\b${c}\\b`).test(t), `raw state "${c}" shown in "${t}"`);
    const captured = items.filter({ hasText: `Binance Pay payment: ${PAYMENT_STATE_LABEL.captured}` });
    assert.match((await captured.textContent()) ?? '', /reference \S+/);
    const time = items.first().locator('time');
    const iso = (await time.getAttribute('datetime'))!;
    assert.ok(Number.isFinite(Date.parse(iso)), 'a machine-readable time');
    assert.ok(!(await time.textContent())!.includes(iso.slice(0, 19)), 'shown in the reader’s words, not as an ISO string');
    assert.ok((await page.locator('#timeline li .why').allTextContents()).every((w) => w.trim().length > 0), 'each entry says why');
    await page.screenshot({ path: `${SHOTS}/live-timeline-1280.png`, fullPage: true });
  });
});
