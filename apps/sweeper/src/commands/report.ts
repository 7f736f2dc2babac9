/**
 * `sweeper report --sweep NAME`: a sweep's results as a table on stdout (Markdown, CSV or JSON) and as plots
 * with an index.md in results/reports/<sweep>/. Reads results.db read-only. Bad input is one line
 * `report: …` on stderr and a non-zero exit; nothing is written anywhere then.
 *
 * @l2x/report brings vega, vega-lite and resvg: it is imported when the command runs, so that `sweeper run`
 * (main.ts registers every command) does not load them.
 */
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { UserError, isUserError } from '@l2x/errors';
import type { Report } from '@l2x/report';
import { redact } from '@l2x/store';
import { dbLocation, userCwd, userPath } from '../paths.ts';
import { DB_OPTION } from './common.ts';

export interface ReportFlags {
  sweep?: string;
  db?: string;
  by?: string;
  format?: string;
  out?: string;
  compare?: string;
}

/** Where the command writes; tests give their own. */
export interface ReportIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Sets the exit code (of the process, by default). */
  exit: (code: number) => void;
}

const processIo: ReportIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  exit: (code) => void (process.exitCode = code),
};

/** A path as the user would type it: relative to their folder when inside it. */
function shown(path: string): string {
  const rel = relative(userCwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** The command that makes this report again (for index.md): the options that shape it, not the paths. */
function commandLine(flags: ReportFlags, report: Report): string {
  const parts = ['npx nx run sweeper:report', `--sweep ${report.tables[0].sweep.name}`];
  if (flags.by) parts.push(`--by ${flags.by}`);
  if (report.tables[1]) parts.push(`--compare ${report.tables[1].sweep.name}`);
  return parts.join(' ');
}

async function missingSweep(ReportReader: typeof import('@l2x/report').ReportReader, dbPath: string): Promise<UserError> {
  let names: string[] = [];
  try {
    const reader = await ReportReader.open(dbPath);
    try {
      names = (await reader.listSweeps()).map((s) => s.name);
    } finally {
      await reader.close();
    }
  } catch {
    // No readable database: the message just asks for the option.
  }
  return new UserError(`--sweep NAME is required${names.length ? `; sweeps in ${dbPath.includes('://') ? redact(dbPath) : shown(dbPath)}: ${names.join(', ')}` : ''}`);
}

/** Runs the report; throws UserError for anything the user can fix. */
export async function report(flags: ReportFlags, io: Pick<ReportIo, 'stdout' | 'stderr'> = processIo): Promise<void> {
  const { ReportReader, buildReport, defaultReportDir, formatReport, parseFormat, writeReport } = await import('@l2x/report');
  const format = parseFormat(flags.format ?? 'md');
  const dbPath = dbLocation(flags.db);
  if (!flags.sweep) throw await missingSweep(ReportReader, dbPath);

  const reader = await ReportReader.open(dbPath);
  let built: Report;
  try {
    built = await buildReport(reader, { sweep: flags.sweep, by: flags.by ?? null, compare: flags.compare ?? null });
  } finally {
    await reader.close();
  }

  const outDir = userPath(flags.out, defaultReportDir(built));
  const written = await writeReport(built, outDir, { command: commandLine(flags, built) });
  io.stdout(formatReport(built, format));
  // Markdown carries the notes (still running, failed trials left out); CSV and JSON readers see them here.
  if (format !== 'md') for (const table of built.tables) for (const note of table.notes) io.stderr(`report: ${note}\n`);
  io.stderr(`report: wrote ${written.files.join(', ')} to ${shown(written.dir)}/\n`);
}

export function registerReport(program: Command, io: ReportIo = processIo): void {
  program
    .command('report')
    .description('tables and plots of a sweep: mean ± 95% CI over seeds per configuration, ranked by the sweep metric')
    .option('--sweep <name>', 'the sweep to report on (its name in the database)')
    .option(...DB_OPTION)
    .option('--by <setting>', 'one row per value of this setting instead of per configuration, e.g. tau')
    .option('--format <format>', 'format on stdout: md | csv | json | html (a self-contained page; default: md)')
    .option('--out <dir>', 'folder for index.md and the plots (default: results/reports/<sweep>)')
    .option('--compare <other>', "a second sweep to put side by side, e.g. the notebook's attention: tokens")
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`report: ${text.replace(/^error: /, '')}`),
    })
    .action(async (flags: ReportFlags) => {
      try {
        await report(flags, io);
      } catch (error) {
        if (!isUserError(error)) throw error;
        io.stderr(`report: ${error.message}\n`);
        io.exit(error.exitCode);
      }
    });
}
