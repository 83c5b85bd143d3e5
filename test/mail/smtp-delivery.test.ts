import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../support/app.ts';
import { book, openFlow, payerPays, waitFor, waitForEvent, type Flow } from '../payments/flow.ts';
import { parseIcs } from './support.ts';

/**
 * Mail over real SMTP to a server of the test's own, as in live mode (one way to send: the app
 * only knows SMTP_URL; the sandbox's outbox is just another SMTP server). The server asks for a
 * login, which the URL carries; the password never reaches a log line. A server that is down
 * delays the mail, never the booking: the booking confirms, and the retried job delivers the mail
 * once the server is up.
 */

const USER = 'mailer';
const PASSWORD = 'pa55-never-logged';

interface Received {
  auth: string | null;
  to: string[];
  raw: string;
}

async function startSmtp(port: number) {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    // Plain-text AUTH over an unencrypted loopback connection, as a local relay might accept it.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASSWORD) return cb(null, { user: USER });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ auth: typeof session.user === 'string' ? session.user : null, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function mailJob(f: Flow, eventId: string) {
  const [job] = await f.app.runtime.db.query<{ state: string; retry_count: number }>(
    `select state, retry_count from pgboss.job where name = 'mail.send' and singleton_key = $1`,
    [`confirmation:${eventId}`],
  );
  return job;
}

describe('mail over SMTP (live mode path)', () => {
  let f: Flow | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  after(async () => {
    await f?.app.close();
    await smtp?.close();
  });

  it('with the mail server down, the booking confirms anyway and the mail arrives once the server is up', async () => {
    const port = await freePort(); // nothing listens there yet
    f = await openFlow({ SMTP_URL: `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`, MAIL_FROM: 'Bookings <bookings@calendar.example.com>' });
    const { event, payment } = await book(f, 'binance', 'Booked while mail is down');
    await payerPays(f, 'binance', payment);
    await waitForEvent(f.app, f.browser, event.id, 'confirmed');

    // The first attempt failed and the job waits for its retry: the mail is delayed, not lost.
    await waitFor('the mail job to wait for a retry', async () => (await mailJob(f!, event.id))?.state === 'retry', 30_000, 100);

    smtp = await startSmtp(port);
    // The retry is due in seconds; back-dated so the test does not sleep through the backoff.
    await f.app.runtime.db.query(`update pgboss.job set start_after = now() where name = 'mail.send' and singleton_key = $1 and state = 'retry'`, [`confirmation:${event.id}`]);
    f.app.runtime.jobs.nudge('mail.send');
    const got = await waitFor('the mail at the SMTP server', () => smtp!.received[0], 30_000, 100);
    await waitFor('the mail job to complete', async () => (await mailJob(f!, event.id))?.state === 'completed', 10_000, 100);

    assert.equal(got.auth, USER, 'logged in with the URL’s credentials');
    assert.deepEqual(got.to, [f.email]);
    const parsed = await simpleParser(got.raw);
    assert.equal(parsed.messageId, `<confirmation.${event.id}@calendar.example.com>`);
    assert.deepEqual(parsed.from?.value.map((a) => [a.name, a.address]), [['Bookings', 'bookings@calendar.example.com']]);
    assert.match(parsed.subject ?? '', /^Booked: Booked while mail is down/);
    const ics = parsed.attachments.find((a) => a.filename === 'invitation.ics');
    assert.ok(ics);
    assert.equal(parseIcs(ics.content.toString('utf8')).event.uid, `${event.id}@leadscalendar`);
    assert.equal(smtp.received.length, 1, 'one mail');

    const logs = JSON.stringify(f.app.logs);
    assert.ok(logs.includes('job failed, will retry'), 'the failed attempt was logged');
    assert.ok(!logs.includes(PASSWORD), 'the SMTP password is never logged');
  });
});
