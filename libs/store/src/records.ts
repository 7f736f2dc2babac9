/** The rows of results.db as the rest of the code sees them (camelCase, JSON parsed). */
import type { MetricName, Settings } from '@l2x/model/config';
import { TRIAL_STATES, type MetricGoal, type TrialState } from '@l2x/sweep';

/** The trial states of the sweep domain, as the store's `status` column holds them. */
export const TRIAL_STATUSES = TRIAL_STATES;
export type TrialStatus = TrialState;
export type SweepStatus = Exclude<TrialStatus, 'queued' | 'pruned'>;
export type Goal = MetricGoal;

export interface SweepRecord {
  id: number;
  name: string;
  configText: string;
  configHash: string;
  configPath: string | null;
  metric: { name: MetricName; goal: Goal };
  swept: string[];
  status: SweepStatus;
  createdAt: string;
  updatedAt: string;
}

export interface SweepInput {
  name: string;
  configText: string;
  configHash: string;
  configPath?: string | null;
  metric: { name: MetricName; goal: Goal };
  swept: string[];
}

/** A trial to be queued: what the sweep file expands to. */
export interface TrialInput {
  key: string;
  configKey: string;
  seed: number;
  settings: Settings;
  params: Partial<Settings>;
}

export interface TrialRecord extends TrialInput {
  id: number;
  sweepId: number;
  status: TrialStatus;
  runId: number | null;
  worker: number | null;
  backend: string | null;
  /** The matrix-product kernels that ran it (`wasm+native avx2`, `wasm`, …). */
  kernels: string | null;
  device: string | null;
  step: number;
  steps: number;
  attempts: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
  trainMs: number | null;
  error: string | null;
}

/** Where and how a sweeper invocation ran: recorded once per run, for reproducibility. */
export interface RunEnvironment {
  host: string;
  pid: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
  nodeVersion: string;
  tfjsVersion: string | null;
  backend: string;
  /** The product kernels this host gives under wasm (`wasm+native avx2`, `wasm`); null before schema 4. */
  kernels: string | null;
  workers: number;
  argv: string[];
  /** The GPUs the run's workers were bound to, with their drivers (JSON text); null for CPU workers. */
  devices?: string | null;
}

export interface RunRecord extends RunEnvironment {
  id: number;
  sweepId: number;
  status: SweepStatus;
  startedAt: string;
  finishedAt: string | null;
}

export type StatusCounts = Record<TrialStatus, number> & { total: number };

export interface SweepOverview extends SweepRecord {
  counts: StatusCounts;
}

export interface MetricPoint {
  trialId: number;
  name: string;
  step: number;
  value: number | null;
}

/** One trial as a search sees it: its configuration, state, the sweep metric's value (final, or where it was pruned) and step. */
export interface TrialOutcome {
  trialId: number;
  configKey: string;
  params: Record<string, unknown>;
  status: TrialStatus;
  value: number | null;
  step: number;
}

/** One trial's curve of one metric (value per evaluation step), with its status: what pruners judge. */
export interface TrialCurve {
  trialId: number;
  status: TrialStatus;
  values: Map<number, number>;
}

/** A finished trial with its final metrics (null when missing: failed and interrupted trials have none). */
export interface FinishedTrial extends TrialRecord {
  metrics: Record<MetricName, number | null>;
}
