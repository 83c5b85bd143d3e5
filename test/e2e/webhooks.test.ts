import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../src/crypto/webhook-signature.ts';
import { checkPage } from '../support/a11y.ts';
import { chromiumSkip, createAndOpenEvent, signIn, withBrowserApp } from '../support/chromium.ts';
import { Receiver } from '../webhooks/support.ts';

// The webhooks page: add an endpoint, keep its secret (shown once), see a delivery in its log and
// send it again, rotate, disable, delete — through the web interface alone.
describe('the webhooks page', { skip: chromiumSkip() }, () => {
  const b = withBrowserApp({ env: { WEBHOOK_RETRY_BASE_SECONDS: '0.2' } });
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start('/crm/hooks');
  });
  after(() => receiver?.close());

  it('adds an endpoint, shows its secret once, logs a delivery and sends it again', async () => {
    const page = await b.newPage();
    await signIn(page, b.app, 'webhooks-page@example.com');
    await page.goto(`${b.app.url}/app/settings`);
    await page.getByRole('link', { name: 'Manage webhooks' }).click();
    await page.waitForURL(`${b.app.url}/app/webhooks`);
    await page.locator('#no-endpoints').waitFor();
    await checkPage(page, 'webhooks-empty', () => page.locator('#no-endpoints').waitFor());

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('Our CRM');
    await page.getByRole('checkbox', { name: 'event.created' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.locator('#webhook-secret').textContent())?.trim() ?? '';
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    await checkPage(page, 'webhooks-secret', () => page.locator('#webhook-secret').waitFor());
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.locator('#webhook-secret').count(), 0, 'the secret is gone once dismissed');

    const eventId = await createAndOpenEvent(page, b.app.url, 'Told to the CRM');
    await page.goto(`${b.app.url}/app/webhooks`);
    const card = page.locator('li.endpoint', { hasText: receiver.url });
    await card.getByRole('button', { name: 'Delivery log' }).click();
    const delivered = card.locator('li.delivery[data-succeeded="true"]');
    for (let i = 0; i < 40 && (await delivered.count()) === 0; i++) {
      await page.waitForTimeout(250);
      await card.getByRole('button', { name: 'Refresh' }).click();
    }
    await delivered.first().waitFor();
    const line = (await delivered.first().textContent()) ?? '';
    assert.match(line, /Delivered · event\.created · Attempt 1 · HTTP 200/);
    assert.match(line, /ok 1/, 'the response excerpt');
    const body = receiver.received[0]!;
    assert.equal(JSON.parse(body.body).data.id, eventId);
    assert.equal(verifyWebhook(body.body, String(body.headers['leadscalendar-signature']), secret).ok, true);
    await checkPage(page, 'webhooks-log', () => delivered.first().waitFor());

    await delivered.first().getByRole('button', { name: 'Send again' }).click();
    await card.getByText('Sent again: delivered.').waitFor();
    await card.getByText('Attempt 2 (sent again by you)').waitFor();
    assert.equal(receiver.received.length, 2);
    assert.equal(receiver.received[1]!.body, receiver.received[0]!.body);

    await card.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.locator('#webhook-secret').textContent())?.trim();
    assert.ok(rotated && rotated !== secret);
    await card.getByText(/The previous secret also signs until/).waitFor();
    await page.getByRole('button', { name: 'I have stored it' }).click();

    await card.getByRole('button', { name: 'Disable' }).click();
    await card.locator('.endpoint-status[data-enabled="false"]').waitFor();
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.locator('.endpoint-status[data-enabled="true"]').waitFor();

    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByText(/Delete the endpoint .* and its delivery log\?/).waitFor();
    await card.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('Endpoint deleted.').waitFor();
    await page.locator('#no-endpoints').waitFor();
  });
});
