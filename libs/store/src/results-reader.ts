/**
 * Read access to results.db: what the dashboard polls and the reports aggregate. Opened read-only from
 * another process, it never blocks the sweeper (WAL) and never writes.
 */
import { UserError, closest } from '@l2x/errors';
import { METRIC_NAMES, SETTING_NAMES, type MetricName } from '@l2x/model/config';
import { NO_MOMENTS, type Moments } from '@l2x/stats';
import type { ConfigStats, SettingValue } from './aggregation.ts';
import type { Db } from './database.ts';
import { openForReading } from './database.ts';
import {
  TRIAL_STATUSES,
  type MetricPoint,
  type RunRecord,
  type StatusCounts,
  type SweepOverview,
  type SweepRecord,
  type TrialRecord,
  type TrialStatus,
  type FinishedTrial,
  type TrialCurve,
  type TrialOutcome,
} from './records.ts';

/** Columns of the trial_summary view that callers may ask for. */
export const TRIAL_SUMMARY_COLUMNS = [
  'sweep', 'key', 'config_key', 'status', 'seed', 'backend', 'kernels', 'device', 'worker', 'step', 'attempts',
  'started_at', 'finished_at', 'train_ms', 'error',
  ...SETTING_NAMES.filter((name) => name !== 'seed'),
  ...METRIC_NAMES,
] as const;

type Row = Record<string, unknown>;

