/**
 * The HTML report in a real browser: Debian's headless Chromium driven by playwright-core. The page must load
 * from a file with no console error and no request beyond itself (vega, vega-lite and vega-embed are inlined),
 * show one table row per configuration, and draw one mark per configuration in each plot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';
import { ReportReader, buildReport, writeReport } from '../src/index.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let dir: string;
let browser: Browser;

/** A random sweep: 7 configurations (tau × lr drawn), 2 seeds each, with curves; and a grid sweep of 3. */
async function writeDatabase(path: string): Promise<void> {
  const store = await ResultsStore.open(path);
  const draws = [
    [0.07, 3e-4], [0.13, 1e-3], [0.21, 5e-4], [0.35, 2e-3], [0.5, 1e-4], [0.8, 7e-4], [1.3, 3e-3],
  ] as const;
  const trials: FixtureTrial[] = draws.flatMap(([tau, lr], i) =>
    [0, 1].map((seed) => {
      const hard = 0.6 + 0.04 * i - 0.01 * seed;
      return {
        params: { tau, lr },
        seed,
        metrics: { hard_acc: hard, soft_acc: hard + 0.1, gap: 0.1, precision: 0.5 + 0.02 * i, loss: 1 - hard },
        curve: { 50: { hard_acc: hard - 0.1, precision: 0.4 }, 100: { hard_acc: hard, precision: 0.5 } },
      };
    }),
  );
  await writeFixtureSweep(store, { name: 'drawn', method: 'random', swept: ['tau', 'lr'], trials });
  await writeFixtureSweep(store, {
    name: 'grid',
    method: 'grid',
    swept: ['tau'],
    trials: [0.1, 0.5, 1].map((tau, i) => ({ params: { tau }, seed: 0, metrics: { hard_acc: 0.7 + 0.05 * i, soft_acc: 0.9, gap: 0.1, precision: 0.5, loss: 0.3 } })),
  });
  await store.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-html-'));
  await writeDatabase(join(dir, 'results.db'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function writePage(sweep: string): Promise<string> {
  const reader = await ReportReader.open(join(dir, 'results.db'));
  try {
    const out = join(dir, sweep);
    await writeReport(await buildReport(reader, { sweep }), out);
    return join(out, 'index.html');
  } finally {
    await reader.close();
  }
}

/** Opens the page, waits for every plot, and returns what went wrong on the way and counts of what is drawn. */
async function load(file: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (request.url() !== url) problems.push(`fetched ${request.url()}`);
  });
  await page.goto(url);
  await page.evaluate(() => (globalThis as unknown as { reportReady: Promise<unknown> }).reportReady);
  const count = (selector: string) => page.locator(selector).count();
  return { page, problems, count };
}

describe('the HTML report in headless Chromium', () => {
  it('loads offline without a console error, with a row per configuration and a mark per configuration in each plot', async () => {
    const file = await writePage('drawn');
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing to fetch
    const { page, problems, count } = await load(file);
    try {
      expect(problems).toEqual([]);
      expect(await count('table.ranked tbody tr.configuration')).toBe(7);
      expect(await page.locator('table.ranked tbody tr').first().getAttribute('title')).toMatch(/^tau=\d.*, lr=/);
      // Soft and hard accuracy: one point each per configuration.
      expect(await count('#accuracy .means_marks path')).toBe(2 * 7);
      // Curves: a line per configuration in each of the two panels (hard accuracy, precision).
      expect(await count('#curves .curves_marks path')).toBe(2 * 7);
      // A random sweep gets the parallel coordinates: one line per configuration.
      expect(await count('#parallel-0 .parallel_marks path')).toBe(7);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows the configuration when the pointer is on a mark', async () => {
    const { page, problems } = await load(await writePage('drawn'));
    try {
      await page.locator('#parallel-0 .parallel_marks path').first().hover({ force: true });
      const tooltip = page.locator('#vg-tooltip-element');
      await expect.poll(async () => (await tooltip.isVisible()) && (await tooltip.textContent())).toMatch(/configuration\s*tau=/);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('has no parallel coordinates for a grid sweep', async () => {
    const { page, problems, count } = await load(await writePage('grid'));
    try {
      expect(problems).toEqual([]);
      expect(await count('table.ranked tbody tr.configuration')).toBe(3);
      expect(await count('#accuracy .means_marks path')).toBe(2 * 3);
      expect(await count('[id^="parallel"]')).toBe(0);
    } finally {
      await page.close();
    }
  }, 60_000);
});
