/**
 * The model, top to bottom: parameters, embedding, attention, encoder layer, encoder, explainer E, samplers,
 * approximator Q, pooling and losses. A reading of the seed notebook in TensorFlow.js.
 *
 * Every tensor carries a leading trial axis P: P = 1 for one trial, P > 1 when trials of the same shapes are
 * packed (each trial has its own weights, data, noise, k and temperature). Shapes in the comments use
 * P trials, B batch, T tokens, N = B·T rows, D model width, H heads, F feed-forward width, C classes,
 * K the largest k of the pack.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Sampler } from './config.ts';
import { MLP, paramSpecs, type ModelSpec } from './params.ts';
import { feedForward, layerNorm, linear, oneHot, productsPerTrial, stacked, withGradient, type Weight } from './ops.ts';
import { splitColumns } from './kernels.ts';
import { uniformRows } from './device-random.ts';
import type { Rng } from './random.ts';

// ---------------------------------------------------------------------------------------------------------
// Shapes and parameters (params.ts, which loads no TensorFlow.js)

export { modelSpec, paramSpecs, paramCount, initialParams, l2Coefficients, MLP, type ModelSpec, type ParamSpec } from './params.ts';

/** Σ l2 · θ² per trial: theta [P, n], coefficients [1, n] → [P]. */
export function l2Penalty(theta: Tensor, coefficients: Tensor): Tensor {
  return tf.sum(tf.mul(tf.square(theta), coefficients), -1);
}

/** Named parameters: one tensor per trial where products take them one trial at a time, else stacked [P, ...]. */
export type Params = Record<string, Weight>;

/**
 * The flat parameter vector [P, n] → named parameters, in one in-heap copy kernel (its gradient is one concat).
 * With products per trial (wasm, cpu) each parameter is a list of P tensors [...shape]; otherwise [P, ...shape].
 */
export function unpackParams(m: ModelSpec, theta: Tensor): Params {
  const specs = paramSpecs(m);
  const [trials, n] = theta.shape as [number, number];
  const sizes = specs.map((p) => p.shape.reduce((a, b) => a * b, 1));
  if (!productsPerTrial()) {
    const pieces = splitColumns(theta, sizes, specs.map((p) => [trials, ...p.shape]));
    return Object.fromEntries(specs.map((p, i) => [p.name, pieces[i]!]));
  }
  const pieces = splitColumns(tf.reshape(theta, [1, trials * n]), new Array(trials).fill(sizes).flat(), new Array(trials).fill(specs.map((p) => p.shape)).flat());
  return Object.fromEntries(specs.map((p, i) => [p.name, Array.from({ length: trials }, (_, t) => pieces[t * specs.length + i]!)]));
}

// ---------------------------------------------------------------------------------------------------------
// The forward pass

/** What a forward pass needs besides parameters and data. */
export interface Context {
  spec: ModelSpec;
  trials: number;
  batch: number;
  /**
   * Dropout keep-masks [P, ...shape] (values 0 and 1/(1−p), or 0 and 1 when `scaled` is false); null = no
   * dropout. Trials with `draw[p]` false keep everything and draw nothing from their stream.
   */
  keep: ((shape: number[], scaled: boolean, draw?: boolean[]) => Tensor) | null;
  /** Batch normalisation (the MLP's Q): null where the model has none. */
  norm: BatchNormState | null;
}

/**
 * Training normalises by the batch's statistics and collects them (kept, [P, 1, W] mean and variance per layer)
 * for the moving averages; evaluation normalises by the moving averages `moving` [P, layers·2·W].
 */
export interface BatchNormState {
  moving: Tensor | null;
  collected: Tensor[];
}

/** Dropout on a tensor whose leading axis is the trials (or trials × something, trial-major). */
function dropout(x: Tensor, ctx: Context): Tensor {
  if (!ctx.keep) return x;
  return tf.reshape(tf.mul(tf.reshape(x, [ctx.trials, -1]), ctx.keep([x.size / ctx.trials], true)), x.shape);
}

/** Token ids → vectors. A one-hot product rather than tf.gather, whose gradient wasm lacks. */
export function embed(ids: Tensor, table: Weight, ctx: Context): Tensor {
  const { vocab } = ctx.spec;
  const rows = oneHot(tf.sub(tf.reshape(ids, [ctx.trials, -1]), tf.scalar(1, 'int32')), vocab - 1); // [P, N, V−1]; id 0 → zeros
  return linear(rows, table, null, 'linear', true); // [P, N, D]
}

