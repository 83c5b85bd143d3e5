/**
 * Lighthouse scores of a page, with Debian's chromium (never a downloaded browser).
 *
 * Lighthouse's default settings: a mid-range phone on a slow 4G network, simulated from the page's
 * own trace, so loopback's speed does not flatter the figure. Printed, never asserted.
 */
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM } from '../test/support/chromium.ts';

export const LIGHTHOUSE_CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;
export type LighthouseScores = Record<(typeof LIGHTHOUSE_CATEGORIES)[number], number>;

export async function lighthouseScores(url: string, cookie?: string): Promise<LighthouseScores> {
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const result = await lighthouse(
      url,
      { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: [...LIGHTHOUSE_CATEGORIES], extraHeaders: cookie ? { cookie } : undefined },
    );
    if (!result) throw new Error(`lighthouse gave no result for ${url}`);
    const { categories } = result.lhr;
    return Object.fromEntries(LIGHTHOUSE_CATEGORIES.map((c) => [c, categories[c]?.score ?? 0])) as LighthouseScores;
  } finally {
    chrome.kill();
  }
}
