import { DEFAULT_SETTINGS } from '@l2x/model/config';
import { describe, expect, it } from 'vitest';
import { configurations, expandSweep, parseSweep, type SweepSpec } from '../src/index.ts';

const grid = parseSweep(
  `name: g
method: grid
seeds: [0, 1]
trial: { steps: 50 }
parameters:
  tau: { values: [0.1, 0.5, 1.0] }
  attention: { value: batch }
  k: { values: [1, 2] }
`,
  'g.yaml',
);

const random = (name: string, runCap: number, extra = '') =>
  parseSweep(
    `name: ${name}
method: random
runCap: ${runCap}
seeds: 2
parameters:
  lr: { distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2 }
  tau: { distribution: q_uniform, min: 0.05, max: 1.0, q: 0.05 }
  k: { distribution: int_uniform, min: 1, max: 5 }
  dropout: { distribution: uniform, min: 0, max: 0.5 }
  sampler: { values: [gumbel-max, straight-through] }
${extra}`,
    `${name}.yaml`,
  );

describe('grid expansion', () => {
  it('is the cartesian product in file order, the first parameter slowest, each configuration once per seed', () => {
    const trials = expandSweep(grid);
    expect(trials).toHaveLength(3 * 2 * 2);
    expect(trials.slice(0, 6).map((t) => [t.params.tau, t.params.k])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.5, 1],
      [0.5, 2],
      [1, 1],
      [1, 2],
    ]);
    // Seed-major: every configuration's first seed before any second seed.
    expect(trials.map((t) => t.seed)).toEqual([...Array(6).fill(0), ...Array(6).fill(1)]);
  });

  it('resolves every setting: defaults, then trial, then the swept values, then the seed', () => {
    const [first] = expandSweep(grid);
    expect(first!.settings).toEqual({ ...DEFAULT_SETTINGS, steps: 50, tau: 0.1, attention: 'batch', k: 1, seed: 0 });
    expect(first!.params).toEqual({ tau: 0.1, attention: 'batch', k: 1 });
  });

  it('plans one trial per seed for a sweep with no parameters', () => {
    const trials = expandSweep(parseSweep('name: s\nmethod: grid\nseeds: 3\n', 's.yaml'));
    expect(trials.map((t) => [t.seed, t.params])).toEqual([
      [0, {}],
      [1, {}],
      [2, {}],
    ]);
    expect(new Set(trials.map((t) => t.configKey)).size).toBe(1);
  });

  it('is deterministic', () => {
    expect(expandSweep(grid)).toEqual(expandSweep(structuredClone(grid)));
  });
});

describe('random expansion', () => {
  it('draws runCap configurations, each once per seed, within their distributions', () => {
    const trials = expandSweep(random('r', 30));
    expect(trials).toHaveLength(30 * 2);
    for (const { settings: s } of trials) {
      expect(s.lr).toBeGreaterThanOrEqual(1e-4);
      expect(s.lr).toBeLessThanOrEqual(1e-2);
      expect(Math.round(s.tau / 0.05) * 0.05).toBeCloseTo(s.tau, 12);
      expect(String(s.tau).length).toBeLessThanOrEqual(4); // 0.35, not 0.35000000000000003
      expect(Number.isInteger(s.k) && s.k >= 1 && s.k <= 5).toBe(true);
      expect(s.dropout).toBeGreaterThanOrEqual(0);
      expect(s.dropout).toBeLessThan(0.5);
      expect(['gumbel-max', 'straight-through']).toContain(s.sampler);
    }
    // The draws spread out: every k and both samplers appear.
    expect(new Set(trials.map((t) => t.settings.k)).size).toBe(5);
    expect(new Set(trials.map((t) => t.settings.sampler)).size).toBe(2);
  });

  it('is deterministic: the same file plans the same trials', () => {
    expect(expandSweep(random('r', 10))).toEqual(expandSweep(random('r', 10)));
  });

  it('is seeded by the sweep name', () => {
    const lrs = (spec: SweepSpec) => expandSweep(spec).map((t) => t.settings.lr);
    expect(lrs(random('a', 10))).not.toEqual(lrs(random('b', 10)));
  });

  it('keeps the trials already drawn when runCap grows', () => {
    const keys = (spec: SweepSpec) => expandSweep(spec).filter((t) => t.seed === 0).map((t) => t.key);
    expect(keys(random('r', 20)).slice(0, 10)).toEqual(keys(random('r', 10)));
  });

  it('collapses configurations drawn twice', () => {
    const spec = parseSweep(
      'name: c\nmethod: random\nrunCap: 50\nseeds: 2\nparameters:\n  anneal: { values: [constant, cosine] }\n  k: { value: 2 }\n',
      'c.yaml',
    );
    expect([...configurations(spec)]).toHaveLength(50);
    const trials = expandSweep(spec);
    expect(trials.map((t) => [t.seed, t.params.anneal]).sort()).toEqual([
      [0, 'constant'],
      [0, 'cosine'],
      [1, 'constant'],
      [1, 'cosine'],
    ]);
  });

  it('draws normal values around mu', () => {
    const spec = parseSweep(
      'name: n\nmethod: random\nrunCap: 400\nparameters:\n  weightDecay: { distribution: normal, mu: 1, sigma: 0.1 }\n',
      'n.yaml',
    );
    const values = expandSweep(spec).map((t) => t.settings.weightDecay);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(mean).toBeCloseTo(1, 1);
    expect(sd).toBeGreaterThan(0.08);
    expect(sd).toBeLessThan(0.12);
  });
});

describe('keys', () => {
  const all = [...expandSweep(grid), ...expandSweep(random('r', 20))];

  it('are 16 hex digits, distinct per trial', () => {
    for (const t of all) {
      expect(t.key).toMatch(/^[0-9a-f]{16}$/);
      expect(t.configKey).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(all.map((t) => t.key)).size).toBe(all.length);
  });

  it('share one config key across the seeds of a configuration, and only there', () => {
    const byConfig = new Map<string, Set<string>>();
    for (const t of all) byConfig.set(t.configKey, (byConfig.get(t.configKey) ?? new Set()).add(JSON.stringify(t.params)));
    for (const params of byConfig.values()) expect(params.size).toBe(1);
    expect(byConfig.size).toBe(all.length / 2);
  });

  it('do not depend on how the file spells a trial', () => {
    const a = expandSweep(parseSweep('name: a\nmethod: grid\ntrial: { steps: 1000, k: 3 }\nparameters:\n  tau: { values: [1.0] }\n', 'a.yaml'));
    const b = expandSweep(parseSweep('name: b\nmethod: grid\nparameters:\n  tau: { value: 1 }\n', 'b.yaml'));
    expect(a.map((t) => t.key)).toEqual(b.map((t) => t.key));
  });
});
