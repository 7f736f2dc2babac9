/**
 * The corpus of bad sweep files: each fixture in fixtures/bad must fail with exactly this one line,
 * FILE:LINE:COL: KEY.PATH: what is wrong; what is allowed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '@l2x/errors';
import { describe, expect, it } from 'vitest';
import { SweepFileError, parseSweep } from '../src/index.ts';

const dir = fileURLToPath(new URL('./fixtures/bad/', import.meta.url));

const expected: Record<string, string> = {
  'bad-backend.yaml':
    'bad-backend.yaml:4:12: resources.backend: got "gpu"; allowed: "auto", "tensorflow-gpu", "webgpu", "tensorflow", "wasm", "cpu"',
  'bad-devices.yaml':
    'bad-devices.yaml:4:16: resources.devices[1]: got -1; must be ≥ 0',
  'bad-metric-name.yaml':
    'bad-metric-name.yaml:3:17: metric.name: got "hard_accuracy"; allowed: "loss", "mean_acc", "soft_acc", "hard_acc", "gap", "precision", "mask_sum", "mask_distinct", "median_rank", "tpr", "fdr"',
  'bad-name.yaml':
    'bad-name.yaml:1:7: name: got "my sweep"; allowed: up to 64 letters, digits, ".", "_" and "-", starting with a letter or digit',
  'bad-pack.yaml':
    'bad-pack.yaml:4:9: resources.pack: got 0; must be ≥ 1',
  'bad-seeds.yaml':
    'bad-seeds.yaml:3:8: seeds: got "three"; allowed: a count n (seeds 0..n-1) or a list of seeds such as [0, 1, 2]',
  'bad-workers.yaml':
    'bad-workers.yaml:4:12: resources.workers: got "many"; allowed: "auto" or a number of workers ≥ 1',
  'categorical-distribution.yaml':
    'categorical-distribution.yaml:5:28: parameters.sampler.distribution: got "uniform"; sampler is categorical; allowed: value or values',
  'default-breaks-rule.yaml':
    'default-breaks-rule.yaml:4:3: k (the default): got 3; must be < tokens (3): an integer from 1 to 2',
  'drawn-out-of-range.yaml':
    'drawn-out-of-range.yaml:5:8: parameters.tau: drew -0.13266410059384776; must be > 0',
  'duplicate-values.yaml':
    'duplicate-values.yaml:4:29: parameters.tau.values[2]: got 0.1 twice (items 0 and 2); allowed: each value once',
  'duplicate-yaml-key.yaml':
    'duplicate-yaml-key.yaml:5:3: invalid YAML: Map keys must be unique',
  'duplicated-setting.yaml':
    'duplicated-setting.yaml:6:8: parameters.tau: got tau in both trial and parameters; allowed: fix it in trial or sweep it here, not both',
  'empty.yaml':
    'empty.yaml:1:1: got an empty file; allowed: a mapping with keys name, method, runCap, seeds, metric, bayes, early_terminate, description, trial, parameters, resources',
  'grid-with-distribution.yaml':
    'grid-with-distribution.yaml:5:23: parameters.lr.distribution: got "log_uniform_values"; a grid takes value or values; allowed: values: [...], or method: random',
  'integer-distribution.yaml':
    'integer-distribution.yaml:5:22: parameters.k.distribution: got "log_uniform_values"; k takes integers; allowed: int_uniform, q_uniform, q_log_uniform_values',
  'k-not-below-tokens.yaml':
    'k-not-below-tokens.yaml:6:23: parameters.k.values[2]: got 6; must be < tokens (6): an integer from 1 to 5',
  'min-not-below-max.yaml':
    'min-not-below-max.yaml:8:10: parameters.lr.max: got 0.001; must be > min (0.01)',
  'wrong-metric-goal.yaml':
    'wrong-metric-goal.yaml:5:9: metric.goal: got "maximize"; median_rank is better lower: allowed "minimize" (or leave goal out)',
  'missing-name.yaml':
    'missing-name.yaml:1:1: name: is required (string)',
  'missing-q.yaml':
    'missing-q.yaml:5:8: parameters.tau.q: got no q; allowed: distribution q_uniform needs min, max and q',
  'not-a-mapping.yaml':
    'not-a-mapping.yaml:1:1: got [{"name":"tau"},{"method":"grid"}]; allowed: a mapping with keys name, method, runCap, seeds, metric, bayes, early_terminate, description, trial, parameters, resources',
  'out-of-range.yaml':
    'out-of-range.yaml:4:26: parameters.lr.values[1]: got 2; must be ≤ 1',
  'parameter-not-a-mapping.yaml':
    'parameter-not-a-mapping.yaml:4:8: parameters.tau: got 0.1; allowed: {value: X}, {values: [X, …]} or {distribution: NAME, …}',
  'random-without-runcap.yaml':
    'random-without-runcap.yaml:2:9: method: got "random" without runCap; allowed: add runCap: N, how many configurations to draw',
  'runcap-with-grid.yaml':
    'runcap-with-grid.yaml:3:9: runCap: got 20; only used with method: random or bayes; allowed: remove it (a grid runs every combination)',
  'seed-in-trial.yaml':
    'seed-in-trial.yaml:5:9: trial.seed: got 7; seeds are set by the top-level `seeds:`; allowed: remove it from trial',
  'tau-min-above-tau.yaml':
    'tau-min-above-tau.yaml:4:11: trial.tauMin: got 0.2; must be ≤ tau (0.1) when anneal is "linear"',
  'two-documents.yaml':
    'two-documents.yaml:3:1: invalid YAML: a sweep file is one YAML document; this one has another after ---',
  'two-forms.yaml':
    'two-forms.yaml:4:30: parameters.tau.values: got [0.2,0.5]; cannot be combined with value; allowed: one of value, values, distribution',
  'typo-key.yaml':
    'typo-key.yaml:4:3: parameters.tua: unknown key "tua" (did you mean "tau"?); allowed: task, vocab, tokens, labelTokens, attention, dModel, heads, ff, layers, dropout, approximator, k, sampler, tau, tauMin, anneal, annealRate, auxWeight, lr, weightDecay, batchSize, steps, evalEvery, evalSize',
  'typo-parameter-form.yaml':
    'typo-parameter-form.yaml:4:8: parameters.k.vals: unknown key "vals" (did you mean "values"?); allowed: values, value, distribution, min, max, q, mu, sigma',
  'typo-top-level-key.yaml':
    'typo-top-level-key.yaml:3:1: paramters: unknown key "paramters" (did you mean "parameters"?); allowed: name, method, runCap, seeds, metric, bayes, early_terminate, description, trial, parameters, resources',
  'unknown-enum.yaml':
    'unknown-enum.yaml:4:32: parameters.anneal.values[1]: got "linaer"; allowed: "constant", "linear", "exponential", "cosine"',
  'unknown-method.yaml':
    'unknown-method.yaml:2:9: method: got "hyperband"; allowed: "grid", "random", "bayes"',
  'early-terminate-one-evaluation.yaml':
    'early-terminate-one-evaluation.yaml:4:18: early_terminate: got steps 100 with evalEvery 100: a single evaluation point, nothing to compare; allowed: evalEvery < steps, or no early_terminate',
  'min-iter-past-steps.yaml':
    'min-iter-past-steps.yaml:5:47: early_terminate.min_iter: got 4 evaluations (400 steps), past steps (300); allowed: at most 3 (steps / evalEvery)',
  'bayes-without-runcap.yaml':
    'bayes-without-runcap.yaml:2:9: method: got "bayes" without runCap; allowed: add runCap: N, how many configurations to draw',
  'bayes-options-with-random.yaml':
    'bayes-options-with-random.yaml:4:8: bayes: got bayes options with method: random; allowed: remove them, or method: bayes',
  'bayes-normal.yaml':
    'bayes-normal.yaml:5:24: parameters.tau.distribution: got "normal"; bayes searches bounded ranges; allowed: uniform, int_uniform, log_uniform_values, q_uniform, q_log_uniform_values or values',
  'early-terminate-wrong-key.yaml':
    'early-terminate-wrong-key.yaml:4:39: early_terminate.eta: got 3; not used by type median; allowed: n_startup_trials and n_warmup_steps',
  'bayes-typo.yaml':
    'bayes-typo.yaml:4:10: bayes.nStartup: unknown key "nStartup"; allowed: nStartupTrials, nEiCandidates, seed',
  'wrong-type.yaml':
    'wrong-type.yaml:4:10: trial.steps: got "many"; expected a number',
  'yaml-syntax.yaml':
    'yaml-syntax.yaml:4:28: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
};

function failure(file: string): unknown {
  try {
    parseSweep(readFileSync(`${dir}${file}`, 'utf8'), file);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('bad sweep files', () => {
  it('has an expected message for every fixture, and a fixture for every message', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', (file, message) => {
    const error = failure(file);
    expect(error).toBeInstanceOf(SweepFileError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('keeps the location apart for tools', () => {
    const error = failure('k-not-below-tokens.yaml') as SweepFileError;
    expect(error.location).toEqual({ file: 'k-not-below-tokens.yaml', line: 6, col: 23, keyPath: 'parameters.k.values[2]' });
    expect(error.exitCode).toBe(2);
  });
});
