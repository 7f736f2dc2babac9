export { TrialState, TRIAL_STATES, isFinished } from './trial-state.ts';
export {
  SWEEP_METHODS,
  METRIC_GOALS,
  DISTRIBUTIONS,
  type SweepMethod,
  type BayesOptions,
  type EarlyTerminate,
  type MetricGoal,
  type Distribution,
  type SettingValue,
  type ParameterSpec,
  type SweptParameter,
  type SweepMetric,
  type SweepResources,
  type SweepSpec,
  type PlannedTrial,
} from './sweep-spec.ts';
export { SweepFileError, type SweepFileLocation } from './sweep-file-error.ts';
export { sweepFileSchema, keysAllowedAt, SWEEP_FILE_KEYS, MAX_TRIALS, DISTRIBUTION_ARGS, BAYES_DEFAULTS, EARLY_TERMINATE_TYPES, evaluationPoints, type SweepFile } from './sweep-file-schema.ts';
export { parseSweep, loadSweepFile, type LoadedSweep } from './parse-sweep.ts';
export { expandSweep, configurations, trialsOf, type Configuration, type ParameterPick } from './expand-sweep.ts';
export { SearchSpace, type Dimension, type Point } from './search/space.ts';
export { ParzenEstimator } from './search/parzen.ts';
export { TpeSampler, gamma, type Sampler, type Observation } from './search/tpe-sampler.ts';
export { HyperbandPruner, MedianPruner, createPruner, hyperbandRungs, type Pruner, type Curve } from './search/pruners.ts';
export { trialKey, configKey, canonicalJson, sha256 } from './trial-key.ts';
