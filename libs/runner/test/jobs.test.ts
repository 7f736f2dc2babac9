import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '@l2x/model/config';
import type { TrialRecord } from '@l2x/store';
import { AUTO_PACK, planJobs } from '../src/jobs.ts';

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
});
