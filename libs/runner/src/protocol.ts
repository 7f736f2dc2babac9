/**
 * Messages between the sweeper (parent) and its workers (child processes, one computation at a time).
 * A job is one trial, or a pack of same-shaped trials trained together; the parent is the only process
 * that writes the results database, so everything a worker learns comes back as one of these.
 */
import type { BackendName, Metrics, Settings } from '@l2x/model/config';
import type { KernelChoice } from '@l2x/native-kernels';

export interface JobTrial {
  trialId: number;
  settings: Settings;
}

/**
 * `run` with `judged` (the sweep has early_terminate): after each evaluation the worker reports `evaluated` and
 * waits for the parent's `verdict`, the trials that stop there (pruned).
 */
export type ParentMessage =
  | { type: 'run'; jobId: number; backend: BackendName; kernels: KernelChoice; trials: JobTrial[]; judged: boolean }
  | { type: 'verdict'; jobId: number; step: number; stop: number[] }
  | { type: 'stop' };

export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started'; jobId: number; backend: string; kernels: string; tfjsVersion: string; device: string; skipped: string[] }
  | { type: 'progress'; jobId: number; trialId: number; step: number }
  | { type: 'eval'; jobId: number; trialId: number; step: number; tau: number; metrics: Metrics }
  | { type: 'completed'; jobId: number; trialId: number; backend: string; kernels: string; metrics: Metrics; trainMs: number }
  | { type: 'failed'; jobId: number; trialId: number; error: string; backend?: string }
  | { type: 'evaluated'; jobId: number; step: number; trialIds: number[] }
  | { type: 'idle'; jobId: number };
