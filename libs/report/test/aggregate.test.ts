import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { createTestDatabase, type TestDatabase } from '@l2x/store/testing';
import { ReportReader, aggregate, buildReport, loadSweepData, metricOf, reportMetrics, type ReportRow, type ReportTable } from '../src/index.ts';
import { writeReportFixture } from './fixture.ts';

// The same report from a SQLite file and from a PostgreSQL database.
describe.each(['sqlite', 'postgres'] as const)('reports on %s', (backend) => {
let dir: string;
let reader: ReportReader;
/** Where the fixture lives; other databases of a test go beside it (a file, or another PostgreSQL database). */
let location: string;
let databases: TestDatabase[] = [];
/** A new, empty database of this backend. */
const another = async (name: string): Promise<string> => {
  if (backend === 'sqlite') return join(dir, `${name}.db`);
  const db = await createTestDatabase(`l2x_report_${name}`);
  databases.push(db);
  return db.url;
};
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-aggregate-'));
  location = await another('results');
  await writeReportFixture(location);
  reader = await ReportReader.open(location);
});
afterAll(async () => {
  await reader.close();
  for (const db of databases) await db.drop();
  databases = [];
  rmSync(dir, { recursive: true, force: true });
});

const row = (table: ReportTable, label: string): ReportRow => {
  const found = table.rows.find((r) => r.label === label);
  if (!found) throw new Error(`no row ${label} in ${table.rows.map((r) => r.label).join(', ')}`);
  return found;
};

// Student t quantiles t(0.975, df): df 1 → 12.706205, 2 → 4.302653, 3 → 3.182446, 5 → 2.570582.
describe('per configuration', () => {
  it('gives mean ± 95% CI over seeds for each metric (hand-computed)', async () => {
    const table = (await buildReport(reader, { sweep: 'grid' })).tables[0];
    expect(table.keySettings).toEqual(['tau', 'k']);
    expect(table.metrics).toEqual(['soft_acc', 'hard_acc', 'gap', 'precision', 'loss']);

    // tau 0.1, k 3 — hard 0.6, 0.7, 0.8: mean 0.7; s = √((0.01 + 0 + 0.01) / 2) = 0.1;
    // half-width = 4.302653 · 0.1 / √3 = 0.248414; interval 0.451586 … 0.948414.
    const a = row(table, 'tau=0.1, k=3');
    expect(a.n).toBe(3);
    expect(metricOf(a, 'hard_acc').mean).toBeCloseTo(0.7, 10);
    expect(metricOf(a, 'hard_acc').std).toBeCloseTo(0.1, 10);
    expect(metricOf(a, 'hard_acc').ci95).toBeCloseTo(0.248414, 5);
    expect(metricOf(a, 'hard_acc').low).toBeCloseTo(0.451586, 5);
    expect(metricOf(a, 'hard_acc').high).toBeCloseTo(0.948414, 5);
    // soft 0.9 ×3: mean 0.9, s = 0, half-width 0. gap 0.3, 0.2, 0.1: like hard, mean 0.2 ± 0.248414.
    expect(metricOf(a, 'soft_acc')).toMatchObject({ n: 3, std: 0, ci95: 0 });
    expect(metricOf(a, 'soft_acc').mean).toBeCloseTo(0.9, 10);
    expect(metricOf(a, 'gap').mean).toBeCloseTo(0.2, 10);
    expect(metricOf(a, 'gap').ci95).toBeCloseTo(0.248414, 5);
    // loss 0.4, 0.3, 0.2: mean 0.3 ± 0.248414; precision 0.5, 0.6, 0.7: 0.6 ± 0.248414.
    expect(metricOf(a, 'loss').mean).toBeCloseTo(0.3, 10);
    expect(metricOf(a, 'precision').mean).toBeCloseTo(0.6, 10);
    expect(metricOf(a, 'precision').ci95).toBeCloseTo(0.248414, 5);

    // tau 0.5, k 3 — hard 0.75, 0.85: mean 0.8; s = √(0.0025 + 0.0025) = 0.070711;
    // half-width = 12.706205 · 0.070711 / √2 = 12.706205 · 0.05 = 0.635310.
    const b = row(table, 'tau=0.5, k=3');
    expect(b.n).toBe(2);
    expect(metricOf(b, 'hard_acc').mean).toBeCloseTo(0.8, 10);
    expect(metricOf(b, 'hard_acc').std).toBeCloseTo(0.070711, 5);
    expect(metricOf(b, 'hard_acc').ci95).toBeCloseTo(0.635310, 5);

    // tau 0.5, k 2 — hard 0.2, 0.4, 0.4, 0.6: mean 0.4; s = √((0.04 + 0 + 0 + 0.04) / 3) = 0.163299;
    // half-width = 3.182446 · 0.163299 / √4 = 0.259846. gap 0.3, 0.1, 0.1, −0.1: mean 0.1, same s and half-width.
    const c = row(table, 'tau=0.5, k=2');
    expect(c.n).toBe(4);
    expect(metricOf(c, 'hard_acc').mean).toBeCloseTo(0.4, 10);
    expect(metricOf(c, 'hard_acc').std).toBeCloseTo(0.163299, 5);
    expect(metricOf(c, 'hard_acc').ci95).toBeCloseTo(0.259846, 5);
    expect(metricOf(c, 'gap').mean).toBeCloseTo(0.1, 10);
    expect(metricOf(c, 'gap').ci95).toBeCloseTo(0.259846, 5);
  });

  it('ranks by the sweep metric and goal and names the best', async () => {
    const table = (await buildReport(reader, { sweep: 'grid' })).tables[0];
    // hard_acc means 0.8 > 0.7 > 0.4 (maximize).
    expect(table.rows.map((r) => [r.rank, r.label])).toEqual([
      [1, 'tau=0.5, k=3'],
      [2, 'tau=0.1, k=3'],
      [3, 'tau=0.5, k=2'],
    ]);
    expect(table.best.label).toBe('tau=0.5, k=3');
    // 0.8 ± 0.635 (0.165 … 1.435) overlaps 0.7 ± 0.248 (0.452 … 0.948).
    expect(table.bestOverlapsRunnerUp).toBe(true);
  });

  it('ranks the other way for a metric to minimize', async () => {
    const data = await loadSweepData(reader, 'grid', { metrics: reportMetrics('loss') });
    const table = aggregate({ ...data, sweep: { ...data.sweep, metric: { name: 'loss', goal: 'minimize' } } });
    // loss means: tau 0.5 k 3 → 0.1, tau 0.1 k 3 → 0.3, tau 0.5 k 2 → 1.
    expect(table.rows.map((r) => r.label)).toEqual(['tau=0.5, k=3', 'tau=0.1, k=3', 'tau=0.5, k=2']);
  });

  it('reports what is complete of a running sweep, and says so', async () => {
    const table = (await buildReport(reader, { sweep: 'grid' })).tables[0];
    expect(table.partial).toBe(true);
    expect(table.counts).toMatchObject({ completed: 9, failed: 1, queued: 1, total: 11 });
    expect(table.configurations).toEqual({ total: 4, completed: 3 });
    expect(table.notes[0]).toBe('sweep "grid" is still running: 9 of 11 trials completed (1 queued, 1 failed); this report covers the completed ones');
    expect(table.notes).toContain('1 of 4 configurations has no completed trial yet and is not in the table');
    expect(table.notes).toContain("1 failed trial is left out (trial_summary's error column says why)");
  });
});

