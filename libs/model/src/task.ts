/**
 * What a trial learns to explain. A task makes seeded batches and knows, for each input, which positions are
 * really evidence for the label (the ground truth that median rank, TPR, FDR and precision are measured against).
 *
 * - `majority`: the seed notebook's CustomDataset (token ids; the positions equal to the label are the truth).
 * - `xor`, `orange-skin`, `nonlinear-additive`, `switch`: L2X's synthetic sets (Chen et al. 2018,
 *   synthetic/make_data.py), X ~ N(0, I₁₀), P(Y = 1 | x) = 1 / (1 + exp(f(x))). Training uses these
 *   probabilities as soft targets, as L2X's explain.py does (categorical cross-entropy on [P(Y=0), P(Y=1)]);
 *   the label for accuracy is the likelier class.
 */
import { SYNTHETIC, SYNTHETIC_FEATURES, isSynthetic, type Settings, type SyntheticTaskName, type TaskName } from './config.ts';
import type { Rng } from './random.ts';

/** One batch, flat and row-major. */
export interface Batch {
  size: number;
  /** Token ids, [size, tokens] (token tasks; empty otherwise); 0 is padding and never appears in the data. */
  ids: Int32Array;
  /** Continuous features, [size, tokens] (synthetic tasks; empty otherwise). */
  features: Float32Array;
  /** Class labels, [size]: the label (majority) or the likelier class (synthetic). */
  labels: Int32Array;
  /** Training targets, [size, classes]: one-hot (majority) or the label probabilities (synthetic). */
  targets: Float32Array;
  /** 1 where the position is evidence for the label, [size, tokens]. */
  relevant: Float32Array;
}

export interface Task {
  name: TaskName;
  /** Token ids through the transformer, or continuous features through L2X's MLPs. */
  input: 'tokens' | 'features';
  /** Sequence length, or number of features. */
  tokens: number;
  /** Size of the input vocabulary including the padding id 0 (token tasks). */
  vocab: number;
  /** Number of classes the approximator predicts (logits width). */
  classes: number;
  /** The MLPs' activation (synthetic tasks: L2X's choice per set). */
  activation: 'relu' | 'selu';
  /** Draws a batch from `rng`: the same rng state gives the same batch. */
  batch(rng: Rng, size: number): Batch;
}

/** Rows [from, to) of a batch. */
export function sliceBatch(batch: Batch, from: number, to: number): Batch {
  const rows = <T extends Int32Array | Float32Array>(a: T): T => {
    const width = a.length / batch.size;
    return a.subarray(from * width, to * width) as T;
  };
  return { size: to - from, ids: rows(batch.ids), features: rows(batch.features), labels: rows(batch.labels), targets: rows(batch.targets), relevant: rows(batch.relevant) };
}

/**
 * The notebook's data: 9 tokens drawn from 1..9, the first 5 set to the label, shuffled.
 * `x = randint(1, 10, (9,)); y = x[0]; x[:5] = y; x = x[randperm(9)]`.
 */
