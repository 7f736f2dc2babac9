import { UserError } from '@l2x/errors';

/** Where in a sweep file a mistake is. `line` and `col` are 1-based, as editors count them. */
export interface SweepFileLocation {
  file: string;
  line: number;
  col: number;
  /** `parameters.tau.values[2]`, or '' for a YAML syntax error. */
  keyPath: string;
}

/**
 * A mistake in a sweep file, as one line: `FILE:LINE:COL: KEY.PATH: got VALUE; allowed …`.
 * It is a UserError, so CLIs print the message alone and exit 2.
 */
export class SweepFileError extends UserError {
  readonly location: SweepFileLocation;

  constructor(location: SweepFileLocation, detail: string) {
    const where = `${location.file}:${location.line}:${location.col}`;
    super(`${where}: ${location.keyPath ? `${location.keyPath}: ` : ''}${detail}`);
    this.location = location;
  }
}
