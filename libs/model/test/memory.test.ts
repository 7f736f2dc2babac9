/**
 * trialMemoryBytes against what TensorFlow.js really holds: the peak bytes (tf.profile) of a short packed run
 * on the wasm backend, one setting moved at a time. The estimate sizes GPU packs, so it must not fall below
 * what a pack takes (a pack that does not fit fails), nor be so far above that packs come out needlessly small.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseSettings, trainPack, trialMemoryBytes } from '../src/index.ts';

/** The peak bytes of a 2-step run (one evaluation) of a pack of `trials` trials with these settings. */
async function measuredPeak(over: Record<string, unknown>, trials: number): Promise<number> {
  const pack = Array.from({ length: trials }, (_, seed) => parseSettings({ steps: 2, evalEvery: 2, evalSize: 64, ...over, seed }));
  const profile = await tf.profile(async () => {
    await trainPack(pack, { backend: 'wasm', kernels: 'wasm' });
  });
  return profile.peakBytes;
}

const CASES: Record<string, Record<string, unknown>> = {
  'token model, ff 64': { ff: 64 },
  'ff 2048 (the notebook)': { ff: 2048 },
  'dModel 64, batch 256': { ff: 64, dModel: 64, batchSize: 256 },
  'two layers, masked approximator': { ff: 64, layers: 2, approximator: 'masked' },
  'attention across the batch': { ff: 64, attention: 'batch', batchSize: 256 },
  'large evaluation chunk': { ff: 64, evalSize: 1024 },
  "L2X's MLPs (switch)": { task: 'switch' },
};

describe('trialMemoryBytes', () => {
  it.each(Object.entries(CASES))('%s: covers a pack of 1 and of 3 as measured, and at most twice it', async (_, over) => {
    const perTrial = trialMemoryBytes(parseSettings({ steps: 2, evalEvery: 2, evalSize: 64, ...over }));
    for (const trials of [1, 3]) {
      const peak = await measuredPeak(over, trials);
      expect(trials * perTrial, `${trials} trial(s): measured ${(peak / 2 ** 20).toFixed(1)} MiB`).toBeGreaterThanOrEqual(peak * 0.95);
      expect(trials * perTrial).toBeLessThanOrEqual(peak * 2);
    }
  }, 60_000);

  it('grows with what the step holds: batch, width, feed-forward, layers', () => {
    const base = trialMemoryBytes(parseSettings({ ff: 64, evalSize: 64 }));
    for (const over of [{ batchSize: 256 }, { dModel: 64 }, { ff: 512 }, { layers: 2 }, { approximator: 'masked' }, { attention: 'batch' }, { evalSize: 4096 }])
      expect(trialMemoryBytes(parseSettings({ ff: 64, evalSize: 64, ...over })), JSON.stringify(over)).toBeGreaterThan(base);
  });
});
