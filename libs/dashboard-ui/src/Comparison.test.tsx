import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { summarize } from '@l2x/stats';
import { Comparison } from './Comparison.tsx';
import { barAxis, type ComparisonRow } from './view-model.ts';

function row(value: string, soft: number[], hard: number[], total = soft.length): ComparisonRow {
  return {
    value,
    done: soft.length,
    total,
    soft: summarize(soft),
    hard: summarize(hard),
    gap: summarize(soft.map((s, i) => s - hard[i]!)),
    precision: summarize(soft.map(() => 0.7)),
  };
}

const rows = [row('0.05', [0.95, 0.96, 0.94], [0.75, 0.76, 0.74]), row('0.5', [0.92, 0.93, 0.91], [0.88, 0.89, 0.87]), row('1', [0.91], [0.87], 3)];

describe('Comparison', () => {
  it('shows one row per value with soft, hard, gap and precision as mean ± 95% CI and a pair of bars', () => {
    const frame = render(<Comparison width={80} colour={false} setting="tau" groupings={1} rows={rows} axis={barAxis(rows)} height={10} />).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^─ Comparison by tau · mean ± 95% CI ─+$/);
    expect(lines[1]).toMatch(/^tau +n soft_acc +hard_acc +gap +precision +▀soft ▄hard 0\.7–1\.0/);
    // soft 0.950 ± t(0.975, 2)·0.01/√3 = 0.025; the gap 0.200; one seed: no interval.
    expect(lines[2]).toMatch(/^0\.05 3\/3 0\.950±0\.025 0\.750±0\.025 0\.200±0\.000 0\.700±0\.000 (█+)(▀+) *$/);
    expect(lines[4]).toMatch(/^1 +1\/3 0\.910 +0\.870 +0\.040 +0\.700 +█+▀+ *$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('draws the gap as the ▀ tail: long where hard lags soft, short where it does not', () => {
    const lines = render(<Comparison width={80} colour={false} setting="tau" groupings={1} rows={rows} axis={{ lo: 0.7, hi: 1 }} height={10} />).lastFrame()!.split('\n');
    const tail = (line: string) => line.match(/▀+/)?.[0].length ?? 0;
    const full = (line: string) => line.match(/█+/)?.[0].length ?? 0;
    expect(tail(lines[2]!)).toBeGreaterThan(3 * tail(lines[3]!));
    expect(full(lines[3]!)).toBeGreaterThan(full(lines[2]!));
  });

  it('fits 60 columns with a more compact number format, bars still there', () => {
    const lines = render(<Comparison width={60} colour={false} setting="tau" groupings={2} rows={rows} axis={barAxis(rows)} height={10} />).lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/tab: next setting ─$/);
    expect(lines[1]).toMatch(/ ▀soft ▄hard$/);
    expect(lines[2]).toMatch(/^0\.05 3\/3 0\.95±0\.02 0\.75±0\.02 0\.20±0\.00 0\.70±0\.00 █+▀+ *$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
  });

  it('says when nothing completed yet, and how many values do not fit', () => {
    const none = [row('0.1', [], [], 3), row('0.2', [], [], 3)];
    expect(render(<Comparison width={80} colour={false} setting="tau" groupings={1} rows={none} axis={{ lo: 0, hi: 1 }} height={5} />).lastFrame()).toContain(
      'no completed trials yet (2 values of tau queued)',
    );
    const frame = render(<Comparison width={80} colour={false} setting="tau" groupings={1} rows={rows} axis={{ lo: 0.7, hi: 1 }} height={4} />).lastFrame()!;
    expect(frame.split('\n')).toHaveLength(4);
    expect(frame).toContain('… 2 more values');
  });
});
