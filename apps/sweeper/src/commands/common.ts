/** What `run` and `agent` share: the database option, the workers' options, opening the store, the lease option, Ctrl-C. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BACKENDS, type BackendName } from '@l2x/model/config';
import { KERNEL_CHOICES, KERNELS_ENV, type KernelChoice } from '@l2x/native-kernels';
import { DB_ENV, DEFAULT_DB, ResultsStore, redact } from '@l2x/store';
import { WORKSPACE_ROOT } from '../paths.ts';
import { runEnvironment } from '../run/environment.ts';

export const DB_OPTION = [
  '--db <path|url>',
  `results database: a SQLite file or postgres://USER@HOST:PORT/DATABASE (default: $${DB_ENV}, else ${DEFAULT_DB})`,
] as const;

export const STALE_AFTER_DEFAULT = 60;

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`got ${JSON.stringify(value)}; must be a whole number ≥ 1`);
  return n;
}

/** The options of a command that works a sweep (`run`, `agent`): the database, its workers, and the lease. */
export function workOptions(command: Command): Command {
  return command
    .option(...DB_OPTION)
    .option('--workers <n>', 'worker processes (default: the sweep file, or auto)', positiveInt)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend (default: the sweep file, or auto)').choices(BACKENDS))
    .addOption(
      new Option('--kernels <name>', "matrix products under the wasm backend: the native kernel, TensorFlow.js's own, or native when built")
        .choices(KERNEL_CHOICES)
        .env(KERNELS_ENV)
        .default('auto'),
    )
    .option('--retry-failed', 'run failed trials again')
    .option('--stale-after <seconds>', 'take back a running trial whose lease has not been renewed for this long', staleSeconds, STALE_AFTER_DEFAULT);
}

/** The flags workOptions adds. */
export interface WorkFlags {
  db?: string;
  workers?: number;
  backend?: BackendName;
  kernels?: KernelChoice;
  retryFailed?: boolean;
  staleAfter: number;
}

/** What those flags tell the runner, with the command line and this machine's environment for the run's record. */
export function workSettings(flags: WorkFlags, argv: string[]) {
  const { workers, backend, kernels, retryFailed, staleAfter } = flags;
  return { workers, backend, kernels, retryFailed, argv, env: runEnvironment(WORKSPACE_ROOT), staleSeconds: staleAfter };
}

/** `--stale-after SECONDS`: a positive number of seconds. */
export function staleSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`got ${JSON.stringify(value)}; must be a number of seconds > 0`);
  return n;
}

/** Opens the store; a lost PostgreSQL connection is retried with backoff, and said once on stderr. */
export function openStore(location: string): Promise<ResultsStore> {
  let told = false;
  return ResultsStore.open(location, {
    retry: {
      onRetry: (error, attempt) => {
        if (told) return;
        told = true;
        process.stderr.write(`sweeper: lost the database ${redact(location)} (${error.message}); reconnecting (try ${attempt})…\n`);
      },
    },
  });
}

/**
 * Ctrl-C and SIGTERM: the first stops cleanly (this process's running trials become interrupted; other agents'
 * are untouched), a second exits at once (its trials' leases expire and another agent takes them back).
 */
export function onSignals(stop: AbortController): { onSigint: () => void; release: () => void } {
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) stop.abort();
    else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    onSigint,
    release: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    },
  };
}
