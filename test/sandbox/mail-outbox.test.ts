import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';

/**
 * The sandbox's outbox: an SMTP server that keeps every mail, shown to people at /__sandbox/mail
 * (mail HTML in a sandboxed frame, everything else escaped), as JSON to tools, kept across restarts.
 */

const HOSTILE = '<script>alert(1)</script>';

async function send(sandbox: Sandbox, subject: string) {
  const t = nodemailer.createTransport({ url: sandbox.smtpUrl });
  await t.sendMail({
    from: 'LeadsCalendar <bookings@leadscalendar.localhost>',
    to: 'ada@example.com',
    subject,
    text: `Hello ${HOSTILE}`,
    html: `<p>Hello</p>${HOSTILE}`,
    messageId: '<test.1@leadscalendar.localhost>',
    attachments: [{ filename: 'invitation.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' }],
  });
  t.close();
}

describe('sandbox mail outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-sandbox-mail-'));
  let sandbox: Sandbox | undefined;
  after(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every mail, shows it safely, serves its attachments, and survives a restart', async () => {
    sandbox = await startSandbox({ port: 0, dataDir: dir });
    assert.match(sandbox.smtpUrl, /^smtp:\/\/127\.0\.0\.1:\d+$/);
    await send(sandbox, `First ${HOSTILE}`);
    await send(sandbox, 'Second');

    const json = await (await fetch(`${sandbox.url}/__sandbox/mail`, { headers: { accept: 'application/json' } })).json();
    assert.deepEqual(json.mails.map((m: any) => m.subject), ['Second', `First ${HOSTILE}`], 'newest first');
    const first = json.mails[1];
    assert.deepEqual(first.envelope.to, ['ada@example.com']);
    assert.equal(first.messageId, '<test.1@leadscalendar.localhost>');
    assert.equal(first.attachments[0].text, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    assert.deepEqual((await (await fetch(`${sandbox.url}/__sandbox/mail.json`)).json()).mails.length, 2);

    const list = await fetch(`${sandbox.url}/__sandbox/mail`);
    assert.match(list.headers.get('content-type')!, /text\/html/);
    assert.match(list.headers.get('content-security-policy')!, /default-src 'none'/);
    const listHtml = await list.text();
    assert.ok(!listHtml.includes(HOSTILE) && listHtml.includes('First &#60;script&#62;'), 'the subject is escaped');
    assert.ok(listHtml.includes(`/__sandbox/mail/${first.id}`));

    const page = await (await fetch(`${sandbox.url}/__sandbox/mail/${first.id}`)).text();
    assert.ok(!page.includes(HOSTILE), 'text and headers escaped');
    assert.match(page, /<iframe sandbox src="\/__sandbox\/mail\/[^"]+\/html"/);
    const frame = await fetch(`${sandbox.url}/__sandbox/mail/${first.id}/html`);
    assert.match(frame.headers.get('content-security-policy')!, /; sandbox$/, 'the mail HTML runs nothing even opened directly');
    assert.ok((await frame.text()).includes('<p>Hello</p>'));

    const ics = await fetch(first.attachments[0].url);
    assert.equal(ics.status, 200);
    assert.match(ics.headers.get('content-type')!, /^text\/calendar/);
    assert.equal(ics.headers.get('content-disposition'), 'attachment; filename="invitation.ics"');
    assert.equal(await ics.text(), 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');

    // Kept in the data folder: a restart shows the same outbox.
    await sandbox.close();
    sandbox = await startSandbox({ port: 0, dataDir: dir });
    const again = await (await fetch(`${sandbox.url}/__sandbox/mail.json`)).json();
    assert.deepEqual(again.mails.map((m: any) => m.id), json.mails.map((m: any) => m.id));

    assert.equal((await fetch(`${sandbox.url}/__sandbox/mail`, { method: 'DELETE' })).status, 200);
    assert.deepEqual((await (await fetch(`${sandbox.url}/__sandbox/mail.json`)).json()).mails, []);
    await send(sandbox, 'Third');
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    assert.deepEqual((await (await fetch(`${sandbox.url}/__sandbox/mail.json`)).json()).mails, [], 'a reset empties it too');
  });
});
