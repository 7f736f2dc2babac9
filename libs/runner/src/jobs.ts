/**
 * Turns pending trials into jobs for the workers: one trial each, or packs of same-shaped trials (equal
 * `packKey`) that a worker trains together in one computation (`resources.pack`).
 */
import { largestTensorBytes, packKey, trialMemoryBytes, type Settings } from '@l2x/model/config';
import type { TrialRecord } from '@l2x/store';
import type { SweepResources } from '@l2x/sweep';
import type { PackBudget } from './resources.ts';

export interface Job {
  trials: TrialRecord[];
}

/**
 * The largest pack `pack: auto` makes on CPU workers. Per-op overhead is paid once per pack, so throughput grows with the
 * pack until the matrix products dominate (see the README's throughput table); past 8 the gain is small and
 * a pack's trials all wait for the slowest.
 */
export const AUTO_PACK = 8;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * How many trials of these settings `pack: auto` puts in one pack: enough that every worker gets one, and on CPU
 * workers at most AUTO_PACK; on GPU workers (a `budget`) as many as the worker's memory and binding limit hold.
 */
export function autoPackSize(settings: Settings, trials: number, workers: number, budget?: PackBudget): number {
  const share = Math.ceil(trials / Math.max(1, workers));
  if (!budget) return Math.min(AUTO_PACK, share);
  const fits = Math.min(Math.floor(budget.bytes / trialMemoryBytes(settings)), Math.floor(budget.maxTensorBytes / largestTensorBytes(settings)));
  return Math.max(1, Math.min(share, fits));
}

/**
 * Packs of at most `pack` trials with equal shapes, in queue order of each group's first trial. With `auto`,
 * see autoPackSize.
 */
export function planJobs(pending: readonly TrialRecord[], pack: SweepResources['pack'], workers: number, budget?: PackBudget): Job[] {
  if (pack === 'off' || pack === 1) return pending.map((trial) => ({ trials: [trial] }));
  const groups = new Map<string, TrialRecord[]>();
  for (const trial of pending) {
    const key = packKey(trial.settings);
    const group = groups.get(key);
    if (group) group.push(trial);
    else groups.set(key, [trial]);
  }
  const jobs: Job[] = [];
  for (const group of groups.values()) {
    const size = pack === 'auto' ? autoPackSize(group[0]!.settings, group.length, workers, budget) : pack;
    for (const trials of chunk(group, size)) jobs.push({ trials });
  }
  return jobs;
}
