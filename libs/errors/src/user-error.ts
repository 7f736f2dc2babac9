/**
 * A mistake in what the user gave us (a flag, a sweep file, a path, a database), as opposed to a bug.
 * CLIs print `message` alone, on one line, and exit non-zero; anything else that escapes is a bug and
 * is printed with its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** Exit code for the CLI (2 = bad input, as most Unix tools use it). */
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? 2;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
