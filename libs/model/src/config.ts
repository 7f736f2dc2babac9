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
export const TASKS = ['majority'] as const;
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type Attention = (typeof ATTENTIONS)[number];
export type Sampler = (typeof SAMPLERS)[number];
export type Approximator = (typeof APPROXIMATORS)[number];
export type Anneal = (typeof ANNEALS)[number];
export type TaskName = (typeof TASKS)[number];
export type BackendName = (typeof BACKENDS)[number];
/** A backend that actually ran (never `auto`). */
export type ResolvedBackend = Exclude<BackendName, 'auto'>;

const positiveInt = z.int().min(1);

/** The fields and their defaults. A word on each default says where it comes from. */
export const settingsShape = {
  // --- the task: the notebook's majority-token data ---
  task: z.enum(TASKS).default('majority'), // the only task so far; L2X's synthetic tabular sets come next
  vocab: z.int().min(3).max(1000).default(10), // token ids 1..9, 0 is padding (the notebook's Embedding(10, 32, padding_idx=0))
  tokens: z.int().min(2).max(512).default(9), // sequence length
  labelTokens: positiveInt.default(5), // tokens set equal to the label before shuffling (x[:5] = y)

  // --- the model ---
  attention: z.enum(ATTENTIONS).default('tokens'), // 'batch' reproduces the notebook's missing batch_first=True
  dModel: positiveInt.default(32),
  heads: positiveInt.default(4),
  ff: positiveInt.default(2048), // PyTorch's TransformerEncoderLayer default, which the notebook used without saying
  layers: positiveInt.max(12).default(1), // num_layers=1
  dropout: z.number().min(0).lt(1).default(0.1), // PyTorch's default
  approximator: z.enum(APPROXIMATORS).default('shared'), // the notebook's Q reads the shared encoder's states

  // --- the explainer E ---
  k: positiveInt.default(3), // E(0.1, 3)
  sampler: z.enum(SAMPLERS).default('gumbel-max'), // the notebook and L2X
  tau: z.number().positive().default(0.1), // E(0.1, 3)
  tauMin: z.number().positive().default(0.1), // the notebook's commented schedule: max(0.1, ...)
  anneal: z.enum(ANNEALS).default('constant'), // the notebook ran at a fixed tau
  annealRate: z.number().positive().default(1e-3), // exponential: tau·e^(−rate·t); 1e-3 divides tau by e over 1000 steps
  auxWeight: z.number().min(0).default(0), // the notebook's commented 0.5·CE(Q(mean-pooled states)); 0 = off

  // --- training ---
  lr: z.number().positive().max(1).default(5e-4), // AdamW(…, 5e-4, weight_decay=0.01)
  weightDecay: z.number().min(0).default(0.01),
  batchSize: positiveInt.max(65536).default(128), // DataLoader(batch_size=128)
  steps: positiveInt.default(1000), // the notebook stops at bid == 1000
  evalEvery: positiveInt.default(100), // the notebook prints every 100 steps
  evalSize: positiveInt.default(4096), // held-out samples, drawn from their own seed
  seed: z.int().min(0).max(2 ** 31 - 1).default(0), // fixes data, initialisation and Gumbel noise
} as const;

export const settingsSchema = z
  .strictObject(settingsShape)
  .superRefine((s, ctx) => {
    const say = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
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
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number>;

/** Which trials can train together (trainPack): here too, so the sweep runner can group without TensorFlow.js. */
export { packKey, PACK_SETTINGS } from './pack.ts';
