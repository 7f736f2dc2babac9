/** L2X's synthetic sets: the generators against their formulas, the explanation metrics against hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { SYNTHETIC, parseSettings } from '../src/config.ts';
import { explanationMetrics } from '../src/explanation.ts';
import { Rng } from '../src/random.ts';
import { syntheticTask } from '../src/task.ts';

const D = 10;
const row = (a: Float32Array | Int32Array | number[], b: number) => Array.from(a.slice(b * D, (b + 1) * D));
const truthOf = (relevant: Float32Array, b: number) => row(relevant, b).flatMap((v, i) => (v ? [i] : []));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** P(Y = 1 | x) = 1 / (1 + e^f), as make_data.py writes it. */
const p1 = (f: number) => 1 / (1 + Math.exp(f));

describe('synthetic generators', () => {
  const formulas = {
    xor: (x: number[]) => x[0]! * x[1]!,
    'orange-skin': (x: number[]) => x[0]! ** 2 + x[1]! ** 2 + x[2]! ** 2 + x[3]! ** 2 - 4,
    'nonlinear-additive': (x: number[]) => -100 * Math.sin(0.2 * x[0]!) + Math.abs(x[1]!) + x[2]! + Math.exp(-x[3]!) - 2.4,
  };
  const truths = { xor: [0, 1], 'orange-skin': [0, 1, 2, 3], 'nonlinear-additive': [0, 1, 2, 3] };

  for (const name of ['xor', 'orange-skin', 'nonlinear-additive'] as const) {
    it(`${name}: x ~ N(0, I), targets = [1 − p, p] with p = 1/(1 + e^f(x)), label = the likelier class, truth ${truths[name].join(',')}`, () => {
      const b = syntheticTask(name).batch(new Rng(11), 4000);
      const xs = Array.from({ length: b.size }, (_, i) => row(b.features, i));
      const wrong = { probability: 0, sum: 0, label: 0, truth: 0 };
      for (const [i, x] of xs.entries()) {
        const p = p1(formulas[name](x));
        if (Math.abs(b.targets[2 * i + 1]! - p) > 1e-6) wrong.probability++;
        if (Math.abs(b.targets[2 * i]! + b.targets[2 * i + 1]! - 1) > 1e-6) wrong.sum++;
        if (b.labels[i] !== (p > 0.5 ? 1 : 0)) wrong.label++;
        if (truthOf(b.relevant, i).join() !== truths[name].join()) wrong.truth++;
      }
      expect(wrong).toEqual({ probability: 0, sum: 0, label: 0, truth: 0 });
      const all = xs.flat();
      expect(Math.abs(mean(all))).toBeLessThan(0.02); // 40,000 draws: the mean's sd is 0.005
      expect(mean(all.map((v) => v * v))).toBeCloseTo(1, 1);
      const ones = mean(Array.from(b.labels));
      expect(ones).toBeGreaterThan(0.05); // both classes occur
      expect(ones).toBeLessThan(0.95);
    });
  }

  it('switch: x9 = ±3 + N(0, 1) half the time each; +3 → orange-skin on x0..x3, −3 → nonlinear-additive on x4..x7 (moved, not copied)', () => {
    const b = syntheticTask('switch').batch(new Rng(12), 4000);
    let orange = 0;
    const wrong = { probability: 0, truth: 0, copied: 0 };
    for (let i = 0; i < b.size; i++) {
      const x = row(b.features, i);
      const truth = truthOf(b.relevant, i).join();
      const isOrange = truth === '0,1,2,3,9';
      if (isOrange) orange++;
      else if (truth !== '4,5,6,7,9') wrong.truth++;
      const p = isOrange ? p1(formulas['orange-skin'](x)) : p1(formulas['nonlinear-additive'](x.slice(4, 8)));
      if (Math.abs(b.targets[2 * i + 1]! - p) > 1e-6) wrong.probability++;
      if (x.slice(0, 4).every((v, j) => v === x[4 + j])) wrong.copied++;
    }
    expect(wrong).toEqual({ probability: 0, truth: 0, copied: 0 }); // L2X's numpy swap made x0..x3 equal x4..x7 on the additive rows
    expect(orange / b.size).toBeGreaterThan(0.45);
    expect(orange / b.size).toBeLessThan(0.55);
    const x9 = (want: number) => Array.from({ length: b.size }, (_, i) => i).filter((i) => (b.relevant[i * D] === 1) === (want > 0)).map((i) => b.features[i * D + 9]!);
    expect(mean(x9(1))).toBeCloseTo(3, 1);
    expect(mean(x9(-1))).toBeCloseTo(-3, 1);
  });

  it('is seeded: the same stream gives the same batch, another stream another', () => {
    const task = syntheticTask('switch');
    expect(task.batch(Rng.stream(1, 'data'), 50)).toEqual(task.batch(Rng.stream(1, 'data'), 50));
    expect(task.batch(Rng.stream(2, 'data'), 50).features).not.toEqual(task.batch(Rng.stream(1, 'data'), 50).features);
  });
});

