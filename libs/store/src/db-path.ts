/** Where results.db lives: `results/results.db` in the workspace, unless the user says otherwise. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The workspace root (three folders above libs/store/src). The portable bundle (`sweeper:bundle`) has no
 * workspace: it sets L2X_ROOT to the folder it is run from.
 */
export const WORKSPACE_ROOT = process.env.L2X_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_DB = 'results/results.db';

/**
 * The database a command means: a path the user typed is taken from the folder they typed it in (`cwd`;
 * Nx runs targets from the workspace root, npm and Nx keep the user's folder in INIT_CWD); none, the default.
 */
export function resolveDbPath(given: string | undefined, cwd: string): string {
  return given === undefined ? resolve(WORKSPACE_ROOT, DEFAULT_DB) : resolve(cwd, given);
}
