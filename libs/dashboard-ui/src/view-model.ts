/**
 * From store rows to what the dashboard shows: the comparison by setting (mean ± 95% CI over seeds), the
 * leaderboard of configurations, progress, elapsed time and ETA, and how the screen's rows are shared.
 * Pure functions of a snapshot and the clock, so that every number on screen is tested without a terminal.
 */
import type { Summary } from '@l2x/stats';
import { parse as parseYaml } from 'yaml';
import { settingsLabel } from './format.ts';
import {
  describeKey,
  groupConfigs,
  meanOf,
  rankGroups,
  showSetting,
  summaryOf,
  type ConfigStats,
  type FinishedTrial,
  type Goal,
  type RunRecord,
  type StatusCounts,
  type SweepRecord,
  type TrialRecord,
} from '@l2x/store';

/** Everything one refresh reads from the store. */
export interface SweepSnapshot {
  sweep: SweepRecord;
  counts: StatusCounts;
  runs: RunRecord[];
  running: TrialRecord[];
  /** The host each running trial runs on (its run's), by trial id. */
  hosts: Record<number, string>;
  /** Loss curve (eval points in step order) of each running trial, by trial id. */
  losses: Record<number, number[]>;
  /** One row per configuration (swept settings, moments of the compared metrics and the sweep's metric). */
  configs: ConfigStats[];
  /** The failed trials. */
  failed: TrialRecord[];
  /** When a trial last finished, and the backend the last finished trial ran on. */
  lastFinishedAt: string | null;
  lastBackend: string | null;
}

/** The four numbers the comparison puts side by side. */
export const COMPARED_METRICS = ['soft_acc', 'hard_acc', 'gap', 'precision'] as const;

export interface ComparisonRow {
  /** The setting's value as shown. */
  value: string;
  /** Completed trials with this value, and all trials with it. */
  done: number;
  total: number;
  soft: Summary;
  hard: Summary;
  gap: Summary;
  precision: Summary;
}

/**
 * One row per value of `setting`, in value order: soft and hard accuracy, the gap and precision over the completed
 * trials with that value (its seeds, and the other swept settings' values when more than one is swept).
 */
export function compareBy(configs: readonly ConfigStats[], setting: string): ComparisonRow[] {
  return groupConfigs(configs, { by: [setting] }).map((group) => ({
    value: showSetting(group.key[setting]),
    done: group.completed,
    total: group.trials,
    soft: summaryOf(group, 'soft_acc'),
    hard: summaryOf(group, 'hard_acc'),
    gap: summaryOf(group, 'gap'),
    precision: summaryOf(group, 'precision'),
  }));
}

/**
 * The axis of the soft-vs-hard bars: from a round number below the lowest accuracy shown up to 1, so that
 * differences of a few points between values (and the gap) take several columns rather than a fraction of one.
 */
export function barAxis(rows: readonly ComparisonRow[]): { lo: number; hi: number } {
  const lows = rows.flatMap((r) => [r.soft.mean, r.hard.mean]).filter((v) => Number.isFinite(v));
  if (lows.length === 0) return { lo: 0, hi: 1 };
  const min = Math.min(...lows);
  const max = Math.max(...lows);
  const hi = max <= 1 ? 1 : Math.ceil(max * 10) / 10;
  const lo = Math.max(0, Math.min(Math.floor((min - 0.05) * 10) / 10, hi - 0.1));
  return { lo, hi };
}

export interface SortKey {
  metric: string;
  goal: Goal;
}

/** The sorts `s` cycles through: the sweep's own metric and goal first, then the compared metrics (all of them read). */
export function sortKeys(metric: { name: string; goal: Goal }): SortKey[] {
  const keys: SortKey[] = [{ metric: metric.name, goal: metric.goal }];
  for (const key of [
    { metric: 'hard_acc', goal: 'maximize' },
    { metric: 'gap', goal: 'minimize' },
    { metric: 'precision', goal: 'maximize' },
    { metric: 'soft_acc', goal: 'maximize' },
  ] as const)
    if (!keys.some((k) => k.metric === key.metric)) keys.push(key);
  return keys;
}

export interface LeaderRow {
  configKey: string;
  rank: number;
  /** `tau=0.1 k=3`: the configuration's swept settings. */
  label: string;
  /** The same values alone, in the order of the swept settings. */
  values: string[];
  /** Completed seeds. */
  n: number;
  /** The sort metric over seeds. */
  value: Summary;
  soft: number;
  hard: number;
  gap: number;
  precision: number;
}

