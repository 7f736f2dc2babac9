/**
 * A sweep in the order its trials were made: the metric of each against its trial number with the best so far
 * (how a bayes search converges), the metric against each swept setting's value (where it searched), and the
 * trials early termination stopped, listed apart from the completed ones the table aggregates.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResultsReader, SweepRecord, TrialStatus } from '@l2x/store';

export interface HistoryPoint {
  /** 1-based, in the order the trials were made. */
  trial: number;
  status: TrialStatus;
  /** The sweep metric: final (completed) or where the trial stopped (pruned); null otherwise. */
  value: number | null;
  /** The best completed value up to this trial, toward the goal. */
  best: number | null;
  step: number;
  params: Record<string, unknown>;
}

export interface SearchHistory {
  sweep: SweepRecord;
  points: HistoryPoint[];
  /** The pruned trials (early termination), in the order they were made. */
  pruned: HistoryPoint[];
}

export async function loadHistory(reader: ResultsReader, sweep: SweepRecord): Promise<SearchHistory> {
  const better = sweep.metric.goal === 'minimize' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
  let best: number | null = null;
  const points = (await reader.trialOutcomes(sweep.id, sweep.metric.name)).map((o, i): HistoryPoint => {
    if (o.status === 'completed' && o.value !== null && (best === null || better(o.value, best))) best = o.value;
    return { trial: i + 1, status: o.status, value: o.value, best, step: o.step, params: o.params };
  });
  return { sweep, points, pruned: points.filter((p) => p.status === 'pruned') };
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const STATUS_COLOURS = { domain: ['completed', 'pruned', 'failed'], range: ['#4c78a8', '#b279a2', '#e45756'] };

/** Whether a numeric setting's values span two decades (then its axis is logarithmic). */
function logScale(values: readonly unknown[]): boolean {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return numbers.length === values.length && numbers.length > 1 && Math.min(...numbers) > 0 && Math.max(...numbers) / Math.min(...numbers) >= 100;
}

/**
 * The search plot: the metric against trial number (completed and pruned trials as points, the running best as a
 * line), then one panel per swept setting, the metric against its value.
 */
export function historySpec(history: SearchHistory): TopLevelSpec | null {
  const { sweep } = history;
  const metric = sweep.metric.name;
  const points = history.points.filter((p) => p.value !== null);
  if (points.length === 0) return null;
  const data = points.map((p) => ({ trial: p.trial, status: p.status, value: p.value, best: p.best, ...p.params }));
  const colour = { field: 'status', type: 'nominal' as const, scale: STATUS_COLOURS, title: 'status' };
  const byTrial = {
    width: 420,
    height: 220,
    title: `${metric} by trial (${sweep.metric.goal === 'minimize' ? 'lower' : 'higher'} is better); line: best so far`,
    layer: [
      { mark: { type: 'point' as const, filled: true }, encoding: { x: { field: 'trial', type: 'quantitative' as const, title: 'trial' }, y: { field: 'value', type: 'quantitative' as const, title: metric, scale: { zero: false } }, color: colour } },
      { mark: { type: 'line' as const, interpolate: 'step-after' as const, color: '#333' }, encoding: { x: { field: 'trial', type: 'quantitative' as const }, y: { field: 'best', type: 'quantitative' as const } } },
    ],
  };
  const panels = sweep.swept.filter((name) => points.some((p) => p.params[name] !== undefined)).map((name) => {
    const values = points.map((p) => p.params[name]);
    const numeric = values.every((v) => typeof v === 'number');
    return {
      width: 200,
      height: 180,
      title: `${metric} by ${name}`,
      mark: { type: 'point' as const, filled: true },
      encoding: {
        x: numeric
          ? { field: name, type: 'quantitative' as const, title: name, scale: logScale(values) ? { type: 'log' as const } : { zero: false } }
          : { field: name, type: 'nominal' as const, title: name, axis: { labelExpr: 'datum.label' } },
        y: { field: 'value', type: 'quantitative' as const, title: metric, scale: { zero: false } },
        color: colour,
        tooltip: [{ field: 'trial', type: 'quantitative' as const }, ...sweep.swept.map((n) => ({ field: n, type: 'nominal' as const }))],
      },
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `sweep ${sweep.name}: the search`,
    data: { values: data },
    config: { font: FONT },
    vconcat: [byTrial, ...(panels.length ? [{ hconcat: panels }] : [])],
  } as TopLevelSpec;
}
