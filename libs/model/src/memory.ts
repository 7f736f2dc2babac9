/**
 * How much device memory a trial of a pack needs, from its shapes alone (no TensorFlow.js), so that the sweep
 * runner can make `pack: auto` as large as a GPU holds: on a GPU, per-dispatch overhead rather than arithmetic
 * bounds small models, so the more trials per computation the better, up to memory.
 *
 * TensorFlow.js keeps every intermediate of a training step until the step's tf.tidy ends (the gradient tape
 * needs them), so a step's peak is the sum of what it creates. The coefficients below count floats per
 * row (one token of one sample) of what the model creates, read off tf.profile's peakBytes on the cpu backend
 * over settings that move one dimension at a time (test/memory.test.ts holds the estimate to within a factor of
 * what is measured). Evaluation frees the step first, so a trial's peak is the larger of the two.
 */
import type { Settings } from './config.ts';
import { modelSpec, paramCount, type ModelSpec } from './params.ts';
import { createTask } from './task.ts';

const FLOAT = 4; // bytes

/** Floats per row of a training step, per encoder layer: ~160 per unit of width, ~7 per feed-forward unit. */
const TRAIN_PER_WIDTH = 160;
const TRAIN_PER_FF = 7;
/** Floats per attention score (softmax, dropout, gradient, …), per encoder layer. */
const PER_SCORE = 14;
/** Evaluation is forward only: ~60 floats per unit of width and ~2 per feed-forward unit per row. */
const EVAL_PER_WIDTH = 60;
const EVAL_PER_FF = 2;
/** L2X's MLPs: floats per sample of a training step and of an evaluation. */
const MLP_TRAIN_PER_SAMPLE = 15_500;
const MLP_EVAL_PER_SAMPLE = 12_000;
/** The MLPs' widest layer (Q's 200 units). */
const MLP_WIDEST = 200;
/** Parameters, their gradient, Adam's two moments and the update's temporaries. */
const COPIES_PER_PARAMETER = 8;

/**
 * Held-out samples per evaluation chunk: about 8 M activations of the token model's widest layer, shared by the
 * pack's trials; with attention across the batch the chunk is the batch attended over, so it is sized for one
 * trial whatever the pack (a packed trial is then evaluated exactly as alone). The MLPs take 4096 at a time
 * (their batch normalisation uses moving statistics in evaluation, so the chunk does not matter).
 */
export function evaluationChunkSize(spec: Pick<ModelSpec, 'input' | 'attention' | 'tokens' | 'ff' | 'dModel'>, trials: number): number {
  if (spec.input === 'features') return 4096;
  const sharing = spec.attention === 'batch' ? 1 : trials;
  return Math.max(16, Math.min(1024, Math.floor(2 ** 23 / (sharing * spec.tokens * Math.max(spec.ff, 4 * spec.dModel)))));
}

/** The model's shapes, as a trial builds them (createTask loads no TensorFlow.js). */
function specOf(s: Settings): ModelSpec {
  return modelSpec(s, createTask(s));
}

/** A training step's floats for one trial. */
function trainFloats(s: Settings, spec: ModelSpec): number {
  if (spec.input === 'features') return MLP_TRAIN_PER_SAMPLE * s.batchSize;
  const encoders = spec.approximator === 'masked' ? 2 : 1; // faithful L2X: Q has its own encoder
  const rows = s.batchSize * spec.tokens;
  const scores = spec.heads * (spec.attention === 'tokens' ? s.batchSize * spec.tokens ** 2 : spec.tokens * s.batchSize ** 2); // [G·H, S, S]
  return encoders * spec.layers * (rows * (TRAIN_PER_WIDTH * spec.dModel + TRAIN_PER_FF * spec.ff) + PER_SCORE * scores);
}

/** One evaluation chunk's floats for one trial (the chunk of a pack of one: the largest). */
function evalFloats(s: Settings, spec: ModelSpec): number {
  const samples = Math.min(s.evalSize, evaluationChunkSize(spec, 1));
  if (spec.input === 'features') return MLP_EVAL_PER_SAMPLE * samples;
  const encoders = spec.approximator === 'masked' ? 2 : 1;
  return encoders * spec.layers * samples * spec.tokens * (EVAL_PER_WIDTH * spec.dModel + EVAL_PER_FF * spec.ff);
}

/**
 * The largest single tensor one trial contributes to a pack's (bytes): a pack's tensors stack their trials, and
 * on WebGPU one tensor must fit in one storage buffer binding (the adapter's maxStorageBufferBindingSize).
 */
export function largestTensorBytes(settings: Settings): number {
  const spec = specOf(settings);
  if (spec.input === 'features') return FLOAT * Math.max(settings.batchSize, Math.min(settings.evalSize, evaluationChunkSize(spec, 1))) * MLP_WIDEST;
  const rows = Math.max(settings.batchSize, Math.min(settings.evalSize, evaluationChunkSize(spec, 1))) * spec.tokens;
  const scores = spec.heads * (spec.attention === 'tokens' ? settings.batchSize * spec.tokens ** 2 : spec.tokens * settings.batchSize ** 2);
  return FLOAT * Math.max(rows * Math.max(spec.ff, 3 * spec.dModel, spec.vocab), scores);
}

/** Device memory one trial adds to a pack at its peak (bytes): its parameters and optimiser state, and the larger of a step and an evaluation. */
export function trialMemoryBytes(settings: Settings): number {
  const spec = specOf(settings);
  const parameters = COPIES_PER_PARAMETER * paramCount(spec);
  return FLOAT * (parameters + Math.max(trainFloats(settings, spec), evalFloats(settings, spec)));
}