/** Configurations (a configuration's seeds pooled) with at least one completed trial, best first by `sort`. */
export function leaderboard(configs: readonly ConfigStats[], swept: readonly string[], sort: SortKey): LeaderRow[] {
  return rankGroups(groupConfigs(configs, { keySettings: swept }), sort.metric, sort.goal, swept).map(({ rank, group }) => {
    let value: Summary | undefined;
    return {
      configKey: group.configKeys[0]!,
      rank,
      // Labels and the interval (a t quantile per configuration) only for the rows that are shown.
      get label() {
        return describeKey(group.key, swept, ' ');
      },
      get values() {
        return swept.map((name) => showSetting(group.key[name]));
      },
      n: group.completed,
      get value() {
        return (value ??= summaryOf(group, sort.metric));
      },
      soft: meanOf(group, 'soft_acc'),
      hard: meanOf(group, 'hard_acc'),
      gap: meanOf(group, 'gap'),
      precision: meanOf(group, 'precision'),
    };
  });
}

/** Where the sweep stands: running (a sweeper is at it), done, stopped with trials left, or not started. */
export type SweepState = 'running' | 'done' | 'stopped' | 'waiting';

export interface Timing {
  state: SweepState;
  elapsedMs: number | undefined;
  /** Time left; 0 when done, undefined when nothing says yet. */
  etaMs: number | undefined;
  /** Mean wall time of a completed trial. */
  trialMs: number | undefined;
}

const time = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

/** Mean wall time of a completed trial (start to finish, else training time); undefined before one completes. */
export function meanTrialMs(configs: readonly ConfigStats[]): number | undefined {
  let n = 0;
  let sum = 0;
  for (const c of configs) {
    n += c.wallMs.n;
    sum += c.wallMs.sum;
  }
  return n > 0 ? sum / n : undefined;
}

/**
 * Elapsed time (the runs' wall time: a sweep resumed tomorrow does not count the night) and the ETA: the work
 * left — pending trials whole, running ones by the share of steps they have left — at the mean duration of a
 * completed trial, divided among the workers. Before any trial completes, the running trials' pace says it.
 */
export function timing(snapshot: Pick<SweepSnapshot, 'counts' | 'runs' | 'running' | 'configs' | 'lastFinishedAt'>, now: number): Timing {
  const { counts, runs, running, configs } = snapshot;
  const pending = counts.queued + counts.interrupted;
  const latest = runs[runs.length - 1];
  const lastFinish = snapshot.lastFinishedAt ? Date.parse(snapshot.lastFinishedAt) : -Infinity;
  const live = latest !== undefined && latest.finishedAt === null && latest.status === 'running' && (counts.running > 0 || pending > 0);
  const state: SweepState =
    counts.total > 0 && pending === 0 && counts.running === 0 ? 'done' : live ? 'running' : runs.length === 0 ? 'waiting' : 'stopped';

  let elapsedMs: number | undefined;
  if (runs.length > 0) {
    elapsedMs = 0;
    runs.forEach((run, i) => {
      const start = time(run.startedAt);
      const next = runs[i + 1];
      let end = time(run.finishedAt);
      if (!Number.isFinite(end)) {
        if (next) end = time(next.startedAt); // a run that died: it lasted until the next one at most
        else end = live ? now : Number.isFinite(lastFinish) ? Math.max(lastFinish, start) : start;
      }
      if (Number.isFinite(start) && Number.isFinite(end) && end > start) elapsedMs! += end - start;
    });
  }

  let trialMs = meanTrialMs(configs);
  if (trialMs === undefined) {
    // No completed trial yet: extrapolate the running ones' pace.
    const paces = running
      .filter((t) => t.step > 0 && t.steps > 0 && t.startedAt)
      .map((t) => ((now - time(t.startedAt)) * t.steps) / t.step)
      .filter((ms) => Number.isFinite(ms) && ms > 0);
    if (paces.length) trialMs = paces.reduce((a, b) => a + b, 0) / paces.length;
  }

  let etaMs: number | undefined;
  if (state === 'done') etaMs = 0;
  else if (trialMs !== undefined && state === 'running') {
    const runningLeft = running.reduce((sum, t) => sum + (t.steps > 0 ? Math.max(0, 1 - t.step / t.steps) : 1), 0);
    const workers = Math.max(1, latest?.workers ?? 1, running.length);
    etaMs = ((pending + runningLeft) * trialMs) / workers;
  }
  return { state, elapsedMs, etaMs, trialMs };
}

/** The backend trials actually run on (a running trial's, else the last finished one's), else what the run asked for. */
export function backendOf(snapshot: Pick<SweepSnapshot, 'running' | 'runs' | 'lastBackend'>): string | null {
  const running = snapshot.running.find((t) => t.backend);
  if (running) return running.backend;
  return snapshot.lastBackend ?? snapshot.runs[snapshot.runs.length - 1]?.backend ?? null;
}

