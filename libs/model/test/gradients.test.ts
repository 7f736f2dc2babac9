/** Each hand-written gradient agrees with TensorFlow.js's own gradient of the same computation. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nativeKernels } from '@l2x/native-kernels';
import { loadBackend } from '../src/backend.ts';
import { useKernels } from '../src/products.ts';
import { splitColumns } from '../src/kernels.ts';
import { feedForward, forceProducts, layerNorm, linear, releaseHeld, unstackTrials } from '../src/ops.ts';
import { stack } from '../src/kernels.ts';
import { straightThrough, gumbelMax } from '../src/model.ts';
import { DeferredChecks } from './helpers.ts';
import { webgpuForTests } from '../src/webgpu.ts';

const checks = new DeferredChecks();
const expectClose = checks.close.bind(checks);

function compareGradients(custom: (...xs: Tensor[]) => Tensor, reference: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tolerance = 1e-4) {
  tf.tidy(() => {
    // A random projection of the output makes every output element matter.
    const probe = tf.randomNormal(custom(...inputs).shape, 0, 1, 'float32', 7);
    const loss = (f: (...xs: Tensor[]) => Tensor) => (...xs: Tensor[]) => tf.sum(tf.mul(f(...xs), probe));
    const ours = tf.valueAndGrads(loss(custom))(inputs);
    const theirs = tf.valueAndGrads(loss(reference))(inputs);
    expectClose(ours.value, theirs.value, tolerance);
    ours.grads.forEach((g, i) => expectClose(g, theirs.grads[i]!, tolerance));
  });
}

const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const bias3 = (b: Tensor) => tf.reshape(b, [b.shape[0]!, 1, b.shape[1]!]);

// The batched variant is what the native TensorFlow backends and webgpu run; it is exercised here on cpu, and on
// webgpu where an adapter exists (webgpuForTests in src/webgpu.ts says why it skips otherwise). On wasm, with
// TensorFlow.js's own product kernels and with the native kernel (when it is built).
const webgpu = (await webgpuForTests()) ? ([['webgpu', 'batched', 'auto']] as const) : [];
const configurations = [
  ['wasm', 'per-trial', 'wasm'],
  ['wasm', 'per-trial', 'native'],
  ['cpu', 'per-trial', 'auto'],
  ['cpu', 'batched', 'auto'],
  ...webgpu,
] as const;
for (const [backend, products, kernels] of configurations) {
  // webgpu compiles a shader the first time each kernel runs (seconds each on lavapipe).
  const timeout = backend === 'webgpu' ? 120_000 : 5_000;
  describe.skipIf(kernels === 'native' && !nativeKernels())(`custom gradients on ${backend}, ${products} products, ${kernels} kernels`, { timeout }, () => {
    beforeAll(async () => {
      await loadBackend(backend);
      useKernels(kernels);
    });
    beforeEach(() => forceProducts(products));
    afterEach(async () => {
      forceProducts(null);
      await checks.run();
      releaseHeld();
    });

    for (const trials of [1, 3]) {
      it(`linear with bias and ReLU, ${trials} trial(s), both shapes of the weight`, () => {
        for (const [k, n] of [[8, 24], [24, 8]] as const) {
          const inputs = [random([trials, 10, k], 1), random([trials, k, n], 2), random([trials, n], 3)];
          compareGradients(
            (x, w, b) => linear(x!, w!, b!, 'relu'),
            (x, w, b) => tf.relu(tf.add(tf.matMul(x!, w!), bias3(b!))),
            inputs,
          );
          compareGradients((x, w) => linear(x!, w!, null), (x, w) => tf.matMul(x!, w!), inputs.slice(0, 2));
        }
      });

      it(`feed-forward block with dropout mask and scale, ${trials} trial(s)`, () => {
        const keep = tf.cast(tf.greater(tf.randomUniform([trials, 10, 16], 0, 1, 'float32', 4), 0.3), 'float32');
        const inputs = [random([trials, 10, 6], 5), random([trials, 6, 16], 6), random([trials, 16], 7), random([trials, 16, 6], 8), random([trials, 6], 9)];
        compareGradients(
          (x, w1, b1, w2, b2) => feedForward(x!, w1!, b1!, w2!, b2!, keep, 1 / 0.7),
          (x, w1, b1, w2, b2) => tf.add(tf.matMul(tf.mul(tf.relu(tf.add(tf.matMul(x!, w1!), bias3(b1!))), keep), tf.mul(w2!, 1 / 0.7)), bias3(b2!)),
          inputs,
        );
        compareGradients(
          (x, w1, b1, w2, b2) => feedForward(x!, w1!, b1!, w2!, b2!, null, 1),
          (x, w1, b1, w2, b2) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x!, w1!), bias3(b1!))), w2!), bias3(b2!)),
          inputs,
        );
      });

      it(`layer norm, ${trials} trial(s)`, () => {
        const inputs = [random([trials, 12, 8], 10), random([trials, 8], 11), random([trials, 8], 12)];
        compareGradients(
          (x, g, b) => layerNorm(x!, g!, b!),
          (x, g, b) => {
            const { mean, variance } = tf.moments(x!, -1, true);
            return tf.add(tf.mul(tf.div(tf.sub(x!, mean), tf.sqrt(tf.add(variance, 1e-5))), bias3(g!)), bias3(b!));
          },
          inputs,
          2e-4,
        );
      });
    }

    it('column split and trial unstacking (values and gradient)', () => {
      tf.tidy(() => {
        const x = random([3, 10], 13);
        const parts = splitColumns(x, [2, 5, 3]);
        expectClose(parts[1]!, tf.slice(x, [0, 2], [3, 5]), 1e-7);
        const weights = [1, 2, 3].map((s) => random([3, [2, 5, 3][s - 1]!], 20 + s));
        compareGradients(
          (t) => tf.addN(splitColumns(t!, [2, 5, 3]).map((p, i) => tf.sum(tf.mul(p, weights[i]!)))),
          (t) => tf.addN(tf.split(t!, [2, 5, 3], 1).map((p, i) => tf.sum(tf.mul(p, weights[i]!)))),
          [x],
        );
        const stacked = random([3, 4, 5], 14);
        unstackTrials(stacked).forEach((t, p) => expectClose(t, tf.squeeze(tf.slice(stacked, [p, 0, 0], [1, 4, 5]), [0]), 1e-7));
        const probe = random([3, 4, 5], 15);
        compareGradients(
          (a, b, c) => tf.mul(stack([a!, b!, c!]), probe),
          (a, b, c) => tf.mul(tf.stack([a!, b!, c!]), probe),
          [0, 1, 2].map((i) => random([4, 5], 30 + i)),
        );
      });
    });

    it('straight-through: the forward pass is hard, the gradient is the relaxed sample’s and not zero', () => {
      tf.tidy(() => {
        const logp = tf.logSoftmax(random([1, 6, 9], 15));
        const noise = random([3, 1, 6, 9], 16); // [K, P, B, T]
        const tau = tf.fill([1, 1, 1, 1], 0.5);
        const kMask = tf.ones([1, 1, 3, 1]);
        const probe = random([1, 6, 9], 17);
        const hard = straightThrough(logp, noise, tau, kMask);
        checks.later([hard, tf.sum(hard, -1)], ([values, sums]) => {
          expect(Array.from(values!).every((v) => v === 0 || v === 1)).toBe(true);
          expect(Array.from(sums!)).toEqual(new Array(6).fill(3));
        });
        const g = tf.grad((l: Tensor) => tf.sum(tf.mul(straightThrough(l, noise, tau, kMask), probe)))(logp);
        const relaxed = tf.grad((l: Tensor) => tf.sum(tf.mul(gumbelMax(l, noise, tau, kMask), probe)))(logp);
        expectClose(g, relaxed, 1e-6);
        checks.later([tf.max(tf.abs(g))], ([largest]) => expect(largest![0]).toBeGreaterThan(1e-3));
      });
    });
  });
}
