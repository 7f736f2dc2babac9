/**
 * The domain types of a sweep: the parsed sweep file (`SweepSpec`) and the trials it plans (`PlannedTrial`).
 * Shaped like W&B sweep files and Optuna studies, so that users of either find their way.
 */
import type { BackendName, MetricName, SettingName, Settings } from '@l2x/model/config';

export const SWEEP_METHODS = ['grid', 'random', 'bayes'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

export const METRIC_GOALS = ['maximize', 'minimize'] as const;
export type MetricGoal = (typeof METRIC_GOALS)[number];

/** Distributions a random sweep draws from (W&B's names). */
export const DISTRIBUTIONS = [
  'uniform',
  'int_uniform',
  'log_uniform_values',
  'q_uniform',
  'q_log_uniform_values',
  'normal',
] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** One setting's value: a number or one of its names. */
export type SettingValue = Settings[SettingName];

/** How one swept setting varies. `value` and `values` work with both methods, distributions only with random. */
export type ParameterSpec =
  | { value: SettingValue }
  | { values: SettingValue[] }
  | { distribution: 'uniform' | 'int_uniform' | 'log_uniform_values'; min: number; max: number }
  | { distribution: 'q_uniform' | 'q_log_uniform_values'; min: number; max: number; q: number }
  | { distribution: 'normal'; mu: number; sigma: number };

/** A swept setting, in the order the file lists it (the grid's nesting order: the first varies slowest). */
export interface SweptParameter {
  name: SettingName;
  spec: ParameterSpec;
}

export interface SweepMetric {
  name: MetricName;
  goal: MetricGoal;
}

/** What the sweep may use. `auto` leaves the choice to the runner, which knows the machine. */
export interface SweepResources {
  backend: BackendName;
  workers: 'auto' | number;
  /** GPU indices (`CUDA_VISIBLE_DEVICES`), or `auto` for all. */
  devices: 'auto' | number[];
  trialsPerDevice: number;
  /** Pack up to N same-shaped trials into one computation; `off` = one trial per computation. */
  pack: 'auto' | 'off' | number;
}

/** `bayes:` options (Optuna's TPESampler names, camel-cased). */
export interface BayesOptions {
  /** Configurations drawn at random before the model takes over (Optuna's n_startup_trials). */
  nStartupTrials: number;
  /** Candidates drawn from l(x) per new configuration; the one with the largest l(x)/g(x) wins. */
  nEiCandidates: number;
  /** Mixed with the sweep's name into the seed of every draw. */
  seed: number;
}

/** `early_terminate:` in W&B's shape. hyperband counts in evaluations (`evalEvery` training steps each); median's nWarmupSteps is in training steps, as Optuna's. */
export type EarlyTerminate =
  | { type: 'hyperband'; minIter: number; eta: number; strict: boolean }
  | { type: 'median'; nStartupTrials: number; nWarmupSteps: number };

/** A parsed, valid sweep file. Every configuration it expands to is valid settings. */
export interface SweepSpec {
  /** The sweep's identity in the database: running the same name again resumes it. */
  name: string;
  method: SweepMethod;
  /** Random and bayes: how many configurations to draw (random collapses duplicates, so fewer may run). */
  runCap?: number;
  /** Bayes only: the TPE sampler's options, defaults filled in. */
  bayes?: BayesOptions;
  /** Stop trials early at evaluation points (hyperband or median); absent: every trial runs its steps. */
  earlyTerminate?: EarlyTerminate;
  /** Every configuration runs once per seed. A count n in the file means seeds 0..n-1. */
  seeds: number[];
  metric: SweepMetric;
  description?: string;
  /** Settings fixed for every trial; the rest are the model's defaults. */
  trial: Partial<Settings>;
  parameters: SweptParameter[];
  resources: SweepResources;
}

/** One trial the sweep will run: a configuration and a seed. */
export interface PlannedTrial {
  /** `trialKey(settings)`: stable across runs and machines; the trial's identity in the database. */
  key: string;
  /** `configKey(settings)`: the same for every seed of one configuration. */
  configKey: string;
  seed: number;
  /** Every setting, resolved (defaults filled in, seed included). */
  settings: Settings;
  /** Just the swept values (the file's `parameters`), for labels and grouping. */
  params: Partial<Settings>;
}
