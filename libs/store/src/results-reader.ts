/**
 * Read access to a results database (SQLite or PostgreSQL): what the dashboard polls and the reports aggregate.
 * Opened read-only from another process, it never blocks the sweeper (WAL, or PostgreSQL's MVCC) and never writes.
 */
import { UserError, closest } from '@l2x/errors';
import { METRIC_NAMES, SETTING_NAMES, type MetricName } from '@l2x/model/config';
import { NO_MOMENTS, type Moments } from '@l2x/stats';
import type { ConfigStats, SettingValue } from './aggregation.ts';
import type { Db, OpenOptions } from './database.ts';
import { openForReading } from './database.ts';
import { SqliteSql } from './sql.ts';
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
    gitDirty: row.git_dirty === null ? null : Number(row.git_dirty) === 1,
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
  /** PostgreSQL: the server's write-ahead log position at the last look, and how often it moved. */
  private wal = { lsn: '', version: 0 };

  constructor(protected readonly db: Db) {}

  /** Opens a results database read-only (the dashboard and reports): a SQLite path or a postgres:// URL. */
  static async open(location: string, options?: OpenOptions): Promise<ResultsReader> {
    return new ResultsReader(await openForReading(location, options));
  }

  /** Which database this is: `sqlite` or `postgres`. */
  get dialect(): Db['dialect']['name'] {
    return this.db.dialect.name;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /**
   * Changes whenever another connection commits: poll this, and re-query only when it moved. SQLite: its
   * `data_version` (a counter in shared memory); PostgreSQL: whether the server's write-ahead log moved since the
   * last look (`pg_current_wal_lsn()`, one cheap call; it moves for writes to any database of the server, so it may
   * say "changed" when this sweep did not, never the other way round). Readers write no WAL themselves.
   */
  async dataVersion(): Promise<number> {
    if (this.db instanceof SqliteSql) return (await this.db.get<{ data_version: number }>('PRAGMA data_version'))!.data_version;
    const lsn = (await this.db.get<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))!.lsn;
    if (lsn !== this.wal.lsn) this.wal = { lsn, version: this.wal.version + 1 };
    return this.wal.version;
  }

  async listSweeps(): Promise<SweepOverview[]> {
    const sweeps = await this.db.all('SELECT * FROM sweeps ORDER BY created_at, id');
    return Promise.all(
      sweeps.map(async (row) => {
        const sweep = sweepFromRow(row);
        return { ...sweep, counts: await this.counts(sweep.id) };
      }),
    );
  }

  async findSweep(name: string): Promise<SweepRecord | undefined> {
    const row = await this.db.get('SELECT * FROM sweeps WHERE name = ?', [name]);
    return row && sweepFromRow(row);
  }

  /** The sweep with this name, or a UserError listing the sweeps there are. */
  async sweep(name: string): Promise<SweepRecord> {
    const found = await this.findSweep(name);
    if (found) return found;
    const names = (await this.db.all<{ name: string }>('SELECT name FROM sweeps ORDER BY name')).map((row) => row.name);
    if (names.length === 0) throw new UserError(`no sweep named ${JSON.stringify(name)}: the database has no sweeps yet`);
    const guess = closest(name, names);
    throw new UserError(
      `no sweep named ${JSON.stringify(name)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; sweeps here: ${names.join(', ')}`,
    );
  }

  /** The most recently created (or touched) sweep, if any. */
  async latestSweep(): Promise<SweepRecord | undefined> {
    const row = await this.db.get('SELECT * FROM sweeps ORDER BY updated_at DESC, id DESC LIMIT 1');
    return row && sweepFromRow(row);
  }

  async counts(sweepId: number): Promise<StatusCounts> {
    const counts = Object.fromEntries(TRIAL_STATUSES.map((s) => [s, 0])) as StatusCounts;
    counts.total = 0;
    const rows = await this.db.all<{ status: TrialStatus; n: number }>('SELECT status, count(*) AS n FROM trials WHERE sweep_id = ? GROUP BY status', [sweepId]);
    for (const { status, n } of rows) {
      counts[status] = n;
      counts.total += n;
    }
    return counts;
  }

  async trials(sweepId: number, statuses: readonly TrialStatus[] = TRIAL_STATUSES): Promise<TrialRecord[]> {
    const marks = statuses.map(() => '?').join(',');
    const rows = await this.db.all(`SELECT * FROM trials WHERE sweep_id = ? AND status IN (${marks}) ORDER BY id`, [sweepId, ...statuses]);
    return rows.map(trialFromRow);
  }

  async trialByKey(sweepId: number, key: string): Promise<TrialRecord | undefined> {
    const row = await this.db.get('SELECT * FROM trials WHERE sweep_id = ? AND key = ?', [sweepId, key]);
    return row && trialFromRow(row);
  }

  /** Rows of the trial_summary view for one sweep, with just the columns asked for. */
  async trialSummary<C extends (typeof TRIAL_SUMMARY_COLUMNS)[number]>(sweepName: string, columns: readonly C[]): Promise<Record<C, unknown>[]> {
    for (const column of columns)
      if (!(TRIAL_SUMMARY_COLUMNS as readonly string[]).includes(column)) throw new Error(`bug: unknown trial_summary column ${column}`);
    const list = columns.map((c) => `"${c}"`).join(', ');
    return this.db.all<Record<C, unknown>>(`SELECT ${list} FROM trial_summary WHERE sweep = ? ORDER BY key`, [sweepName]);
  }

  /** Metric curves (every evaluation point) of a sweep's trials, optionally only some metrics or trials. */
  async metricPoints(sweepId: number, options: { names?: readonly string[]; trialIds?: readonly number[] } = {}): Promise<MetricPoint[]> {
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
    return this.db.all<MetricPoint>(
      `SELECT p.trial_id AS "trialId", p.name, p.step, p.value FROM metric_points p JOIN trials t ON t.id = p.trial_id
       WHERE ${where.join(' AND ')} ORDER BY p.trial_id, p.name, p.step`,
      args,
    );
  }

  /** Final metrics of one trial (null until it completes). */
  async finalMetrics(trialId: number): Promise<Record<MetricName, number | null>> {
    const columns = METRIC_NAMES.map((name) => `"${name}"`).join(', ');
    return (await this.db.get<Record<MetricName, number | null>>(`SELECT ${columns} FROM trials WHERE id = ?`, [trialId]))!;
  }

  /** Every trial's key and status, straight from the table (no view): cheap change detection. */
  trialStatuses(sweepId: number): Promise<{ key: string; status: TrialStatus }[]> {
    return this.db.all('SELECT key, status FROM trials WHERE sweep_id = ?', [sweepId]);
  }

  /**
   * One row per configuration of the sweep: its settings (those asked for), how many trials it has and how many
   * completed, and the moments of each final metric over the completed ones (kept up to date by triggers, so this
   * reads one row per configuration however many seeds and trials there are).
   */
  async configStats(sweepId: number, settings: readonly string[], metrics: readonly MetricName[] = METRIC_NAMES): Promise<ConfigStats[]> {
    for (const name of settings)
      if (!(SETTING_NAMES as readonly string[]).includes(name) || name === 'seed') throw new Error(`bug: unknown setting column ${name}`);
    for (const name of metrics) if (!(METRIC_NAMES as readonly string[]).includes(name)) throw new Error(`bug: unknown metric ${name}`);
    const columns = [
      'c.config_key', 'c.trials', 'c.completed', 'c.pruned', 'c.wall_n', 'c.wall_ms',
      ...settings.map((name) => `t."${name}"`),
      ...metrics.flatMap((name) => [`c."${name}_n"`, `c."${name}_sum"`, `c."${name}_sq"`]),
    ];
    const rows = await this.db.all<Row>(
      `SELECT ${columns.join(', ')} FROM config_stats c JOIN trials t ON t.id = c.trial_id
       WHERE c.sweep_id = ? AND c.trials > 0 ORDER BY c.config_key`,
      [sweepId],
    );
    return rows.map((row) => ({
      configKey: row.config_key as string,
      trials: row.trials as number,
      completed: row.completed as number,
      pruned: row.pruned as number,
      wallMs: { n: row.wall_n as number, sum: row.wall_ms as number },
      settings: Object.fromEntries(settings.map((name) => [name, (row[name] as SettingValue | undefined) ?? null])),
      metrics: Object.fromEntries(
        metrics.map((name): [string, Moments] => {
          const n = row[`${name}_n`] as number;
          return [name, n > 0 ? { n, sum: row[`${name}_sum`] as number, sumSq: row[`${name}_sq`] as number } : NO_MOMENTS];
        }),
      ),
    }));
  }

  /**
   * Every trial of the sweep with its configuration, status and the value of `metric` (its final value, or where it
   * was pruned), in id order: the history a sampler rebuilds its model from.
   */
  async trialOutcomes(sweepId: number, metric: MetricName): Promise<TrialOutcome[]> {
    if (!(METRIC_NAMES as readonly string[]).includes(metric)) throw new Error(`bug: unknown metric ${metric}`);
    const rows = await this.db.all<{ id: number; config_key: string; params: string; status: TrialStatus; value: number | null; step: number }>(
      `SELECT id, config_key, params, status, "${metric}" AS value, step FROM trials WHERE sweep_id = ? ORDER BY id`,
      [sweepId],
    );
    return rows.map((r) => ({ trialId: r.id, configKey: r.config_key, params: JSON.parse(r.params), status: r.status, value: r.value, step: r.step }));
  }

  /**
   * Every trial's curve of one metric that has at least one point, with its status: what pruners judge against.
   * With `at`, only what a pruner reads at one step: every trial's point at that step, and the whole curves of the
   * trials being judged (a read that stays the size of the sweep, not of all its curves).
   */
  async metricCurves(sweepId: number, metric: string, at?: { step: number; whole: readonly number[] }): Promise<TrialCurve[]> {
    const only = at ? ` AND (p.step = ?${at.whole.length ? ` OR t.id IN (${at.whole.map(() => '?').join(', ')})` : ''})` : '';
    const rows = await this.db.all<{ id: number; status: TrialStatus; step: number; value: number }>(
      `SELECT t.id, t.status, p.step, p.value FROM trials t JOIN metric_points p ON p.trial_id = t.id
       WHERE t.sweep_id = ? AND p.name = ? AND p.value IS NOT NULL${only} ORDER BY t.id, p.step`,
      [sweepId, metric, ...(at ? [at.step, ...at.whole] : [])],
    );
    const curves = new Map<number, TrialCurve>();
    for (const r of rows) {
      let curve = curves.get(r.id);
      if (!curve) curves.set(r.id, (curve = { trialId: r.id, status: r.status, values: new Map() }));
      curve.values.set(r.step, r.value);
    }
    return [...curves.values()];
  }

  /** When a trial of the sweep last finished (completed, failed or interrupted); null before any did. */
  async lastFinishedAt(sweepId: number): Promise<string | null> {
    return (await this.db.get<{ at: string | null }>('SELECT max(finished_at) AS at FROM trials WHERE sweep_id = ?', [sweepId]))?.at ?? null;
  }

  /** The backend the sweep's most recently finished trial ran on (null when none recorded one). */
  async lastBackend(sweepId: number): Promise<string | null> {
    const sql = 'SELECT backend FROM trials WHERE sweep_id = ? AND finished_at IS NOT NULL AND backend IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1';
    return (await this.db.get<{ backend: string | null }>(sql, [sweepId]))?.backend ?? null;
  }

  /**
   * Trials that finished at or after `since` (ISO time; every finished one with null), with their final metrics,
   * oldest first; at most the newest `limit`.
   */
  async finishedSince(sweepId: number, since: string | null, limit = 1000): Promise<FinishedTrial[]> {
    const rows = await this.db.all(
      `SELECT * FROM (SELECT * FROM trials WHERE sweep_id = ? AND finished_at >= ? ORDER BY finished_at DESC, id DESC LIMIT ?) newest
       ORDER BY finished_at, id`,
      [sweepId, since ?? '', limit],
    );
    return rows.map((row) => ({
      ...trialFromRow(row),
      metrics: Object.fromEntries(METRIC_NAMES.map((name) => [name, typeof row[name] === 'number' ? (row[name] as number) : null])) as FinishedTrial['metrics'],
    }));
  }

  async runs(sweepId: number): Promise<RunRecord[]> {
    return (await this.db.all('SELECT * FROM runs WHERE sweep_id = ? ORDER BY id', [sweepId])).map(runFromRow);
  }
}

