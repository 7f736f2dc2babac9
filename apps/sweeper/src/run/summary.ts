/** The table printed when a sweep run ends: its configurations ranked by the sweep's metric. */
import type { RunSummary } from '@l2x/runner';
import type { ResultsStore } from '@l2x/store';
import { buildReport, renderMarkdown } from '@l2x/report';

export function printSummary(store: ResultsStore, sweepName: string, summary: RunSummary, write: (line: string) => void): void {
  write('');
  write(
    `sweep ${sweepName} ${summary.status}: ${summary.completed} completed, ${summary.failed} failed, ${summary.interrupted} interrupted of ${summary.total}`,
  );
  if (summary.completed === 0) return;
  write('');
  write(renderMarkdown(buildReport(store, { sweep: sweepName })));
}
