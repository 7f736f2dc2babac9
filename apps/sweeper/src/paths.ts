/** Paths the user types are relative to where they typed them; Nx runs targets from the workspace root. */
import { isAbsolute, resolve } from 'node:path';
import { WORKSPACE_ROOT, resolveDbPath } from '@l2x/store';

export { WORKSPACE_ROOT, DEFAULT_DB } from '@l2x/store';

/** The folder the user typed the command in: npm and Nx keep it in INIT_CWD. */
export function userCwd(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

/** A path given on the command line, resolved from the user's folder; a default, from the workspace root. */
export function userPath(given: string | undefined, fallback: string): string {
  if (given === undefined) return resolve(WORKSPACE_ROOT, fallback);
  return isAbsolute(given) ? given : resolve(userCwd(), given);
}

/** The database `--db` names (a path from the user's folder, or a postgres:// URL), else $L2X_DB, else the default. */
export function dbLocation(given: string | undefined): string {
  return resolveDbPath(given, userCwd());
}
