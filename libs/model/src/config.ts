/**
 * Every setting of a trial, with the seed notebook's values as defaults.
 *
 * This file is the model library's light entry point (`@l2x/model/config`): it loads no TensorFlow.js,
 * so the sweep parser, the store and the dashboard can know the settings without paying for a backend.
 * Sweep files name these settings exactly.
 */
import { z } from 'zod';
import { UserError, describeIssue, showValue } from '@l2x/errors';

export const ATTENTIONS = ['tokens', 'batch'] as const;
export const SAMPLERS = ['gumbel-max', 'straight-through', 'relaxed-topk'] as const;
export const APPROXIMATORS = ['shared', 'masked'] as const;
export const ANNEALS = ['constant', 'linear', 'exponential', 'cosine'] as const;
export const TASKS = ['majority', 'xor', 'orange-skin', 'nonlinear-additive', 'switch'] as const;
/** L2X's four synthetic tabular sets (Chen et al. 2018, synthetic/make_data.py). */
export const SYNTHETIC_TASKS = ['xor', 'orange-skin', 'nonlinear-additive', 'switch'] as const;
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type Attention = (typeof ATTENTIONS)[number];
export type Sampler = (typeof SAMPLERS)[number];
export type Approximator = (typeof APPROXIMATORS)[number];
export type Anneal = (typeof ANNEALS)[number];
export type TaskName = (typeof TASKS)[number];
export type SyntheticTaskName = (typeof SYNTHETIC_TASKS)[number];

export function isSynthetic(task: TaskName): task is SyntheticTaskName {
  return (SYNTHETIC_TASKS as readonly string[]).includes(task);
}

/**
 * What L2X's synthetic experiments fix per set (explain.py): k = the number of truly relevant features of a
 * sample, and the MLPs' activation (selu for the additive and switch sets). Every set has 10 features.
 */
export const SYNTHETIC: Record<SyntheticTaskName, { k: number; activation: 'relu' | 'selu' }> = {
  xor: { k: 2, activation: 'relu' },
  'orange-skin': { k: 4, activation: 'relu' },
  'nonlinear-additive': { k: 4, activation: 'selu' },
  switch: { k: 5, activation: 'selu' },
};
export const SYNTHETIC_FEATURES = 10;

/**
 * Settings whose default depends on the task: the notebook's for the majority task, L2X's for the synthetic
 * sets (10 features, masked approximator, batch 1000, Adam at 1e-3 without weight decay, the set's k).
 */
const TASK_DEFAULTS = {
  majority: { tokens: 9, k: 3, approximator: 'shared', batchSize: 128, lr: 5e-4, weightDecay: 0.01 },
  synthetic: { tokens: SYNTHETIC_FEATURES, approximator: 'masked', batchSize: 1000, lr: 1e-3, weightDecay: 0 },
} as const;

