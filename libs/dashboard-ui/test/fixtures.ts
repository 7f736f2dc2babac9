/**
 * Sweeps for the dashboard's tests, benchmark and demos, written through the real store writer.
 * Metrics are a made-up but plausible story: a larger tau narrows the soft/hard gap; seeds add a little noise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';

export const TAUS = [0.05, 0.1, 0.2, 0.5, 1];

/** Final metrics of a trial with tau at index `i` (0..4) and `seed`. */
export function metricsFor(i: number, seed: number) {
  const soft = 0.95 - 0.01 * i + 0.004 * seed;
  const gap = 0.2 / (1 + i) - 0.002 * seed;
  const hard = soft - gap;
  return { loss: 0.3 + 0.05 * i, mean_acc: 0.6, soft_acc: soft, hard_acc: hard, gap, precision: 0.6 + 0.05 * i, mask_sum: 3, mask_distinct: 0.9 };
}

export function tauTrials(seeds = 3, status: (index: number) => FixtureTrial['status'] = () => 'completed'): FixtureTrial[] {
  const trials: FixtureTrial[] = [];
  TAUS.forEach((tau, i) => {
    for (let seed = 0; seed < seeds; seed++) {
      const index = trials.length;
      const s = status(index) ?? 'completed';
      trials.push({
        params: { tau },
        seed,
        status: s,
        metrics: s === 'completed' ? metricsFor(i, seed) : undefined,
        curve: s === 'running' ? { 100: { loss: 1.2 }, 200: { loss: 0.9 }, 300: { loss: 0.7 }, 400: { loss: 0.65 } } : undefined,
        step: s === 'running' ? 450 : undefined,
        error: s === 'failed' ? 'loss became NaN at step 120\n    at train (trainer.ts:88)' : undefined,
      });
    }
  });
  return trials;
}

/** A finished tau sweep: 5 values × 3 seeds, all completed. */
export const finishedTau = (): FixtureSweep => ({ name: 'tau', swept: ['tau'], trials: tauTrials() });

/** A tau sweep under way: 10 completed, 2 running, 1 failed, 2 queued. */
export const tauInProgress = (): FixtureSweep => ({
  name: 'tau-live',
  swept: ['tau'],
  fixed: { steps: 1000, evalEvery: 100 },
  trials: tauTrials(3, (i) => (i < 9 ? 'completed' : i === 9 ? 'failed' : i < 12 ? 'running' : i === 12 ? 'completed' : 'queued')),
});

/** Two swept settings (sampler × approximator), for grouping with tab. */
export const samplers = (): FixtureSweep => {
  const trials: FixtureTrial[] = [];
  const list = ['gumbel-max', 'straight-through', 'relaxed-topk'] as const;
  list.forEach((sampler, i) =>
    (['shared', 'masked'] as const).forEach((approximator, j) => {
      for (let seed = 0; seed < 2; seed++) trials.push({ params: { sampler, approximator }, seed, metrics: metricsFor(i + j, seed) });
    }),
  );
  return { name: 'samplers', swept: ['sampler', 'approximator'], trials };
};

/** A temporary folder with a results.db made of these sweeps; `cleanup()` removes it. */
export async function fixtureDb(...sweeps: FixtureSweep[]): Promise<{ dir: string; path: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
  const path = join(dir, 'results.db');
  const store = await ResultsStore.open(path);
  for (const sweep of sweeps) await writeFixtureSweep(store, sweep);
  await store.close();
  return { dir, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
