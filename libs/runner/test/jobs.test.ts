import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, largestTensorBytes, trialMemoryBytes, type Settings } from '@l2x/model/config';
import type { TrialRecord } from '@l2x/store';
import { AUTO_PACK, autoPackSize, planJobs } from '../src/jobs.ts';

let id = 0;
function trial(over: Partial<Settings>): TrialRecord {
  id++;
  const settings = { ...DEFAULT_SETTINGS, ...over };
  return { id, key: `t${id}`, configKey: `c${id}`, seed: settings.seed, settings, params: over } as unknown as TrialRecord;
}

describe('planJobs', () => {
  const sameShape = [0.1, 0.2, 0.5].flatMap((tau) => [0, 1].map((seed) => trial({ tau, seed })));
  const otherShape = [trial({ ff: 128 }), trial({ ff: 128, seed: 1 })];

  it('gives one trial per job with pack off', () => {
    expect(planJobs([...sameShape, ...otherShape], 'off', 1).map((j) => j.trials.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('packs only trials of equal shapes, at most N each, in queue order', () => {
    const jobs = planJobs([...sameShape, ...otherShape], 4, 1);
    expect(jobs.map((j) => j.trials.map((t) => t.id))).toEqual([
      sameShape.slice(0, 4).map((t) => t.id),
      sameShape.slice(4).map((t) => t.id),
      otherShape.map((t) => t.id),
    ]);
  });

  it('with auto, cuts packs so that every worker gets one, up to AUTO_PACK', () => {
    expect(planJobs(sameShape, 'auto', 2).map((j) => j.trials.length)).toEqual([3, 3]);
    const many = Array.from({ length: 20 }, (_, seed) => trial({ seed }));
    expect(planJobs(many, 'auto', 1).map((j) => j.trials.length)).toEqual([AUTO_PACK, AUTO_PACK, 20 - 2 * AUTO_PACK]);
  });

  it('on GPU workers (a budget), packs as many same-shaped trials as the memory and the binding limit hold, past AUTO_PACK', () => {
    const many = Array.from({ length: 500 }, (_, seed) => trial({ seed }));
    const perTrial = trialMemoryBytes(many[0]!.settings);
    const roomy = { bytes: 1000 * perTrial, maxTensorBytes: 2 ** 40 };
    expect(planJobs(many, 'auto', 1, roomy).map((j) => j.trials.length)).toEqual([500]); // all of them
    expect(planJobs(many, 'auto', 4, roomy).map((j) => j.trials.length)).toEqual([125, 125, 125, 125]); // every GPU gets one
    const tight = { bytes: 40.5 * perTrial, maxTensorBytes: 2 ** 40 };
    expect(planJobs(many, 'auto', 1, tight).every((j) => j.trials.length <= 40)).toBe(true);
    expect(planJobs(many, 'auto', 1, tight)[0]!.trials).toHaveLength(40);
    const binding = { bytes: 1000 * perTrial, maxTensorBytes: 7.9 * largestTensorBytes(many[0]!.settings) };
    expect(autoPackSize(many[0]!.settings, 500, 1, binding)).toBe(7);
    // A trial larger than the budget still runs, alone.
    expect(autoPackSize(many[0]!.settings, 500, 1, { bytes: perTrial / 2, maxTensorBytes: 2 ** 40 })).toBe(1);
  });

  it('sizes GPU packs by what a trial needs: wider models make smaller packs', () => {
    const budget = { bytes: 8 * 2 ** 30, maxTensorBytes: 2 ** 31 };
    const small = autoPackSize({ ...DEFAULT_SETTINGS, ff: 128 }, 10_000, 1, budget);
    const wide = autoPackSize({ ...DEFAULT_SETTINGS, ff: 2048 }, 10_000, 1, budget);
    expect(wide).toBeLessThan(small);
    expect(wide).toBeGreaterThan(AUTO_PACK);
  });
});
