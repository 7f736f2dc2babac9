/**
 * The model's building blocks that carry the weight of a step, each with a hand-written gradient.
 *
 * Tensors carry a leading trial axis P (P = 1 for a single trial; P > 1 when trials are packed). Why custom:
 * - On wasm, XNNPACK's fast path takes only 2-D, untransposed products. TensorFlow.js's own matMul gradient
 *   uses transposed operands and a batched product falls off the fast path (≈8× slower), so here every
 *   product is one 2-D product per trial (products.ts: the native kernel when loaded, which reads transposed
 *   operands itself; else XNNPACK with explicit transposes of the smaller operand).
 * - Bias and ReLU are fused into the product; bias gradients are `ones @ dz` (a product: ~15× faster than a
 *   column `tf.sum` on wasm).
 * - On the native TensorFlow backends and WebGPU (where a batched product is fast and small models are bound by
 *   per-dispatch overhead) the trials' products become one batched product instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { splitColumns, stack } from './kernels.ts';
import { matMul } from './products.ts';

type Activation = 'linear' | 'relu';

let forcedProducts: 'per-trial' | 'batched' | null = null;

/** Overrides the choice below (tests exercise the batched path on the cpu backend). null = automatic. */
export function forceProducts(mode: 'per-trial' | 'batched' | null): void {
  forcedProducts = mode;
}

