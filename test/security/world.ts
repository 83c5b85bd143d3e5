import assert from 'node:assert/strict';
import type { TestApp } from '../support/app.ts';
import type { Browser } from '../support/browser.ts';
import { csrf, signIn } from '../support/google.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A signed-in person with one of each object the API hands out by id: an event, a payment on it,
 * an API key, an OAuth client, a webhook endpoint and one of its deliveries. The security tests and
 * the fuzzer aim requests at these ids, their owner's and another person's.
 */
export interface Person {
  email: string;
  browser: Browser;
  csrfToken: string;
  /** A write API key, used to send requests; never among `ids` (a request could revoke it). */
  apiKey: string;
  ids: {
    event: string;
    payment: string;
    apiKey: string;
    oauthClient: string;
    webhookEndpoint: string;
    webhookDelivery: string;
  };
}

async function json(app: TestApp, p: { browser: Browser; csrfToken: string }, method: string, path: string, body?: unknown) {
  const res = await p.browser.json(`${app.url}${path}`, {
    method,
    headers: { 'x-csrf-token': p.csrfToken },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function person(app: TestApp, email: string): Promise<Person> {
  const { browser } = await signIn(app, { email });
  const p = { browser, csrfToken: await csrf(app, browser) };
  const { event } = await json(app, p, 'POST', '/api/v1/events', {
    title: `Event of ${email}`,
    timeZone: 'Europe/Paris',
    start: '2031-05-04T12:00',
    end: '2031-05-04T13:00',
  });
  const payment = await json(app, p, 'POST', `/api/v1/events/${event.id}/payments`, { provider: 'paypal' });
  const apiKey = await json(app, p, 'POST', '/api/v1/api-keys', { name: 'sender', scope: 'write' });
  const victimKey = await json(app, p, 'POST', '/api/v1/api-keys', { name: 'target', scope: 'read' });
  const oauthClient = await json(app, p, 'POST', '/api/v1/oauth-clients', { name: 'target', scopes: ['read'] });
  // Nothing listens on port 9 (discard) here: the delivery is logged as a failed attempt.
  const endpoint = await json(app, p, 'POST', '/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook' });
  await json(app, p, 'POST', '/api/v1/events', { title: 'announced', timeZone: 'UTC', start: '2031-06-01T09:00', end: '2031-06-01T10:00' });
  const delivery = await waitFor(`a delivery for ${email}`, async () => {
    const list = await json(app, p, 'GET', `/api/v1/webhook-endpoints/${endpoint.id}/deliveries`);
    return list.deliveries[0];
  });
  return {
    email,
    ...p,
    apiKey: apiKey.secret,
    ids: {
      event: event.id,
      payment: payment.id,
      apiKey: victimKey.id,
      oauthClient: oauthClient.id,
      webhookEndpoint: endpoint.id,
      webhookDelivery: delivery.id,
    },
  };
}

/** Every route of the running app, from Fastify's own route table, as `METHOD /path/:param`. */
export function routeTable(app: TestApp): { method: string; url: string }[] {
  const text = app.runtime.app.printRoutes({ commonPrefix: false });
  const stack: { depth: number; path: string }[] = [];
  const out: { method: string; url: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length;
    while (stack.length && stack.at(-1)!.depth >= depth) stack.pop();
    const parent = stack.at(-1)?.path ?? '';
    const path = parent === '/' && !m[2]!.startsWith('/') ? `/${m[2]}` : `${parent}${m[2]}`;
    stack.push({ depth, path });
    for (const method of m[3]!.split(',').map((s) => s.trim())) if (method !== 'HEAD') out.push({ method, url: path });
  }
  return out;
}

/** Which of a person's objects a route's `:id` names, judged by the path. */
export function idKind(url: string): keyof Person['ids'] | null {
  if (!url.includes(':id')) return null;
  if (url.startsWith('/api/v1/events/') || url.startsWith('/app/events/')) return 'event';
  if (url.startsWith('/api/v1/payments/')) return 'payment';
  if (url.startsWith('/api/v1/api-keys/')) return 'apiKey';
  if (url.startsWith('/api/v1/oauth-clients/')) return 'oauthClient';
  if (url.startsWith('/api/v1/webhook-endpoints/')) return 'webhookEndpoint';
  if (url.startsWith('/api/v1/webhook-deliveries/')) return 'webhookDelivery';
  throw new Error(`no object kind known for ${url}: teach idKind`);
}
