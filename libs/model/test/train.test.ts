import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { parseSettings, type Metrics } from '../src/config.ts';
import { loadBackend } from '../src/backend.ts';
import { NonFiniteLossError } from '../src/errors.ts';
import { EVAL_SEED, train, type TrainEvent } from '../src/train.ts';
import { explanationMetrics } from '../src/explanation.ts';
import { Rng } from '../src/random.ts';
import { majorityTask, syntheticTask } from '../src/task.ts';
import { webgpuStatus } from '../src/webgpu.ts';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

const small = (over: object = {}) => parseSettings({ ff: 64, batchSize: 64, evalSize: 256, ...over });

/** The hard mask of the k highest scores per row of T. */
function randomTopK(scores: Float32Array, t: number, k: number): Float32Array {
  const hard = new Float32Array(scores.length);
  for (let b = 0; b < scores.length / t; b++) {
    const order = Array.from({ length: t }, (_, i) => i).sort((i, j) => scores[b * t + j]! - scores[b * t + i]!);
    for (const i of order.slice(0, k)) hard[b * t + i] = 1;
  }
  return hard;
}

describe('train', () => {
  it('a short run lowers the loss and reaches hard accuracy far above chance, without leaking tensors', async () => {
    await loadBackend('wasm');
    const before = tf.memory().numTensors;
    const evals: Metrics[] = [];
    const tensorsAtProgress: number[] = [];
    const result = await train(small({ steps: 300, evalEvery: 100, evalSize: 512 }), {
      backend: 'wasm',
      onEvent: (e) => {
        if (e.type === 'eval') evals.push(e.metrics);
        if (e.type === 'progress') tensorsAtProgress.push(tf.memory().numTensors);
      },
    });
    expect(result.backend).toBe('wasm');
    expect(evals).toHaveLength(3);
    // Chance levels on this held-out set: uniform logits' loss, a random label, a random pick of 3 tokens.
    const held = majorityTask(small()).batch(Rng.stream(EVAL_SEED, 'evalData'), 512);
    const randomScores = Float32Array.from({ length: held.relevant.length }, () => Math.random());
    const chance = explanationMetrics(randomScores, randomTopK(randomScores, 9, 3), held.relevant, 512, new Rng(5));
    expect(evals[0]!.loss).toBeLessThan(Math.log(9)); // below the loss of uniform logits over the 9 labels that occur
    expect(evals[2]!.loss).toBeLessThan(evals[0]!.loss * 0.7);
    expect(result.metrics).toEqual(evals[2]);
    expect(result.metrics.hard_acc).toBeGreaterThan(3 / 9); // 3 times chance (1/9)
    expect(result.metrics.precision).toBeGreaterThan(chance.precision + 0.1); // chance ≈ 0.6: 5+ of 9 tokens are the label
    expect(result.metrics.median_rank).toBeLessThan(chance.median_rank - 0.5);
    expect(result.metrics.gap).toBeCloseTo(result.metrics.soft_acc - result.metrics.hard_acc, 12);
    expect(result.metrics.mask_sum).toBeGreaterThan(1.5);
    expect(result.metrics.mask_sum).toBeLessThanOrEqual(3.0001);
    expect(new Set(tensorsAtProgress).size).toBe(1); // flat across steps
    expect(tf.memory().numTensors).toBe(before);
    expect(result.steps).toBe(300);
    expect(result.msPerStep).toBeCloseTo(result.trainMs / 300, 9);
  }, 300_000); // 30 s alone; minutes while the webgpu tests keep both cores busy with lavapipe

  it('L2X on xor: the explainer ranks the two true features far above what chance gives, without leaking tensors', async () => {
    await loadBackend('wasm');
    const before = tf.memory().numTensors;
    const tensorsAtProgress: number[] = [];
    const settings = parseSettings({ task: 'xor', batchSize: 200, steps: 150, evalEvery: 150, evalSize: 1000 });
    const result = await train(settings, { backend: 'wasm', onEvent: (e) => e.type === 'progress' && tensorsAtProgress.push(tf.memory().numTensors) });
    const held = syntheticTask('xor').batch(Rng.stream(EVAL_SEED, 'evalData'), 1000);
    const randomScores = Float32Array.from({ length: held.relevant.length }, () => Math.random());
    const chance = explanationMetrics(randomScores, randomTopK(randomScores, 10, 2), held.relevant, 1000, new Rng(5)); // median rank ≈ 5.5, TPR ≈ 0.2
    const optimum = (2 + 1) / 2;
    expect(result.metrics.median_rank).toBeLessThan(optimum + (chance.median_rank - optimum) / 4);
    expect(result.metrics.tpr).toBeGreaterThan(chance.tpr + 0.5);
    expect(result.metrics.fdr).toBeLessThan(chance.fdr - 0.5);
    expect(new Set(tensorsAtProgress).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('is deterministic: the same seed on the same backend gives identical metrics; another seed does not', async () => {
    const run = async (seed: number) => {
      const evals: Metrics[] = [];
      await train(small({ steps: 30, evalEvery: 15, seed }), { backend: 'wasm', onEvent: (e) => e.type === 'eval' && evals.push(e.metrics) });
      return evals;
    };
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect(await run(4)).not.toEqual(a);
  }, 60_000);

  it('every variant trains: samplers, approximators, attention across the batch, schedules, auxiliary loss', async () => {
    const variants = [
      { sampler: 'straight-through', approximator: 'masked' },
      { sampler: 'relaxed-topk', attention: 'batch', auxWeight: 0.5 },
      { anneal: 'linear', tau: 0.3, approximator: 'masked', attention: 'batch' },
      { anneal: 'cosine', tau: 1, layers: 2, k: 2 },
    ];
    for (const variant of variants) {
      const events: TrainEvent[] = [];
      const result = await train(small({ steps: 20, evalEvery: 10, evalSize: 64, batchSize: 32, ...variant }), { backend: 'wasm', onEvent: (e) => events.push(e) });
      for (const value of Object.values(result.metrics)) expect(Number.isFinite(value), JSON.stringify(variant)).toBe(true);
      expect(events.map((e) => e.type)).toEqual(['start', 'progress', 'eval', 'progress', 'eval']);
      if ('anneal' in variant) {
        const taus = events.flatMap((e) => (e.type === 'eval' ? [e.tau] : []));
        expect(taus[1]).toBeCloseTo(0.1, 9); // annealed down to tauMin at the last step
      }
    }
  }, 60_000);

  it('a loss that becomes NaN or infinite throws NonFiniteLossError naming the step', async () => {
    const error = await train(small({ steps: 20, evalEvery: 10, auxWeight: 1e39 }) /* Infinity in float32 */, { backend: 'wasm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).message).toMatch(/at step \d+/);
    expect((error as NonFiniteLossError).step).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('stops between steps when aborted, with an AbortError, and frees its tensors', async () => {
    await loadBackend('wasm');
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let progress = 0;
    const error = await train(small({ steps: 1000 }), {
      backend: 'wasm',
      signal: controller.signal,
      onEvent: (e) => e.type === 'progress' && ++progress === 2 && controller.abort(),
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect((error as Error).message).toMatch(/after step 20/);
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  it('lets the event loop run while it trains, even when every progress step is an evaluation: an abort sent by a timer (or a message) lands', async () => {
    // A worker hears its parent's "stop" only between event-loop turns; on wasm, evaluations await nothing but promises.
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await train(small({ steps: 3000, evalEvery: 10, evalSize: 128 }), { backend: 'wasm', signal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
  }, 120_000);

  it('settings that are wrong at run time are a UserError naming the setting, before any training', async () => {
    const events: TrainEvent[] = [];
    const error = await train({ ...small(), k: 9 }, { backend: 'wasm', onEvent: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/`k`.*9/);
    expect(events).toHaveLength(0);
  });

  // What is installed decides what to expect: the optional backends install on some machines and not others.
  for (const [backend, pkg] of [['tensorflow', '@tensorflow/tfjs-node'], ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu']] as const) {
    it(`${backend}: starts where ${pkg} is installed and works; elsewhere a one-line UserError naming the package, never a fallback`, async () => {
      const result = await loadBackend(backend).catch((e: unknown) => e);
      if (!installed(pkg)) {
        expect(result).toBeInstanceOf(UserError);
        expect((result as Error).message).toContain(pkg);
        expect((result as Error).message).toMatch(/npm install/);
        expect((result as Error).message.split('\n')).toHaveLength(1);
        return;
      }
      // Installed: it runs (on tensorflow-gpu only when libtensorflow sees a GPU), or says in one line why not.
      if (result instanceof Error) {
        expect(result).toBeInstanceOf(UserError);
        expect(result.message.split('\n')).toHaveLength(1);
        if (backend === 'tensorflow-gpu') expect(result.message).toMatch(/no GPU|CUDA|cuDNN|already loaded/);
      } else expect((result as { backend: string }).backend).toBe(backend);
      await loadBackend('wasm');
    });
  }

  it('auto never picks a software WebGPU adapter, and says why it passed over each backend before the one it chose', async () => {
    const { adapters } = await webgpuStatus();
    const loaded = await loadBackend('auto');
    const hardware = adapters.some((a) => !a.software);
    if (!hardware) expect(loaded.backend).not.toBe('webgpu');
    const order = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
    expect(loaded.skipped.map((line) => line.split(':')[0])).toEqual(order.slice(0, order.indexOf(loaded.backend)));
    if (!hardware && adapters.length > 0) expect(loaded.skipped.find((l) => l.startsWith('webgpu:'))).toMatch(/software.*--backend webgpu/);
    await loadBackend('wasm');
  }, 60_000);
});
