/**
 * The zod schema of a sweep file (W&B-sweep shaped). Setting values are checked by the model library's own
 * schemas (`settingsShape`), so a sweep file accepts exactly what a trial accepts; the rules between
 * settings (k < tokens, …) are checked on each expanded configuration by `parseSweep`.
 */
import { z } from 'zod';
import { showValue } from '@l2x/errors';
import {
  BACKENDS,
  METRIC_NAMES,
  SETTING_NAMES,
  settingKind,
  settingsShape,
  type SettingName,
  METRIC_GOAL,
  DEFAULT_SETTINGS,
} from '@l2x/model/config';
import { DISTRIBUTIONS, METRIC_GOALS, SWEEP_METHODS, type Distribution, type EarlyTerminate, type ParameterSpec, type SettingValue } from './sweep-spec.ts';

/** More trials than this in one sweep is surely a mistake (at a minute each, ten weeks). */
export const MAX_TRIALS = 100_000;

/** The arguments each distribution takes. */
export const DISTRIBUTION_ARGS: Record<Distribution, readonly ('min' | 'max' | 'q' | 'mu' | 'sigma')[]> = {
  uniform: ['min', 'max'],
  int_uniform: ['min', 'max'],
  log_uniform_values: ['min', 'max'],
  q_uniform: ['min', 'max', 'q'],
  q_log_uniform_values: ['min', 'max', 'q'],
  normal: ['mu', 'sigma'],
};
const INTEGER_DISTRIBUTIONS: readonly Distribution[] = ['int_uniform', 'q_uniform', 'q_log_uniform_values'];
const ARG_KEYS = ['min', 'max', 'q', 'mu', 'sigma'] as const;

/** One setting's own schema (type, range, names), without its default. */
export function settingValueSchema(name: SettingName): z.ZodType<SettingValue> {
  return settingsShape[name].unwrap() as unknown as z.ZodType<SettingValue>;
}

function isIntegerSetting(name: SettingName): boolean {
  return (settingsShape[name].unwrap() as { isInt?: boolean }).isInt === true;
}

const listWords = (words: readonly string[]) =>
  words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;

/** Guards a block: anything but a mapping is "got X; allowed: …" rather than zod's "expected object". */
function mapping(allowed: string) {
  return z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: `allowed: ${allowed}`,
  });
}

/** A non-empty list whose items are all different. */
function listOf<T extends z.ZodType>(item: T, noun: string) {
  return z.array(item).superRefine((list, ctx) => {
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: `got []; allowed: a list of at least one ${noun}` });
    const seen = new Map<string, number>();
    list.forEach((v, i) => {
      const first = seen.get(JSON.stringify(v));
      if (first === undefined) seen.set(JSON.stringify(v), i);
      else ctx.addIssue({ code: 'custom', path: [i], message: `got ${showValue(v)} twice (items ${first} and ${i}); allowed: each ${noun} once` });
    });
  });
}

