/** Where results.db lives: `results/results.db` in the workspace, unless the user says otherwise. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The workspace root (three folders above libs/store/src). The portable bundle (`sweeper:bundle`) has no
 * workspace: it sets L2X_ROOT to the folder it is run from.
 */
export const WORKSPACE_ROOT = process.env.L2X_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_DB = 'results/results.db';

/** The environment variable that names the database when `--db` is not given (a path or a postgres:// URL). */
export const DB_ENV = 'L2X_DB';

/** Whether `--db` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * The database a command means: `--db`, else $L2X_DB, else the default. A postgres:// URL as it is; a path the user
 * typed is taken from the folder they typed it in (`cwd`; Nx runs targets from the workspace root, npm and Nx keep
 * the user's folder in INIT_CWD); the default, from the workspace root.
 */
export function resolveDbPath(given: string | undefined, cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const location = given ?? (env[DB_ENV] || undefined);
  if (location === undefined) return resolve(WORKSPACE_ROOT, DEFAULT_DB);
  return isPostgresUrl(location) ? location : resolve(cwd, location);
}
