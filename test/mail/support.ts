import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import type { TestApp } from '../support/app.ts';
import { waitFor } from '../support/wait.ts';

/** Reading the sandbox's outbox the way a tool would: GET /__sandbox/mail as JSON. */

export interface OutboxMail {
  id: string;
  receivedAt: string;
  envelope: { from: string | null; to: string[] };
  from: string | null;
  subject: string | null;
  messageId: string | null;
  text: string | null;
  html: string | null;
  attachments: { filename: string | null; contentType: string; size: number; url: string; text?: string; content: string }[];
}

export async function outbox(app: TestApp): Promise<OutboxMail[]> {
  const res = await fetch(`${app.runtime.sandbox.url}/__sandbox/mail`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { mails: OutboxMail[] }).mails;
}

/** The mail about `eventId` whose Message-ID starts with `kind.` (one mail per fact: kind.subject@domain). */
export function mailsOf(mails: OutboxMail[], kind: string, subjectId: string): OutboxMail[] {
  return mails.filter((m) => m.messageId === `<${kind}.${subjectId}@leadscalendar.localhost>`);
}

export async function waitForMail(app: TestApp, kind: string, subjectId: string, timeoutMs = 20_000): Promise<OutboxMail> {
  return waitFor(`a ${kind} mail about ${subjectId}`, async () => mailsOf(await outbox(app), kind, subjectId)[0], timeoutMs, 100);
}

/** The VEVENT of an .ics, parsed back with ical.js. */
export function parseIcs(text: string) {
  const cal = new ICAL.Component(ICAL.parse(text));
  const vevent = cal.getFirstSubcomponent('vevent');
  assert.ok(vevent, 'the .ics has a VEVENT');
  return { cal, vevent, event: new ICAL.Event(vevent) };
}
