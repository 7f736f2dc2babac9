/** What the store suites write: a run's environment, a trial of the tau sweep, the sweep itself. */
import { DEFAULT_SETTINGS, type Settings } from '@l2x/model/config';
import type { RunEnvironment, TrialInput } from '../src/index.ts';

export const env: RunEnvironment = {
  host: 'test-host', pid: process.pid, gitCommit: 'abc123', gitDirty: false, nodeVersion: process.version,
  tfjsVersion: '4.22.0', backend: 'cpu', kernels: 'wasm+native avx2', workers: 1, argv: ['--config', 'x.yaml'],
};

export function trial(tau: number, seed: number): TrialInput {
  const settings: Settings = { ...DEFAULT_SETTINGS, tau, seed, steps: 50 };
  return { key: `t${tau}-s${seed}`, configKey: `t${tau}`, seed, settings, params: { tau } };
}

export const sweepInput = {
  name: 'tau', configText: 'name: tau', configHash: 'h1', configPath: 'sweeps/tau.yaml',
  metric: { name: 'hard_acc' as const, goal: 'maximize' as const }, swept: ['tau'],
};
