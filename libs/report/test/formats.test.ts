import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { formatReport, parseFormat, type Report } from '../src/index.ts';
import { openReportFixture, type OpenedFixture } from './fixture.ts';

let fixture: OpenedFixture;
let single: Report;
let grouped: Report;
let compared: Report;
beforeAll(async () => {
  fixture = await openReportFixture('report-formats-');
  ({ single, grouped, compared } = fixture);
});
afterAll(() => fixture.close());

/** The Markdown tables of a document: runs of `|` lines, each as rows of cells. */
function markdownTables(text: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('|')) {
      expect(line.endsWith('|')).toBe(true);
      const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
      if (!current) tables.push((current = []));
      current.push(cells);
    } else current = null;
  }
  for (const table of tables) {
    const width = table[0]!.length;
    for (const row of table) expect(row).toHaveLength(width);
    for (const rule of table[1]!) expect(rule).toMatch(/^:?-{3,}:?$/);
  }
  return tables;
}

describe('Markdown', () => {
  it('is a heading, the state, the best configuration and one table row per configuration', () => {
    const text = formatReport(single, 'md');
    expect(text.split('\n')[0]).toBe('# Sweep `grid`');
    expect(text).toContain('> **Partial:** sweep "grid" is still running: 9 of 11 trials completed (1 queued, 1 failed)');
    expect(text).toContain('**Best configuration: tau=0.5, k=3** — hard_acc 0.800 ± 0.635 (n = 2)');
    const [table, ...others] = markdownTables(text);
    expect(others).toEqual([]);
    expect(table![0]).toEqual(['rank', 'tau', 'k', 'n', 'soft_acc', 'hard_acc', 'gap', 'precision', 'loss']);
    expect(table!.slice(2).map((r) => r.slice(0, 4))).toEqual([
      ['1', '0.5', '3', '2'],
      ['2', '0.1', '3', '3'],
      ['3', '0.5', '2', '4'],
    ]);
    // hard_acc of tau 0.1, k 3: 0.7 ± 0.248414.
    expect(table![3]![5]).toBe('0.700 ± 0.248');
  });

  it('grouped: a configs column and the best value', () => {
    const text = formatReport(grouped, 'md');
    expect(text).toContain('**Best tau: 0.1** — hard_acc 0.700 ± 0.248 (n = 3 trials over 1 configuration)');
    const [table] = markdownTables(text);
    expect(table![0]!.slice(0, 4)).toEqual(['rank', 'tau', 'configs', 'n']);
    expect(table!.slice(2).map((r) => r.slice(0, 4))).toEqual([
      ['1', '0.1', '1', '3'],
      ['2', '0.5', '2', '6'],
    ]);
  });

  it('compared: both sweeps named and their cells side by side', () => {
    const text = formatReport(compared, 'md');
    expect(text.split('\n')[0]).toBe('# Sweeps `grid` and `batch` side by side');
    const [table] = markdownTables(text);
    expect(table![0]!.slice(0, 6)).toEqual(['tau', 'k', 'n (grid)', 'n (batch)', 'soft_acc (grid)', 'soft_acc (batch)']);
    expect(table).toHaveLength(2 + 4);
    // tau 0.1, k 3 in both; hard_acc columns are 6 and 7 (0-based): 0.700 ± 0.248 vs 0.9, 0.8 → 0.850 ± 0.635.
    expect(table![3]!.slice(0, 4)).toEqual(['0.1', '3', '3', '2']);
    expect(table![3]!.slice(6, 8)).toEqual(['0.700 ± 0.248', '0.850 ± 0.635']);
    // Only batch has tau 0.2: one seed, so a mean and no interval.
    expect(table![5]!.slice(0, 4)).toEqual(['0.2', '3', '0', '1']);
    expect(table![5]!.slice(6, 8)).toEqual(['–', '0.500']);
  });
});

describe('CSV', () => {
  it('parses back with a CSV parser, numbers at full precision', () => {
    const rows = parse(formatReport(single, 'csv'), { columns: true, cast: true }) as Record<string, number | string>[];
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0]!).slice(0, 9)).toEqual(['rank', 'tau', 'k', 'n', 'soft_acc_mean', 'soft_acc_std', 'soft_acc_ci95', 'soft_acc_low', 'soft_acc_high']);
    expect(rows.map((r) => [r.rank, r.tau, r.k, r.n])).toEqual([
      [1, 0.5, 3, 2],
      [2, 0.1, 3, 3],
      [3, 0.5, 2, 4],
    ]);
    expect(rows[0]!.hard_acc_mean as number).toBeCloseTo(0.8, 12);
    expect(rows[0]!.hard_acc_ci95 as number).toBeCloseTo(0.63531, 5);
    expect(rows[1]!.hard_acc_low as number).toBeCloseTo(0.451586, 5);
  });

  it('leaves undefined numbers empty and prefixes compared sweeps', () => {
    const rows = parse(formatReport(compared, 'csv'), { columns: true, cast: true }) as Record<string, number | string>[];
    expect(rows).toHaveLength(4);
    const onlyBatch = rows.find((r) => r.tau === 0.2)!;
    expect(onlyBatch['grid.n']).toBe(0);
    expect(onlyBatch['grid.hard_acc_mean']).toBe('');
    expect(onlyBatch['batch.hard_acc_mean']).toBe(0.5);
    expect(onlyBatch['batch.hard_acc_ci95']).toBe('');
  });
});

describe('JSON', () => {
  it('parses back with JSON.parse and holds the state, the best row and every row', () => {
    const value = JSON.parse(formatReport(single, 'json'));
    expect(value).toMatchObject({
      kind: 'sweep',
      sweep: 'grid',
      status: 'running',
      partial: true,
      metric: { name: 'hard_acc', goal: 'maximize' },
      counts: { completed: 9, failed: 1, queued: 1, total: 11 },
      keySettings: ['tau', 'k'],
      best: { rank: 1, label: 'tau=0.5, k=3', settings: { tau: 0.5, k: 3 }, n: 2 },
    });
    expect(value.rows).toHaveLength(3);
    expect(value.rows[1].metrics.hard_acc.ci95).toBeCloseTo(0.248414, 5);
    expect(value.notes[0]).toMatch(/is still running/);
  });

  it('has null for an interval from one seed, and both sweeps when compared', () => {
    const value = JSON.parse(formatReport(compared, 'json'));
    expect(value.kind).toBe('comparison');
    expect(value.sweeps.map((s: { sweep: string }) => s.sweep)).toEqual(['grid', 'batch']);
    const onlyBatch = value.rows.find((r: { label: string }) => r.label === 'tau=0.2, k=3');
    expect(onlyBatch.sweeps.grid).toBeNull();
    expect(onlyBatch.sweeps.batch.metrics.hard_acc).toEqual({ n: 1, mean: 0.5, std: null, ci95: null, low: 0.5, high: 0.5 });
  });
});

describe('--format', () => {
  it('accepts md, csv and json and names them otherwise', () => {
    expect(['md', 'csv', 'json', 'html'].map(parseFormat)).toEqual(['md', 'csv', 'json', 'html']);
    expect(() => parseFormat('xml')).toThrow(UserError);
    expect(() => parseFormat('xml')).toThrow('unknown --format "xml"; allowed: md, csv, json, html');
  });
});
