/** `sweeper run --config FILE`: plans a sweep into the results database (SQLite or PostgreSQL) and works it, or resumes it. */
import confirm from '@inquirer/confirm';
import type { Command } from 'commander';
import { UserError } from '@l2x/errors';
import { runSweep, type RunnerEvent } from '@l2x/runner';
import { ResultsStore } from '@l2x/store';
import { loadSweepFile } from '@l2x/sweep';
import { dbLocation, userPath } from '../paths.ts';
import { plainOutput } from '../run/plain-output.ts';
import { printSummary } from '../run/summary.ts';
import { onSignals, openStore, workOptions, workSettings, type WorkFlags } from './common.ts';

interface RunFlags extends WorkFlags {
  config: string;
  fresh?: boolean;
  yes?: boolean;
  dashboard: boolean;
}

async function freshStart(store: ResultsStore, name: string, yes: boolean | undefined, stale: number): Promise<void> {
  const existing = await store.findSweep(name);
  if (!existing) return;
  // Never under a live agent: its writes would land in a sweep that no longer exists.
  const [holder, ...others] = await store.liveHolders(existing.id, stale);
  if (holder)
    throw new UserError(
      `--fresh: sweep ${JSON.stringify(name)} is being worked: run ${holder.runId} on ${holder.host} (pid ${holder.pid}) holds ${holder.trials} running trial${holder.trials === 1 ? '' : 's'} since ${holder.startedAt}` +
        `${others.length ? ` (and ${others.length} more run${others.length === 1 ? '' : 's'})` : ''}; stop it first, or wait ${stale} s after it died; nothing was deleted`,
    );
  const { total } = await store.counts(existing.id);
  if (!yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new UserError(`--fresh deletes sweep ${JSON.stringify(name)} and its ${total} trials; add --yes to confirm when not at a terminal`);
    const ok = await confirm({ message: `Delete sweep ${JSON.stringify(name)} and its ${total} trials, and start it over?`, default: false });
    if (!ok) throw new UserError('--fresh: not confirmed; nothing was deleted', { exitCode: 1 });
  }
  await store.deleteSweep(name);
}

export async function run(flags: RunFlags, argv: string[]): Promise<number> {
  const configPath = userPath(flags.config, flags.config);
  const sweep = loadSweepFile(configPath); // every problem with the file is reported before anything is written
  const dbPath = dbLocation(flags.db);
  const store = await openStore(dbPath);
  try {
    if (flags.fresh) await freshStart(store, sweep.spec.name, flags.yes, flags.staleAfter);

    const stop = new AbortController();
    const { onSigint, release } = onSignals(stop);

    const useDashboard = flags.dashboard && process.stdout.isTTY === true;
    const lines = plainOutput((line) => process.stdout.write(`${line}\n`));
    // Loaded only when shown: Ink and React cost a second of start-up that plain runs need not pay.
    const startDashboard = useDashboard ? (await import('@l2x/dashboard-ui')).startDashboard : undefined;
    let dashboard: { finish(): Promise<void> } | undefined;
    const onEvent = (event: RunnerEvent) => {
      if (!startDashboard) return lines(event);
      // On the dashboard, q and Ctrl-C arrive as keys (the terminal is raw): count them as Ctrl-C presses,
      // and keep the screen up while the sweep stops.
      if (event.type === 'planned' && !dashboard) {
        // GPUs left out are said above the screen, which shows the sweep, not the machine.
        for (const note of event.plan.notes) process.stdout.write(`note: ${note}\n`);
        // The sweep goes on without a screen when the dashboard cannot start (it says why, once).
        const starting = startDashboard({ dbPath, sweep: sweep.spec.name, onQuit: onSigint, exitOnQuit: false }).catch((error: unknown) => {
          process.stderr.write(`sweeper: no dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
          return undefined;
        });
        dashboard = { finish: async () => (await starting)?.finish() };
      }
    };

    const summary = await runSweep({
      store,
      sweep,
      ...workSettings(flags, argv),
      signal: stop.signal,
      onEvent,
    }).finally(async () => {
      release();
      await dashboard?.finish(); // the last frame shows the sweep's end state, above the summary
    });

    await printSummary(store, sweep.spec.name, summary, (line) => process.stdout.write(`${line}\n`));
    if (summary.status === 'interrupted') return 130;
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

export function registerRun(program: Command): void {
  workOptions(
    program
      .command('run')
      .description('run or resume a sweep (trials already completed are skipped)')
      .requiredOption('--config <file>', 'sweep file, e.g. sweeps/tau.yaml'),
  )
    .option('--fresh', 'delete the sweep and start it over (asks first, or --yes)')
    .option('--yes', 'do not ask before --fresh deletes')
    .option('--no-dashboard', 'plain lines instead of the live dashboard on a terminal')
    .action(async (flags: RunFlags, command: Command) => {
      process.exitCode = await run(flags, command.parent?.args ?? process.argv.slice(2));
    });
}
