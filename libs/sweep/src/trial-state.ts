/**
 * Where a trial is in its life, in Optuna's words. A trial is `queued` when planned, `running` while a
 * worker has it (with heartbeats), and ends `completed`, `failed` or `pruned` (stopped early by the sweep's
 * `early_terminate`: final, like completed, with its curve up to the step where it stopped). `interrupted` is a
 * trial whose run was stopped (Ctrl-C, a dead worker) before it ended: it runs again when the sweep resumes.
 */
export const TrialState = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  interrupted: 'interrupted',
  pruned: 'pruned',
} as const;

export type TrialState = (typeof TrialState)[keyof typeof TrialState];

export const TRIAL_STATES = Object.values(TrialState) as readonly TrialState[];

/** States a trial never leaves: a re-run of the sweep skips `completed` and `pruned`, and `failed` unless asked to retry. */
export function isFinished(state: TrialState): boolean {
  return state === TrialState.completed || state === TrialState.failed || state === TrialState.pruned;
}