/**
 * Heads out of the fused q|k|v projection: [P, N, 3D] → q, k, v [G·H, S, D/H]. Only 4-D transposes: on wasm
 * a 5-D or 6-D transpose takes a slow generic path (~10 ms here against ~0.14 ms).
 */
function splitHeads(qkv: Tensor, ctx: Context): [Tensor, Tensor, Tensor] {
  const { heads, dModel, attention, tokens } = ctx.spec;
  const dh = dModel / heads;
  // tokens: groups (P, B) attend over T; batch: groups (P, T) attend over B (the notebook's missing batch_first)
  const [groups, seq] = attention === 'tokens' ? [ctx.trials * ctx.batch, tokens] : [ctx.trials * tokens, ctx.batch];
  let x = tf.reshape(qkv, [ctx.trials, ctx.batch, tokens, 3 * dModel]);
  if (attention === 'batch') x = tf.transpose(x, [0, 2, 1, 3]); // [P, T, B, 3D]
  const t = tf.transpose(tf.reshape(x, [groups, seq, 3 * heads, dh]), [0, 2, 1, 3]); // [G, 3H, S, dh]
  const part = heads * seq * dh;
  const shape = [groups * heads, seq, dh];
  return splitColumns(tf.reshape(t, [groups, 3 * part]), [part, part, part], [shape, shape, shape]) as [Tensor, Tensor, Tensor];
}

/** [G·H, S, dh] → [P, N, D] */
function mergeHeads(y: Tensor, ctx: Context): Tensor {
  const { heads, dModel, attention, tokens } = ctx.spec;
  const seq = y.shape[1]!;
  const x = tf.transpose(tf.reshape(y, [-1, heads, seq, dModel / heads]), [0, 2, 1, 3]); // [G, S, H, dh]
  if (attention === 'tokens') return tf.reshape(x, [ctx.trials, -1, dModel]);
  const back = tf.transpose(tf.reshape(x, [ctx.trials, tokens, ctx.batch, dModel]), [0, 2, 1, 3]); // [P, B, T, D]
  return tf.reshape(back, [ctx.trials, -1, dModel]);
}

/**
 * Multi-head self-attention (nn.MultiheadAttention with dropout on the attention weights).
 * `keyBias` [P, B, T] is added to the scores of each key: log of Q's soft mask, so unselected tokens drop out.
 */
function selfAttention(x: Tensor, p: Params, prefix: string, ctx: Context, keyBias: Tensor | null): Tensor {
  const { heads, dModel, attention } = ctx.spec;
  const [q, k, v] = splitHeads(linear(x, p[`${prefix}.qkv.w`]!, p[`${prefix}.qkv.b`]!), ctx); // [G·H, S, dh]
  const seq = q.shape[1]!;
  let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dModel / heads)); // [G·H, S, S]
  if (keyBias) {
    const bias = attention === 'tokens' ? keyBias : tf.transpose(keyBias, [0, 2, 1]); // [P, G, S]
    scores = tf.add(tf.reshape(scores, [-1, heads, seq, seq]), tf.reshape(bias, [-1, 1, 1, seq]));
    scores = tf.reshape(scores, [-1, seq, seq]);
  }
  const weights = dropout(tf.softmax(scores), ctx); // [G·H, S, S]
  return linear(mergeHeads(tf.matMul(weights, v), ctx), p[`${prefix}.out.w`]!, p[`${prefix}.out.b`]!); // [P, N, D]
}

/** Post-LayerNorm encoder layer, as nn.TransformerEncoderLayer (norm_first=False, ReLU). */
function encoderLayer(x: Tensor, p: Params, prefix: string, ctx: Context, keyBias: Tensor | null): Tensor {
  const { dropout: rate } = ctx.spec;
  x = layerNorm(tf.add(x, dropout(selfAttention(x, p, prefix, ctx, keyBias), ctx)), stacked(p[`${prefix}.ln1.g`]!), stacked(p[`${prefix}.ln1.b`]!));
  const keep = ctx.keep ? ctx.keep([x.shape[1]!, ctx.spec.ff], false) : null; // [P, N, F] 0/1
  const f = feedForward(x, p[`${prefix}.ff1.w`]!, p[`${prefix}.ff1.b`]!, p[`${prefix}.ff2.w`]!, p[`${prefix}.ff2.b`]!, keep, keep ? 1 / (1 - rate) : 1);
  return layerNorm(tf.add(x, dropout(f, ctx)), stacked(p[`${prefix}.ln2.g`]!), stacked(p[`${prefix}.ln2.b`]!)); // [P, N, D]
}