function sweepFromRow(row: Row): SweepRecord {
  return {
    id: row.id as number,
    name: row.name as string,
    configText: row.config_text as string,
    configHash: row.config_hash as string,
    configPath: (row.config_path as string | null) ?? null,
    metric: { name: row.metric_name as SweepRecord['metric']['name'], goal: row.metric_goal as SweepRecord['metric']['goal'] },
    swept: JSON.parse(row.swept as string) as string[],
    status: row.status as SweepRecord['status'],
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function trialFromRow(row: Row): TrialRecord {
  return {
    id: row.id as number,
    sweepId: row.sweep_id as number,
    key: row.key as string,
    configKey: row.config_key as string,
    seed: row.seed as number,
    settings: JSON.parse(row.settings as string),
    params: JSON.parse(row.params as string),
    status: row.status as TrialStatus,
    runId: (row.run_id as number | null) ?? null,
    worker: (row.worker as number | null) ?? null,
    backend: (row.backend as string | null) ?? null,
    kernels: (row.kernels as string | null) ?? null,
    device: (row.device as string | null) ?? null,
    step: row.step as number,
    steps: row.steps as number,
    attempts: row.attempts as number,
    queuedAt: row.queued_at as string,
    startedAt: (row.started_at as string | null) ?? null,
    finishedAt: (row.finished_at as string | null) ?? null,
    heartbeatAt: (row.heartbeat_at as string | null) ?? null,
    trainMs: (row.train_ms as number | null) ?? null,
    error: (row.error as string | null) ?? null,
  };
}

function runFromRow(row: Row): RunRecord {
  return {
    id: row.id as number,
    sweepId: row.sweep_id as number,
    status: row.status as RunRecord['status'],
    startedAt: row.started_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
    host: row.host as string,
    pid: row.pid as number,
    gitCommit: (row.git_commit as string | null) ?? null,
    gitDirty: row.git_dirty === null ? null : row.git_dirty === 1,
    nodeVersion: row.node_version as string,
    tfjsVersion: (row.tfjs_version as string | null) ?? null,
    backend: row.backend as string,
    kernels: (row.kernels as string | null) ?? null,
    workers: row.workers as number,
    argv: JSON.parse(row.argv as string) as string[],
    devices: (row.devices as string | null) ?? null,
  };
}

export class ResultsReader {
  constructor(protected readonly db: Db) {}

  /** Opens a results database read-only (the dashboard and reports). */
  static open(path: string): ResultsReader {
    return new ResultsReader(openForReading(path));
  }

  close(): void {
    this.db.close();
  }

  /** Changes whenever another connection commits: poll this, and re-query only when it moved. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  listSweeps(): SweepOverview[] {
    const sweeps = this.db.prepare('SELECT * FROM sweeps ORDER BY created_at, id').all() as Row[];
    return sweeps.map((row) => {
      const sweep = sweepFromRow(row);
      return { ...sweep, counts: this.counts(sweep.id) };
    });
  }

  findSweep(name: string): SweepRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sweeps WHERE name = ?').get(name) as Row | undefined;
    return row && sweepFromRow(row);
  }

  /** The sweep with this name, or a UserError listing the sweeps there are. */
  sweep(name: string): SweepRecord {
    const found = this.findSweep(name);
    if (found) return found;
    const names = (this.db.prepare('SELECT name FROM sweeps ORDER BY name').pluck().all() as string[]);
    if (names.length === 0) throw new UserError(`no sweep named ${JSON.stringify(name)}: the database has no sweeps yet`);
    const guess = closest(name, names);
    throw new UserError(
      `no sweep named ${JSON.stringify(name)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; sweeps here: ${names.join(', ')}`,
    );
  }

  /** The most recently created (or touched) sweep, if any. */
  latestSweep(): SweepRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sweeps ORDER BY updated_at DESC, id DESC LIMIT 1').get() as Row | undefined;
    return row && sweepFromRow(row);
  }

  counts(sweepId: number): StatusCounts {
    const counts = Object.fromEntries(TRIAL_STATUSES.map((s) => [s, 0])) as StatusCounts;
    counts.total = 0;
    const rows = this.db.prepare('SELECT status, count(*) AS n FROM trials WHERE sweep_id = ? GROUP BY status').all(sweepId) as {
      status: TrialStatus;
      n: number;
    }[];
    for (const { status, n } of rows) {
      counts[status] = n;
      counts.total += n;
    }
    return counts;
  }

  trials(sweepId: number, statuses: readonly TrialStatus[] = TRIAL_STATUSES): TrialRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT * FROM trials WHERE sweep_id = ? AND status IN (${marks}) ORDER BY id`)
      .all(sweepId, ...statuses) as Row[];
    return rows.map(trialFromRow);
  }

  trialByKey(sweepId: number, key: string): TrialRecord | undefined {
    const row = this.db.prepare('SELECT * FROM trials WHERE sweep_id = ? AND key = ?').get(sweepId, key) as Row | undefined;
    return row && trialFromRow(row);
  }

  /** Rows of the trial_summary view for one sweep, with just the columns asked for. */
  trialSummary<C extends (typeof TRIAL_SUMMARY_COLUMNS)[number]>(sweepName: string, columns: readonly C[]): Record<C, unknown>[] {
    for (const column of columns)
      if (!(TRIAL_SUMMARY_COLUMNS as readonly string[]).includes(column)) throw new Error(`bug: unknown trial_summary column ${column}`);
    const list = columns.map((c) => `"${c}"`).join(', ');
    return this.db.prepare(`SELECT ${list} FROM trial_summary WHERE sweep = ? ORDER BY key`).all(sweepName) as Record<C, unknown>[];
  }

  /** Metric curves (every evaluation point) of a sweep's trials, optionally only some metrics or trials. */
  metricPoints(sweepId: number, options: { names?: readonly string[]; trialIds?: readonly number[] } = {}): MetricPoint[] {
    const where = ['t.sweep_id = ?'];
    const args: unknown[] = [sweepId];
    if (options.names?.length) {
      where.push(`p.name IN (${options.names.map(() => '?').join(',')})`);
      args.push(...options.names);
    }
    if (options.trialIds) {
      if (options.trialIds.length === 0) return [];
      where.push(`p.trial_id IN (${options.trialIds.map(() => '?').join(',')})`);
      args.push(...options.trialIds);
    }
    return this.db
      .prepare(
        `SELECT p.trial_id AS trialId, p.name, p.step, p.value FROM metric_points p JOIN trials t ON t.id = p.trial_id
         WHERE ${where.join(' AND ')} ORDER BY p.trial_id, p.name, p.step`,
      )
      .all(...args) as MetricPoint[];
  }

  /** Final metrics of one trial (null until it completes). */
  finalMetrics(trialId: number): Record<MetricName, number | null> {
    const columns = METRIC_NAMES.map((name) => `"${name}"`).join(', ');
    return this.db.prepare(`SELECT ${columns} FROM trials WHERE id = ?`).get(trialId) as Record<MetricName, number | null>;
  }

  /** Every trial's key and status, straight from the table (no view): cheap change detection. */
  trialStatuses(sweepId: number): { key: string; status: TrialStatus }[] {
    return this.db.prepare('SELECT key, status FROM trials WHERE sweep_id = ?').all(sweepId) as { key: string; status: TrialStatus }[];
  }

  /**
   * One row per configuration of the sweep: its settings (those asked for), how many trials it has and how many
   * completed, and the moments of each final metric over the completed ones (kept up to date by triggers, so this
   * reads one row per configuration however many seeds and trials there are).
   */
  configStats(sweepId: number, settings: readonly string[], metrics: readonly MetricName[] = METRIC_NAMES): ConfigStats[] {
    for (const name of settings)
      if (!(SETTING_NAMES as readonly string[]).includes(name) || name === 'seed') throw new Error(`bug: unknown setting column ${name}`);
    for (const name of metrics) if (!(METRIC_NAMES as readonly string[]).includes(name)) throw new Error(`bug: unknown metric ${name}`);
    // Rows as arrays (raw): a sweep of 10,000 trials has 2,000 configurations, and objects cost twice as much.
    const columns = [
      'c.config_key', 'c.trials', 'c.completed', 'c.pruned', 'c.wall_n', 'c.wall_ms',
      ...settings.map((name) => `t."${name}"`),
      ...metrics.flatMap((name) => [`c."${name}_n"`, `c."${name}_sum"`, `c."${name}_sq"`]),
    ];
    const rows = this.db
      .prepare(
        `SELECT ${columns.join(', ')} FROM config_stats c JOIN trials t ON t.id = c.trial_id
         WHERE c.sweep_id = ? AND c.trials > 0 ORDER BY c.config_key`,
      )
      .raw(true)
      .all(sweepId) as unknown[][];
    const first = 6;
    const at = first + settings.length;
    return rows.map((row) => ({
      configKey: row[0] as string,
      trials: row[1] as number,
      completed: row[2] as number,
      pruned: row[3] as number,
      wallMs: { n: row[4] as number, sum: row[5] as number },
      settings: Object.fromEntries(settings.map((name, i) => [name, (row[first + i] as SettingValue | undefined) ?? null])),
      metrics: Object.fromEntries(
        metrics.map((name, i): [string, Moments] => {
          const n = row[at + 3 * i] as number;
          return [name, n > 0 ? { n, sum: row[at + 3 * i + 1] as number, sumSq: row[at + 3 * i + 2] as number } : NO_MOMENTS];
        }),
      ),
    }));
  }

  /**
   * Every trial of the sweep with its configuration, status and the value of `metric` (its final value, or where it
   * was pruned), in id order: the history a sampler rebuilds its model from.
   */
  trialOutcomes(sweepId: number, metric: MetricName): TrialOutcome[] {
    if (!(METRIC_NAMES as readonly string[]).includes(metric)) throw new Error(`bug: unknown metric ${metric}`);
    const rows = this.db
      .prepare(`SELECT id, config_key, params, status, "${metric}" AS value, step FROM trials WHERE sweep_id = ? ORDER BY id`)
      .all(sweepId) as { id: number; config_key: string; params: string; status: TrialStatus; value: number | null; step: number }[];
    return rows.map((r) => ({ trialId: r.id, configKey: r.config_key, params: JSON.parse(r.params), status: r.status, value: r.value, step: r.step }));
  }

  /** Every trial's curve of one metric that has at least one point, with its status: what pruners judge against. */
  metricCurves(sweepId: number, metric: string): TrialCurve[] {
    const rows = this.db
      .prepare(
        `SELECT t.id, t.status, p.step, p.value FROM trials t JOIN metric_points p ON p.trial_id = t.id
         WHERE t.sweep_id = ? AND p.name = ? AND p.value IS NOT NULL ORDER BY t.id, p.step`,
      )
      .all(sweepId, metric) as { id: number; status: TrialStatus; step: number; value: number }[];
    const curves = new Map<number, TrialCurve>();
    for (const r of rows) {
      let curve = curves.get(r.id);
      if (!curve) curves.set(r.id, (curve = { trialId: r.id, status: r.status, values: new Map() }));
      curve.values.set(r.step, r.value);
    }
    return [...curves.values()];
  }

  /** When a trial of the sweep last finished (completed, failed or interrupted); null before any did. */
  lastFinishedAt(sweepId: number): string | null {
    return (this.db.prepare('SELECT max(finished_at) FROM trials WHERE sweep_id = ?').pluck().get(sweepId) as string | null) ?? null;
  }

  /** The backend the sweep's most recently finished trial ran on (null when none recorded one). */
  lastBackend(sweepId: number): string | null {
    const sql = 'SELECT backend FROM trials WHERE sweep_id = ? AND finished_at IS NOT NULL AND backend IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1';
    return (this.db.prepare(sql).pluck().get(sweepId) as string | null | undefined) ?? null;
  }

  /**
   * Trials that finished at or after `since` (ISO time; every finished one with null), with their final metrics,
   * oldest first; at most the newest `limit`.
   */
  finishedSince(sweepId: number, since: string | null, limit = 1000): FinishedTrial[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT * FROM trials WHERE sweep_id = ? AND finished_at >= ? ORDER BY finished_at DESC, id DESC LIMIT ?)
         ORDER BY finished_at, id`,
      )
      .all(sweepId, since ?? '', limit) as Row[];
    return rows.map((row) => ({
      ...trialFromRow(row),
      metrics: Object.fromEntries(METRIC_NAMES.map((name) => [name, typeof row[name] === 'number' ? (row[name] as number) : null])) as FinishedTrial['metrics'],
    }));
  }

  runs(sweepId: number): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE sweep_id = ? ORDER BY id').all(sweepId) as Row[]).map(runFromRow);
  }
}
