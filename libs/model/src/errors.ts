/** Errors a training run can end with (besides a UserError for bad settings or a missing backend). */

/** The training loss became NaN or ±Infinity: the trial diverged. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    /** The first step (1-based) whose loss was not finite. */
    readonly step: number,
  ) {
    super(`the training loss became NaN or infinite at step ${step}`);
  }
}

/** Training was stopped through its AbortSignal (thrown between steps). */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  constructor(step: number, options?: { cause?: unknown }) {
    super(`training aborted after step ${step}`, options);
  }
}
