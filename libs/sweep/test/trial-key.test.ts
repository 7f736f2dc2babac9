import type { Settings } from '@l2x/model/config';
import { describe, expect, it } from 'vitest';
import { TRIAL_STATES, TrialState, canonicalJson, configKey, isFinished, sha256, trialKey } from '../src/index.ts';

/** A fixed, complete settings object, so that these golden keys do not move when a model default does. */
const settings: Settings = {
  task: 'majority', vocab: 10, tokens: 9, labelTokens: 5, attention: 'tokens', dModel: 32, heads: 4, ff: 2048,
  layers: 1, dropout: 0.1, approximator: 'shared', k: 3, sampler: 'gumbel-max', tau: 0.1, tauMin: 0.1,
  anneal: 'constant', annealRate: 0.001, auxWeight: 0, lr: 0.0005, weightDecay: 0.01, batchSize: 128,
  steps: 1000, evalEvery: 100, evalSize: 4096, seed: 0,
};

const GOLDEN_TRIAL_KEY = 'cdcfda0e9c698cac';
const GOLDEN_CONFIG_KEY = '9088db86a42c3409';

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});

describe('trialKey and configKey', () => {
  it('are the first 16 hex digits of the sha256 of the canonical settings', () => {
    expect(trialKey(settings)).toBe(sha256(canonicalJson(settings)).slice(0, 16));
    const { seed: _seed, ...rest } = settings;
    expect(configKey(settings)).toBe(sha256(canonicalJson(rest)).slice(0, 16));
  });

  it('are stable (golden values: changing them orphans every stored trial)', () => {
    expect(trialKey(settings)).toBe(GOLDEN_TRIAL_KEY);
    expect(configKey(settings)).toBe(GOLDEN_CONFIG_KEY);
  });

  it('ignore key order; the trial key sees the seed, the config key does not', () => {
    const reversed = Object.fromEntries(Object.entries(settings).reverse()) as Settings;
    expect(trialKey(reversed)).toBe(trialKey(settings));
    expect(trialKey({ ...settings, seed: 1 })).not.toBe(trialKey(settings));
    expect(configKey({ ...settings, seed: 1 })).toBe(configKey(settings));
    expect(configKey({ ...settings, tau: 0.2 })).not.toBe(configKey(settings));
  });
});

describe('TrialState', () => {
  it('has the Optuna states', () => {
    expect(TRIAL_STATES).toEqual(['queued', 'running', 'completed', 'failed', 'interrupted', 'pruned']);
    expect(TrialState.completed).toBe('completed');
    expect(TRIAL_STATES.filter(isFinished)).toEqual(['completed', 'failed', 'pruned']);
  });
});
