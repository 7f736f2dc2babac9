/**
 * The native product kernel under the wasm backend: its products equal the cpu backend's, its gradients
 * TensorFlow.js's own, a training run the plain-wasm run, and 1,000 steps leak neither tensors nor heap.
 * (Without a compiler the kernel is not built: these are skipped, and kernel-fallback.test.ts covers that case.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nativeKernels } from '@l2x/native-kernels';
import { loadBackend } from '../src/backend.ts';
import { parseSettings, METRIC_NAMES, type Metrics } from '../src/config.ts';
import { feedForward, linear, releaseHeld } from '../src/ops.ts';
import { matMul, NATIVE_MATMUL, setNativeMinMacs, useKernels } from '../src/products.ts';
import { trainPack } from '../src/train.ts';
import { expectClose } from './helpers.ts';

const native = nativeKernels();

/** A product's inputs as arrays, so the same numbers go to both backends. */
interface Case {
  a: { values: Float32Array; shape: [number, number] };
  b: { values: Float32Array; shape: [number, number] };
  bias: Float32Array | null;
  transposeA: boolean;
  transposeB: boolean;
  activation: 'linear' | 'relu';
}

function randomArray(n: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal([n], 0, 1, 'float32', seed).dataSync() as Float32Array);
}

function cases(): Case[] {
  const shapes: [number, number, number][] = [[1, 1, 1], [1, 64, 33], [64, 1, 33], [1152, 1, 32], [7, 300, 13], [33, 17, 129], [128, 2048, 32], [96, 32, 2048]];
  const out: Case[] = [];
  let seed = 1;
  for (const [m, n, k] of shapes)
    for (const transposeA of [false, true])
      for (const transposeB of [false, true]) {
        const withBias = (m + n + Number(transposeA)) % 2 === 0;
        out.push({
          a: { values: randomArray(m * k, seed++), shape: transposeA ? [k, m] : [m, k] },
          b: { values: randomArray(k * n, seed++), shape: transposeB ? [n, k] : [k, n] },
          bias: withBias ? randomArray(n, seed++) : null,
          transposeA,
          transposeB,
          activation: seed % 3 === 0 ? 'relu' : 'linear',
        });
      }
  return out;
}

function product(c: Case): Tensor {
  return tf.tidy(() =>
    matMul(tf.tensor2d(c.a.values, c.a.shape), tf.tensor2d(c.b.values, c.b.shape), {
      transposeA: c.transposeA,
      transposeB: c.transposeB,
      bias: c.bias ? tf.tensor1d(c.bias) : null,
      activation: c.activation,
    }),
  );
}

