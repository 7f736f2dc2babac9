/**
 * Where a trial is in its life, in Optuna's words. A trial is `queued` when planned, `running` while a
 * worker has it (with heartbeats), and ends `completed` or `failed`. `interrupted` is a trial whose run was
 * stopped (Ctrl-C, a dead worker) before it ended: it runs again when the sweep resumes.
 */
export const TrialState = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  interrupted: 'interrupted',
} as const;

export type TrialState = (typeof TrialState)[keyof typeof TrialState];

export const TRIAL_STATES = Object.values(TrialState) as readonly TrialState[];

/** States a trial never leaves: a re-run of the sweep skips `completed`, and `failed` unless asked to retry. */
export function isFinished(state: TrialState): boolean {
  return state === TrialState.completed || state === TrialState.failed;
}
