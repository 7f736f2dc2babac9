/**
 * What a report reads from results.db: a sweep's trials through the documented trial_summary view (only the
 * columns the report needs) and its training curves summed per configuration. Works on any store reader (the
 * sweeper prints a report from its own ResultsStore); ReportReader, the store's read-only reader with one SQL
 * query added, sums the curves in SQLite, which a sweep of 10,000 trials (a million points) needs.
 */
import { METRIC_NAMES, SETTING_NAMES, type MetricName } from '@l2x/model/config';
import {
  ResultsReader,
  TRIAL_SUMMARY_COLUMNS,
  openForReading,
  type StatusCounts,
  type SweepRecord,
  type TrialStatus,
} from '@l2x/store';
import { keyId, type SettingValue } from './setting-values.ts';

type SummaryColumn = (typeof TRIAL_SUMMARY_COLUMNS)[number];

/** Settings that are columns of trial_summary (all but the seed, which has its own column). */
export const REPORT_SETTINGS: readonly string[] = SETTING_NAMES.filter((name) => name !== 'seed');

export function isReportSetting(name: string): boolean {
  return REPORT_SETTINGS.includes(name);
}

export interface TrialRow {
  configKey: string;
  seed: number;
  status: TrialStatus;
  /** The settings fetched (see SweepData.fetched), by name. */
  settings: Record<string, SettingValue>;
  metrics: Partial<Record<MetricName, number | null>>;
}

export interface SweepData {
  sweep: SweepRecord;
  counts: StatusCounts;
  /** Settings that tell the sweep's configurations apart: the swept ones, then any other that varies. */
  keySettings: string[];
  /** Settings each TrialRow holds. */
  fetched: string[];
  /** Every trial of the sweep, whatever its status. */
  trials: TrialRow[];
  notes: string[];
}

/** A training curve point summed over the completed trials of one configuration. */
export interface CurveSum {
  configKey: string;
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
 * A sweep's trials with the settings asked for (plus the swept ones) and the metrics asked for.
 * Unknown sweep: a UserError naming the sweeps there are.
 */
export function loadSweepData(
  reader: ResultsReader,
  name: string,
  options: { metrics: readonly MetricName[]; settings?: readonly string[] },
): SweepData {
  const sweep = reader.sweep(name);
  const counts = reader.counts(sweep.id);
  const swept = unique(sweep.swept.filter(isReportSetting));
  const notes: string[] = [];
  let fetched = unique([...swept, ...(options.settings ?? []).filter(isReportSetting)]);
  let trials = fetchTrials(reader, name, fetched, options.metrics);

  // The swept settings tell configurations apart unless the sweep file changed its fixed settings between
  // runs; then find the settings that vary and show them too.
  let keySettings = swept;
  const configs = new Set(trials.map((t) => t.configKey));
  const tuples = new Set(trials.map((t) => keyId(t.settings, swept)));
  if (tuples.size < configs.size) {
    fetched = [...REPORT_SETTINGS];
    trials = fetchTrials(reader, name, fetched, options.metrics);
    const varying = REPORT_SETTINGS.filter((setting) => new Set(trials.map((t) => t.settings[setting] ?? null)).size > 1);
    const extra = varying.filter((setting) => !swept.includes(setting));
    keySettings = [...swept, ...extra];
    if (extra.length)
      notes.push(`settings outside the sweep's parameters differ between trials (the sweep file changed between runs?): ${extra.join(', ')}; they are shown as columns`);
  }
  return { sweep, counts, keySettings, fetched, trials, notes };
}

function fetchTrials(reader: ResultsReader, name: string, settings: readonly string[], metrics: readonly MetricName[]): TrialRow[] {
  const columns = ['config_key', 'status', 'seed', ...settings, ...metrics] as SummaryColumn[];
  const rows = reader.trialSummary(name, columns) as Record<string, unknown>[];
  return rows.map((row) => ({
    configKey: row.config_key as string,
    seed: row.seed as number,
    status: row.status as TrialStatus,
    settings: Object.fromEntries(settings.map((s) => [s, (row[s] ?? null) as SettingValue])),
    metrics: Object.fromEntries(metrics.map((m) => [m, (row[m] ?? null) as number | null])),
  }));
}

/**
 * Training curves of a sweep's completed trials, summed per configuration, metric and evaluation step.
 * `configKeys` limits it to some configurations. In SQL with a ReportReader; with another reader, from its
 * metric points (fine for one sweep's summary, slow for a very large sweep).
 */
export function curveSums(reader: ResultsReader, sweepId: number, names: readonly string[], configKeys?: readonly string[]): CurveSum[] {
  if (configKeys?.length === 0 || names.length === 0) return [];
  for (const name of names) if (!(METRIC_NAMES as readonly string[]).includes(name)) throw new Error(`bug: unknown metric ${name}`);
  if (reader instanceof ReportReader) return reader.curveSums(sweepId, names, configKeys);
  const wanted = configKeys && new Set(configKeys);
  const trials = reader.trials(sweepId, ['completed']).filter((t) => !wanted || wanted.has(t.configKey));
  const configOf = new Map(trials.map((t) => [t.id, t.configKey]));
  const sums = new Map<string, CurveSum>();
  for (const point of reader.metricPoints(sweepId, { names, trialIds: trials.map((t) => t.id) })) {
    if (point.value === null) continue;
    const configKey = configOf.get(point.trialId)!;
    const id = JSON.stringify([configKey, point.name, point.step]);
    const sum = sums.get(id);
    if (sum) {
      sum.sum += point.value;
      sum.n += 1;
    } else sums.set(id, { configKey, name: point.name, step: point.step, sum: point.value, n: 1 });
  }
  return [...sums.values()];
}

export class ReportReader extends ResultsReader {
  /** Opens a results database read-only; a missing, foreign or newer file is a one-line UserError. */
  static override open(path: string): ReportReader {
    return new ReportReader(openForReading(path));
  }

  /** Training curves summed in SQL (see the curveSums function); `names` are metric names. */
  curveSums(sweepId: number, names: readonly string[], configKeys?: readonly string[]): CurveSum[] {
    if (configKeys?.length === 0 || names.length === 0) return [];
    if (configKeys && configKeys.length > CHUNK) {
      const sums: CurveSum[] = [];
      for (let i = 0; i < configKeys.length; i += CHUNK) sums.push(...this.curveSums(sweepId, names, configKeys.slice(i, i + CHUNK)));
      return sums;
    }
    const args: unknown[] = [sweepId, ...names];
    let configFilter = '';
    if (configKeys) {
      configFilter = `AND t.config_key IN (${configKeys.map(() => '?').join(',')})`;
      args.push(...configKeys);
    }
    return this.db
      .prepare(
        `SELECT t.config_key AS configKey, p.name AS name, p.step AS step, sum(p.value) AS sum, count(p.value) AS n
         FROM trials t JOIN metric_points p ON p.trial_id = t.id
         WHERE t.sweep_id = ? AND t.status = 'completed' AND p.name IN (${names.map(() => '?').join(',')}) ${configFilter}
         GROUP BY t.config_key, p.name, p.step`,
      )
      .all(...args) as CurveSum[];
  }
}