export interface Section {
  name: string;
  /** Rows below which the section is not worth showing (0: may be hidden). */
  min: number;
  /** Rows it would use if it had them all. */
  want: number;
}

/**
 * Shares `budget` screen rows among sections, in priority order: first each its minimum (a section whose
 * minimum does not fit gets nothing), then what they want, again in order. Returns rows per section name.
 */
export function allocate(budget: number, sections: readonly Section[]): Record<string, number> {
  const out: Record<string, number> = {};
  let left = budget;
  for (const s of sections) {
    const min = Math.min(s.min, s.want);
    out[s.name] = min <= left ? min : 0;
    left -= out[s.name]!;
  }
  for (const s of sections) {
    if (out[s.name] === 0 && s.min > 0) continue; // did not get its minimum: stays hidden
    const more = Math.min(Math.max(0, s.want - out[s.name]!), left);
    out[s.name]! += more;
    left -= more;
  }
  return out;
}

/** A window of `size` rows of a list of `length` that keeps `selected` in view, scrolling as little as needed. */
export function windowAround(length: number, size: number, selected: number, previousStart = 0): { start: number; end: number } {
  if (size <= 0 || length === 0) return { start: 0, end: 0 };
  if (length <= size) return { start: 0, end: length };
  let start = Math.min(Math.max(0, previousStart), length - size);
  if (selected < start) start = selected;
  if (selected >= start + size) start = selected - size + 1;
  return { start, end: start + size };
}

/** Swept settings that can group the comparison, the ones with more than one value first. */
export function groupings(sweep: Pick<SweepRecord, 'swept'>, configs: readonly ConfigStats[]): string[] {
  const distinct = (name: string) => {
    const values = new Set<unknown>();
    for (const c of configs) if (values.add(c.settings[name]).size > 1) return 2;
    return values.size;
  };
  const names = sweep.swept.filter((name) => name !== 'seed');
  return [...names.filter((n) => distinct(n) > 1), ...names.filter((n) => distinct(n) <= 1)];
}

/** Trials a bayes sweep will have in all (runCap × seeds, from its sweep file), by sweep record; null for other sweeps. */
const plannedBayes = new WeakMap<SweepRecord, number | null>();

function bayesTrials(sweep: SweepRecord): number | null {
  if (!plannedBayes.has(sweep)) {
    let planned: number | null = null;
    try {
      const file = parseYaml(sweep.configText) as { method?: unknown; runCap?: unknown; seeds?: unknown } | null;
      const seeds = typeof file?.seeds === 'number' ? file.seeds : Array.isArray(file?.seeds) ? file.seeds.length : 1;
      if (file?.method === 'bayes' && typeof file.runCap === 'number') planned = file.runCap * seeds;
    } catch {
      planned = null; // a sweep file this build cannot read: count what the store holds
    }
    plannedBayes.set(sweep, planned);
  }
  return plannedBayes.get(sweep)!;
}

/**
 * A bayes sweep asks for its configurations as it goes, so the store holds only those asked so far: the trials
 * still to ask count as queued, and the progress line shows the whole sweep (runCap × seeds). A sweep that ended
 * (its search space ran out before runCap, or it failed) has nothing left to ask.
 */
export function withTrialsToAsk(counts: StatusCounts, sweep: SweepRecord): StatusCounts {
  if (sweep.status !== 'running' && sweep.status !== 'interrupted') return counts;
  const planned = bayesTrials(sweep);
  if (planned === null || planned <= counts.total) return counts;
  return { ...counts, queued: counts.queued + planned - counts.total, total: planned };
}

/** A finished trial as one line of the log above the live view. */
export interface FinishedEntry {
  key: string;
  status: 'completed' | 'failed' | 'pruned';
  /** Where a pruned trial stopped. */
  step: number;
  label: string;
  seed: number;
  soft: number | null;
  hard: number | null;
  gap: number | null;
  error: string | null;
  finishedAt: string | null;
  durationMs: number | undefined;
}

export function finishedEntry(trial: FinishedTrial, swept: readonly string[]): FinishedEntry {
  const wall = time(trial.finishedAt) - time(trial.startedAt);
  const params = trial.params as Record<string, unknown>;
  return {
    key: trial.key,
    status: trial.status === 'failed' || trial.status === 'pruned' ? trial.status : 'completed',
    step: trial.step,
    label: settingsLabel(params, swept),
    seed: trial.seed,
    soft: trial.metrics.soft_acc ?? null,
    hard: trial.metrics.hard_acc ?? null,
    gap: trial.metrics.gap ?? null,
    error: trial.error,
    finishedAt: trial.finishedAt,
    durationMs: Number.isFinite(wall) ? wall : (trial.trainMs ?? undefined),
  };
}
