#!/usr/bin/env -S npx tsx
/**
 * The sweeper CLI: `run` a sweep, join one as an `agent`, `report` on one. User errors print one line and exit non-zero;
 * anything else is a bug and prints its stack.
 */
import { Command } from 'commander';
import { isUserError } from '@l2x/errors';
import { registerAgent } from './commands/agent.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';

const program = new Command('sweeper')
  .description('hyperparameter sweeps of Gumbel-softmax feature-selection explainers (L2X)')
  .showSuggestionAfterError()
  .showHelpAfterError('(add --help for the options)');
registerRun(program);
registerAgent(program);
registerReport(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isUserError(error)) {
    process.stderr.write(`sweeper: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else throw error;
}
