/**
 * The report as CSV for scripts: one row per table row, settings as their own columns, and for each metric its
 * mean, standard deviation, 95% half-width and interval bounds at full precision (empty when undefined).
 * A comparison prefixes each sweep's columns with its name (`batch.hard_acc_mean`).
 */
import { stringify } from 'csv-stringify/sync';
import type { Summary } from '@l2x/stats';
import { metricOf, type ReportRow, type ReportTable } from './aggregate.ts';
import type { Report } from './build-report.ts';
import { comparisonMetrics } from './format-markdown.ts';
import type { Comparison } from './compare.ts';
import type { MetricName } from '@l2x/model/config';

/** The columns kept per metric. */
export const SUMMARY_FIELDS = ['mean', 'std', 'ci95', 'low', 'high'] as const satisfies readonly (keyof Summary)[];

function number(value: number): number | '' {
  return Number.isFinite(value) ? value : '';
}

function metricColumns(metrics: readonly MetricName[], prefix = ''): string[] {
  return metrics.flatMap((m) => SUMMARY_FIELDS.map((f) => `${prefix}${m}_${f}`));
}

function metricCells(row: ReportRow | null, metrics: readonly MetricName[]): (number | '')[] {
  return metrics.flatMap((m) => SUMMARY_FIELDS.map((f) => (row ? number(metricOf(row, m)[f]) : '')));
}

function tableCsv(table: ReportTable): unknown[][] {
  const header = ['rank', ...table.keySettings, ...(table.groupBy ? ['configs'] : []), 'n', ...metricColumns(table.metrics)];
  const rows = table.rows.map((row) => [
    row.rank,
    ...table.keySettings.map((s) => row.key[s] ?? ''),
    ...(table.groupBy ? [row.configKeys.length] : []),
    row.n,
    ...metricCells(row, table.metrics),
  ]);
  return [header, ...rows];
}

function comparisonCsv(comparison: Comparison): unknown[][] {
  const metrics = comparisonMetrics(comparison);
  const names = comparison.tables.map((t) => t.sweep.name);
  const header = [...comparison.keySettings, ...names.flatMap((n) => [`${n}.rank`, `${n}.n`, ...metricColumns(metrics, `${n}.`)])];
  const rows = comparison.rows.map((row) => [
    ...comparison.keySettings.map((s) => row.key[s] ?? ''),
    ...row.rows.flatMap((r) => [r?.rank ?? '', r?.n ?? 0, ...metricCells(r, metrics)]),
  ]);
  return [header, ...rows];
}

export function formatCsv(report: Report): string {
  return stringify(report.comparison ? comparisonCsv(report.comparison) : tableCsv(report.tables[0]));
}
