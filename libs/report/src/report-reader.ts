/**
 * What a report reads from results.db, read-only: a sweep's trials through the documented trial_summary view
 * (only the columns the report needs) and its training curves pooled in SQL. It is the store's reader with two
 * report queries added; it opens the file the same way (read-only, one-line errors for bad files).
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

export class ReportReader extends ResultsReader {
  /** Opens a results database read-only; a missing, foreign or newer file is a one-line UserError. */
  static override open(path: string): ReportReader {
    return new ReportReader(openForReading(path));
  }

  /**
   * A sweep's trials with the settings asked for (plus the swept ones) and the metrics asked for.
   * Unknown sweep: a UserError naming the sweeps there are.
   */
  loadSweep(name: string, options: { metrics: readonly MetricName[]; settings?: readonly string[] }): SweepData {
    const sweep = this.sweep(name);
    const counts = this.counts(sweep.id);
    const swept = unique(sweep.swept.filter(isReportSetting));
    const notes: string[] = [];
    let fetched = unique([...swept, ...(options.settings ?? []).filter(isReportSetting)]);
    let trials = this.fetchTrials(name, fetched, options.metrics);

    // The swept settings tell configurations apart unless the sweep file changed its fixed settings between
    // runs; then find the settings that vary and show them too.
    let keySettings = swept;
    const configs = new Set(trials.map((t) => t.configKey));
    const tuples = new Set(trials.map((t) => keyId(t.settings, swept)));
    if (tuples.size < configs.size) {
      fetched = [...REPORT_SETTINGS];
      trials = this.fetchTrials(name, fetched, options.metrics);
      const varying = REPORT_SETTINGS.filter((setting) => new Set(trials.map((t) => t.settings[setting] ?? null)).size > 1);
      const extra = varying.filter((setting) => !swept.includes(setting));
      keySettings = [...swept, ...extra];
      if (extra.length)
        notes.push(`settings outside the sweep's parameters differ between trials (the sweep file changed between runs?): ${extra.join(', ')}; they are shown as columns`);
    }
    return { sweep, counts, keySettings, fetched, trials, notes };
  }

  private fetchTrials(name: string, settings: readonly string[], metrics: readonly MetricName[]): TrialRow[] {
    const columns = ['config_key', 'status', 'seed', ...settings, ...metrics] as SummaryColumn[];
    const rows = this.trialSummary(name, columns) as Record<string, unknown>[];
    return rows.map((row) => ({
      configKey: row.config_key as string,
      seed: row.seed as number,
      status: row.status as TrialStatus,
      settings: Object.fromEntries(settings.map((s) => [s, (row[s] ?? null) as SettingValue])),
      metrics: Object.fromEntries(metrics.map((m) => [m, (row[m] ?? null) as number | null])),
    }));
  }

  /**
   * Training curves of a sweep's completed trials, summed per configuration, metric and evaluation step in SQL
   * (a sweep of 10,000 trials holds about a million points; the report needs only the sums).
   * `configKeys` limits it to some configurations.
   */
  curveSums(sweepId: number, names: readonly string[], configKeys?: readonly string[]): CurveSum[] {
    if (configKeys?.length === 0 || names.length === 0) return [];
    for (const name of names) if (!(METRIC_NAMES as readonly string[]).includes(name)) throw new Error(`bug: unknown metric ${name}`);
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
