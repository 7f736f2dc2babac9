import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { FailedTrials } from './FailedTrials.tsx';

const rows = [
  { key: 'a', label: 'tau=0.2 seed=1', error: 'loss became NaN at step 120\n    at train (trainer.ts:88)' },
  { key: 'b', label: 'tau=0.5 seed=0', error: 'worker exited with code 137 (killed: out of memory?) while training step 430 of 1000 on cpu' },
  { key: 'c', label: 'tau=1 seed=2', error: null },
];

describe('FailedTrials', () => {
  it('shows each failed trial with its error on one line', () => {
    const lines = render(<FailedTrials width={80} colour={false} rows={rows} height={4} />).lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^─ Failed · 3 trials ─+ retry: --retry-failed ─$/);
    expect(lines[1]).toBe('✗ tau=0.2 seed=1  loss became NaN at step 120');
    expect(lines[2]).toMatch(/^✗ tau=0\.5 seed=0  worker exited with code 137 .*…$/);
    expect(lines[2]).toHaveLength(80);
    expect(lines[3]).toBe('✗ tau=1 seed=2  (no message)');
  });

  it('says how many more failed when they do not fit, and shows nothing when none failed', () => {
    const frame = render(<FailedTrials width={60} colour={false} rows={rows} height={2} />).lastFrame()!;
    expect(frame.split('\n')).toEqual([expect.stringMatching(/^─ Failed · 3 trials/), '✗ tau=0.2 seed=1  loss became NaN at step 120']);
    const three = render(<FailedTrials width={60} colour={false} rows={rows} height={3} />).lastFrame()!.split('\n');
    expect(three.slice(1)).toEqual(['✗ tau=0.2 seed=1  loss became NaN at step 120', '  … 2 more failed']);
    expect(render(<FailedTrials width={60} colour={false} rows={[]} height={5} />).lastFrame()).toBe('');
  });
});