describe.skipIf(!native)('native products on wasm', () => {
  beforeAll(async () => {
    await loadBackend('wasm');
    expect(useKernels('native')).toMatch(/^wasm\+native (avx512|avx2|neon|portable)$/);
    setNativeMinMacs(0); // every product, however small, goes to the native kernel
  });
  afterEach(() => releaseHeld());
  afterAll(() => setNativeMinMacs(null));

  it('products equal the cpu backend’s on random shapes: odd sizes, 1×N, N×1, each transpose, bias and ReLU', async () => {
    const all = cases();
    await loadBackend('cpu');
    const expected = all.map((c) => {
      const t = product(c);
      const out = { values: t.dataSync().slice(), shape: t.shape };
      t.dispose();
      return out;
    });
    await loadBackend('wasm');
    useKernels('native');
    all.forEach((c, i) => {
      const t = product(c);
      expect(t.shape).toEqual(expected[i]!.shape);
      expectClose(t, tf.tensor(expected[i]!.values, expected[i]!.shape), 2e-5);
      t.dispose();
    });
  }, 120_000);

  it('runs as the native kernel under --kernels native, and on wasm’s own under --kernels wasm', async () => {
    const a = tf.randomNormal([5, 7], 0, 1, 'float32', 1);
    const b = tf.randomNormal([7, 3], 0, 1, 'float32', 2);
    const kernelsOf = async () => (await tf.profile(() => matMul(a, b).dispose())).kernels.map((k) => k.name);
    expect(await kernelsOf()).toEqual([NATIVE_MATMUL]);
    useKernels('wasm');
    expect(await kernelsOf()).not.toContain(NATIVE_MATMUL);
    useKernels('native');
    tf.dispose([a, b]);
  });

  it('packed trials: linear and the feed-forward block equal the cpu backend’s, values and gradients', async () => {
    const shapes = [[3, 50, 9], [3, 9, 20], [3, 20], [3, 20, 9], [3, 9]];
    const inputs = shapes.map((s, i) => randomArray(s.reduce((x, y) => x * y, 1), 40 + i));
    const keep = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([3, 50, 20], 0, 1, 'float32', 4), 0.3), 'float32').dataSync().slice());
    const run = () =>
      tf.tidy(() => {
        const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]!));
        const k = tf.tensor(keep, [3, 50, 20]);
        const probe = tf.randomNormal([3, 50, 9], 0, 1, 'float32', 9);
        const f = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
          tf.sum(tf.mul(tf.add(feedForward(x, w1, b1, w2, b2, k, 1 / 0.7), linear(x, tf.slice(w2, [0, 0, 0], [3, 9, 9]), b2, 'relu')), probe));
        const { value, grads } = tf.valueAndGrads(f as (...xs: Tensor[]) => Tensor)(xs);
        const out = [value, ...grads].map((t) => ({ values: t.dataSync().slice(), shape: t.shape }));
        releaseHeld();
        return out;
      });
    await loadBackend('cpu');
    const expected = run();
    await loadBackend('wasm');
    useKernels('native');
    const got = run();
    got.forEach((g, i) => expectClose(tf.tensor(g.values, g.shape), tf.tensor(expected[i]!.values, expected[i]!.shape), 1e-4));
  });

  it('the kernel’s own gradient (when taped directly) equals TensorFlow.js’s for every transpose, with bias and ReLU', () => {
    for (const transposeA of [false, true])
      for (const transposeB of [false, true])
        tf.tidy(() => {
          const a = tf.randomNormal(transposeA ? [6, 5] : [5, 6], 0, 1, 'float32', 1);
          const b = tf.randomNormal(transposeB ? [4, 6] : [6, 4], 0, 1, 'float32', 2);
          const bias = tf.randomNormal([4], 0, 1, 'float32', 3);
          const probe = tf.randomNormal([5, 4], 0, 1, 'float32', 4);
          const ours = tf.grads((x: Tensor, y: Tensor, z: Tensor) => tf.sum(tf.mul(matMul(x, y, { transposeA, transposeB, bias: z, activation: 'relu' }), probe)))([a, b, bias]);
          const theirs = tf.grads((x: Tensor, y: Tensor, z: Tensor) => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(x, y, transposeA, transposeB), z)), probe)))([a, b, bias]);
          ours.forEach((g, i) => expectClose(g, theirs[i]!, 1e-5));
        });
  });

  it('a short training run gives the plain-wasm run’s metrics (within float32 rounding: 1e-3 on the loss, 2/evalSize on rates)', async () => {
    setNativeMinMacs(null);
    const settings = parseSettings({ ff: 256, batchSize: 64, steps: 40, evalEvery: 20, evalSize: 512, seed: 5 });
    const run = async (kernels: 'wasm' | 'native') => {
      const curve: Metrics[] = [];
      const [outcome] = await trainPack([settings], { backend: 'wasm', kernels, onEvent: (e) => e.type === 'eval' && curve.push(e.metrics) });
      expect(outcome!.ok).toBe(true);
      return { curve, kernels: outcome!.ok ? outcome!.result.kernels : '' };
    };
    const plain = await run('wasm');
    const fast = await run('native');
    expect(plain.kernels).toBe('wasm');
    expect(fast.kernels).toBe(`wasm+native ${native!.isa()}`);
    expect(fast.curve).toHaveLength(plain.curve.length);
    fast.curve.forEach((m, i) => {
      for (const name of METRIC_NAMES) {
        const tolerance = name === 'loss' || name === 'mask_sum' ? 1e-3 * Math.max(1, Math.abs(plain.curve[i]![name])) : 2 / 512;
        expect(Math.abs(m[name] - plain.curve[i]![name]), `${name} at eval ${i}`).toBeLessThanOrEqual(tolerance);
      }
    });
    setNativeMinMacs(0);
  }, 120_000);

  it('1,000 steps of forward and backward leak no tensor and no WebAssembly heap', () => {
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
    const w1 = tf.variable(tf.randomNormal([1, 16, 64], 0, 0.3, 'float32', 1));
    const b1 = tf.variable(tf.zeros([1, 64]));
    const w2 = tf.variable(tf.randomNormal([1, 64, 16], 0, 0.3, 'float32', 2));
    const b2 = tf.variable(tf.zeros([1, 16]));
    const x = tf.randomNormal([1, 96, 16], 0, 1, 'float32', 3);
    const step = () => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(feedForward(x, w1, b1, w2, b2, null, 1))) as tf.Scalar, [w1, b1, w2, b2]);
        for (const [name, g] of Object.entries(grads)) {
          const v = [w1, b1, w2, b2].find((w) => w.name === name)!;
          v.assign(tf.sub(v, tf.mul(g, 1e-4)));
        }
      });
      releaseHeld();
    };
    for (let i = 0; i < 50; i++) step(); // warm up: the heap reaches its working size
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const heapBytes = heap();
    for (let i = 0; i < 1000; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect(heap()).toBe(heapBytes);
    tf.dispose([w1, b1, w2, b2, x]);
  }, 120_000);
});