describe('grouped by one setting', () => {
  it('pools the configurations of each value (hand-computed)', async () => {
    const table = (await buildReport(reader, { sweep: 'grid', by: 'tau' })).tables[0];
    expect(table.groupBy).toBe('tau');
    expect(table.keySettings).toEqual(['tau']);
    // tau 0.1: the one configuration above, 0.7 ± 0.248414.
    // tau 0.5: hard 0.75, 0.85, 0.2, 0.4, 0.4, 0.6 (two configurations): mean 3.2 / 6 = 0.533333;
    // squared deviations 0.046944 + 0.100278 + 0.111111 + 0.017778 + 0.017778 + 0.004444 = 0.298333;
    // s = √(0.298333 / 5) = 0.244268; half-width = 2.570582 · 0.244268 / √6 = 0.256343.
    expect(table.rows.map((r) => [r.rank, r.label, r.n, r.configKeys.length])).toEqual([
      [1, 'tau=0.1', 3, 1],
      [2, 'tau=0.5', 6, 2],
    ]);
    const half = row(table, 'tau=0.5');
    expect(metricOf(half, 'hard_acc').mean).toBeCloseTo(0.533333, 5);
    expect(metricOf(half, 'hard_acc').std).toBeCloseTo(0.244268, 5);
    expect(metricOf(half, 'hard_acc').ci95).toBeCloseTo(0.256343, 5);
    expect(table.best.key).toEqual({ tau: 0.1 });
  });

  it('groups by a setting that is not swept into one row, and says why', async () => {
    const table = (await buildReport(reader, { sweep: 'grid', by: 'anneal' })).tables[0];
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]!.n).toBe(9);
    expect(table.notes).toContain('every completed trial has anneal = constant, so grouping by it gives one row (anneal is not swept; swept: tau, k)');
  });
});

describe('a sweep whose fixed settings changed between runs', () => {
  it('shows the settings that vary beside the swept ones, and says so', async () => {
    const drift = await another('drift');
    const store = await ResultsStore.open(drift);
    const trial = (lr: number, seed: number, hard_acc: number) => ({ params: { tau: 0.1, lr }, seed, metrics: { hard_acc } });
    await writeFixtureSweep(store, { name: 'drift', swept: ['tau'], trials: [trial(1e-3, 0, 0.5), trial(1e-3, 1, 0.7), trial(5e-4, 0, 0.9)] });
    await store.close();
    const other = await ReportReader.open(drift);
    try {
      const table = (await buildReport(other, { sweep: 'drift' })).tables[0];
      expect(table.keySettings).toEqual(['tau', 'lr']);
      expect(table.rows.map((r) => [r.label, r.n])).toEqual([
        ['tau=0.1, lr=0.0005', 1],
        ['tau=0.1, lr=0.001', 2],
      ]);
      expect(table.notes).toContain(
        "settings outside the sweep's parameters differ between trials (the sweep file changed between runs?): lr; they are shown as columns",
      );
    } finally {
      await other.close();
    }
  });
});