/** `parameters.NAME`: one of `{value}`, `{values}` or `{distribution, …}`, values checked against NAME's schema. */
function parameterSchema(name: SettingName) {
  const value = settingValueSchema(name);
  const numeric = settingKind(name) === 'number';
  const integer = isIntegerSetting(name);
  // A numeric setting's bounds must themselves be allowed values (`lr` max ≤ 1, …).
  const bound = numeric ? (value as z.ZodType<number>) : z.number();
  const fields = z.strictObject({
    value: value.optional(),
    values: listOf(value, 'value').optional(),
    distribution: z.enum(DISTRIBUTIONS).optional(),
    min: bound.optional(),
    max: bound.optional(),
    q: z.number().positive().optional(),
    mu: z.number().optional(),
    sigma: z.number().positive().optional(),
  });
  return mapping('{value: X}, {values: [X, …]} or {distribution: NAME, …}')
    .pipe(fields)
    .superRefine((p, ctx) => {
      const say = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      const forms = (['value', 'values', 'distribution'] as const).filter((k) => p[k] !== undefined);
      if (forms.length === 0) return say([], 'allowed: {value: X}, {values: [X, …]} or {distribution: NAME, …}');
      if (forms.length > 1) return say([forms[1]!], `cannot be combined with ${forms[0]}; allowed: one of value, values, distribution`);
      const d = p.distribution;
      const takes: readonly string[] = d ? DISTRIBUTION_ARGS[d] : [];
      for (const arg of ARG_KEYS) {
        if (p[arg] === undefined) {
          if (takes.includes(arg)) say([arg], `got no ${arg}; allowed: distribution ${d} needs ${listWords(takes)}`);
        } else if (!takes.includes(arg)) {
          say([arg], d ? `not used by distribution ${d}; allowed: ${listWords(takes)}` : 'allowed only with a distribution');
        }
      }
      if (!d) return;
      if (!numeric) return say(['distribution'], `${name} is categorical; allowed: value or values`);
      if (integer && !INTEGER_DISTRIBUTIONS.includes(d))
        return say(['distribution'], `${name} takes integers; allowed: ${INTEGER_DISTRIBUTIONS.join(', ')}`);
      if (integer && p.q !== undefined && !Number.isInteger(p.q)) say(['q'], `${name} takes integers; allowed: an integer q`);
      if (d === 'int_uniform')
        for (const arg of ['min', 'max'] as const)
          if (p[arg] !== undefined && !Number.isInteger(p[arg])) say([arg], 'int_uniform draws integers; allowed: an integer');
      const { min, max } = p as { min?: number; max?: number };
      if (min !== undefined && max !== undefined && !(min < max)) say(['max'], `must be > min (${min})`);
      if (d.includes('log') && min !== undefined && !(min > 0)) say(['min'], `must be > 0 for ${d}`);
    })
    .transform((p): ParameterSpec => {
      if (p.value !== undefined) return { value: p.value };
      if (p.values !== undefined) return { values: p.values };
      const d = p.distribution!;
      if (d === 'normal') return { distribution: d, mu: p.mu!, sigma: p.sigma! };
      const [min, max] = [p.min as number, p.max as number];
      if (d === 'q_uniform' || d === 'q_log_uniform_values') return { distribution: d, min, max, q: p.q! };
      return { distribution: d, min, max };
    });
}

const settingsBlock = mapping('a mapping of settings, such as {steps: 1000, k: 3}').pipe(
  z.strictObject(Object.fromEntries(SETTING_NAMES.map((n) => [n, settingValueSchema(n).optional()]))),
);

const parametersBlock = mapping('a mapping of settings to sweep, such as {tau: {values: [0.1, 0.5]}}').pipe(
  z.strictObject(Object.fromEntries(SETTING_NAMES.map((n) => [n, parameterSchema(n).optional()]))),
);

const metricShape = {
  name: z.enum(METRIC_NAMES),
  goal: z.enum(METRIC_GOALS).optional(), // defaults to the metric's natural goal (METRIC_GOAL)
};

const resourcesShape = {
  backend: z.enum(BACKENDS).default('auto'),
  workers: z
    .union([z.literal('auto'), z.int().min(1).max(1024)], { error: 'allowed: "auto" or a number of workers ≥ 1' })
    .default('auto'),
  devices: z
    .union([z.literal('auto'), listOf(z.int().min(0).max(1023), 'GPU index')], {
      error: 'allowed: "auto" or a list of GPU indices such as [0, 1]',
    })
    .default('auto'),
  trialsPerDevice: z.int().min(1).max(64).default(1),
  pack: z
    .union([z.literal('auto'), z.literal('off'), z.int().min(1).max(4096)], {
      error: 'allowed: "auto", "off" or how many trials to pack (≥ 1)',
    })
    .default('auto'),
};

/** `bayes:`: Optuna's TPESampler defaults. */
const bayesShape = {
  nStartupTrials: z.int().min(1).max(MAX_TRIALS).default(10),
  nEiCandidates: z.int().min(1).max(10_000).default(24),
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
};

/** A bayes sweep without a `bayes:` block gets these. */
export const BAYES_DEFAULTS = z.strictObject(bayesShape).parse({});

export const EARLY_TERMINATE_TYPES = ['hyperband', 'median'] as const;
/** The keys each `early_terminate.type` takes (W&B's for hyperband, Optuna's MedianPruner's for median). */
const EARLY_TERMINATE_KEYS: Record<(typeof EARLY_TERMINATE_TYPES)[number], readonly string[]> = {
  hyperband: ['min_iter', 'max_iter', 's', 'eta', 'strict'],
  median: ['n_startup_trials', 'n_warmup_steps'],
};

const earlyTerminateShape = {
  type: z.enum(EARLY_TERMINATE_TYPES),
  min_iter: z.int().min(1).optional(),
  max_iter: z.int().min(1).optional(),
  s: z.int().min(1).max(20).optional(),
  eta: z.number().min(1.5).max(100).optional(),
  strict: z.boolean().optional(),
  n_startup_trials: z.int().min(0).optional(),
  n_warmup_steps: z.int().min(0).optional(),
};

