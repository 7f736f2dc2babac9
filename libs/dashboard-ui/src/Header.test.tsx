import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Header, type HeaderProps } from './Header.tsx';

const props: HeaderProps = {
  width: 80,
  colour: false,
  name: 'tau',
  state: 'running',
  metric: { name: 'hard_acc', goal: 'maximize' },
  counts: { queued: 4, running: 2, completed: 8, failed: 1, interrupted: 0, pruned: 0, total: 15 },
  elapsedMs: 192_000,
  etaMs: 100_000,
  backend: 'cpu',
  workers: 2,
};

describe('Header', () => {
  it('shows the sweep, timing, backend and workers, and a progress bar with the counts', () => {
    const frame = render(<Header {...props} />).lastFrame()!;
    const [top, progress] = frame.split('\n');
    expect(top).toBe('sweep tau · elapsed 3m 12s · ETA 1m 40s · cpu × 2 workers · hard_acc ↑');
    expect(progress).toMatch(/^█+▓+▒+░+ 8\/15 done · 2 running · 4 queued · 1 failed$/);
    expect(progress).toHaveLength(80);
    const barWidth = 80 - ' 8/15 done · 2 running · 4 queued · 1 failed'.length;
    expect(progress!.match(/█/g)).toHaveLength(Math.round((8 / 15) * barWidth));
  });

  it('counts pruned trials as done, names them, and gives them their own part of the bar', () => {
    const frame = render(<Header {...props} counts={{ ...props.counts, completed: 5, pruned: 3 }} />).lastFrame()!;
    const progress = frame.split('\n')[1]!;
    expect(progress).toMatch(/^█+▚+▓+▒+░+ 8\/15 done \(3 pruned\) · 2 running · 4 queued · 1 failed$/);
    expect(progress).toHaveLength(80);
    expect(render(<Header {...props} width={60} counts={{ ...props.counts, completed: 5, pruned: 3 }} />).lastFrame()).toMatch(/ 8\/15 ✓ 3 ✂ 2 run 4 queued 1 ✗$/m);
  });

  it('says done, stopped or not started instead of an ETA', () => {
    expect(render(<Header {...props} state="done" etaMs={0} />).lastFrame()).toContain('elapsed 3m 12s · done ·');
    expect(render(<Header {...props} state="stopped" />).lastFrame()).toContain('stopped (trials left)');
    expect(render(<Header {...props} state="waiting" elapsedMs={undefined} />).lastFrame()).toContain('elapsed – · not started');
    expect(render(<Header {...props} etaMs={undefined} />).lastFrame()).toContain('ETA –');
  });

  it('shortens the counts and keeps to 60 columns', () => {
    const frame = render(<Header {...props} width={60} counts={{ ...props.counts, interrupted: 3, total: 18 }} />).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines[1]).toMatch(/ 8\/18 ✓ 2 run 7 queued 1 ✗$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
  });
});
