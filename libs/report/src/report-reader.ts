/**
 * What a report reads from results.db: a sweep's trials through the documented trial_summary view (only the
 * columns the report needs) and its training curves summed per configuration. Works on any store reader (the
 * sweeper prints a report from its own ResultsStore); ReportReader, the store's read-only reader with one SQL
 * query added, sums the curves in SQLite, which a sweep of 10,000 trials (a million points) needs; SQLite and PostgreSQL alike.
 */
import { METRIC_NAMES, SETTING_NAMES, type MetricName } from '@l2x/model/config';
import { ResultsReader, keyId, openForReading, type ConfigStats, type StatusCounts, type SweepRecord } from '@l2x/store';

/** Settings that are columns of trial_summary (all but the seed, which has its own column). */
export const REPORT_SETTINGS: readonly string[] = SETTING_NAMES.filter((name) => name !== 'seed');

export function isReportSetting(name: string): boolean {
  return REPORT_SETTINGS.includes(name);
}

export interface SweepData {
  sweep: SweepRecord;
  counts: StatusCounts;
  /** Settings that tell the sweep's configurations apart: the swept ones, then any other that varies. */
  keySettings: string[];
  /** Settings each configuration holds. */
  fetched: string[];
  /** Every configuration of the sweep (any status), with the moments of the report's metrics over its completed trials. */
  configs: ConfigStats[];
  notes: string[];
}

/** A training curve point summed over the completed trials of a group of configurations. */
export interface CurveSum {
  /** Index of the group in the list asked for. */
  group: number;
  name: string;
  step: number;
  sum: number;
  n: number;
}

/** Configurations per curve query (SQLite limits the number of bound parameters). */
const CHUNK = 500;

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * A sweep's configurations with the settings asked for (plus the swept ones) and the moments of the metrics asked
 * for (the store's configStats: one row per configuration). Unknown sweep: a UserError naming the sweeps there are.
 */
export async function loadSweepData(
  reader: ResultsReader,
  name: string,
  options: { metrics: readonly MetricName[]; settings?: readonly string[] },
): Promise<SweepData> {
  const sweep = await reader.sweep(name);
  const counts = await reader.counts(sweep.id);
  const swept = unique(sweep.swept.filter(isReportSetting));
  const notes: string[] = [];
  let fetched = unique([...swept, ...(options.settings ?? []).filter(isReportSetting)]);
  let configs = await reader.configStats(sweep.id, fetched, options.metrics);

  // The swept settings tell configurations apart unless the sweep file changed its fixed settings between
  // runs; then find the settings that vary and show them too.
  let keySettings = swept;
  const tuples = new Set(configs.map((c) => keyId(c.settings, swept)));
  if (tuples.size < configs.length) {
    fetched = [...REPORT_SETTINGS];
    configs = await reader.configStats(sweep.id, fetched, options.metrics);
    const varying = REPORT_SETTINGS.filter((setting) => new Set(configs.map((c) => c.settings[setting] ?? null)).size > 1);
    const extra = varying.filter((setting) => !swept.includes(setting));
    keySettings = [...swept, ...extra];
    if (extra.length)
      notes.push(`settings outside the sweep's parameters differ between trials (the sweep file changed between runs?): ${extra.join(', ')}; they are shown as columns`);
  }
  return { sweep, counts, keySettings, fetched, configs, notes };
}

/**
 * Training curves of a sweep's completed trials, summed per group of configurations, metric and evaluation step.
 * In SQL with a ReportReader; with another reader, from its metric points (fine for one sweep's end-of-run summary,
 * slow for a very large sweep).
 */
export async function curveSums(
  reader: ResultsReader,
  sweepId: number,
  names: readonly string[],
  groups: readonly (readonly string[])[],
): Promise<CurveSum[]> {
  if (names.length === 0 || groups.length === 0) return [];
  for (const name of names) if (!(METRIC_NAMES as readonly string[]).includes(name)) throw new Error(`bug: unknown metric ${name}`);
  if (reader instanceof ReportReader) return reader.curveSums(sweepId, names, groups);
  const groupOf = new Map(groups.flatMap((keys, group) => keys.map((key) => [key, group] as const)));
  const trials = (await reader.trials(sweepId, ['completed'])).filter((t) => groupOf.has(t.configKey));
  const trialGroup = new Map(trials.map((t) => [t.id, groupOf.get(t.configKey)!]));
  const sums = new Map<string, CurveSum>();
  for (const point of await reader.metricPoints(sweepId, { names, trialIds: trials.map((t) => t.id) })) {
    if (point.value === null) continue;
    const group = trialGroup.get(point.trialId)!;
    addTo(sums, { group, name: point.name, step: point.step, sum: point.value, n: 1 });
  }
  return [...sums.values()];
}

function addTo(sums: Map<string, CurveSum>, point: CurveSum): void {
  const id = `${point.group}\u0000${point.name}\u0000${point.step}`;
  const sum = sums.get(id);
  if (sum) {
    sum.sum += point.sum;
    sum.n += point.n;
  } else sums.set(id, { ...point });
}

export class ReportReader extends ResultsReader {
  /** Opens a results database read-only; a missing, foreign or newer one is a one-line UserError. */
  static override async open(location: string): Promise<ReportReader> {
    return new ReportReader(await openForReading(location));
  }

  /**
   * Training curves summed in SQL (see the curveSums function). One query per group (and per 500 configurations):
   * grouping each query's rows by metric and step alone is much cheaper than one query grouping by configuration too.
   */
  async curveSums(sweepId: number, names: readonly string[], groups: readonly (readonly string[])[]): Promise<CurveSum[]> {
    const sums = new Map<string, CurveSum>();
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');
    for (const [group, keys] of groups.entries()) {
      for (let i = 0; i < keys.length; i += CHUNK) {
        const chunk = keys.slice(i, i + CHUNK);
        const rows = await this.db.all<Omit<CurveSum, 'group'>>(
          `SELECT p.name AS name, p.step AS step, sum(p.value) AS sum, count(p.value) AS n
           FROM trials t JOIN metric_points p ON p.trial_id = t.id
           WHERE t.sweep_id = ? AND t.status = 'completed' AND t.config_key IN (${marks(chunk.length)}) AND p.name IN (${marks(names.length)})
           GROUP BY p.name, p.step`,
          [sweepId, ...chunk, ...names],
        );
        for (const row of rows) if (row.n > 0) addTo(sums, { ...row, group });
      }
    }
    return [...sums.values()];
  }
}
