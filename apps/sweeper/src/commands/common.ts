/** What `run` and `agent` share: the database option, opening the store, the lease option, Ctrl-C. */
import { InvalidArgumentError } from 'commander';
import { DB_ENV, DEFAULT_DB, ResultsStore, redact } from '@l2x/store';

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