/** Embedded input [P, N, D] → hidden states [P, N, D]. */
export function encoder(x: Tensor, p: Params, prefix: string, ctx: Context, keyBias: Tensor | null = null): Tensor {
  for (let l = 0; l < ctx.spec.layers; l++) x = encoderLayer(x, p, `${prefix}.${l}`, ctx, keyBias);
  return x;
}

/** E: an MLP scores each token's hidden state; log_softmax over the tokens. [P, N, D] → [P, B, T] */
export function explainer(h: Tensor, p: Params, ctx: Context): Tensor {
  const e = linear(linear(h, p['e1.w']!, p['e1.b']!, 'relu'), p['e2.w']!, p['e2.b']!); // [P, N, 1]
  return tf.logSoftmax(tf.reshape(e, [ctx.trials, ctx.batch, ctx.spec.tokens])); // [P, B, T]
}

// ---------------------------------------------------------------------------------------------------------
// L2X's MLPs (synthetic sets): features x [P, B, T] (T features)

/** Keras's Dense with the set's activation. [P, B, K] → [P, B, N] */
function dense(x: Tensor, p: Params, name: string, activation: 'relu' | 'selu' | 'linear'): Tensor {
  const y = linear(x, p[`${name}.w`]!, p[`${name}.b`]!, activation === 'relu' ? 'relu' : 'linear');
  return activation === 'selu' ? tf.selu(y) : y;
}

/** Keras's BatchNormalization over the batch axis, layer `layer` (0-based). [P, B, W] → [P, B, W] */
function batchNorm(x: Tensor, p: Params, layer: number, ctx: Context): Tensor {
  const [trials, , width] = x.shape as [number, number, number];
  const norm = ctx.norm!;
  let mean: Tensor, variance: Tensor;
  if (norm.moving) {
    const stats = tf.reshape(norm.moving, [trials, MLP.bnLayers, 2, 1, width]);
    [mean, variance] = [0, 1].map((i) => tf.reshape(tf.slice(stats, [0, layer, i, 0, 0], [trials, 1, 1, 1, width]), [trials, 1, width])) as [Tensor, Tensor];
  } else {
    ({ mean, variance } = tf.moments(x, 1, true)); // [P, 1, W]
    norm.collected.push(tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance)));
  }
  const gain = tf.reshape(stacked(p[`bn${layer + 1}.g`]!), [trials, 1, width]);
  const bias = tf.reshape(stacked(p[`bn${layer + 1}.b`]!), [trials, 1, width]);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, MLP.bnEps))), gain), bias);
}

/** E on features: 100, 100, then one logit per feature; log_softmax over features. [P, B, T] → [P, B, T] */
export function mlpExplainer(x: Tensor, p: Params, ctx: Context): Tensor {
  const act = ctx.spec.activation;
  return tf.logSoftmax(dense(dense(dense(x, p, 's1', act), p, 's2', act), p, 's3', 'linear')); // [P, B, T]
}

/** Q on the masked features x ⊙ mask: 200, BN, 200, BN, classes. [P, B, T] → [P, B, C] */
export function mlpApproximator(x: Tensor, mask: Tensor, p: Params, ctx: Context): Tensor {
  const act = ctx.spec.activation;
  const h1 = batchNorm(dense(tf.mul(x, mask), p, 'a1', act), p, 0, ctx); // [P, B, 200]
  const h2 = batchNorm(dense(h1, p, 'a2', act), p, 1, ctx); // [P, B, 200]
  return dense(h2, p, 'a3', 'linear'); // [P, B, C]
}

// ---------------------------------------------------------------------------------------------------------
// Samplers: how E picks k tokens. `kMask` [P, 1, K, 1] is 1 for the first k_p of K slots of trial p.