describe('two sweeps side by side', () => {
  it('matches rows on the settings either sweep varies', async () => {
    const { comparison } = await buildReport(reader, { sweep: 'grid', compare: 'batch' });
    expect(comparison!.keySettings).toEqual(['tau', 'k']);
    // grid's rank order, then what only batch has; batch tau 0.1: hard 0.9, 0.8 → 0.85.
    expect(comparison!.rows.map((r) => [r.label, r.rows[0]?.rank ?? null, r.rows[1]?.rank ?? null])).toEqual([
      ['tau=0.5, k=3', 1, null],
      ['tau=0.1, k=3', 2, 1],
      ['tau=0.5, k=2', 3, null],
      ['tau=0.2, k=3', null, 2],
    ]);
    expect(metricOf(comparison!.rows[1]!.rows[1]!, 'hard_acc').mean).toBeCloseTo(0.85, 10);
    // One seed: a mean and no interval.
    expect(metricOf(comparison!.rows[3]!.rows[1]!, 'hard_acc')).toMatchObject({ n: 1, mean: 0.5 });
    expect(metricOf(comparison!.rows[3]!.rows[1]!, 'hard_acc').ci95).toBeNaN();
  });
});

describe('bad input', () => {
  const message = async (f: () => Promise<unknown>): Promise<string> => {
    try {
      await f();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return (error as Error).message;
    }
    throw new Error('no error');
  };

  it('names an unknown sweep and the ones there are', async () => {
    expect(await message(() => buildReport(reader, { sweep: 'gird' }))).toBe('no sweep named "gird" (did you mean "grid"?); sweeps here: batch, empty, grid');
    expect(await message(() => buildReport(reader, { sweep: 'grid', compare: 'bach' }))).toBe(
      '--compare: no sweep named "bach" (did you mean "batch"?); sweeps here: batch, empty, grid',
    );
    expect(await message(() => buildReport(reader, { sweep: 'grid', compare: 'grid' }))).toBe(
      '--compare "grid" is the sweep being reported; compare with another: batch, empty',
    );
  });

  it('names an unknown --by setting with the swept ones', async () => {
    expect(await message(() => buildReport(reader, { sweep: 'grid', by: 'tua' }))).toMatch(
      /^unknown setting "tua" for --by \(did you mean "tau"\?\); swept in "grid": tau, k; any setting: task, vocab, .*auxWeight, lr/,
    );
    expect(await message(() => buildReport(reader, { sweep: 'grid', by: 'seed' }))).toMatch(/^--by seed: the intervals are over seeds/);
  });

  it('refuses an empty sweep', async () => {
    expect(await message(() => buildReport(reader, { sweep: 'empty' }))).toBe(
      'sweep "empty" has no completed trials yet (2 queued, 1 interrupted); nothing to report until one completes',
    );
    expect(await message(() => buildReport(reader, { sweep: 'grid', compare: 'empty' }))).toMatch(/^sweep "empty" has no completed trials yet/);
  });

  it('refuses a sweep whose trials all failed, and says how to run them again', async () => {
    const failed = await another('failed');
    const store = await ResultsStore.open(failed);
    await writeFixtureSweep(store, { name: 'broken', swept: ['tau'], trials: [{ params: { tau: 0.1 }, seed: 0, status: 'failed' }] });
    await store.close();
    const other = await ReportReader.open(failed);
    try {
      expect(await message(() => buildReport(other, { sweep: 'broken' }))).toBe(
        'sweep "broken" has no completed trials (1 failed); nothing to report (run them again: npx nx run sweeper:run --config sweeps/broken.yaml --retry-failed)',
      );
    } finally {
      await other.close();
    }
  });

  it('works on the sweeper\'s own store too (its end-of-run summary)', async () => {
    const store = await ResultsStore.open(location);
    try {
      const fromStore = await buildReport(store, { sweep: 'grid' });
      const fromReader = await buildReport(reader, { sweep: 'grid' });
      expect(fromStore.tables[0].rows).toEqual(fromReader.tables[0].rows);
      // Summed in JavaScript rather than SQLite: the same up to rounding.
      const rounded = (report: typeof fromStore) =>
        report.curves.map((c) => ({ ...c, points: c.points.map((p) => ({ ...p, mean: Number(p.mean.toFixed(12)) })) }));
      expect(rounded(fromStore)).toEqual(rounded(fromReader));
      expect(fromReader.curves[0]!.points.length).toBe(3 * 2 * 2); // configurations × metrics × steps
      expect((await buildReport(store, { sweep: 'grid', curves: false })).curves).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
});