/** Settings of the token model that the synthetic sets' MLPs do not have: only their default is accepted there. */
const TOKEN_MODEL_SETTINGS = ['vocab', 'labelTokens', 'attention', 'dModel', 'heads', 'ff', 'layers', 'dropout'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** A backend that actually ran (never `auto`). */
export type ResolvedBackend = Exclude<BackendName, 'auto'>;

const positiveInt = z.int().min(1);

/** The fields and their defaults. A word on each default says where it comes from. */
export const settingsShape = {
  // --- the task: the notebook's majority-token data ---
  task: z.enum(TASKS).default('majority'), // the notebook's majority tokens, or one of L2X's synthetic sets
  vocab: z.int().min(3).max(1000).default(10), // token ids 1..9, 0 is padding (the notebook's Embedding(10, 32, padding_idx=0))
  tokens: z.int().min(2).max(512).optional(), // sequence length (9); the number of features (10) on a synthetic set
  labelTokens: positiveInt.default(5), // tokens set equal to the label before shuffling (x[:5] = y)

  // --- the model ---
  attention: z.enum(ATTENTIONS).default('tokens'), // 'batch' reproduces the notebook's missing batch_first=True
  dModel: positiveInt.default(32),
  heads: positiveInt.default(4),
  ff: positiveInt.default(2048), // PyTorch's TransformerEncoderLayer default, which the notebook used without saying
  layers: positiveInt.max(12).default(1), // num_layers=1
  dropout: z.number().min(0).lt(1).default(0.1), // PyTorch's default
  approximator: z.enum(APPROXIMATORS).optional(), // shared: the notebook's Q reads the shared encoder's states; synthetic: masked

  // --- the explainer E ---
  k: positiveInt.optional(), // E(0.1, 3); on a synthetic set its number of relevant features (SYNTHETIC)
  sampler: z.enum(SAMPLERS).default('gumbel-max'), // the notebook and L2X
  tau: z.number().positive().default(0.1), // E(0.1, 3)
  tauMin: z.number().positive().default(0.1), // the notebook's commented schedule: max(0.1, ...)
  anneal: z.enum(ANNEALS).default('constant'), // the notebook ran at a fixed tau
  annealRate: z.number().positive().default(1e-3), // exponential: tau·e^(−rate·t); 1e-3 divides tau by e over 1000 steps
  auxWeight: z.number().min(0).default(0), // the notebook's commented 0.5·CE(Q(mean-pooled states)); 0 = off

  // --- training ---
  lr: z.number().positive().max(1).optional(), // AdamW(…, 5e-4, weight_decay=0.01); L2X's Adam(1e-3) on a synthetic set
  weightDecay: z.number().min(0).optional(), // 0.01; 0 on a synthetic set (L2X's MLPs have an L2 penalty of 1e-3 instead)
  batchSize: positiveInt.max(65536).optional(), // DataLoader(batch_size=128); 1000 on a synthetic set
  steps: positiveInt.default(1000), // the notebook stops at bid == 1000
  evalEvery: positiveInt.default(100), // the notebook prints every 100 steps
  evalSize: positiveInt.default(4096), // held-out samples, drawn from their own seed
  seed: z.int().min(0).max(2 ** 31 - 1).default(0), // fixes data, initialisation and Gumbel noise
} as const;

type RawSettings = z.output<z.ZodObject<typeof settingsShape>>;

/** Fills the settings whose default depends on the task. */
function withTaskDefaults(s: RawSettings) {
  const defaults = isSynthetic(s.task) ? { ...TASK_DEFAULTS.synthetic, k: SYNTHETIC[s.task].k } : TASK_DEFAULTS.majority;
  return {
    ...s,
    tokens: s.tokens ?? defaults.tokens,
    k: s.k ?? defaults.k,
    approximator: s.approximator ?? defaults.approximator,
    batchSize: s.batchSize ?? defaults.batchSize,
    lr: s.lr ?? defaults.lr,
    weightDecay: s.weightDecay ?? defaults.weightDecay,
  } satisfies Record<keyof RawSettings, unknown>;
}

/** The rules of a synthetic set: its 10 features, L2X's masked approximator, none of the token model's settings. */
function checkSyntheticTask(s: ReturnType<typeof withTaskDefaults>, say: (path: string, message: string) => void): void {
  const task = showValue(s.task);
  if (s.tokens !== SYNTHETIC_FEATURES) say('tokens', `got ${s.tokens}; task ${task} has ${SYNTHETIC_FEATURES} features: leave it out or set ${SYNTHETIC_FEATURES}`);
  if (s.approximator !== 'masked')
    say('approximator', `got ${showValue(s.approximator)}; task ${task} takes only "masked" (L2X's approximator reads x ⊙ mask; there are no shared states)`);
  for (const name of TOKEN_MODEL_SETTINGS)
    if (s[name] !== settingsShape[name].parse(undefined))
      say(name, `got ${showValue(s[name])}; does not apply to task ${task} (its explainer and approximator are L2X's fixed MLPs): leave it out`);
}

export const settingsSchema = z
  .strictObject(settingsShape)
  .transform(withTaskDefaults)
  .superRefine((s, ctx) => {
    const say = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (isSynthetic(s.task)) checkSyntheticTask(s, say);
    if (s.auxWeight > 0 && s.approximator !== 'shared')
      say('auxWeight', `got ${s.auxWeight}; applies only with approximator "shared" (its loss trains the explainer's encoder, which a masked approximator never reads): set 0`);
    if (s.k >= s.tokens) say('k', `got ${s.k}; must be < tokens (${s.tokens}): an integer from 1 to ${s.tokens - 1}`);
    if (s.labelTokens > s.tokens) say('labelTokens', `got ${s.labelTokens}; must be ≤ tokens (${s.tokens})`);
    if (s.dModel % s.heads !== 0) say('heads', `got ${s.heads}; must divide dModel (${s.dModel})`);
    if (s.anneal !== 'constant' && s.tauMin > s.tau)
      say('tauMin', `got ${s.tauMin}; must be ≤ tau (${s.tau}) when anneal is ${showValue(s.anneal)}`);
  });

/** All settings of one trial, resolved (defaults filled in). */
export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof Settings;
export const SETTING_NAMES = Object.keys(settingsShape) as SettingName[];

/** The settings a trial runs with when nothing is said: the notebook's. */
export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Which settings are categorical (strings) and which numeric: the store's views and the reports use it. */
export function settingKind(name: SettingName): 'text' | 'number' {
  return typeof DEFAULT_SETTINGS[name] === 'string' ? 'text' : 'number';
}

/**
 * Validates settings given by a user (a sweep file, a flag). Unknown names, wrong types and values out of range
 * are a UserError naming the setting, the bad value and what is allowed. `where` prefixes the message
 * (for example a file name).
 */
export function parseSettings(input: unknown, where = 'settings'): Settings {
  const result = settingsSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const { path, message } = describeIssue(issue, input, SETTING_NAMES);
  throw new UserError(`${where}: setting ${path ? `\`${path}\`: ` : ''}${message}`);
}

/** The metrics every trial reports, in the order reports show them. */
export const METRIC_NAMES = [
  'loss', // training cross-entropy (plus the auxiliary term when auxWeight > 0)
  'mean_acc', // Q on mean-pooled states, no selection
  'soft_acc', // Q under the training-time relaxed mask
  'hard_acc', // Q under the hard top-k mask: the one that matters
  'gap', // soft_acc − hard_acc
  'precision', // share of hard-selected tokens equal to the label
  'mask_sum', // mean sum of the relaxed mask
  'mask_distinct', // share of relaxed masks covering k distinct tokens
  'median_rank', // L2X's: per sample, the median rank of the true features under E's scores (1 = top; ties at random), averaged
  'tpr', // INVASE's true positive rate of the hard selection: |S ∩ truth| / |truth| per sample, averaged
  'fdr', // INVASE's false discovery rate: |S \ truth| / |S| per sample, averaged
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Which way each metric is better: a sweep's `metric.goal` defaults to it. */
export const METRIC_GOAL: Record<MetricName, 'maximize' | 'minimize'> = {
  loss: 'minimize',
  mean_acc: 'maximize',
  soft_acc: 'maximize',
  hard_acc: 'maximize',
  gap: 'minimize',
  precision: 'maximize',
  mask_sum: 'maximize',
  mask_distinct: 'maximize',
  median_rank: 'minimize',
  tpr: 'maximize',
  fdr: 'minimize',
};
export type Metrics = Record<MetricName, number>;

/** Which trials can train together (trainPack): here too, so the sweep runner can group without TensorFlow.js. */
export { packKey, PACK_SETTINGS } from './pack.ts';
/** How much device memory a trial of a pack needs (bytes): the runner sizes `pack: auto` on a GPU with it. */
export { trialMemoryBytes, largestTensorBytes } from './memory.ts';