/** Hard top-k: one-hot of the k largest scores. [P, B, T] → [P, B, T] with exactly k_p ones per row. */
export function topkMask(scores: Tensor, kMask: Tensor): Tensor {
  const { indices } = tf.topk(scores, kMask.shape[2]!); // [P, B, K]
  return tf.sum(tf.mul(oneHot(indices, scores.shape[2]!), kMask), 2); // [P, B, K, T] → [P, B, T]
}

/**
 * Notebook and L2X: K independent Gumbel-softmax samples at temperature tau, elementwise max. `noise` is
 * [K, P, B, T] (slot-major, so each slot is a contiguous block). A running tf.maximum over the slots rather
 * than tf.max over an axis: the latter's gradient needs a broadcasting equal, ~2 ms on wasm at P = 8.
 */
export function gumbelMax(logp: Tensor, noise: Tensor, tau: Tensor, kMask: Tensor): Tensor {
  const [slots, ...shape] = noise.shape as [number, ...number[]];
  const n = shape.reduce((a, b) => a * b, 1);
  const t = tf.reshape(tau, [-1, 1, 1]); // [P, 1, 1]
  const gumbels = splitColumns(tf.reshape(noise, [1, slots * n]), new Array<number>(slots).fill(n), new Array<number[]>(slots).fill(shape));
  const used = tf.unstack(kMask, 2).map((s) => tf.reshape(s, [-1, 1, 1])); // K × [P, 1, 1]: slot j < k_p
  let mask: Tensor | null = null;
  gumbels.forEach((g, j) => {
    const sample = tf.mul(tf.softmax(tf.div(tf.add(logp, g), t)), used[j]!); // [P, B, T]
    mask = mask ? tf.maximum(mask, sample) : sample;
  });
  return mask!; // [P, B, T]
}

/** Hard top-k of the relaxed sample in the forward pass; the relaxed sample's gradient in the backward pass. */
export function straightThrough(logp: Tensor, noise: Tensor, tau: Tensor, kMask: Tensor): Tensor {
  const relaxed = gumbelMax(logp, noise, tau, kMask);
  return withGradient([relaxed], ([r]) => ({ value: topkMask(r!, kMask), gradFunc: (dy) => [dy] }));
}

/**
 * Xie & Ermon 2019: perturb once, then K successive softmaxes, each damping what was already taken
 * (r ← r + log(1 − a)). Sums to exactly k.
 */
export function relaxedTopk(logp: Tensor, noise: Tensor, tau: Tensor, kMask: Tensor): Tensor {
  const t = tf.reshape(tau, [-1, 1, 1]); // [P, 1, 1]
  const slots = tf.unstack(kMask, 2).map((s) => tf.reshape(s, [-1, 1, 1])); // K × [P, 1, 1]
  let r = tf.add(logp, noise); // [P, B, T]
  let mask: Tensor | null = null;
  for (const slot of slots) {
    const a = tf.softmax(tf.div(r, t)); // [P, B, T]
    mask = mask ? tf.add(mask, tf.mul(a, slot)) : tf.mul(a, slot);
    r = tf.add(r, tf.log(tf.maximum(tf.sub(1, a), 1e-20)));
  }
  return mask!;
}

/** The training-time (relaxed) mask of the configured sampler. */
export function sample(sampler: Sampler, logp: Tensor, noise: Tensor, tau: Tensor, kMask: Tensor): Tensor {
  switch (sampler) {
    case 'gumbel-max':
      return gumbelMax(logp, noise, tau, kMask);
    case 'straight-through':
      return straightThrough(logp, noise, tau, kMask);
    case 'relaxed-topk':
      return relaxedTopk(logp, noise, tau, kMask);
  }
}

/**
 * Gumbel noise for a pack, from each trial's stream: [K, P, B, T] for gumbel-max and straight-through (trial p
 * draws only its k_p slots per row, in the order it would alone), [P, B, T] for relaxed-topk.
 */
