/** The store's side of search: observations per configuration, and a bayes ask rebuilt from the store alone. */
import { describe, expect, it } from 'vitest';
import { ResultsStore, type TrialOutcome } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { parseSweep } from '@l2x/sweep';
import { askNext, observationsOf } from '../src/index.ts';

const outcome = (configKey: string, status: TrialOutcome['status'], value: number | null, step = 100): TrialOutcome => ({
  trialId: 0, configKey, params: { lr: Number(configKey) }, status, value, step,
});

describe('observationsOf', () => {
  it('gives one observation per configuration: running while a seed is pending, else the completed mean, the pruned stop, or failed', async () => {
    const observations = observationsOf([
      outcome('0.1', 'completed', 2), outcome('0.1', 'completed', 4),
      outcome('0.2', 'completed', 1), outcome('0.2', 'queued', null, 0),
      outcome('0.3', 'pruned', 5, 10), outcome('0.3', 'pruned', 4, 30),
      outcome('0.4', 'failed', null, 3),
    ]);
    expect(observations).toEqual([
      { params: { lr: 0.1 }, state: 'completed', value: 3, step: 100 },
      { params: { lr: 0.2 }, state: 'running', value: null, step: 100 },
      { params: { lr: 0.3 }, state: 'pruned', value: 4, step: 30 },
      { params: { lr: 0.4 }, state: 'failed', value: null, step: 3 },
    ]);
  });
});

describe('askNext', () => {
  const spec = parseSweep(
    'name: tpe\nmethod: bayes\nrunCap: 14\nbayes: { nStartupTrials: 4 }\nmetric: { name: median_rank }\nseeds: 2\n' +
      'parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1 }\n',
    'tpe.yaml',
  );
  const history = (store: ResultsStore, n: number) =>
    writeFixtureSweep(store, {
      name: 'tpe', swept: ['lr'], metric: { name: 'median_rank', goal: 'minimize' },
      trials: Array.from({ length: n }, (_, i) => 10 ** (-5 + (4 * i) / (n - 1))).flatMap((lr) =>
        [0, 1].map((seed) => ({ params: { lr }, seed, metrics: { median_rank: Math.abs(Math.log10(lr) + 3) + 1 } })),
      ),
    });

  it('asks the same configuration of the same store, once per seed, near the best so far', async () => {
    const a = await ResultsStore.open(':memory:');
    const b = await ResultsStore.open(':memory:');
    const [ia, ib] = [await history(a, 7), await history(b, 7)];
    const next = await askNext(a, ia, spec);
    expect(next).toEqual(await askNext(b, ib, spec));
    expect(next.map((t) => t.seed)).toEqual([0, 1]);
    expect(new Set(next.map((t) => t.configKey)).size).toBe(1);
    expect(Math.abs(Math.log10(next[0]!.params.lr!) + 3)).toBeLessThan(1.5); // the best is at 1e-3
  });

  it('asks nothing once runCap configurations are in the store', async () => {
    const store = await ResultsStore.open(':memory:');
    expect(await askNext(store, await history(store, 14), spec)).toEqual([]);
  });
});