describe('explanation metrics', () => {
  const T = 4;
  const metrics = (scores: number[], hard: number[], truth: number[], seed = 1) => explanationMetrics(scores, hard, truth, scores.length / T, new Rng(seed));

  it('median rank: the median of the true positions’ ranks by score, averaged over samples', () => {
    // sample 1: scores rank positions 2,0,3,1 → ranks [2, 4, 1, 3]; truth {0, 3} → ranks 2, 3 → median 2.5
    // sample 2: ranks [1, 2, 3, 4]; truth {1} → 2
    // sample 3: ranks [4, 3, 2, 1]; truth {0, 1, 2} → 4, 3, 2 → median 3
    const m = metrics([0.5, 0.1, 0.9, 0.3, 4, 3, 2, 1, 1, 2, 3, 4], new Array(12).fill(0), [1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0]);
    expect(m.median_rank).toBeCloseTo((2.5 + 2 + 3) / 3, 12);
  });

  it('median rank breaks ties at random: a tie between a true and a false position averages to the middle', () => {
    // position 0 (true) ties with position 1 (false) for first place: rank 1 or 2, each about half the time
    const n = 4000;
    const scores = Array.from({ length: n }, () => [5, 5, 1, 0]).flat();
    const truth = Array.from({ length: n }, () => [1, 0, 0, 0]).flat();
    const m = metrics(scores, new Array(n * T).fill(0), truth, 7);
    expect(m.median_rank).toBeGreaterThan(1.45);
    expect(m.median_rank).toBeLessThan(1.55);
    // all tied: a single true position's rank is uniform on 1..4, mean 2.5
    const flat = metrics(new Array(n * T).fill(0), new Array(n * T).fill(0), truth, 8);
    expect(flat.median_rank).toBeGreaterThan(2.4);
    expect(flat.median_rank).toBeLessThan(2.6);
    // the same rng seed gives the same answer
    expect(metrics(scores, new Array(n * T).fill(0), truth, 7).median_rank).toBe(m.median_rank);
  });

  it('TPR and FDR per sample, then averaged (INVASE); precision pooled', () => {
    // sample 1: S = {0, 1}, truth = {0, 2, 3}: TPR 1/3, FDR 1/2; sample 2: S = {2, 3}, truth = {2}: TPR 1, FDR 1/2
    const m = metrics(new Array(8).fill(0), [1, 1, 0, 0, 0, 0, 1, 1], [1, 0, 1, 1, 0, 0, 1, 0]);
    expect(m.tpr).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(m.fdr).toBeCloseTo(0.5, 12);
    expect(m.precision).toBeCloseTo(2 / 4, 12);
  });
});

describe('synthetic settings', () => {
  it('each set has L2X’s defaults: its k, 10 features, the masked approximator, batch 1000, Adam at 1e-3', () => {
    for (const [task, { k }] of Object.entries(SYNTHETIC)) {
      const s = parseSettings({ task });
      expect(s).toMatchObject({ task, k, tokens: 10, approximator: 'masked', batchSize: 1000, lr: 1e-3, weightDecay: 0 });
      expect(parseSettings(s)).toEqual(s); // resolved settings parse to themselves
    }
    expect(parseSettings({})).toMatchObject({ task: 'majority', k: 3, tokens: 9, approximator: 'shared', batchSize: 128, lr: 5e-4 });
  });

  it('a setting that does not apply to the task is an error naming the setting and the task', () => {
    const bad: [object, RegExp][] = [
      [{ task: 'xor', ff: 128 }, /`ff`: got 128; does not apply to task "xor"/],
      [{ task: 'switch', attention: 'batch' }, /`attention`: got "batch"; does not apply to task "switch"/],
      [{ task: 'orange-skin', approximator: 'shared' }, /`approximator`: got "shared"; task "orange-skin" takes only "masked"/],
      [{ task: 'xor', tokens: 9 }, /`tokens`: got 9; task "xor" has 10 features/],
      [{ task: 'xor', auxWeight: 0.5 }, /`auxWeight`: got 0.5; applies only with approximator "shared"/],
      [{ approximator: 'masked', auxWeight: 0.5 }, /`auxWeight`: got 0.5; applies only with approximator "shared"/],
      [{ task: 'xor', k: 10 }, /`k`: got 10; must be < tokens \(10\)/],
    ];
    for (const [input, message] of bad) {
      expect(() => parseSettings(input)).toThrow(UserError);
      expect(() => parseSettings(input)).toThrow(message);
    }
  });
});
