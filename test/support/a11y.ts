import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';

/** Screenshots of the pages the browser tests check; CI keeps test-results/ as artifacts. */
export const SHOTS = resolve(import.meta.dirname, '../../test-results');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const WIDTHS = [375, 1280] as const;
export const SCHEMES = ['light', 'dark'] as const;

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

/** axe-core's serious and critical violations on the page as it is now (its source evaluated in the page, not injected: the CSP allows no inline script). */
export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * At both widths and in both colour schemes: no serious or critical axe violation, no sideways
 * scrolling, and a screenshot (test-results/web-<name>-<width>-<scheme>.png). `ready` waits for
 * what the page must show.
 */
export async function checkPage(page: Page, name: string, ready: () => Promise<unknown>): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const found: string[] = [];
  for (const width of WIDTHS) {
    for (const colorScheme of SCHEMES) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await ready();
      const where = `${name} at ${width} px, ${colorScheme}`;
      for (const v of await axeViolations(page)) found.push(`${where}: ${v.id} (${v.impact}) ${v.help} — ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 0) found.push(`${where}: ${overflow} px of horizontal overflow`);
      await page.screenshot({ path: join(SHOTS, `web-${name}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(found, []);
}
