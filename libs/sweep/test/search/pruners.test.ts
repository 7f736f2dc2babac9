import { describe, expect, it } from 'vitest';
import { HyperbandPruner, MedianPruner, createPruner, hyperbandRungs, type Curve } from '../../src/index.ts';

/** Curves from per-step values: curve(1, [[10, 0.5], [20, 0.4]]). */
const curve = (trialId: number, points: [number, number][], status: Curve['status'] = 'running'): Curve => ({ trialId, status, values: new Map(points) });

describe('hyperbandRungs', () => {
  it('puts rungs at minIter·eta^k evaluations, below the last step', () => {
    expect(hyperbandRungs(1, 3, 270, 10)).toEqual([10, 30, 90]);
    expect(hyperbandRungs(2, 3, 1000, 100)).toEqual([200, 600]);
    expect(hyperbandRungs(1, 2, 80, 10)).toEqual([10, 20, 40]);
  });
});

describe('HyperbandPruner', () => {
  const pruner = new HyperbandPruner({ minIter: 1, eta: 3, strict: false }, 10, 'minimize', 270);

  it('lets the first trial at a rung continue, and judges only at rungs', () => {
    expect(pruner.shouldPrune(1, 10, [curve(1, [[10, 9]])])).toBe(false);
    const others = [curve(2, [[10, 1], [20, 1]], 'completed'), curve(3, [[10, 2], [20, 2]], 'pruned')];
    expect(pruner.shouldPrune(1, 20, [curve(1, [[10, 0], [20, 9]]), ...others])).toBe(false); // 20 is no rung
    expect(pruner.shouldPrune(1, 10, [curve(1, [[10, 9]]), ...others])).toBe(true);
  });

  it('keeps the top third at a rung, against every state', () => {
    const at10 = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v, i) => curve(i + 1, [[10, v]], i % 2 ? 'pruned' : 'completed'));
    const verdicts = at10.map((c) => pruner.shouldPrune(c.trialId, 10, at10));
    // quantile 1/3 of 1..9 is 3.67: values 1, 2, 3 continue.
    expect(verdicts).toEqual([false, false, false, true, true, true, true, true, true]);
  });

  it('maximizes when the goal says so', () => {
    const up = new HyperbandPruner({ minIter: 1, eta: 3, strict: false }, 10, 'maximize', 270);
    const at10 = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v, i) => curve(i + 1, [[10, v]]));
    expect(at10.map((c) => up.shouldPrune(c.trialId, 10, at10))).toEqual([true, true, true, true, true, true, false, false, false]);
  });

  it('strict keeps only the best ⌊n/eta⌋', () => {
    const strict = new HyperbandPruner({ minIter: 1, eta: 3, strict: true }, 10, 'minimize', 270);
    const at10 = [5, 1, 3, 4, 2].map((v, i) => curve(i + 1, [[10, v]]));
    expect(at10.map((c) => strict.shouldPrune(c.trialId, 10, at10))).toEqual([true, false, true, true, true]);
  });
});

describe('MedianPruner', () => {
  const pruner = new MedianPruner({ nStartupTrials: 2, nWarmupSteps: 20 }, 'minimize');
  const done = [curve(2, [[10, 1], [20, 1], [30, 1]], 'completed'), curve(3, [[10, 3], [20, 3], [30, 3]], 'completed')];

  it('waits for startup trials and warm-up steps', () => {
    expect(pruner.shouldPrune(1, 30, [curve(1, [[30, 9]]), done[0]!])).toBe(false); // one completed trial
    expect(pruner.shouldPrune(1, 10, [curve(1, [[10, 9]]), ...done])).toBe(false); // warm-up
  });

  it('prunes when the best value so far is worse than the median at the step', () => {
    expect(pruner.shouldPrune(1, 20, [curve(1, [[10, 9], [20, 2.5]]), ...done])).toBe(true); // median 2
    expect(pruner.shouldPrune(1, 20, [curve(1, [[10, 1.5], [20, 2.5]]), ...done])).toBe(false); // best so far 1.5
  });
});

describe('createPruner', () => {
  it('builds the early_terminate type asked for', () => {
    expect(createPruner({ type: 'median', nStartupTrials: 5, nWarmupSteps: 0 }, { steps: 100, evalEvery: 10 }, 'minimize')).toBeInstanceOf(MedianPruner);
    expect(createPruner({ type: 'hyperband', minIter: 1, eta: 3, strict: false }, { steps: 100, evalEvery: 10 }, 'minimize')).toBeInstanceOf(HyperbandPruner);
  });
});
