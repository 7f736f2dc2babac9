/**
 * The dashboard, `sweeper report` and the end-of-run summary show one sweep the same way: the same configurations
 * in the same order, with the same n and the same mean ± 95% interval of the sweep's metric (here a metric to
 * minimise, so that the goal is honoured everywhere). Each is read as a user sees it: the dashboard's frame, the
 * report's Markdown table, the summary's lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';
import { printSummary } from '../src/run/summary.ts';

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'same-numbers-'));
  db = join(dir, 'results.db');
  const trials: FixtureTrial[] = [];
  // 3 × 3 configurations × 3 seeds; the gap differs per configuration and seed, unevenly (so intervals differ).
  [0.1, 0.3, 1].forEach((tau, i) =>
    [2, 3, 4].forEach((k, j) => {
      for (let seed = 0; seed < 3; seed++) {
        const gap = 0.05 + 0.04 * ((i * 3 + j * 5) % 7) + 0.01 * seed * (1 + ((i + j) % 3));
        trials.push({ params: { tau, k }, seed, metrics: { gap, soft_acc: 0.9, hard_acc: 0.9 - gap, precision: 0.6 + 0.01 * j, loss: 0.5 } });
      }
    }),
  );
  trials.push({ params: { tau: 1, k: 4 }, seed: 3, status: 'failed', error: 'NaN loss' });
  const store = await ResultsStore.open(db);
  await writeFixtureSweep(store, { name: 'gaps', swept: ['tau', 'k'], metric: { name: 'gap', goal: 'minimize' }, trials });
  await store.setSweepStatus((await store.sweep('gaps')).id, 'completed');
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Line = [rank: number, tau: string, k: string, n: number, mean: string, ci: string];

/** `› 1. 0.1 3 3 0.071±0.012 …` */
function dashboardLines(frame: string): Line[] {
  return [...frame.matchAll(/^[ ›] +(\d+)\. +(\S+) +(\S+) +(\d+) +(\d\.\d{3})±(\d\.\d{3})/gm)].map((m) => [Number(m[1]), m[2]!, m[3]!, Number(m[4]), m[5]!, m[6]!]);
}

/** The Markdown table's rows: rank, the key settings, n, then the metrics (`0.071 ± 0.012`). */
function markdownLines(text: string, metricColumn: number): Line[] {
  return text
    .split('\n')
    .filter((line) => /^\| *\d+ *\|/.test(line))
    .map((line) => {
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      const [mean, ci] = cells[metricColumn]!.split(' ± ');
      return [Number(cells[0]), cells[1]!, cells[2]!, Number(cells[3]), mean!, ci!];
    });
}

it('ranks and summarises a sweep the same way in the dashboard, the report and the end-of-run summary', async () => {
  // Loaded as the sweeper loads them: only when used.
  const { Dashboard } = await import('@l2x/dashboard-ui');
  const { ReportReader, buildReport, formatMarkdown } = await import('@l2x/report');
  // The dashboard, tall enough for every configuration.
  const reader = await ResultsReader.open(db);
  const app = render(<Dashboard reader={reader} colour={false} />);
  Object.defineProperty(app.stdout, 'columns', { configurable: true, get: () => 120 });
  Object.defineProperty(app.stdout, 'rows', { configurable: true, get: () => 60 });
  app.stdout.emit('resize');
  const frame = await vi.waitFor(
    () => {
      const f = app.lastFrame() ?? '';
      if (dashboardLines(f).length !== 9) throw new Error(`leaderboard not complete yet:\n${f}`);
      return f;
    },
    { timeout: 15_000, interval: 10 },
  );
  app.unmount();
  await reader.close();
  expect(frame).toContain('by gap, lowest first');

  // The report, as `sweeper report` prints it.
  const reportReader = await ReportReader.open(db);
  const report = formatMarkdown(await buildReport(reportReader, { sweep: 'gaps' }));
  await reportReader.close();
  const header = report.split('\n').find((line) => /^\| *rank *\|/.test(line))!;
  const gapColumn = header.split('|').slice(1, -1).map((c) => c.trim()).indexOf('gap');
  expect(gapColumn).toBeGreaterThan(3);

  // The summary a run prints at its end.
  const store = await ResultsStore.open(db);
  const out: string[] = [];
  await printSummary(store, 'gaps', { sweepId: 1, runId: 1, status: 'completed', total: 28, completed: 27, failed: 1, interrupted: 0, pruned: 0 }, (line) => out.push(line));
  await store.close();

  const fromDashboard = dashboardLines(frame);
  const fromReport = markdownLines(report, gapColumn);
  const fromSummary = markdownLines(out.join('\n'), gapColumn);
  expect(fromDashboard).toHaveLength(9);
  expect(fromReport).toEqual(fromDashboard);
  expect(fromSummary).toEqual(fromDashboard);
  // Lowest gap first, and every configuration's three seeds.
  const means = fromDashboard.map((line) => Number(line[4]));
  expect(means).toEqual([...means].sort((a, b) => a - b));
  expect(fromDashboard.every((line) => line[3] === 3)).toBe(true);
});
