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

/** Pools per-configuration sums into one curve per table row (the first `limit` rows). */
export function poolCurves(table: ReportTable, sums: readonly CurveSum[], limit = CURVE_LIMIT): TableCurves {
  const rows = table.rows.slice(0, limit);
  const rowOf = new Map(rows.flatMap((row) => row.configKeys.map((key) => [key, row] as const)));
  const pooled = new Map<string, CurvePoint & { sum: number }>();
  for (const s of sums) {
    const row = rowOf.get(s.configKey);
    if (!row || s.n === 0 || !(CURVE_METRICS as readonly string[]).includes(s.name)) continue;
    const id = `${row.rank}\u0000${s.name}\u0000${s.step}`;
    const point = pooled.get(id);
    if (point) {
      point.sum += s.sum;
      point.n += s.n;
    } else pooled.set(id, { row: row.label, rank: row.rank, metric: s.name as CurvePoint['metric'], step: s.step, sum: s.sum, n: s.n, mean: NaN });
  }
  const points = [...pooled.values()]
    .map(({ sum, ...point }) => ({ ...point, mean: sum / point.n }))
    .sort((a, b) => a.rank - b.rank || a.metric.localeCompare(b.metric) || a.step - b.step);
  return { sweep: table.sweep.name, drawn: rows.length, rows: table.rows.length, points };
}

/** Reads and pools the curves of a table's best rows. */
export function loadCurves(reader: ResultsReader, table: ReportTable, limit = CURVE_LIMIT): TableCurves {
  const rows = table.rows.slice(0, limit);
  const keys = rows.flatMap((row) => row.configKeys);
  const all = rows.length === table.rows.length;
  return poolCurves(table, curveSums(reader, table.sweep.id, CURVE_METRICS, all ? undefined : keys), limit);
}
