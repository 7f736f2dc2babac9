/**
 * `dashboard --db PATH --sweep NAME`: the live dashboard on any results database, read-only.
 * Bad input (a missing or foreign file, no sweeps, an unknown sweep, a newer schema) is one line on stderr and a
 * non-zero exit, before anything is drawn; the database is never written.
 */
import { Command, CommanderError } from 'commander';
import { UserError, isUserError } from '@l2x/errors';
import { DEFAULT_DB, DB_ENV, ResultsReader, redact, resolveDbPath } from '@l2x/store';
import { startDashboard } from '@l2x/dashboard-ui';


export interface CliIo {
  stderr: { write(text: string): unknown };
  /** Where relative paths start: the folder the user typed the command in (npm and Nx set INIT_CWD). */
  cwd: string;
}

/** Opens the database and picks the sweep, or throws a one-line UserError. */
export async function openSweep(dbPath: string, sweep: string | undefined): Promise<{ reader: ResultsReader; sweep: string }> {
  const reader = await ResultsReader.open(dbPath);
  try {
    if (sweep !== undefined) return { reader, sweep: (await reader.sweep(sweep)).name };
    const latest = await reader.latestSweep();
    if (!latest) throw new UserError(`${redact(dbPath)} has no sweeps yet; start one with npx nx run sweeper:run --config sweeps/smoke.yaml`);
    return { reader, sweep: latest.name };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('dashboard')
    .description('Live terminal dashboard of a sweep: soft vs hard accuracy, progress, leaderboard (read-only)')
    .option('--db <path|url>', `results database: a SQLite file or postgres://USER@HOST:PORT/DATABASE (default: $${DB_ENV}, else ${DEFAULT_DB} in the workspace)`)
    .option('--sweep <name>', 'sweep to show (default: the latest)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => io.stderr.write(text) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<{ db?: string; sweep?: string }>();
  try {
    const dbPath = resolveDbPath(options.db, io.cwd);
    const { reader, sweep } = await openSweep(dbPath, options.sweep);
    try {
      const dashboard = await startDashboard({ dbPath, sweep, reader });
      await dashboard.waitUntilExit();
    } finally {
      await reader.close();
    }
    return 0;
  } catch (error) {
    if (isUserError(error)) {
      io.stderr.write(`dashboard: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return error.exitCode;
    }
    io.stderr.write(`dashboard: unexpected error (a bug; please report it with this output):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
