import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@l2x/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSweepFile, parseSweep } from '../src/index.ts';

const minimal = 'name: s\nmethod: grid\n';

describe('parseSweep', () => {
  it('fills in the defaults of a minimal file', () => {
    expect(parseSweep(minimal, 's.yaml')).toEqual({
      name: 's',
      method: 'grid',
      seeds: [0],
      metric: { name: 'hard_acc', goal: 'maximize' },
      trial: {},
      parameters: [],
      resources: { backend: 'auto', workers: 'auto', devices: 'auto', trialsPerDevice: 1, pack: 'auto' },
    });
  });

  it('reads the W&B-shaped example of the issue', () => {
    const spec = parseSweep(
      `name: tau
method: random
runCap: 20
seeds: [3, 1, 4]
metric: { name: loss, goal: minimize }
description: "an example"
trial:
  steps: 1000
  evalEvery: 100
parameters:
  tau:    { values: [0.05, 0.1, 0.2, 0.5, 1.0] }
  anneal: { value: constant }
  lr:     { distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2 }
resources:
  backend: tensorflow-gpu
  workers: 4
  devices: [0, 1]
  trialsPerDevice: 2
  pack: off
`,
      'tau.yaml',
    );
    expect(spec).toEqual({
      name: 'tau',
      method: 'random',
      runCap: 20,
      seeds: [3, 1, 4],
      metric: { name: 'loss', goal: 'minimize' },
      description: 'an example',
      trial: { steps: 1000, evalEvery: 100 },
      parameters: [
        { name: 'tau', spec: { values: [0.05, 0.1, 0.2, 0.5, 1] } },
        { name: 'anneal', spec: { value: 'constant' } },
        { name: 'lr', spec: { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 } },
      ],
      resources: { backend: 'tensorflow-gpu', workers: 4, devices: [0, 1], trialsPerDevice: 2, pack: 'off' },
    });
  });

  it('keeps the parameters in file order, not the settings order', () => {
    const spec = parseSweep(`${minimal}parameters:\n  tau: { values: [0.1] }\n  k: { values: [1] }\n  attention: { value: batch }\n`, 's.yaml');
    expect(spec.parameters.map((p) => p.name)).toEqual(['tau', 'k', 'attention']);
  });

  it('accepts every distribution with its arguments in a random sweep', () => {
    const spec = parseSweep(
      `name: r
method: random
runCap: 3
parameters:
  tau: { distribution: uniform, min: 0.1, max: 1 }
  k: { distribution: int_uniform, min: 1, max: 4 }
  lr: { distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2 }
  auxWeight: { distribution: q_uniform, min: 0, max: 1, q: 0.25 }
  dModel: { distribution: q_log_uniform_values, min: 16, max: 64, q: 16 }
  weightDecay: { distribution: normal, mu: 0.5, sigma: 0.01 }
`,
      'r.yaml',
    );
    expect(spec.parameters.map((p) => p.spec)).toEqual([
      { distribution: 'uniform', min: 0.1, max: 1 },
      { distribution: 'int_uniform', min: 1, max: 4 },
      { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 },
      { distribution: 'q_uniform', min: 0, max: 1, q: 0.25 },
      { distribution: 'q_log_uniform_values', min: 16, max: 64, q: 16 },
      { distribution: 'normal', mu: 0.5, sigma: 0.01 },
    ]);
  });

  it('follows YAML anchors and aliases', () => {
    const spec = parseSweep(`${minimal}trial: &base { steps: 50 }\nparameters:\n  tau: { values: [0.1, 0.2] }\n`, 's.yaml');
    expect(spec.trial).toEqual({ steps: 50 });
  });

  it('names the file it was given in every message', () => {
    expect(() => parseSweep('name: s\nmethod: grid\nseeds: 0\n', 'sweeps/x.yaml')).toThrow(/^sweeps\/x\.yaml:3:8: seeds: /);
  });
});

describe('loadSweepFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'l2x-sweep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says a missing file is not found, on one line', () => {
    const path = join(dir, 'nope.yaml');
    expect(() => loadSweepFile(path)).toThrow(new UserError(`sweep file not found: ${path}`));
  });

  it('says a directory is not a sweep file', () => {
    expect(() => loadSweepFile(dir)).toThrow(new UserError(`sweep file is a directory, not a file: ${dir}`));
  });

  it('writes nothing while parsing, valid file or not', () => {
    const before = readdirSync(dir);
    expect(() => loadSweepFile(join(dir, 'missing.yaml'))).toThrow(UserError);
    expect(() => parseSweep('name: [', join(dir, 'bad.yaml'))).toThrow(UserError);
    parseSweep(minimal, join(dir, 'good.yaml'));
    expect(readdirSync(dir)).toEqual(before);
  });
});

describe('bayes and early_terminate', () => {
  it('takes bayes over values lists only (categorical TPE), with Optuna\'s defaults', () => {
    const spec = parseSweep('name: b\nmethod: bayes\nrunCap: 4\nparameters:\n  sampler: { values: [gumbel-max, straight-through] }\n  k: { values: [2, 3] }\n', 'b.yaml');
    expect(spec.bayes).toEqual({ nStartupTrials: 10, nEiCandidates: 24, seed: 0 });
    expect(spec.earlyTerminate).toBeUndefined();
  });

  it('reads hyperband from min_iter, or from max_iter and s, and median with Optuna\'s defaults', () => {
    const base = 'name: e\nmethod: random\nrunCap: 3\ntrial: { steps: 1000, evalEvery: 100 }\nparameters:\n  tau: { values: [0.1, 0.5] }\n';
    expect(parseSweep(`${base}early_terminate: { type: hyperband, min_iter: 2 }\n`, 'e.yaml').earlyTerminate).toEqual({ type: 'hyperband', minIter: 2, eta: 3, strict: false });
    expect(parseSweep(`${base}early_terminate: { type: hyperband, max_iter: 9, s: 2, eta: 3, strict: true }\n`, 'e.yaml').earlyTerminate).toEqual({ type: 'hyperband', minIter: 1, eta: 3, strict: true });
    expect(parseSweep(`${base}early_terminate: { type: median }\n`, 'e.yaml').earlyTerminate).toEqual({ type: 'median', nStartupTrials: 5, nWarmupSteps: 0 });
    expect(parseSweep(`${base.replace('random\nrunCap: 3', 'grid')}early_terminate: { type: median, n_warmup_steps: 200 }\n`, 'e.yaml').earlyTerminate).toEqual({ type: 'median', nStartupTrials: 5, nWarmupSteps: 200 });
  });
});
