/**
 * `sweeper agent --db URL --sweep NAME`: joins a sweep that `sweeper run` planned (from any machine that reaches
 * the database), works its trials, and exits 0 once every trial is final; while trials still run elsewhere it
 * waits, ready to take over any whose lease expires.
 */
import type { Command } from 'commander';
import { joinSweep } from '@l2x/runner';
import { dbLocation } from '../paths.ts';
import { plainOutput } from '../run/plain-output.ts';
import { onSignals, openStore, workOptions, workSettings, type WorkFlags } from './common.ts';

interface AgentFlags extends WorkFlags {
  sweep: string;
}

export async function agent(flags: AgentFlags, argv: string[]): Promise<number> {
  const store = await openStore(dbLocation(flags.db));
  try {
    await store.sweep(flags.sweep); // an unknown sweep: one line naming those there are
    const stop = new AbortController();
    const { release } = onSignals(stop);
    const lines = plainOutput((line) => process.stdout.write(`${line}\n`));
    const summary = await joinSweep({
      store,
      sweepName: flags.sweep,
      ...workSettings(flags, argv),
      signal: stop.signal,
      onEvent: lines,
    }).finally(release);
    process.stdout.write(
      `agent done: sweep ${flags.sweep} ${summary.status === 'interrupted' ? 'left (interrupted)' : 'final'}: ${summary.completed} completed, ${summary.failed} failed, ${summary.pruned} pruned of ${summary.total}\n`,
    );
    return summary.status === 'interrupted' ? 130 : 0;
  } finally {
    await store.close();
  }
}

export function registerAgent(program: Command): void {
  workOptions(
    program
      .command('agent')
      .description('work a sweep planned by `run` (from any machine that reaches its database) until every trial is final')
      .requiredOption('--sweep <name>', 'the sweep to work (planned before by sweeper run)'),
  ).action(async (flags: AgentFlags, command: Command) => {
      process.exitCode = await agent(flags, command.parent?.args ?? process.argv.slice(2));
    });
}
