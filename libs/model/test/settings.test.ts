import { describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { DEFAULT_SETTINGS, parseSettings } from '../src/config.ts';
import { packKey } from '../src/pack.ts';
import { temperature } from '../src/schedule.ts';
import { Rng } from '../src/random.ts';
import { majorityTask } from '../src/task.ts';

describe('settings', () => {
  it('bad settings are rejected before training with the setting, the value and what is allowed', () => {
    const bad: [object, RegExp][] = [
      [{ k: 9 }, /`k`.*9.*< tokens \(9\)/],
      [{ tau: 0 }, /`tau`.*0.*> 0/],
      [{ sampler: 'softmax' }, /`sampler`.*"softmax".*"gumbel-max"/],
      [{ heads: 5 }, /`heads`.*must divide dModel/],
      [{ temperature: 1 }, /unknown key "temperature"/],
      [{ steps: 1.5 }, /`steps`.*integer/],
    ];
    for (const [input, message] of bad) {
      expect(() => parseSettings(input)).toThrow(UserError);
      expect(() => parseSettings(input)).toThrow(message);
    }
    expect(parseSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('packKey: equal for trials that may share a pack, different when shapes differ', () => {
    const base = parseSettings({});
    expect(packKey(parseSettings({ k: 2, tau: 0.5, anneal: 'linear', tauMin: 0.1, auxWeight: 0.5, lr: 1e-3, weightDecay: 0, seed: 7 }))).toBe(packKey(base));
    for (const change of [{ ff: 128 }, { dModel: 64 }, { batchSize: 64 }, { approximator: 'masked' }, { attention: 'batch' }, { sampler: 'relaxed-topk' }, { layers: 2 }])
      expect(packKey(parseSettings(change))).not.toBe(packKey(base));
  });
});

describe('temperature schedules', () => {
  const s = { tau: 0.3, tauMin: 0.1, annealRate: 0.01, steps: 1000 };
  it('hit their end points', () => {
    expect(temperature({ ...s, anneal: 'constant' }, 0)).toBe(0.3);
    expect(temperature({ ...s, anneal: 'constant' }, 1000)).toBe(0.3);
    for (const anneal of ['linear', 'cosine'] as const) {
      expect(temperature({ ...s, anneal }, 0)).toBeCloseTo(0.3, 12);
      expect(temperature({ ...s, anneal }, 1000)).toBeCloseTo(0.1, 12);
    }
    expect(temperature({ ...s, anneal: 'exponential' }, 0)).toBe(0.3);
    expect(temperature({ ...s, anneal: 'exponential' }, 1000)).toBe(0.1); // 0.3·e^−10 < 0.1: clamped
  });
  it('linear is the notebook’s max(0.1, (1000 − t)/1000 · 0.3); the others decrease monotonically', () => {
    expect(temperature({ ...s, anneal: 'linear' }, 500)).toBeCloseTo(0.15, 12);
    expect(temperature({ ...s, anneal: 'linear' }, 800)).toBe(0.1);
    expect(temperature({ ...s, anneal: 'exponential' }, 50)).toBeCloseTo(0.3 * Math.exp(-0.5), 12);
    for (const anneal of ['linear', 'exponential', 'cosine'] as const) {
      const taus = Array.from({ length: 101 }, (_, i) => temperature({ ...s, anneal }, i * 10));
      taus.slice(1).forEach((t, i) => expect(t).toBeLessThanOrEqual(taus[i]!));
    }
  });
});

describe('majority task', () => {
  const task = majorityTask({ vocab: 10, tokens: 9, labelTokens: 5 });
  it('each sample holds at least labelTokens copies of its label, ids in 1..9, relevant = tokens equal to the label', () => {
    const b = task.batch(new Rng(1), 500);
    for (let i = 0; i < b.size; i++) {
      const row = Array.from(b.ids.subarray(i * 9, i * 9 + 9));
      expect(row.every((t) => t >= 1 && t <= 9)).toBe(true);
      expect(row.filter((t) => t === b.labels[i]).length).toBeGreaterThanOrEqual(5);
      expect(Array.from(b.relevant.subarray(i * 9, i * 9 + 9))).toEqual(row.map((t) => (t === b.labels[i] ? 1 : 0)));
    }
    // shuffled: the label's copies are not always in the first five places
    const firstFive = Array.from({ length: b.size }, (_, i) => b.ids.subarray(i * 9, i * 9 + 5).every((t) => t === b.labels[i])).filter(Boolean).length;
    expect(firstFive).toBeLessThan(b.size / 10);
  });
  it('is reproducible: the same seed gives the same batches, another seed others', () => {
    const a = task.batch(Rng.stream(3, 'data'), 64), b = task.batch(Rng.stream(3, 'data'), 64), c = task.batch(Rng.stream(4, 'data'), 64);
    expect(a).toEqual(b);
    expect(a.ids).not.toEqual(c.ids);
    expect(task.batch(Rng.stream(3, 'evalData'), 64).ids).not.toEqual(a.ids);
  });
});
