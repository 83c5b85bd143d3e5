import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import type { Sandbox } from '../../sandbox/server.ts';
import { assertSchema, schemaFor } from './google-discovery-schema.ts';

/** Test helpers for the emulated Google: a form-posting "browser" for the consent page, and a Calendar API caller. */

export const GOOGLE = SANDBOX_CREDENTIALS.google;
export const AUTH = 'https://www.googleapis.com/auth/';
export const S = {
  eventsOwned: `${AUTH}calendar.events.owned`,
  freebusy: `${AUTH}calendar.freebusy`,
  calendarListReadonly: `${AUTH}calendar.calendarlist.readonly`,
  userinfoEmail: `${AUTH}userinfo.email`,
};
export const RECOMMENDED_SCOPES = ['openid', 'email', S.eventsOwned, S.freebusy, S.calendarListReadonly];
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/google/callback';

interface Input {
  type: string;
  name: string;
  value: string;
  checked: boolean;
}

function attrs(tag: string): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:="([^"]*)")?/g)) out[m[1]!.toLowerCase()] = m[2] === undefined ? true : decodeHtml(m[2]);
  return out;
}

const decodeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

/** Reads the consent page's form the way a browser would. */
export function parseConsentForm(html: string): { action: string; inputs: Input[]; buttons: { name: string; value: string }[] } {
  const form = /<form[^>]*>/.exec(html);
  assert.ok(form, 'no form on the consent page');
  const action = String(attrs(form[0]).action);
  const inputs = [...html.matchAll(/<input\b[^>]*>/g)].map((m) => {
    const a = attrs(m[0]);
    return { type: String(a.type ?? 'text'), name: String(a.name ?? ''), value: a.value === undefined ? '' : String(a.value), checked: a.checked === true };
  });
  const buttons = [...html.matchAll(/<button\b[^>]*>/g)].map((m) => {
    const a = attrs(m[0]);
    return { name: String(a.name ?? ''), value: String(a.value ?? '') };
  });
  return { action, inputs, buttons };
}

export interface ConsentChoice {
  /** Pick this listed account (radio). */
  account?: string;
  /** Or type this email (creates a test user). */
  typeEmail?: string;
  /** Scopes to untick. */
  untick?: string[];
  decision?: 'allow' | 'deny';
}

/** Builds the body a browser posts when the person makes `choice` on the consent page. */
export function consentBody(html: string, choice: ConsentChoice = {}): { action: string; body: URLSearchParams } {
  const { action, inputs, buttons } = parseConsentForm(html);
  const body = new URLSearchParams();
  for (const i of inputs) {
    if (i.type === 'hidden') body.append(i.name, i.value);
    else if (i.type === 'radio' && (choice.account ? i.value === choice.account : i.checked)) body.append(i.name, i.value);
    else if (i.type === 'checkbox' && i.checked && !choice.untick?.includes(i.value)) body.append(i.name, i.value);
    else if (i.type === 'email' && choice.typeEmail) body.append(i.name, choice.typeEmail);
  }
  const button = buttons.find((b) => b.value === (choice.decision ?? 'allow'));
  assert.ok(button, `no ${choice.decision ?? 'allow'} button`);
  body.append(button.name, button.value);
  return { action, body };
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeOptions extends ConsentChoice {
  scopes?: string[];
  accessType?: 'online' | 'offline';
  prompt?: string;
  state?: string;
  challenge?: string;
  redirectUri?: string;
}

/** GETs the auth URL, submits the consent page; returns the redirect Location's query. */
export async function authorize(sb: Sandbox, opts: AuthorizeOptions = {}): Promise<URLSearchParams> {
  const q = new URLSearchParams({
    client_id: GOOGLE.clientId,
    redirect_uri: opts.redirectUri ?? REDIRECT_URI,
    response_type: 'code',
    scope: (opts.scopes ?? RECOMMENDED_SCOPES).join(' '),
    state: opts.state ?? 'st-1',
    access_type: opts.accessType ?? 'offline',
    prompt: opts.prompt ?? 'consent',
  });
  if (opts.challenge) {
    q.set('code_challenge', opts.challenge);
    q.set('code_challenge_method', 'S256');
  }
  const page = await fetch(`${sb.url}/o/oauth2/v2/auth?${q}`);
  assert.equal(page.status, 200, await page.clone().text());
  const { action, body } = consentBody(await page.text(), opts);
  const res = await fetch(new URL(action, sb.url), { method: 'POST', body, redirect: 'manual' });
  // Read to the end, so the connection goes back to the pool now rather than at garbage collection.
  await res.arrayBuffer();
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get('location')!);
  assert.equal(`${location.origin}${location.pathname}`, opts.redirectUri ?? REDIRECT_URI);
  return location.searchParams;
}

export async function tokenRequest(sb: Sandbox, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.url}/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json() };
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

/** Signs a test user in over plain HTTP and exchanges the code: the quickest way to a token. */
export async function signIn(sb: Sandbox, opts: AuthorizeOptions = {}): Promise<Tokens> {
  const { verifier, challenge } = pkce();
  const params = await authorize(sb, { ...opts, challenge });
  const code = params.get('code');
  assert.ok(code, `no code: ${params}`);
  const res = await tokenRequest(sb, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: opts.redirectUri ?? REDIRECT_URI,
    client_id: GOOGLE.clientId,
    client_secret: GOOGLE.clientSecret,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Tokens;
}

/**
 * Calls the Calendar API; every successful JSON answer is checked against its discovery schema.
 * Error bodies are checked by the caller (Google's error envelope is not a discovery schema).
 */
export async function api(sb: Sandbox, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  const schema = schemaFor(method, path);
  if (res.ok && schema && json !== undefined) assertSchema(schema, json);
  return { status: res.status, body: json, headers: res.headers };
}

/** Asserts a Google JSON error envelope with the given code and reason; returns the error. */
export function assertGoogleError(res: { status: number; body: any }, code: number, reason: string, message?: string | RegExp) {
  assert.equal(res.status, code, JSON.stringify(res.body));
  const err = res.body?.error;
  assert.ok(err, `not a Google error body: ${JSON.stringify(res.body)}`);
  assert.equal(err.code, code);
  assert.equal(typeof err.message, 'string');
  assert.ok(Array.isArray(err.errors) && err.errors.length === 1);
  assert.equal(err.errors[0].reason, reason);
  assert.equal(typeof err.errors[0].domain, 'string');
  if (message !== undefined) {
    if (typeof message === 'string') assert.equal(err.errors[0].message, message);
    else assert.match(err.errors[0].message, message);
  }
  return err;
}

export async function control(sb: Sandbox, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.url}/__sandbox/google${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** A timed event body one hour long. */
export function timedEvent(startIso: string, extra: Record<string, unknown> = {}) {
  const end = new Date(Date.parse(startIso) + 3600_000).toISOString();
  return { summary: 'Consultation', start: { dateTime: startIso }, end: { dateTime: end }, ...extra };
}