export function majorityTask(s: Pick<Settings, 'vocab' | 'tokens' | 'labelTokens'>): Task {
  const { vocab, tokens, labelTokens } = s;
  return {
    name: 'majority',
    input: 'tokens',
    tokens,
    vocab,
    classes: vocab, // the notebook's Q ends in Linear(32, 10): one logit per token id
    activation: 'relu',
    batch(rng, size) {
      const ids = new Int32Array(size * tokens);
      const labels = new Int32Array(size);
      const targets = new Float32Array(size * vocab);
      const relevant = new Float32Array(size * tokens);
      const row = new Int32Array(tokens);
      for (let b = 0; b < size; b++) {
        for (let t = 0; t < tokens; t++) row[t] = rng.int(1, vocab);
        const y = row[0]!;
        for (let t = 0; t < labelTokens; t++) row[t] = y;
        for (let t = tokens - 1; t > 0; t--) {
          const j = rng.int(0, t + 1);
          const tmp = row[t]!;
          row[t] = row[j]!;
          row[j] = tmp;
        }
        labels[b] = y;
        targets[b * vocab + y] = 1;
        for (let t = 0; t < tokens; t++) {
          ids[b * tokens + t] = row[t]!;
          relevant[b * tokens + t] = row[t] === y ? 1 : 0;
        }
      }
      return { size, ids, features: new Float32Array(0), labels, targets, relevant };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// L2X's synthetic sets: f(x) per sample, P(Y = 1 | x) = 1 / (1 + exp(f)).

/** xor: f = x0·x1. */
export const xorLogit = (x: ArrayLike<number>, o = 0) => x[o]! * x[o + 1]!;
/** orange-skin: f = Σ_{i<4} x_i² − 4. */
export const orangeSkinLogit = (x: ArrayLike<number>, o = 0) => x[o]! ** 2 + x[o + 1]! ** 2 + x[o + 2]! ** 2 + x[o + 3]! ** 2 - 4;
/** nonlinear-additive: f = −100·sin(0.2·x0) + |x1| + x2 + exp(−x3) − 2.4. */
export const additiveLogit = (x: ArrayLike<number>, o = 0) => -100 * Math.sin(0.2 * x[o]!) + Math.abs(x[o + 1]!) + x[o + 2]! + Math.exp(-x[o + 3]!) - 2.4;

/** P(Y = 1) = 1 / (1 + e^f), without overflow. */
export function probabilityOfOne(f: number): number {
  if (f > 0) {
    const e = Math.exp(-f);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(f));
}

/** The switch's mean for x9: +3 selects orange-skin on x0..x3, −3 nonlinear-additive on x4..x7. */
export const SWITCH_SHIFT = 3;

/**
 * One sample's f and true features. `x` is the sample's 10 features, drawn N(0, 1); the switch shifts x9 here.
 * The switch's additive rows read x4..x7 directly (L2X's generator meant to move them there, but its numpy swap
 * `X2[:,4:8], X2[:,:4] = X2[:,:4], X2[:,4:8]` copies: x0..x3 ended up equal to x4..x7).
 */
function synthesize(task: SyntheticTaskName, x: Float32Array, rng: Rng): { f: number; truth: readonly number[] } {
  switch (task) {
    case 'xor':
      return { f: xorLogit(x), truth: [0, 1] };
    case 'orange-skin':
      return { f: orangeSkinLogit(x), truth: [0, 1, 2, 3] };
    case 'nonlinear-additive':
      return { f: additiveLogit(x), truth: [0, 1, 2, 3] };
    case 'switch': {
      const orange = rng.uniform() < 0.5;
      x[9] = x[9]! + (orange ? SWITCH_SHIFT : -SWITCH_SHIFT);
      return orange ? { f: orangeSkinLogit(x, 0), truth: [0, 1, 2, 3, 9] } : { f: additiveLogit(x, 4), truth: [4, 5, 6, 7, 9] };
    }
  }
}

export function syntheticTask(name: SyntheticTaskName): Task {
  const d = SYNTHETIC_FEATURES;
  return {
    name,
    input: 'features',
    tokens: d,
    vocab: 0,
    classes: 2,
    activation: SYNTHETIC[name].activation,
    batch(rng, size) {
      const features = new Float32Array(size * d);
      const labels = new Int32Array(size);
      const targets = new Float32Array(size * 2);
      const relevant = new Float32Array(size * d);
      for (let b = 0; b < size; b++) {
        const x = features.subarray(b * d, (b + 1) * d);
        for (let i = 0; i < d; i++) x[i] = rng.normal();
        const { f, truth } = synthesize(name, x, rng);
        const p1 = probabilityOfOne(f);
        targets[2 * b] = 1 - p1;
        targets[2 * b + 1] = p1;
        labels[b] = p1 > 0.5 ? 1 : 0;
        for (const i of truth) relevant[b * d + i] = 1;
      }
      return { size, ids: new Int32Array(0), features, labels, targets, relevant };
    },
  };
}

export function createTask(s: Settings): Task {
  return isSynthetic(s.task) ? syntheticTask(s.task) : majorityTask(s);
}
