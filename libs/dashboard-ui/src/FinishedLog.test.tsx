import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Text } from 'ink';
import { FinishedLog, finishedLine } from './FinishedLog.tsx';
import type { FinishedEntry } from './view-model.ts';

const done: FinishedEntry = {
  key: 'a', status: 'completed', step: 300, label: 'tau=0.1', seed: 2, soft: 0.9123, hard: 0.85, gap: 0.0623, error: null, finishedAt: null, durationMs: 12_000,
};
const pruned: FinishedEntry = { ...done, key: 'c', status: 'pruned', step: 30, durationMs: 1_000 };
const failed: FinishedEntry = { ...done, key: 'b', status: 'failed', soft: null, hard: null, gap: null, error: 'loss became NaN\nstack', durationMs: undefined };

describe('FinishedLog', () => {
  it('writes one line per finished trial', () => {
    expect(finishedLine(done)).toBe('✓ tau=0.1 seed=2  soft 0.912 hard 0.850 gap 0.062  12s');
    expect(finishedLine(failed)).toBe('✗ tau=0.1 seed=2  failed: loss became NaN');
    expect(finishedLine(pruned)).toBe('✂ tau=0.1 seed=2  pruned at step 30: soft 0.912 hard 0.850 gap 0.062  1s');
  });

  it('prints each entry once, above the live view, as entries are appended', () => {
    const app = render(
      <>
        <FinishedLog width={80} colour={false} entries={[done]} />
        <Text>live</Text>
      </>,
    );
    expect(app.lastFrame()).toBe(`${finishedLine(done)}\nlive`);
    app.rerender(
      <>
        <FinishedLog width={80} colour={false} entries={[done, failed]} />
        <Text>live</Text>
      </>,
    );
    expect(app.lastFrame()).toBe(`${finishedLine(done)}\n${finishedLine(failed)}\nlive`);
  });
});
