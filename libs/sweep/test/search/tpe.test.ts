/**
 * The TPE sampler on functions with a known optimum: it must find it faster than random draws from the same
 * space, count running configurations in (constant liar), and give the same answer for the same history.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { Settings } from '@l2x/model/config';
import { ParzenEstimator, SearchSpace, TpeSampler, gamma, type Observation, type SweptParameter } from '../../src/index.ts';

const OPTIONS = { nStartupTrials: 10, nEiCandidates: 24, seed: 0 };

const space2d: SweptParameter[] = [
  { name: 'lr', spec: { distribution: 'log_uniform_values', min: 1e-5, max: 1e-1 } },
  { name: 'tau', spec: { distribution: 'uniform', min: 0, max: 2 } },
];
/** Minimum 0 at lr = 1e-3, tau = 0.7 (a bowl in log lr). */
const bowl = (p: Partial<Settings>) => (Math.log10(p.lr!) + 3) ** 2 + 4 * (p.tau! - 0.7) ** 2;

function runSearch(sampler: TpeSampler, f: (p: Partial<Settings>) => number, n: number): number[] {
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.ask(history)!;
    history.push({ params, state: 'completed', value: f(params), step: 100 });
  }
  return history.map((o) => o.value!);
}

function randomSearch(name: string, f: (p: Partial<Settings>) => number, n: number): number[] {
  const random = seedrandom(name);
  return Array.from({ length: n }, () => f({ lr: Math.exp(Math.log(1e-5) + (Math.log(1e-1) - Math.log(1e-5)) * random()), tau: 2 * random() }));
}

const best = (values: number[]) => Math.min(...values);

describe('gamma', () => {
  it('takes the best tenth, rounded up, at most 25', () => {
    expect([1, 10, 11, 100, 1000].map(gamma)).toEqual([1, 1, 2, 10, 25]);
  });
});

describe('ParzenEstimator', () => {
  const space = new SearchSpace(space2d);
  it('is densest at its observations and integrates to about one', () => {
    const l = new ParzenEstimator(space.dimensions, [[Math.log(1e-3), 0.7]]);
    const at = l.logDensity([Math.log(1e-3), 0.7]);
    expect(at).toBeGreaterThan(l.logDensity([Math.log(1e-2), 0.7]));
    expect(at).toBeGreaterThan(l.logDensity([Math.log(1e-3), 1.5]));
    // Riemann sum over the box [ln 1e-5, ln 1e-1] × [0, 2].
    const [a, b] = [Math.log(1e-5), Math.log(1e-1)];
    const n = 200;
    let mass = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) mass += Math.exp(l.logDensity([a + ((i + 0.5) * (b - a)) / n, ((j + 0.5) * 2) / n])) * ((b - a) / n) * (2 / n);
    expect(mass).toBeCloseTo(1, 2);
  });
  it('samples inside the bounds, mostly near its observations', () => {
    const l = new ParzenEstimator(space.dimensions, Array.from({ length: 20 }, () => [Math.log(1e-3), 0.7]));
    const random = seedrandom('samples');
    const draws = Array.from({ length: 500 }, () => l.sample(random));
    for (const [x, y] of draws) {
      expect(x!).toBeGreaterThanOrEqual(Math.log(1e-5));
      expect(x!).toBeLessThanOrEqual(Math.log(1e-1));
      expect(y!).toBeGreaterThanOrEqual(0);
      expect(y!).toBeLessThanOrEqual(2);
    }
    const near = draws.filter(([x, y]) => Math.abs(x! - Math.log(1e-3)) < 1.5 && Math.abs(y! - 0.7) < 0.4).length;
    expect(near / draws.length).toBeGreaterThan(0.7); // 20 of 21 components sit there
  });
  it('gives categorical choices their kernel mass', () => {
    const cat = new SearchSpace([{ name: 'sampler', spec: { values: ['gumbel-max', 'straight-through', 'relaxed-topk'] } }]);
    const l = new ParzenEstimator(cat.dimensions, [[1], [1], [1]]);
    const p = [0, 1, 2].map((j) => Math.exp(l.logDensity([j])));
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 9);
    expect(p[1]!).toBeGreaterThan(0.6);
  });
});

