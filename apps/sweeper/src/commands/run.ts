/** `sweeper run --config FILE`: runs (or resumes) a sweep into results.db. */
import confirm from '@inquirer/confirm';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '@l2x/errors';
import { BACKENDS, type BackendName } from '@l2x/model/config';
import { KERNEL_CHOICES, KERNELS_ENV, type KernelChoice } from '@l2x/native-kernels';
import { runSweep, type RunnerEvent } from '@l2x/runner';
import { ResultsStore } from '@l2x/store';
import { loadSweepFile } from '@l2x/sweep';
import { DEFAULT_DB, WORKSPACE_ROOT, userPath } from '../paths.ts';
import { runEnvironment } from '../run/environment.ts';
import { plainOutput } from '../run/plain-output.ts';
import { printSummary } from '../run/summary.ts';

interface RunFlags {
  config: string;
  db?: string;
  workers?: number;
  backend?: BackendName;
  kernels?: KernelChoice;
  retryFailed?: boolean;
  fresh?: boolean;
  yes?: boolean;
  dashboard: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`got ${JSON.stringify(value)}; must be a whole number ≥ 1`);
  return n;
}

async function freshStart(store: ResultsStore, name: string, yes: boolean | undefined): Promise<void> {
  const existing = store.findSweep(name);
  if (!existing) return;
  const { total } = store.counts(existing.id);
  if (!yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new UserError(`--fresh deletes sweep ${JSON.stringify(name)} and its ${total} trials; add --yes to confirm when not at a terminal`);
    const ok = await confirm({ message: `Delete sweep ${JSON.stringify(name)} and its ${total} trials, and start it over?`, default: false });
    if (!ok) throw new UserError('--fresh: not confirmed; nothing was deleted', { exitCode: 1 });
  }
  store.deleteSweep(name);
}

export async function run(flags: RunFlags, argv: string[]): Promise<number> {
  const configPath = userPath(flags.config, flags.config);
  const sweep = loadSweepFile(configPath); // every problem with the file is reported before anything is written
  const dbPath = userPath(flags.db, DEFAULT_DB);
  const store = ResultsStore.open(dbPath);
  try {
    if (flags.fresh) await freshStart(store, sweep.spec.name, flags.yes);

    const stop = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts === 1) stop.abort();
      else process.exit(130); // at once: trials left running are reclaimed by the next run
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);

    const useDashboard = flags.dashboard && process.stdout.isTTY === true;
    const lines = plainOutput((line) => process.stdout.write(`${line}\n`));
    // Loaded only when shown: Ink and React cost a second of start-up that plain runs need not pay.
    const startDashboard = useDashboard ? (await import('@l2x/dashboard-ui')).startDashboard : undefined;
    let dashboard: { finish(): Promise<void> } | undefined;
    const onEvent = (event: RunnerEvent) => {
      if (!startDashboard) return lines(event);
      // On the dashboard, q and Ctrl-C arrive as keys (the terminal is raw): count them as Ctrl-C presses,
      // and keep the screen up while the sweep stops.
      if (event.type === 'planned' && !dashboard) dashboard = startDashboard({ dbPath, sweep: sweep.spec.name, onQuit: onSigint, exitOnQuit: false });
    };

    const summary = await runSweep({
      store,
      sweep,
      workers: flags.workers,
      backend: flags.backend,
      kernels: flags.kernels,
      retryFailed: flags.retryFailed,
      argv,
      env: runEnvironment(WORKSPACE_ROOT),
      signal: stop.signal,
      onEvent,
    }).finally(async () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      await dashboard?.finish(); // the last frame shows the sweep's end state, above the summary
    });

    await printSummary(store, sweep.spec.name, summary, (line) => process.stdout.write(`${line}\n`));
    if (summary.status === 'interrupted') return 130;
    return summary.failed > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run or resume a sweep (trials already completed are skipped)')
    .requiredOption('--config <file>', 'sweep file, e.g. sweeps/tau.yaml')
    .option('--db <path>', `results database (default: ${DEFAULT_DB})`)
    .option('--workers <n>', 'worker processes (default: the sweep file, or auto)', positiveInt)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend (default: the sweep file, or auto)').choices(BACKENDS))
    .addOption(
      new Option('--kernels <name>', 'matrix products under the wasm backend: the native kernel, TensorFlow.js\'s own, or native when built')
        .choices(KERNEL_CHOICES)
        .env(KERNELS_ENV)
        .default('auto'),
    )
    .option('--retry-failed', 'run failed trials again')
    .option('--fresh', 'delete the sweep and start it over (asks first, or --yes)')
    .option('--yes', 'do not ask before --fresh deletes')
    .option('--no-dashboard', 'plain lines instead of the live dashboard on a terminal')
    .action(async (flags: RunFlags, command: Command) => {
      process.exitCode = await run(flags, command.parent?.args ?? process.argv.slice(2));
    });
}