/** The `early_terminate:` block, checked per type; hyperband's rungs come from min_iter, or from max_iter and s. */
const earlyTerminateBlock = mapping('{type: hyperband, min_iter: N} or {type: median}')
  .pipe(z.strictObject(earlyTerminateShape))
  .superRefine((e, ctx) => {
    const say = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const takes = EARLY_TERMINATE_KEYS[e.type];
    for (const key of Object.keys(earlyTerminateShape))
      if (key !== 'type' && e[key as keyof typeof e] !== undefined && !takes.includes(key))
        say([key], `not used by type ${e.type}; allowed: ${listWords(takes)}`);
    if (e.type !== 'hyperband') return;
    if (e.min_iter === undefined && e.max_iter === undefined)
      say(['type'], 'hyperband needs min_iter (evaluations before the first rung), or max_iter and s');
    if (e.min_iter !== undefined && e.max_iter !== undefined) say(['max_iter'], 'cannot be combined with min_iter; allowed: one of min_iter, max_iter (with s)');
    if (e.max_iter !== undefined && e.s === undefined) say(['max_iter'], 'got max_iter without s; allowed: add s (the number of rungs below max_iter)');
  })
  .transform((e): EarlyTerminate => {
    if (e.type === 'median') return { type: 'median', nStartupTrials: e.n_startup_trials ?? 5, nWarmupSteps: e.n_warmup_steps ?? 0 };
    const eta = e.eta ?? 3;
    const minIter = e.min_iter ?? Math.max(1, Math.round(e.max_iter! / eta ** e.s!));
    return { type: 'hyperband', minIter, eta, strict: e.strict ?? false };
  });

const fileShape = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: 'allowed: up to 64 letters, digits, ".", "_" and "-", starting with a letter or digit',
  }),
  method: z.enum(SWEEP_METHODS),
  runCap: z.int().min(1).max(MAX_TRIALS).optional(),
  seeds: z
    .union([z.int().min(1).max(1000), listOf(settingValueSchema('seed') as z.ZodType<number>, 'seed')], {
      error: 'allowed: a count n (seeds 0..n-1) or a list of seeds such as [0, 1, 2]',
    })
    .default(1),
  metric: mapping('{name: METRIC, goal: maximize|minimize}')
    .pipe(
      z.strictObject(metricShape).superRefine(({ name, goal }, ctx) => {
        if (goal && goal !== METRIC_GOAL[name])
          ctx.addIssue({ code: 'custom', path: ['goal'], message: `got ${showValue(goal)}; ${name} is better ${METRIC_GOAL[name] === 'minimize' ? 'lower' : 'higher'}: allowed "${METRIC_GOAL[name]}" (or leave goal out)` });
      }),
    )
    .transform(({ name, goal }) => ({ name, goal: goal ?? METRIC_GOAL[name] }))
    .default({ name: 'hard_acc', goal: 'maximize' }),
  bayes: mapping('a mapping of nStartupTrials, nEiCandidates, seed').pipe(z.strictObject(bayesShape)).optional(),
  early_terminate: earlyTerminateBlock.optional(),
  description: z.string().optional(),
  trial: settingsBlock.default({}),
  parameters: parametersBlock.default({}),
  resources: mapping('a mapping of backend, workers, devices, trialsPerDevice, pack')
    .pipe(z.strictObject(resourcesShape))
    .prefault({}),
};

/** The keys allowed in the mapping at `path`, for "did you mean" on an unknown key. */
export function keysAllowedAt(path: ReadonlyArray<PropertyKey>): readonly string[] {
  const [block, setting] = path;
  if (path.length === 0) return Object.keys(fileShape);
  if (path.length === 1 && (block === 'trial' || block === 'parameters')) return SETTING_NAMES.filter((name) => name !== 'seed'); // seeds: sets it
  if (path.length === 2 && block === 'parameters' && typeof setting === 'string')
    return ['values', 'value', 'distribution', ...ARG_KEYS]; // values first: its typos are likelier
  if (path.length === 1 && block === 'metric') return Object.keys(metricShape);
  if (path.length === 1 && block === 'resources') return Object.keys(resourcesShape);
  if (path.length === 1 && block === 'bayes') return Object.keys(bayesShape);
  if (path.length === 1 && block === 'early_terminate') return Object.keys(earlyTerminateShape);
  return [];
}