/** One 2-D product per trial (wasm, cpu) or one batched product for the pack (native TensorFlow, WebGPU). */
export function productsPerTrial(): boolean {
  if (forcedProducts) return forcedProducts === 'per-trial';
  const backend = tf.getBackend();
  return backend !== 'tensorflow' && backend !== 'webgpu';
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** [P, ...rest] → P tensors [...rest]; a reshape when P = 1, one in-heap copy kernel otherwise. */
export function unstackTrials(x: Tensor): Tensor[] {
  const [trials, ...rest] = x.shape as [number, ...number[]];
  if (trials === 1) return [tf.reshape(x, rest)];
  const n = size(rest);
  return splitColumns(tf.reshape(x, [1, trials * n]), new Array<number>(trials).fill(n), new Array<number[]>(trials).fill(rest));
}

/** P tensors [...rest] → [P, ...rest]. */
export function stackTrials(xs: Tensor[]): Tensor {
  return stack(xs);
}

const held: Tensor[] = [];

/**
 * Runs `f` with a hand-written gradient (tf.customGrad with a typed, array-shaped signature).
 *
 * Tensors the gradient needs are passed to `save`, which keeps them until releaseHeld() (the trainer calls it
 * after every step and evaluation chunk) instead of TensorFlow.js's own save: that one clones each tensor, and a
 * clone on wasm is a copy (the [M, F] hidden layer at ff 2048 is 9 MB).
 */
export function withGradient(
  inputs: Tensor[],
  f: (inputs: Tensor[], save: (tensors: Tensor[]) => void) => { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor[] },
): Tensor {
  let saved: Tensor[] = [];
  const save = (tensors: Tensor[]) => {
    saved = tensors.map((t) => tf.keep(t));
    held.push(...saved);
  };
  const op = tf.customGrad(((...args: unknown[]) => {
    args.pop(); // TensorFlow.js's save function (see above)
    const { value, gradFunc } = f(args as Tensor[], save);
    return { value, gradFunc: (dy: Tensor) => gradFunc(dy, saved) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs);
}

/** Disposes what custom gradients kept for the backward pass (after each step or evaluation chunk). */
export function releaseHeld(): void {
  tf.dispose(held.splice(0));
}

/** Column sums of a 2-D tensor as a product: ones[1, M] @ x → [N]. */
function columnSum(x: Tensor): Tensor {
  const [rows, cols] = x.shape as [number, number];
  return tf.reshape(matMul(tf.ones([1, rows]), x), [cols]);
}

/** Per-trial list of products (+ bias, activation): x_p [M, K] @ w_p [K, N]. */
function products(xs: Tensor[], ws: Tensor[], bs: Tensor[] | null, activation: Activation): Tensor[] {
  return xs.map((x, p) => matMul(x, ws[p]!, { bias: bs?.[p], activation }));
}

/** A parameter: stacked over the trials [P, ...shape], or one tensor per trial (how products take them on wasm). */
export type Weight = Tensor | Tensor[];

export function trialList(w: Weight): Tensor[] {
  return Array.isArray(w) ? w : unstackTrials(w);
}

export function stacked(w: Weight): Tensor {
  return Array.isArray(w) ? stackTrials(w) : w;
}

/**
 * y = act(x @ w + b): x [P, M, K], w [P, K, N], b [P, N] → [P, M, N].
 * With `constantInput` no gradient is computed for x (the embedding's one-hot input).
 */
export function linear(x: Tensor, w: Weight, b: Weight | null, activation: Activation = 'linear', constantInput = false): Tensor {
  if (!productsPerTrial()) return linearBatched(x, stacked(w), b ? stacked(b) : null, activation, constantInput);
  const ws = trialList(w);
  const bs = b ? trialList(b) : null;
  const trials = ws.length;
  const xShape = x.shape;
  // Only tensors passed to save() outlive the forward pass (TensorFlow.js disposes the rest before backward).
  return withGradient([x, ...ws, ...(bs ?? [])], ([x], save) => {
    const xs = unstackTrials(x!);
    const ys = products(xs, ws, bs, activation); // [M, N] each
    save([...xs, ...ys, ...ws]);
    return {
      value: stackTrials(ys),
      gradFunc: (dy, saved) => {
        const xs = saved.slice(0, trials), ys = saved.slice(trials, 2 * trials), ws = saved.slice(2 * trials);
        const dys = unstackTrials(dy);
        const dz = activation === 'relu' ? dys.map((d, p) => tf.mul(d, tf.step(ys[p]!))) : dys; // relu'(z) = step(relu(z))
        const dx = constantInput ? tf.zeros(xShape) : stackTrials(dz.map((d, p) => matMul(d, ws[p]!, { transposeB: true }))); // [M, K]
        const dw = dz.map((d, p) => matMul(xs[p]!, d, { transposeA: true })); // [K, N]
        return [dx, ...dw, ...(bs ? dz.map(columnSum) : [])];
      },
    };
  });
}

/** linear() as one batched product for the pack (native TensorFlow backends). */
function linearBatched(x: Tensor, w: Tensor, b: Tensor | null, activation: Activation, constantInput: boolean): Tensor {
  const trials = x.shape[0]!;
  return withGradient(b ? [x, w, b] : [x, w], ([x, w, b], save) => {
    const bias = b ? tf.reshape(b, [trials, 1, b.shape[1]!]) : undefined;
    const y = tf.fused.matMul({ a: x as tf.Tensor3D, b: w as tf.Tensor3D, bias, activation });
    save([x!, w!, y]);
    return {
      value: y,
      gradFunc: (dy, [x, w, y]) => {
        const dz = activation === 'relu' ? tf.mul(dy, tf.step(y!)) : dy;
        const dx = constantInput ? tf.zerosLike(x!) : tf.matMul(dz, w!, false, true);
        const dw = tf.matMul(x!, dz, true, false);
        return b ? [dx, dw, tf.sum(dz, 1)] : [dx, dw];
      },
    };
  });
}

/**
 * The encoder layer's feed-forward block with dropout in the middle, as PyTorch's TransformerEncoderLayer:
 * y = dropout(relu(x @ w1 + b1)) @ w2 + b2. x [P, M, D], w1 [P, D, F], b1 [P, F], w2 [P, F, D], b2 [P, D].
 * `keep` [P, M, F] is a 0/1 keep-mask (null in eval); the 1/(1 − p) scale is folded into w2 (D·F numbers
 * instead of M·F). Backward needs one elementwise pass over [M, F] for the mask and ReLU together:
 * h = relu(z)·keep > 0 exactly where both let the gradient through.
 */
export function feedForward(x: Tensor, w1: Weight, b1: Weight, w2: Weight, b2: Weight, keep: Tensor | null, scale: number): Tensor {
  if (!productsPerTrial()) return feedForwardBatched(x, stacked(w1), stacked(b1), stacked(w2), stacked(b2), keep, scale);
  const [w1s, b1s, w2s, b2s] = [w1, b1, w2, b2].map(trialList) as [Tensor[], Tensor[], Tensor[], Tensor[]];
  const trials = w1s.length;
  return withGradient([x, ...w1s, ...b1s, ...w2s, ...b2s], ([x], save) => {
    const xs = unstackTrials(x!);
    const scaled = w2s.map((w) => (scale === 1 ? w : tf.mul(w, scale)));
    const keeps = keep ? unstackTrials(keep) : null;
    const hs = products(xs, w1s, b1s, 'relu').map((z, p) => (keeps ? tf.mul(z, keeps[p]!) : z)); // [M, F], dropout
    const ys = products(hs, scaled, b2s, 'linear'); // [M, D]
    save([...xs, ...scaled, ...hs, ...w1s]);
    return {
      value: stackTrials(ys),
      gradFunc: (dy, saved) => {
        const [xs, scaled, hs, w1s] = [0, 1, 2, 3].map((i) => saved.slice(i * trials, (i + 1) * trials)) as [Tensor[], Tensor[], Tensor[], Tensor[]];
        const dys = unstackTrials(dy);
        const dz = dys.map((d, p) => tf.mul(matMul(d, scaled[p]!, { transposeB: true }), tf.step(hs[p]!))); // [M, F]
        return [
          stackTrials(dz.map((d, p) => matMul(d, w1s[p]!, { transposeB: true }))), // dx [M, D]
          ...dz.map((d, p) => matMul(xs[p]!, d, { transposeA: true })), // dw1 [D, F]
          ...dz.map(columnSum), // db1 [F]
          ...dys.map((d, p) => tf.mul(matMul(hs[p]!, d, { transposeA: true }), scale)), // dw2 [F, D]
          ...dys.map(columnSum), // db2 [D]
        ];
      },
    };
  });
}

/** feedForward() with batched products (native TensorFlow backends). */
function feedForwardBatched(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, keep: Tensor | null, scale: number): Tensor {
  return withGradient([x, w1, b1, w2, b2], ([x, w1, b1, w2, b2], save) => {
    const trials = x!.shape[0]!;
    const w2s = scale === 1 ? w2! : tf.mul(w2!, scale);
    const z = tf.fused.matMul({ a: x as tf.Tensor3D, b: w1 as tf.Tensor3D, bias: tf.reshape(b1!, [trials, 1, -1]), activation: 'relu' });
    const h = keep ? tf.mul(z, keep) : z;
    const y = tf.fused.matMul({ a: h as tf.Tensor3D, b: w2s as tf.Tensor3D, bias: tf.reshape(b2!, [trials, 1, -1]) });
    save([x!, w1!, w2s, h]);
    return {
      value: y,
      gradFunc: (dy, [x, w1, w2s, h]) => {
        const dz = tf.mul(tf.matMul(dy, w2s!, false, true), tf.step(h!));
        return [tf.matMul(dz, w1!, false, true), tf.matMul(x!, dz, true, false), tf.sum(dz, 1), tf.mul(tf.matMul(h!, dy, true, false), scale), tf.sum(dy, 1)];
      },
    };
  });
}

/** Sums over the middle axis: x [P, M, D] → [P, D], as products (ones @ x). */
function sumRows(x: Tensor): Tensor {
  const [trials, rows, cols] = x.shape as [number, number, number];
  if (trials === 1) return tf.reshape(columnSum(tf.reshape(x, [rows, cols])), [1, cols]);
  return tf.reshape(tf.matMul(tf.ones([trials, 1, rows]), x), [trials, cols]);
}

/** LayerNorm over the last axis (PyTorch's eps 1e-5): x [P, M, D], gain and bias [P, D]. */
export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  return withGradient([x, gain, bias], ([x, gain, bias], save) => {
    const [trials, , dim] = x!.shape as [number, number, number];
    const g = tf.reshape(gain!, [trials, 1, dim]);
    const centred = tf.sub(x!, tf.mean(x!, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)); // [P, M, 1]
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), tf.reshape(bias!, [trials, 1, dim])),
      gradFunc: (dy, [xhat, rstd, g]) => {
        const dxhat = tf.mul(dy, g!);
        const dx = tf.mul(rstd!, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat!, tf.mean(tf.mul(dxhat, xhat!), -1, true))));
        return [dx, sumRows(tf.mul(dy, xhat!)), sumRows(dy)];
      },
    };
  });
}

/** One-hot as float32. (wasm's OneHot kernel writes integer bits even when asked for float32: cast instead.) */
export function oneHot(indices: Tensor, depth: number): Tensor {
  return tf.cast(tf.oneHot(indices, depth), 'float32');
}