export function gumbelNoise(sampler: Sampler, rngs: Rng[], ks: number[], batch: number, tokens: number): Tensor {
  const trials = rngs.length;
  const row = batch * tokens;
  if (sampler === 'relaxed-topk') {
    const noise = new Float32Array(trials * row);
    rngs.forEach((rng, p) => rng.gumbel(noise.subarray(p * row, (p + 1) * row)));
    return tf.tensor3d(noise, [trials, batch, tokens]);
  }
  const slots = Math.max(...ks);
  const noise = new Float32Array(slots * trials * row);
  rngs.forEach((rng, p) => {
    for (let b = 0; b < batch; b++)
      for (let j = 0; j < ks[p]!; j++) {
        const at = (j * trials + p) * row + b * tokens;
        rng.gumbel(noise.subarray(at, at + tokens));
      }
  });
  return tf.tensor4d(noise, [slots, trials, batch, tokens]);
}

/**
 * The same noise drawn on the device, one key per trial (`keys`, from each trial's DeviceStream): shapes as
 * gumbelNoise. Number j·B·T + b·T + t of trial p's draw is its slot j, row b, token t, whatever the pack's K.
 */
export function deviceGumbelNoise(sampler: Sampler, keys: number[], ks: number[], batch: number, tokens: number): Tensor {
  const trials = keys.length;
  const slots = sampler === 'relaxed-topk' ? 1 : Math.max(...ks);
  const gumbel = tf.neg(tf.log(tf.neg(tf.log(uniformRows(keys, slots * batch * tokens))))); // [P, K·B·T]
  if (sampler === 'relaxed-topk') return tf.reshape(gumbel, [trials, batch, tokens]);
  return tf.transpose(tf.reshape(gumbel, [trials, slots, batch, tokens]), [1, 0, 2, 3]); // [K, P, B, T]
}

// ---------------------------------------------------------------------------------------------------------
// The approximator Q and pooling

/** sum_t mask·h / denom: h [P, N, D], mask [P, B, T], denom [P, B, 1] → [P, B, D] */
export function maskedPool(h: Tensor, mask: Tensor, denom: Tensor, ctx: Context): Tensor {
  const { tokens, dModel } = ctx.spec;
  const weighted = tf.matMul(tf.reshape(mask, [-1, 1, tokens]), tf.reshape(h, [-1, tokens, dModel])); // [P·B, 1, D]
  return tf.div(tf.reshape(weighted, [ctx.trials, ctx.batch, dModel]), denom);
}

/** mean over tokens: [P, N, D] → [P, B, D] */
export function meanPool(h: Tensor, ctx: Context): Tensor {
  return tf.mean(tf.reshape(h, [ctx.trials, ctx.batch, ctx.spec.tokens, ctx.spec.dModel]), 2);
}

/** Q's classifier head: Linear, ReLU, Linear. [P, B, D] → [P, B, C] */
export function classifier(pooled: Tensor, p: Params): Tensor {
  return linear(linear(pooled, p['q1.w']!, p['q1.b']!, 'relu'), p['q2.w']!, p['q2.b']!);
}

/**
 * Q under a mask [P, B, T] with pooling denominator denom [P, B, 1].
 * shared: pools the explainer's states h (which already attended to every token: the selection leaks).
 * masked: Q's own encoder sees only the selected tokens: embeddings scaled by the mask (unselected → the
 * zero padding vector) and keys masked out of attention (score + log mask).
 */
export function approximate(p: Params, x: Inputs, h: Tensor | null, mask: Tensor, denom: Tensor, ctx: Context): Tensor {
  if (ctx.spec.input === 'features') return mlpApproximator(x.features!, mask, p, ctx);
  if (ctx.spec.approximator === 'shared') return classifier(maskedPool(h!, mask, denom, ctx), p);
  const e = tf.mul(embed(x.ids!, p['qenc.embed']!, ctx), tf.reshape(mask, [ctx.trials, -1, 1])); // [P, N, D]
  const hq = encoder(e, p, 'qenc', ctx, tf.log(tf.maximum(mask, 1e-9)));
  return classifier(maskedPool(hq, mask, denom, ctx), p);
}

/** Q with no selection: mean-pooled states (the notebook's auxiliary loss and mean_acc), or every feature. */
export function approximateAll(p: Params, x: Inputs, h: Tensor | null, ctx: Context): Tensor {
  if (ctx.spec.input === 'features') return mlpApproximator(x.features!, tf.onesLike(x.features!), p, ctx);
  if (ctx.spec.approximator === 'shared') return classifier(meanPool(h!, ctx), p);
  return classifier(meanPool(encoder(embed(x.ids!, p['qenc.embed']!, ctx), p, 'qenc', ctx), ctx), p);
}

