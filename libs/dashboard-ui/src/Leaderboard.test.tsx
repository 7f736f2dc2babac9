import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { summarize } from '@l2x/stats';
import { Leaderboard, visibleSlice } from './Leaderboard.tsx';
import type { LeaderRow } from './view-model.ts';

const rows: LeaderRow[] = Array.from({ length: 8 }, (_, i) => ({
  configKey: `c${i}`,
  rank: i + 1,
  label: `tau=${i / 10} k=${i + 1}`,
  values: [String(i / 10), String(i + 1)],
  n: 3,
  value: summarize([0.9 - i / 100, 0.91 - i / 100, 0.89 - i / 100]),
  soft: 0.95,
  hard: 0.9 - i / 100,
  gap: 0.05 + i / 100,
  precision: 0.7,
}));
const sort = { metric: 'hard_acc', goal: 'maximize' } as const;

describe('Leaderboard', () => {
  it('ranks configurations with the sort metric as mean ± 95% CI and the other means', () => {
    const lines = render(<Leaderboard width={80} colour={false} settings={['tau', 'k']} sort={sort} rows={rows} selected={0} height={5} />).lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^─ Leaderboard · 8 configurations · by hard_acc, highest first ─+ s: sort ─$/);
    expect(lines[1]).toMatch(/^ +# tau k +n hard_acc +soft +hard +gap +prec$/);
    expect(lines[2]).toMatch(/^› 1\. 0   1 +3 0\.900±0\.025 0\.950 0\.900 0\.050 0\.700$/);
    expect(lines[3]).toMatch(/^  2\. 0\.1 2 /);
    expect(lines).toHaveLength(5);
  });

  it('keeps the selected row in view, and drops the means when narrow', () => {
    const lines = render(<Leaderboard width={50} colour={false} settings={['tau', 'k']} sort={{ metric: 'gap', goal: 'minimize' }} rows={rows} selected={6} height={5} />)
      .lastFrame()!
      .split('\n');
    expect(lines[0]).toContain('by gap, lowest first');
    expect(lines.slice(2).map((l) => l.slice(0, 4))).toEqual(['  6.', '› 7.', '  8.']);
    expect(lines[1]).not.toContain('prec');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(50);
    expect(visibleSlice(8, 3, 0)).toEqual({ start: 0, end: 3 });
    expect(visibleSlice(8, 3, 7)).toEqual({ start: 5, end: 8 });
  });

  it('names the configuration column after the sweep, or shows labels when it sweeps nothing', () => {
    const frame = render(<Leaderboard width={80} colour={false} settings={[]} sort={sort} rows={rows.slice(0, 1)} selected={0} height={3} />).lastFrame()!;
    expect(frame).toMatch(/^ +# configuration /m);
    expect(frame).toMatch(/^› 1\. tau=0 k=1 /m);
  });

  it('says when no configuration completed yet', () => {
    expect(render(<Leaderboard width={80} colour={false} settings={['tau', 'k']} sort={sort} rows={[]} selected={0} height={5} />).lastFrame()).toContain('no completed configuration yet');
  });
});
