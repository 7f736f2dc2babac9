/** The table printed when a sweep run ends: its configurations ranked by the sweep's metric. */
import type { RunSummary } from '@l2x/runner';
import type { ResultsStore } from '@l2x/store';

export async function printSummary(store: ResultsStore, sweepName: string, summary: RunSummary, write: (line: string) => void): Promise<void> {
  write('');
  write(
    `sweep ${sweepName} ${summary.status}: ${summary.completed} completed, ${summary.pruned ? `${summary.pruned} pruned, ` : ''}${summary.failed} failed, ${summary.interrupted} interrupted of ${summary.total}`,
  );
  if (summary.completed === 0) return;
  const { buildReport, formatMarkdown } = await import('@l2x/report'); // vega comes with it: load it only now
  write('');
  write(formatMarkdown(await buildReport(store, { sweep: sweepName, curves: false })));
}