/** E's log-probabilities over positions [P, B, T], and the token model's hidden states [P, N, D] (null for the MLP). */
export function explain(p: Params, x: Inputs, ctx: Context): { logp: Tensor; h: Tensor | null } {
  if (ctx.spec.input === 'features') return { logp: mlpExplainer(x.features!, p, ctx), h: null };
  const h = encoder(embed(x.ids!, p['enc.embed']!, ctx), p, 'enc', ctx); // [P, N, D]
  return { logp: explainer(h, p, ctx), h };
}

/** Cross-entropy per trial: logits [P, B, C], one-hot labels [P, B, C] → [P] */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1), -1));
}

// ---------------------------------------------------------------------------------------------------------
// Training loss and evaluation

/** One batch, stacked over the trials of a pack. */
export interface Inputs {
  ids: Tensor | null; // [P, B, T] int32 (token tasks)
  features: Tensor | null; // [P, B, T] float32 (synthetic sets)
  labels: Tensor; // [P, B, C] targets: one-hot, or the label probabilities of a synthetic set
  noise: Tensor; // [K, P, B, T] or [P, B, T] (gumbelNoise)
  tau: Tensor; // [P, 1, 1, 1]
  kMask: Tensor; // [P, 1, K, 1]
  auxWeight: Tensor; // [P]
  auxTrials: boolean[]; // which trials have auxWeight > 0
}

/** The training loss of each trial [P]: CE(Q(pool(h, soft mask)), y) + auxWeight · CE(Q(mean pool h), y). */
export function trainingLoss(p: Params, x: Inputs, ctx: Context, withAux: boolean): Tensor {
  const { logp, h } = explain(p, x, ctx); // [P, B, T]
  const soft = sample(ctx.spec.sampler, logp, x.noise, x.tau, x.kMask); // [P, B, T]
  const denom = tf.sum(soft, -1, true); // the notebook pools by probs.sum(1) in training
  let loss = crossEntropy(approximate(p, x, h, soft, denom, ctx), x.labels);
  if (withAux) {
    // Trials without the auxiliary loss draw no dropout for it, so a packed trial matches the same trial alone.
    const auxCtx: Context = { ...ctx, keep: ctx.keep && ((shape, scaled) => ctx.keep!(shape, scaled, x.auxTrials)) };
    loss = tf.add(loss, tf.mul(x.auxWeight, crossEntropy(approximateAll(p, x, h, auxCtx), x.labels)));
  }
  return loss; // [P]
}

/** Sums over a chunk of the held-out set, per trial, in this order. */
export const EVAL_SUMS = ['mean_correct', 'soft_correct', 'hard_correct', 'mask_sum', 'mask_distinct'] as const;

/**
 * One chunk of evaluation (no dropout): sums [P, 5], E's scores [P, B, T] and the hard mask [P, B, T] (for the
 * explanation metrics, computed on the host). Soft = the training-time sampler with noise, pooled as in
 * training (by the mask's sum); hard = top-k of E's scores without noise, pooled by k (the notebook's eval).
 */
export function evaluationChunk(p: Params, x: Inputs, kValues: Tensor, ctx: Context): { sums: Tensor; scores: Tensor; hard: Tensor } {
  const { logp, h } = explain(p, x, ctx);
  const soft = sample(ctx.spec.sampler, logp, x.noise, x.tau, x.kMask); // [P, B, T]
  const hard = topkMask(logp, x.kMask); // [P, B, T]
  const label = tf.argMax(x.labels, -1); // [P, B]
  const correct = (logits: Tensor) => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), label), 'float32'), -1); // [P]
  const distinct = tf.equal(tf.sum(tf.cast(tf.greater(soft, 0.5), 'float32'), -1), tf.reshape(kValues, [-1, 1])); // [P, B]
  const sums = tf.stack(
    [
      correct(approximateAll(p, x, h, ctx)),
      correct(approximate(p, x, h, soft, tf.sum(soft, -1, true), ctx)),
      correct(approximate(p, x, h, hard, tf.reshape(kValues, [-1, 1, 1]), ctx)),
      tf.sum(soft, [1, 2]),
      tf.sum(tf.cast(distinct, 'float32'), -1),
    ],
    1,
  ); // [P, 5]
  return { sums, scores: logp, hard };
}