/** Every key of a sweep file at the top level, in the order the docs list them. */
export const SWEEP_FILE_KEYS = Object.keys(fileShape);

export const sweepFileSchema = z.strictObject(fileShape).superRefine((file, ctx) => {
  const say = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const swept = Object.entries(file.parameters).filter(([, p]) => p !== undefined) as [SettingName, ParameterSpec][];
  const seedCount = typeof file.seeds === 'number' ? file.seeds : file.seeds.length;

  if (file.method !== 'grid' && file.runCap === undefined)
    say(['method'], `got "${file.method}" without runCap; allowed: add runCap: N, how many configurations to draw`);
  if (file.method === 'grid' && file.runCap !== undefined)
    say(['runCap'], 'only used with method: random or bayes; allowed: remove it (a grid runs every combination)');
  if (file.bayes !== undefined && file.method !== 'bayes')
    say(['bayes'], `got bayes options with method: ${file.method}; allowed: remove them, or method: bayes`);
  if (file.early_terminate) checkEarlyTerminate(file.early_terminate, file.trial, file.parameters, say);
  if (file.trial.seed !== undefined) say(['trial', 'seed'], 'seeds are set by the top-level `seeds:`; allowed: remove it from trial');
  for (const [name, p] of swept) {
    if (name === 'seed') say(['parameters', 'seed'], 'seeds are set by the top-level `seeds:`; allowed: remove it from parameters');
    else if (file.trial[name] !== undefined)
      say(['parameters', name], `got ${name} in both trial and parameters; allowed: fix it in trial or sweep it here, not both`);
    if (file.method === 'grid' && 'distribution' in p)
      say(['parameters', name, 'distribution'], 'a grid takes value or values; allowed: values: [...], or method: random');
    if (file.method === 'bayes' && 'distribution' in p && p.distribution === 'normal')
      say(['parameters', name, 'distribution'], 'bayes searches bounded ranges; allowed: uniform, int_uniform, log_uniform_values, q_uniform, q_log_uniform_values or values');
  }

  if (file.method === 'grid') {
    const configs = swept.reduce((n, [, p]) => n * ('values' in p ? p.values.length : 1), 1);
    if (configs * seedCount > MAX_TRIALS)
      say(['parameters'], `got a grid of ${configs} configurations × ${seedCount} seeds; allowed: at most ${MAX_TRIALS} trials`);
  } else if (file.runCap !== undefined && file.runCap * seedCount > MAX_TRIALS) {
    say(['runCap'], `got ${file.runCap} configurations × ${seedCount} seeds; allowed: at most ${MAX_TRIALS} trials`);
  }
});

export type SweepFile = z.output<typeof sweepFileSchema>;

type Say = (path: PropertyKey[], message: string) => void;

/**
 * Early termination compares trials at evaluation points (every `evalEvery` steps and the last step): it needs two of
 * them at least, steps and evalEvery fixed for every trial (rungs are evaluation counts), and rungs within the steps.
 */
function checkEarlyTerminate(e: EarlyTerminate, trial: Record<string, unknown>, parameters: Record<string, unknown>, say: Say): void {
  for (const name of ['steps', 'evalEvery'] as const)
    if (parameters[name] !== undefined)
      return say(['parameters', name], `early_terminate compares trials at the same evaluation steps; allowed: fix ${name} in trial`);
  const steps = (trial.steps as number | undefined) ?? DEFAULT_SETTINGS.steps;
  const evalEvery = (trial.evalEvery as number | undefined) ?? DEFAULT_SETTINGS.evalEvery;
  const points = evaluationPoints(steps, evalEvery);
  if (points < 2)
    return say(['early_terminate'], `got steps ${steps} with evalEvery ${evalEvery}: a single evaluation point, nothing to compare; allowed: evalEvery < steps, or no early_terminate`);
  if (e.type === 'hyperband' && e.minIter * evalEvery > steps)
    say(['early_terminate', 'min_iter'], `got ${e.minIter} evaluations (${e.minIter * evalEvery} steps), past steps (${steps}); allowed: at most ${Math.floor(steps / evalEvery)} (steps / evalEvery)`);
}

/** How many evaluations a trial makes: every evalEvery steps, and at the last step. */
export function evaluationPoints(steps: number, evalEvery: number): number {
  return Math.floor(steps / evalEvery) + (steps % evalEvery === 0 ? 0 : 1);
}
