import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * Promise only what the code keeps. Every text a person or an integrator reads — the README, the
 * documentation pages, the OpenAPI document's descriptions and the web interface's strings — may
 * describe a capability as working only once the code has it; until then the same paragraph must
 * say it is coming. Each capability is detected from the running app (its routes) or the
 * repository, so building one turns its sentences from "must say coming" into "may say it works"
 * without touching this test; a capability not listed here needs a row when its pages are written.
 */

const root = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Capability {
  /** What a reader would be promised. */
  what: string;
  /** Sentences that present it as working. */
  phrases: RegExp[];
  built(app: TestApp): boolean;
}

const route = (app: TestApp, method: string, url: string) => app.runtime.app.hasRoute({ method, url } as never);

const srcFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? srcFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );

const CAPABILITIES: Capability[] = [
  {
    what: 'paying for an event with PayPal or Binance Pay',
    phrases: [/\b[Pp]ays?\b[^.|]{0,80}\b(PayPal|Binance Pay)\b/, /picks? a payment method/i],
    built: (app) => route(app, 'POST', '/api/v1/events/:id/payments'),
  },
  {
    what: 'provider notifications on /webhooks/paypal and /webhooks/binance',
    phrases: [/\/webhooks\/(paypal|binance)/],
    built: (app) => route(app, 'POST', '/webhooks/paypal') && route(app, 'POST', '/webhooks/binance'),
  },
  {
    what: 'money voided or refunded when an event fails',
    phrases: [/money (is |was |then )?(voided|returned|refunded)/i, /voided or refunded/i, /refunded automatically/i, /money returned/i],
    built: (app) => route(app, 'POST', '/api/v1/payments/:id/refund'),
  },
  {
    what: 'unpaid events expiring',
    phrases: [/\b(the|an|unpaid) event expires\b/i, /\bexpires after\b/i],
    // A job queue whose dotted name says it expires events ('event.expire'), defined in the product.
    built: () => srcFiles('src').some((f) => /['"][a-z-]+\.[a-z.-]*expire[a-z.-]*['"]/.test(read(f))),
  },
  {
    what: 'signed outgoing webhooks to integrators',
    phrases: [/outgoing webhooks?/i, /webhooks to integrators/i],
    built: (app) => route(app, 'POST', '/api/v1/webhook-endpoints'),
  },
  {
    what: 'the TypeScript SDK',
    phrases: [/\bSDK\b/],
    built: () => existsSync(join(root, 'sdk/package.json')),
  },
  {
    what: 'API keys',
    phrases: [/(?<!merchant )\bAPI keys\b/i, /\bAPI keys? for (servers|integrators)\b/i],
    built: (app) => route(app, 'POST', '/api/v1/api-keys'),
  },
];

/** A paragraph that says the thing is not there yet. */
const SAYS_COMING = /\bcoming\b|\bcomes\s+with\b|\bnot yet\b|\bplanned\b/i;

/**
 * Paragraphs of a Markdown page: blank-line separated blocks, with each table row and list item on
 * its own. Fenced code is left out: it shows commands and their output, and the prose around it
 * carries the promise.
 */
function paragraphs(text: string): string[] {
  const out: string[] = [];
  for (const block of text.replace(/^(\s*)```[^\n]*\n[\s\S]*?\n\1```$/gm, '').split(/\n\s*\n/)) {
    const lines = block.split('\n');
    if (lines.every((l) => l.trim().startsWith('|'))) out.push(...lines);
    else out.push(...block.split(/\n(?=\s*(?:[-*]|\d+\.)\s)/));
  }
  return out;
}

function descriptions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) descriptions(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'description' || k === 'summary') && typeof v === 'string') out.push(v);
      else descriptions(v, out);
    }
  }
  return out;
}

async function htmlParagraphs(url: string): Promise<string[]> {
  const html = await (await fetch(url)).text();
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
    .split(/<\/?(?:p|h[1-6]|li|div|section|header|footer|td|th)\b[^>]*>/)
    .map((block) => block.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim())
    .filter((block) => block.length > 0);
}

let app: TestApp;
let texts: { where: string; paragraph: string }[];

before(async () => {
  app = await startTestApp();
  const openapi = await (await fetch(`${app.url}/api/v1/openapi.json`)).json();
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  // The web interface's strings: every quoted literal of its server routes, scripts and pages
  // (its API types are generated from the OpenAPI document, checked above).
  const web = ['src/web', 'web/src'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && /\.(js|ts|tsx|html)$/.test(d.name) && d.name !== 'api.gen.ts')
      .map((d) => join(d.parentPath, d.name).slice(root.length + 1)),
  );
  texts = [
    ...pages.flatMap((p) => paragraphs(read(p)).map((paragraph) => ({ where: p, paragraph }))),
    ...descriptions(openapi).map((paragraph) => ({ where: 'the OpenAPI document', paragraph })),
    ...web.flatMap((f) => [...read(f).matchAll(/(['"`])((?:(?!\1)[\s\S]){8,}?)\1/g)].map((m) => ({ where: f, paragraph: m[2]! }))),
    // And the pages as a person receives them: each HTML block element's text.
    ...(await htmlParagraphs(`${app.url}/`)).map((paragraph) => ({ where: 'the landing page', paragraph })),
  ];
});

after(() => app?.close());

describe('documentation promises only what the code keeps', () => {
  it('finds the texts it checks', () => {
    assert.ok(texts.length > 300, `only ${texts.length} paragraphs found: the collectors need updating`);
  });

  for (const cap of CAPABILITIES) {
    it(`says "coming" wherever it presents ${cap.what}, until it is built`, () => {
      if (cap.built(app)) return;
      const broken = texts
        .filter((t) => cap.phrases.some((p) => p.test(t.paragraph)) && !SAYS_COMING.test(t.paragraph))
        .map((t) => `${t.where}: ${t.paragraph.trim().slice(0, 160)}`);
      assert.deepEqual(broken, [], `${cap.what} is not built, yet these texts present it as working`);
    });
  }
});