describe('TpeSampler', () => {
  it('beats random search on a bowl in most of 10 seeds, and gets closer to the optimum', () => {
    let wins = 0;
    const tpeBest: number[] = [];
    const randomBest: number[] = [];
    for (let s = 0; s < 10; s++) {
      const tpe = best(runSearch(new TpeSampler(space2d, 'minimize', OPTIONS, `bowl-${s}`), bowl, 40));
      const rnd = best(randomSearch(`bowl-${s}`, bowl, 40));
      tpeBest.push(tpe);
      randomBest.push(rnd);
      if (tpe <= rnd) wins += 1;
    }
    expect(wins).toBeGreaterThanOrEqual(8);
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    expect(median(tpeBest)).toBeLessThan(median(randomBest) / 3);
  });

  it('maximizes when the goal says so', () => {
    const values = runSearch(new TpeSampler(space2d, 'maximize', OPTIONS, 'max'), (p) => -bowl(p), 40);
    expect(Math.max(...values.slice(20))).toBeGreaterThan(Math.max(...values.slice(0, 10)));
    expect(Math.max(...values)).toBeGreaterThan(-0.1);
  });

  it('searches categorical and quantised settings', () => {
    const params: SweptParameter[] = [
      { name: 'sampler', spec: { values: ['gumbel-max', 'straight-through', 'relaxed-topk'] } },
      { name: 'k', spec: { distribution: 'int_uniform', min: 1, max: 8 } },
    ];
    const f = (p: Partial<Settings>) => (p.sampler === 'straight-through' ? 0 : 1) + Math.abs(p.k! - 6);
    const sampler = new TpeSampler(params, 'minimize', { ...OPTIONS, nStartupTrials: 5 }, 'cat');
    const history: Observation[] = [];
    for (let i = 0; i < 20; i++) {
      const p = sampler.ask(history);
      if (!p) break;
      expect(Number.isInteger(p.k)).toBe(true);
      expect(p.k).toBeGreaterThanOrEqual(1);
      expect(p.k).toBeLessThanOrEqual(8);
      history.push({ params: p, state: 'completed', value: f(p), step: 1 });
    }
    expect(Math.min(...history.map((o) => o.value!))).toBe(0);
    // Never the same configuration twice; and the space (24 points) runs out rather than repeating.
    expect(new Set(history.map((o) => JSON.stringify(o.params))).size).toBe(history.length);
  });

  it('returns null when every configuration of the space was asked', () => {
    const sampler = new TpeSampler([{ name: 'k', spec: { values: [1, 2] } }], 'minimize', OPTIONS, 'tiny');
    const history: Observation[] = [1, 2].map((k) => ({ params: { k }, state: 'completed', value: k, step: 1 }));
    expect(sampler.ask(history)).toBeNull();
  });

  it('is deterministic for a sweep name and history, and differs between names', () => {
    const history: Observation[] = [];
    const a = runSearch(new TpeSampler(space2d, 'minimize', OPTIONS, 'same'), bowl, 15);
    const b = runSearch(new TpeSampler(space2d, 'minimize', OPTIONS, 'same'), bowl, 15);
    const c = runSearch(new TpeSampler(space2d, 'minimize', OPTIONS, 'other'), bowl, 15);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new TpeSampler(space2d, 'minimize', OPTIONS, 'same').ask(history)).toEqual(new TpeSampler(space2d, 'minimize', OPTIONS, 'same').ask(history));
  });

  it('counts running configurations in as bad (constant liar)', () => {
    const sampler = new TpeSampler(space2d, 'minimize', OPTIONS, 'liar');
    const history: Observation[] = [];
    for (let i = 0; i < 20; i++) {
      const params = sampler.ask(history)!;
      history.push({ params, state: 'completed', value: bowl(params), step: 1 });
    }
    const first = sampler.ask(history)!;
    const withLiar = [...history, { params: first, state: 'running' as const, value: null, step: 0 }];
    const { good, bad } = sampler.split(withLiar);
    expect(good).toHaveLength(gamma(20));
    expect(bad).toHaveLength(20 - gamma(20) + 1);
    expect(bad).toContainEqual(new SearchSpace(space2d).toPoint(first));
  });

  it('ranks pruned configurations after completed ones, further ones first', () => {
    const sampler = new TpeSampler(space2d, 'minimize', OPTIONS, 'pruned');
    const obs = (lr: number, state: Observation['state'], value: number, step: number): Observation => ({ params: { lr, tau: 1 }, state, value, step });
    const { good } = sampler.split([obs(1e-2, 'pruned', 0.1, 100), obs(1e-3, 'completed', 5, 300), obs(1e-4, 'pruned', 0.2, 200)]);
    expect(good).toEqual([[Math.log(1e-3), 1]]);
    // Among pruned ones, the one that went further ranks first, whatever its value.
    expect(sampler.split([obs(1e-2, 'pruned', 0.1, 100), obs(1e-4, 'pruned', 0.2, 200)]).good).toEqual([[Math.log(1e-4), 1]]);
  });
});
