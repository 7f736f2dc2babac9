import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { RunningTrials, type RunningRow } from './RunningTrials.tsx';

const rows: RunningRow[] = [
  { id: 1, worker: 0, label: 'tau=0.1 seed=0', step: 500, steps: 1000, losses: [1.2, 0.9, 0.7, 0.65] },
  { id: 2, worker: 1, label: 'tau=0.5 seed=2', step: 0, steps: 1000, losses: [] },
  { id: 3, worker: 2, label: 'tau=1 seed=1', step: 1000, steps: 1000, losses: [0.5] },
];

describe('RunningTrials', () => {
  it('shows each trial with its settings, a step bar and a loss sparkline', () => {
    const lines = render(<RunningTrials width={80} colour={false} rows={rows} height={4} />).lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^─ Running · 3 trials ─+$/);
    expect(lines[1]).toMatch(/^w0 tau=0\.1 seed=0 +██████░░░░░░  500\/1000 loss █▄▂▁ +0\.650$/);
    expect(lines[2]).toMatch(/^w1 tau=0\.5 seed=2 +░{12}    0\/1000 loss +–$/);
    expect(lines[3]).toMatch(/^w2 tau=1 seed=1 +█{12} 1000\/1000 loss ▁ +0\.500$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('says how many more run when they do not fit, and hides itself without room', () => {
    const frame = render(<RunningTrials width={60} colour={false} rows={rows} height={3} />).lastFrame()!;
    expect(frame.split('\n')).toHaveLength(3);
    expect(frame).toContain('… 2 more running');
    expect(render(<RunningTrials width={60} colour={false} rows={rows} height={0} />).lastFrame()).toBe('');
    const one = render(<RunningTrials width={60} colour={false} rows={rows} height={2} />).lastFrame()!.split('\n');
    expect(one).toHaveLength(2);
    expect(one[1]).toMatch(/^w0 tau=0\.1 seed=0 /);
  });
});
