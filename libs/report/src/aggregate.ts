/**
 * The report's table: a sweep's completed trials grouped per configuration (or by one setting), each metric as
 * mean ± 95% confidence interval over the trials of the group (seeds; with `by`, seeds × configurations),
 * ranked by the sweep's metric and goal. Pure: a SweepData in, a ReportTable out.
 */
import { UserError } from '@l2x/errors';
import type { MetricName } from '@l2x/model/config';
import { summarize, type Summary } from '@l2x/stats';
import { describeKey, groupConfigs, rankGroups, showSetting, summaryOf, type SettingValue, type StatusCounts, type SweepRecord } from '@l2x/store';
import type { SweepData } from './report-reader.ts';

/** The metrics every report shows, in this order; the sweep's own metric is added when it is another one. */
export const REPORT_METRICS = ['soft_acc', 'hard_acc', 'gap', 'precision', 'loss'] as const satisfies readonly MetricName[];
/** The explanation against the known truth: a sweep ranked on one of them shows all three. */
const TRUTH_METRICS = ['median_rank', 'tpr', 'fdr'] as const satisfies readonly MetricName[];

export function reportMetrics(metric: MetricName): MetricName[] {
  if ((TRUTH_METRICS as readonly MetricName[]).includes(metric)) return [...TRUTH_METRICS, ...REPORT_METRICS];
  return (REPORT_METRICS as readonly MetricName[]).includes(metric) ? [...REPORT_METRICS] : [...REPORT_METRICS, metric];
}

export interface ReportRow {
  /** 1 = best by the sweep's metric and goal. */
  rank: number;
  /** Values of the table's key settings. */
  key: Record<string, SettingValue>;
  /** `tau=0.1, k=3` */
  label: string;
  /** The configurations pooled in this row (one unless grouped by a setting). */
  configKeys: string[];
  /** Completed trials in this row. */
  n: number;
  metrics: Partial<Record<MetricName, Summary>>;
}

export interface ReportTable {
  sweep: SweepRecord;
  counts: StatusCounts;
  /** The setting rows are grouped by, or null for one row per configuration. */
  groupBy: string | null;
  /** The settings that name a row (its key columns): [groupBy], or the settings that tell configurations apart. */
  keySettings: string[];
  metrics: MetricName[];
  /** Ranked, best first. */
  rows: ReportRow[];
  best: ReportRow;
  /** Whether the best row's 95% interval of the sweep's metric overlaps the runner-up's (null: nothing to compare). */
  bestOverlapsRunnerUp: boolean | null;
  /** Some trials are still queued, running or interrupted: the table covers the completed ones. */
  partial: boolean;
  /** Configurations in the sweep, and how many have at least one completed trial. */
  configurations: { total: number; completed: number };
  /** Sentences for the reader: partial sweep, failed trials left out, settings that do not vary, … */
  notes: string[];
}

export interface AggregateOptions {
  /** Group by this setting instead of per configuration (its values must be in the data's fetched settings). */
  by?: string | null;
  /** Key settings to name configurations with (compare mode: the union of both sweeps'); default the data's own. */
  keySettings?: readonly string[];
}

const NO_SUMMARY = summarize([]);

/** The summary of a metric in a row (an empty summary when the table does not hold it). */
export function metricOf(row: ReportRow, metric: MetricName): Summary {
  return row.metrics[metric] ?? NO_SUMMARY;
}

