/**
 * A whole report from a results database: one sweep's table (or two sweeps' side by side) and the curves of
 * their best rows. Reads only; everything the user can get wrong is a one-line UserError.
 */
import { UserError, isUserError } from '@l2x/errors';
import type { ResultsReader, SweepRecord } from '@l2x/store';
import { aggregate, reportMetrics, type ReportTable } from './aggregate.ts';
import { compareTables, type Comparison } from './compare.ts';
import { CURVE_LIMIT, loadCurves, type TableCurves } from './curves.ts';
import { checkGroupBy } from './report-options.ts';
import { loadSweepData, type SweepData } from './report-reader.ts';
import { sweepMethod } from './html-report.ts';
import { loadHistory, type SearchHistory } from './search-history.ts';

export interface ReportOptions {
  sweep: string;
  /** Group by this setting instead of one row per configuration. */
  by?: string | null;
  /** A second sweep to put side by side with the first. */
  compare?: string | null;
  /** Lines in the curves plot (the best rows). */
  curveLimit?: number;
  /** Read the training curves (for the plots; default true). A table alone (an end-of-run summary) needs none. */
  curves?: boolean;
}

export interface Report {
  /** The sweep's table, then the compared sweep's. */
  tables: [ReportTable] | [ReportTable, ReportTable];
  comparison: Comparison | null;
  /** The curves of each table's best rows, in the order of `tables` (empty with `curves: false`). */
  curves: TableCurves[];
  /** One sweep's trials in the order they were made (its pruned ones, and a bayes sweep's search plot); null when compared. */
  history: SearchHistory | null;
}

async function otherSweep(reader: ResultsReader, name: string, first: SweepRecord): Promise<SweepRecord> {
  if (name === first.name) {
    const others = (await reader.listSweeps()).map((s) => s.name).filter((n) => n !== first.name);
    throw new UserError(`--compare ${JSON.stringify(name)} is the sweep being reported; compare with another: ${others.join(', ') || 'the database has no other sweep'}`);
  }
  try {
    return await reader.sweep(name);
  } catch (error) {
    if (isUserError(error)) throw new UserError(`--compare: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Any store reader works: ReportReader (read-only, what the CLI opens) sums curves in SQL; the sweeper's own
 * ResultsStore works too (its end-of-run summary).
 */
export async function buildReport(reader: ResultsReader, options: ReportOptions): Promise<Report> {
  const first = await reader.sweep(options.sweep);
  const second = options.compare ? await otherSweep(reader, options.compare, first) : null;
  const sweeps = second ? [first, second] : [first];
  const by = options.by ? checkGroupBy(options.by, sweeps) : null;
  const limit = options.curveLimit ?? CURVE_LIMIT;
  const curvesOf = async (tables: ReportTable[]) => (options.curves === false ? [] : Promise.all(tables.map((table) => loadCurves(reader, table, limit))));
  const load = (sweep: SweepRecord, settings: readonly string[]): Promise<SweepData> =>
    loadSweepData(reader, sweep.name, { metrics: reportMetrics(sweep.metric.name), settings: [...(by ? [by] : []), ...settings] });

  if (!second) {
    const table = aggregate(await load(first, []), { by });
    // The search's history (every trial in order) only shows for a bayes sweep or one with pruned trials.
    const history = table.counts.pruned > 0 || sweepMethod(table) === 'bayes' ? await loadHistory(reader, first) : null;
    return { tables: [table], comparison: null, curves: await curvesOf([table]), history };
  }
  // Side by side: both tables keyed on the settings that tell either sweep's configurations apart.
  let a = await load(first, second.swept);
  let b = await load(second, first.swept);
  const keySettings = [...new Set([...a.keySettings, ...b.keySettings])];
  if (!by) {
    if (keySettings.some((s) => !a.fetched.includes(s))) a = await load(first, keySettings);
    if (keySettings.some((s) => !b.fetched.includes(s))) b = await load(second, keySettings);
  }
  const left = aggregate(a, { by, keySettings });
  const right = aggregate(b, { by, keySettings });
  return {
    tables: [left, right],
    comparison: compareTables(left, right),
    curves: await curvesOf([left, right]),
    history: null,
  };
}
