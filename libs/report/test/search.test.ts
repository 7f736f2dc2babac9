/** A bayes sweep with pruned trials: the report lists the pruned apart and draws the search plot. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { ReportReader, buildReport, formatMarkdown, historySpec, htmlSpecs, loadHistory, renderPlots, writeReport } from '../src/index.ts';

let dir: string;
let reader: ReportReader;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-search-'));
  const store = await ResultsStore.open(join(dir, 'results.db'));
  const lr = [1e-4, 1e-3, 1e-2, 3e-3, 2e-3];
  // Made in this order: completed 4.0, pruned at 30 (3.9 there), completed 2.6, completed 3.0, pruned at 10 (4.5 there).
  await writeFixtureSweep(store, {
    name: 'tpe', swept: ['lr'], method: 'bayes', metric: { name: 'median_rank', goal: 'minimize' },
    trials: [
      { params: { lr: lr[0] }, seed: 0, metrics: { median_rank: 4.0 }, curve: { 10: { median_rank: 4.4 } } },
      { params: { lr: lr[1] }, seed: 0, status: 'pruned', step: 30, metrics: { median_rank: 3.9 }, curve: { 10: { median_rank: 4.2 }, 30: { median_rank: 3.9 } } },
      { params: { lr: lr[2] }, seed: 0, metrics: { median_rank: 2.6 } },
      { params: { lr: lr[3] }, seed: 0, metrics: { median_rank: 3.0 } },
      { params: { lr: lr[4] }, seed: 0, status: 'pruned', step: 10, metrics: { median_rank: 4.5 }, curve: { 10: { median_rank: 4.5 } } },
    ],
  });
  await writeFixtureSweep(store, { name: 'plain', swept: ['lr'], method: 'random', trials: [{ params: { lr: 1e-3 }, seed: 0, metrics: { hard_acc: 0.5 } }] });
  await store.close();
  reader = await ReportReader.open(join(dir, 'results.db'));
});
afterAll(async () => {
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a sweep in trial order', () => {
  it('keeps the best completed value so far and lists the pruned trials apart', async () => {
    const history = (await loadHistory(reader, await reader.sweep('tpe')));
    expect(history.points.map((p) => [p.status, p.value, p.best])).toEqual([
      ['completed', 4, 4], ['pruned', 3.9, 4], ['completed', 2.6, 2.6], ['completed', 3, 2.6], ['pruned', 4.5, 2.6],
    ]);
    expect(history.pruned.map((p) => [p.trial, p.step])).toEqual([[2, 30], [5, 10]]);
  });

  it('aggregates completed trials in the table and lists the pruned ones in their own section', async () => {
    const report = (await buildReport(reader, { sweep: 'tpe' }));
    expect(report.tables[0].rows.reduce((n, r) => n + r.n, 0)).toBe(3);
    const md = formatMarkdown(report);
    expect(md).toContain('## Pruned trials (2)');
    expect(md).toContain('3 of 5 trials completed, 2 pruned');
    expect(report.tables[0].notes).toContain('2 of 5 configurations were stopped early (pruned) and are not in the table: see "Pruned trials"');
    expect(report.tables[0].notes.join(' ')).not.toContain('no completed trial yet');
    expect(md).toMatch(/\| +2 \| lr=0\.001 +\| +30 \| +3\.900 \|/);
    expect(md).toMatch(/\| +5 \| lr=0\.002 +\| +10 \| +4\.500 \|/);
    expect(formatMarkdown((await buildReport(reader, { sweep: 'plain' })))).not.toContain('Pruned trials');
  });

  it('draws the search plot for a bayes sweep only: metric by trial with the best so far, and a panel per swept setting', async () => {
    const spec = historySpec((await loadHistory(reader, await reader.sweep('tpe')))) as unknown as { vconcat: { layer?: unknown[]; hconcat?: unknown[] }[]; data: { values: unknown[] } };
    expect(spec.data.values).toHaveLength(5);
    expect(spec.vconcat[0]!.layer).toHaveLength(2);
    expect(spec.vconcat[1]!.hconcat).toHaveLength(1);
    const report = (await buildReport(reader, { sweep: 'tpe' }));
    const plots = await renderPlots(report);
    expect(plots.search?.svg).toMatch(/^<svg/);
    const written = await writeReport(report, join(dir, 'out'), { plots });
    expect(written.files).toContain('search.svg');
    expect(readFileSync(join(dir, 'out', 'index.md'), 'utf8')).toContain('![median_rank by trial');
    expect((await renderPlots((await buildReport(reader, { sweep: 'plain' })))).search).toBeNull();
    expect(Object.keys(htmlSpecs(report))).toContain('search'); // the interactive page draws it too
    expect(Object.keys(htmlSpecs((await buildReport(reader, { sweep: 'plain' }))))).not.toContain('search');
  }, 60_000);
});
