/**
 * The report as JSON for scripts: everything the Markdown says, as data. Undefined numbers (an interval from
 * one seed) are null.
 */
import type { Summary } from '@l2x/stats';
import type { ReportRow, ReportTable } from './aggregate.ts';
import type { Report } from './build-report.ts';

type JsonSummary = { [K in keyof Summary]: number | null };

function summary(s: Summary): JsonSummary {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return { n: s.n, mean: finite(s.mean), std: finite(s.std), ci95: finite(s.ci95), low: finite(s.low), high: finite(s.high) };
}

function row(r: ReportRow) {
  return {
    rank: r.rank,
    label: r.label,
    settings: r.key,
    configs: r.configKeys.length,
    n: r.n,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([m, s]) => [m, summary(s)])),
  };
}

/** One table as plain data. */
export function tableJson(table: ReportTable) {
  return {
    sweep: table.sweep.name,
    status: table.sweep.status,
    metric: table.sweep.metric,
    partial: table.partial,
    counts: table.counts,
    configurations: table.configurations,
    groupBy: table.groupBy,
    keySettings: table.keySettings,
    metrics: table.metrics,
    best: row(table.best),
    bestOverlapsRunnerUp: table.bestOverlapsRunnerUp,
    notes: table.notes,
    rows: table.rows.map(row),
  };
}

export function formatJson(report: Report): string {
  const { comparison } = report;
  if (!comparison) return `${JSON.stringify({ kind: 'sweep', ...tableJson(report.tables[0]) }, null, 2)}\n`;
  const value = {
    kind: 'comparison',
    sweeps: comparison.tables.map(tableJson),
    keySettings: comparison.keySettings,
    rows: comparison.rows.map((r) => ({
      label: r.label,
      settings: r.key,
      sweeps: Object.fromEntries(comparison.tables.map((t, i) => [t.sweep.name, r.rows[i] ? row(r.rows[i]!) : null])),
    })),
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}
