/**
 * Training curves for the report's second plot: hard accuracy and precision at each evaluation step, the mean
 * over the completed trials of each of the best rows (a line per configuration, or per group with `by`).
 */
import type { ReportTable } from './aggregate.ts';
import type { ResultsReader } from '@l2x/store';
import { curveSums, type CurveSum } from './report-reader.ts';

/** The metrics the curves plot shows. */
export const CURVE_METRICS = ['hard_acc', 'precision'] as const;
/** Lines per plot: more are unreadable. The best rows by the sweep's metric are drawn. */
export const CURVE_LIMIT = 10;

export interface CurvePoint {
  /** The row's label (`tau=0.1`) and rank in its table. */
  row: string;
  rank: number;
  metric: (typeof CURVE_METRICS)[number];
  step: number;
  /** Mean over the row's completed trials that have a value at this step. */
  mean: number;
  n: number;
}

export interface TableCurves {
  sweep: string;
  /** Rows drawn, and rows in the table. */
  drawn: number;
  rows: number;
  points: CurvePoint[];
}

/** Turns the sums of the first `limit` rows (group i = row i) into mean curves. */
export function poolCurves(table: ReportTable, sums: readonly CurveSum[], limit = CURVE_LIMIT): TableCurves {
  const rows = table.rows.slice(0, limit);
  const points: CurvePoint[] = [];
  for (const s of sums) {
    const row = rows[s.group];
    if (!row || s.n === 0 || !(CURVE_METRICS as readonly string[]).includes(s.name)) continue;
    points.push({ row: row.label, rank: row.rank, metric: s.name as CurvePoint['metric'], step: s.step, mean: s.sum / s.n, n: s.n });
  }
  points.sort((a, b) => a.rank - b.rank || a.metric.localeCompare(b.metric) || a.step - b.step);
  return { sweep: table.sweep.name, drawn: rows.length, rows: table.rows.length, points };
}

/** Reads and pools the curves of a table's best rows. */
export async function loadCurves(reader: ResultsReader, table: ReportTable, limit = CURVE_LIMIT): Promise<TableCurves> {
  const groups = table.rows.slice(0, limit).map((row) => row.configKeys);
  return poolCurves(table, await curveSums(reader, table.sweep.id, CURVE_METRICS, groups), limit);
}