/** `4 queued, 1 running, 2 failed, 3 pruned`: the non-zero counts other than completed. */
export function describeCounts(counts: StatusCounts): string {
  const parts = (['queued', 'running', 'interrupted', 'failed', 'pruned'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.join(', ');
}

function runHint(sweep: SweepRecord): string {
  return `npx nx run sweeper:run --config ${sweep.configPath ?? `sweeps/${sweep.name}.yaml`}`;
}

function overlaps(a: Summary, b: Summary): boolean | null {
  if (![a.low, a.high, b.low, b.high].every(Number.isFinite) || a.n < 2 || b.n < 2) return null;
  return a.low <= b.high && b.low <= a.high;
}

export function aggregate(data: SweepData, options: AggregateOptions = {}): ReportTable {
  const { sweep, counts } = data;
  const by = options.by ?? null;
  const metrics = reportMetrics(sweep.metric.name);
  const keySettings = by ? [by] : [...(options.keySettings ?? data.keySettings)];
  for (const name of keySettings)
    if (!data.fetched.includes(name)) throw new Error(`bug: setting ${name} was not fetched for sweep ${sweep.name}`);

  if (counts.completed === 0) {
    const others = describeCounts(counts);
    throw new UserError(
      counts.total === 0
        ? `sweep ${JSON.stringify(sweep.name)} has no trials; nothing to report (run it: ${runHint(sweep)})`
        : counts.queued + counts.running + counts.interrupted > 0
          ? `sweep ${JSON.stringify(sweep.name)} has no completed trials yet (${others}); nothing to report until one completes`
          : `sweep ${JSON.stringify(sweep.name)} has no completed trials (${others}); nothing to report (run them again: ${runHint(sweep)} --retry-failed)`,
    );
  }

  // Group (per configuration, or by the value of one setting) and rank: the aggregation the dashboard uses too.
  const groups = groupConfigs(data.configs, { by: by ? [by] : [], keySettings });
  const rows: ReportRow[] = rankGroups(groups, sweep.metric.name, sweep.metric.goal, keySettings).map(({ rank, group }) => ({
    rank,
    key: group.key,
    label: describeKey(group.key, keySettings),
    configKeys: group.configKeys,
    n: group.completed,
    metrics: Object.fromEntries(metrics.map((m) => [m, summaryOf(group, m)])),
  }));
  // Two configurations with the same label can only come from settings the report does not see: tell them apart.
  const seen = new Map<string, number>();
  for (const row of rows) {
    const times = (seen.get(row.label) ?? 0) + 1;
    seen.set(row.label, times);
    if (times > 1) row.label = `${row.label} (#${times})`;
  }

  const allConfigs = data.configs.length;
  const completedConfigs = data.configs.filter((c) => c.completed > 0).length;
  const pending = counts.queued + counts.running + counts.interrupted;
  const partial = pending > 0;
  const notes: string[] = [];
  if (partial) {
    const state = sweep.status === 'running' ? 'is still running' : `is incomplete (${sweep.status})`;
    notes.push(
      `sweep ${JSON.stringify(sweep.name)} ${state}: ${counts.completed} of ${counts.total} trials completed (${describeCounts(counts)}); ` +
        `this report covers the completed ones${sweep.status === 'running' ? '' : `; resume with ${runHint(sweep)}`}`,
    );
  }
  // A configuration whose every trial was pruned never completes: it is named apart from those still to come.
  const prunedOnly = data.configs.filter((c) => c.completed === 0 && c.pruned === c.trials).length;
  const missing = allConfigs - completedConfigs - prunedOnly;
  if (missing > 0)
    notes.push(`${missing} of ${allConfigs} configurations ${missing === 1 ? 'has' : 'have'} no completed trial yet and ${missing === 1 ? 'is' : 'are'} not in the table`);
  if (prunedOnly > 0)
    notes.push(`${prunedOnly} of ${allConfigs} configurations ${prunedOnly === 1 ? 'was' : 'were'} stopped early (pruned) and ${prunedOnly === 1 ? 'is' : 'are'} not in the table: see "Pruned trials"`);
  if (counts.failed > 0)
    notes.push(`${counts.failed} failed trial${counts.failed === 1 ? ' is' : 's are'} left out (trial_summary's error column says why)`);
  if (by && rows.length === 1)
    notes.push(`every completed trial has ${by} = ${showSetting(rows[0]!.key[by] ?? null)}, so grouping by it gives one row${sweep.swept.includes(by) ? '' : ` (${by} is not swept; swept: ${sweep.swept.join(', ') || 'nothing'})`}`);
  notes.push(...data.notes);

  const best = rows[0]!;
  const runnerUp = rows[1];
  return {
    sweep,
    counts,
    groupBy: by,
    keySettings,
    metrics,
    rows,
    best,
    bestOverlapsRunnerUp: runnerUp ? overlaps(metricOf(best, sweep.metric.name), metricOf(runnerUp, sweep.metric.name)) : null,
    partial,
    configurations: { total: allConfigs, completed: completedConfigs },
    notes,
  };
}
