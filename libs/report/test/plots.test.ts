import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK_NAMES, ReportReader, accuracySpec, buildReport, curvesSpec, poolCurves, renderSvg, writeReport, type Report } from '../src/index.ts';
import { openReportFixture, type OpenedFixture } from './fixture.ts';
import { findAll, hasClass, parseXml, type XmlElement } from './svg.ts';

let fixture: OpenedFixture;
let dir: string;
let reader: ReportReader;
let single: Report;
let grouped: Report;
let compared: Report;
beforeAll(async () => {
  fixture = await openReportFixture('report-plots-');
  ({ dir, reader, single, grouped, compared } = fixture);
});
afterAll(() => fixture.close());

/** The drawn items (symbols, rules, line paths) of the mark groups with this name. */
function marks(svg: XmlElement, name: string): XmlElement[] {
  return findAll(svg, hasClass(`${name}_marks`)).flatMap((group) => group.children);
}

const metricOfMark = (e: XmlElement) => /metric: (\w+)/.exec(e.attributes['aria-label'] ?? '')?.[1];

describe('soft vs hard accuracy plot', () => {
  it('is well-formed SVG with one point per configuration and metric, and an error bar where there is an interval', async () => {
    const svg = parseXml(await renderSvg(accuracySpec(single.tables)));
    expect(svg.name).toBe('svg');
    const points = marks(svg, MARK_NAMES.means);
    // Three configurations, each with a soft and a hard accuracy point.
    expect(points.filter((p) => metricOfMark(p) === 'soft_acc')).toHaveLength(3);
    expect(points.filter((p) => metricOfMark(p) === 'hard_acc')).toHaveLength(3);
    expect(points).toHaveLength(6);
    // Every configuration has ≥ 2 seeds: an interval for each point.
    expect(marks(svg, MARK_NAMES.intervals)).toHaveLength(6);
    const labels = findAll(svg, hasClass('role-axis-label')).flatMap((g) => g.children.map((t) => t.name));
    expect(labels.length).toBeGreaterThan(0);
  });

  it('grouped by a setting: one point per value', async () => {
    const svg = parseXml(await renderSvg(accuracySpec(grouped.tables)));
    expect(marks(svg, MARK_NAMES.means).filter((p) => metricOfMark(p) === 'hard_acc')).toHaveLength(2);
  });

  it('compared: a panel per sweep, one point per configuration each; no bar for a single seed', async () => {
    const svg = parseXml(await renderSvg(accuracySpec(compared.tables)));
    const points = marks(svg, MARK_NAMES.means);
    // grid 3 configurations + batch 2, × soft and hard.
    expect(points).toHaveLength((3 + 2) * 2);
    // batch's tau 0.2 has one seed: its two points have no interval.
    expect(marks(svg, MARK_NAMES.intervals)).toHaveLength((3 + 2) * 2 - 2);
  });

  it('draws only the best configurations when there are many, and says so', () => {
    const spec = accuracySpec(single.tables, 2) as { data: { values: { group: string }[] }; title: { subtitle: string } };
    expect(new Set(spec.data.values.map((v) => v.group)).size).toBe(2);
    expect(spec.title.subtitle).toContain('grid: the 2 best of 3 by hard_acc');
  });
});

describe('training curves plot', () => {
  it('is well-formed SVG with a hard accuracy and a precision line per configuration', async () => {
    const svg = parseXml(await renderSvg(curvesSpec(single.tables, single.curves)!));
    expect(marks(svg, MARK_NAMES.curves)).toHaveLength(3 * 2);
  });

  it('pools the seeds of each configuration at each step (hand-computed)', () => {
    // tau 0.5, k 3: hard at step 100 = 0.75 − 0.1, 0.85 − 0.1 → mean 0.7; at 200 → 0.8; precision 0.8, 0.9 → 0.85.
    const points = single.curves[0]!.points.filter((p) => p.row === 'tau=0.5, k=3');
    expect(points.map((p) => [p.metric, p.step, p.n, Number(p.mean.toFixed(10))])).toEqual([
      ['hard_acc', 100, 2, 0.7],
      ['hard_acc', 200, 2, 0.8],
      ['precision', 100, 2, 0.85],
      ['precision', 200, 2, 0.85],
    ]);
    // Grouped by tau, tau 0.5 pools six trials: step 100 hard 0.65 0.75 0.1 0.3 0.3 0.5 → 2.6 / 6 = 0.433333.
    const half = grouped.curves[0]!.points.find((p) => p.row === 'tau=0.5' && p.metric === 'hard_acc' && p.step === 100)!;
    expect(half.n).toBe(6);
    expect(half.mean).toBeCloseTo(0.433333, 5);
  });

  it('draws the best rows only, and nothing when no trial recorded a curve', async () => {
    const sums = [
      { group: 2, name: 'hard_acc', step: 100, sum: 1, n: 2 },
      { group: 0, name: 'hard_acc', step: 100, sum: 1, n: 2 },
    ];
    expect(poolCurves(single.tables[0], sums, 1)).toMatchObject({ drawn: 1, rows: 3, points: [{ rank: 1, mean: 0.5 }] });
    const batchOnly = await buildReport(reader, { sweep: 'batch' });
    expect(curvesSpec(batchOnly.tables, batchOnly.curves)).toBeNull();
  });
});

describe('report files', () => {
  it('writes index.md embedding the plots, the plots as SVG and PNG, and the table as CSV and JSON', async () => {
    const out = join(dir, 'out');
    const written = await writeReport(single, out, { command: 'npx nx run sweeper:report --sweep grid' });
    expect(written.files).toEqual(['index.md', 'index.html', 'accuracy.svg', 'accuracy.png', 'curves.svg', 'curves.png', 'summary.csv', 'summary.json']);
    const index = readFileSync(join(out, 'index.md'), 'utf8');
    expect(index).toContain('](accuracy.svg)');
    expect(index).toContain('](curves.svg)');
    expect(index).toContain('Made with `npx nx run sweeper:report --sweep grid`.');
    expect(readFileSync(join(out, 'accuracy.png')).subarray(1, 4).toString()).toBe('PNG');
    parseXml(readFileSync(join(out, 'curves.svg'), 'utf8'));

    // The same folder, a sweep without curves: no stale curves plot is left beside an index that does not show it.
    const again = await writeReport(await buildReport(reader, { sweep: 'batch' }), out);
    expect(again.files).not.toContain('curves.svg');
    expect(existsSync(join(out, 'curves.svg'))).toBe(false);
    expect(readFileSync(join(out, 'index.md'), 'utf8')).toContain('no curves plot');
  }, 30_000); // two reports, each rendering PNGs and inlining vega into index.html: seconds on a busy machine
});
