/**
 * Turns pending trials into jobs for the workers: one trial each, or packs of same-shaped trials (equal
 * `packKey`) that a worker trains together in one computation (`resources.pack`).
 */
import { packKey } from '@l2x/model/config';
import type { TrialRecord } from '@l2x/store';
import type { SweepResources } from '@l2x/sweep';

export interface Job {
  trials: TrialRecord[];
}

/**
 * The largest pack `pack: auto` makes. Per-op overhead is paid once per pack, so throughput grows with the
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
 * Packs of at most `pack` trials with equal shapes, in queue order of each group's first trial. With `auto`,
 * packs are also cut small enough that every worker gets one.
 */
export function planJobs(pending: readonly TrialRecord[], pack: SweepResources['pack'], workers: number): Job[] {
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
    const size = pack === 'auto' ? Math.min(AUTO_PACK, Math.ceil(group.length / Math.max(1, workers))) : pack;
    for (const trials of chunk(group, size)) jobs.push({ trials });
  }
  return jobs;
}
