/**
 * The sweeper's side of results.db. One process writes (the sweeper's parent; workers only send it
 * messages), in WAL mode with a busy timeout, so readers in other processes never see `database is locked`.
 * Trials move queued → running → completed | failed | pruned | interrupted; interrupted and (on request) failed
 * trials are queued again by the next run. Nothing finished is ever overwritten.
 */
import { METRIC_NAMES, type Metrics } from '@l2x/model/config';
import type { Db } from './database.ts';
import { openForWriting } from './database.ts';
import { ResultsReader, trialFromRow } from './results-reader.ts';
import type { RunEnvironment, SweepInput, SweepRecord, SweepStatus, TrialInput, TrialRecord } from './records.ts';

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;

export interface Claim {
  runId: number;
  worker: number;
  device: string | null;
}

/** The metric columns' values in METRIC_NAMES order (null for a missing or non-finite one). */
function metricValues(metrics: Readonly<Partial<Metrics>>): (number | null)[] {
  return METRIC_NAMES.map((name) => {
    const value = metrics[name];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  });
}

export class ResultsStore extends ResultsReader {
  constructor(db: Db) {
    super(db);
  }

  /** Opens (creating and migrating when needed) the database at `path`; `:memory:` for a private one. */
  static override open(path: string): ResultsStore {
    return new ResultsStore(openForWriting(path));
  }

  /** Creates the sweep, or updates its stored config when it exists (re-running a file resumes it). */
  ensureSweep(input: SweepInput): { sweep: SweepRecord; created: boolean; configChanged: boolean } {
    const existing = this.findSweep(input.name);
    if (!existing) {
      this.db
        .prepare(
          `INSERT INTO sweeps (name, config_text, config_hash, config_path, metric_name, metric_goal, swept)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(input.name, input.configText, input.configHash, input.configPath ?? null, input.metric.name, input.metric.goal, JSON.stringify(input.swept));
      return { sweep: this.findSweep(input.name)!, created: true, configChanged: false };
    }
    const configChanged = existing.configHash !== input.configHash;
    this.db
      .prepare(
        `UPDATE sweeps SET config_text = ?, config_hash = ?, config_path = ?, metric_name = ?, metric_goal = ?, swept = ?,
         status = 'running', updated_at = ${NOW} WHERE id = ?`,
      )
      .run(input.configText, input.configHash, input.configPath ?? null, input.metric.name, input.metric.goal, JSON.stringify(input.swept), existing.id);
    return { sweep: this.findSweep(input.name)!, created: false, configChanged };
  }

  setSweepStatus(sweepId: number, status: SweepStatus): void {
    this.db.prepare(`UPDATE sweeps SET status = ?, updated_at = ${NOW} WHERE id = ?`).run(status, sweepId);
  }

  /** Deletes a sweep and everything it holds (`--fresh`). Returns whether it existed. */
  deleteSweep(name: string): boolean {
    return this.db.prepare('DELETE FROM sweeps WHERE name = ?').run(name).changes > 0;
  }

  /** Queues the trials the sweep does not hold yet (by key); returns how many were added. */
  addTrials(sweepId: number, trials: readonly TrialInput[]): number {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO trials (sweep_id, key, config_key, seed, settings, params) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      let added = 0;
      for (const t of trials)
        added += insert.run(sweepId, t.key, t.configKey, t.seed, JSON.stringify(t.settings), JSON.stringify(t.params)).changes;
      return added;
    })();
  }

  startRun(sweepId: number, env: RunEnvironment): number {
    const result = this.db
      .prepare(
        `INSERT INTO runs (sweep_id, host, pid, git_commit, git_dirty, node_version, tfjs_version, backend, kernels, workers, argv, devices)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sweepId, env.host, env.pid, env.gitCommit, env.gitDirty === null ? null : Number(env.gitDirty), env.nodeVersion,
        env.tfjsVersion, env.backend, env.kernels, env.workers, JSON.stringify(env.argv), env.devices ?? null,
      );
    return Number(result.lastInsertRowid);
  }

  finishRun(runId: number, status: SweepStatus): void {
    this.db.prepare(`UPDATE runs SET status = ?, finished_at = ${NOW} WHERE id = ?`).run(status, runId);
  }

  /**
   * Trials left `running` by a sweeper that is gone are marked interrupted so that they run again: those
   * whose run's process is known dead (`isAlive` false), and those whose heartbeat is older than `staleMs`.
   * Returns how many were reclaimed.
   */
  reclaimOrphans(sweepId: number, options: { staleMs: number; isAlive: (host: string, pid: number) => boolean }): number {
    const rows = this.db
      .prepare(
        `SELECT t.id, t.heartbeat_at, r.host, r.pid FROM trials t LEFT JOIN runs r ON r.id = t.run_id
         WHERE t.sweep_id = ? AND t.status = 'running'`,
      )
      .all(sweepId) as { id: number; heartbeat_at: string | null; host: string | null; pid: number | null }[];
    const now = Date.now();
    const orphans = rows.filter((row) => {
      if (row.host === null || row.pid === null) return true;
      if (!options.isAlive(row.host, row.pid)) return true;
      return row.heartbeat_at === null || now - Date.parse(row.heartbeat_at) > options.staleMs;
    });
    const mark = this.db.prepare(
      `UPDATE trials SET status = 'interrupted', error = 'worker lost (reclaimed by a later run)' WHERE id = ? AND status = 'running'`,
    );
    this.db.transaction(() => orphans.forEach((row) => mark.run(row.id)))();
    return orphans.length;
  }

  /** Puts failed trials back in the queue (`--retry-failed`). */
  requeueFailed(sweepId: number): number {
    return this.db.prepare(`UPDATE trials SET status = 'queued', error = NULL WHERE sweep_id = ? AND status = 'failed'`).run(sweepId).changes;
  }

  /** Trials that a run should do: queued and interrupted ones, in queue order. */
  pendingTrials(sweepId: number): TrialRecord[] {
    return this.trials(sweepId, ['queued', 'interrupted']);
  }

  /**
   * Atomically takes a pending trial for a worker; false when another sweeper took it first.
   * Progress and metric points of an earlier, interrupted attempt are cleared: the trial starts over.
   */
  claimTrial(trialId: number, claim: Claim): boolean {
    return this.db.transaction(() => {
      const taken = this.db
        .prepare(
          `UPDATE trials SET status = 'running', run_id = ?, worker = ?, device = ?, attempts = attempts + 1, step = 0,
           started_at = ${NOW}, heartbeat_at = ${NOW}, finished_at = NULL, error = NULL
           WHERE id = ? AND status IN ('queued', 'interrupted')`,
        )
        .run(claim.runId, claim.worker, claim.device, trialId).changes;
      if (taken) this.db.prepare('DELETE FROM metric_points WHERE trial_id = ?').run(trialId);
      return taken > 0;
    })();
  }

  /** Records that these running trials are alive (one statement for all of them). */
  heartbeat(trialIds: readonly number[]): void {
    if (trialIds.length === 0) return;
    this.db
      .prepare(`UPDATE trials SET heartbeat_at = ${NOW} WHERE status = 'running' AND id IN (${trialIds.map(() => '?').join(',')})`)
      .run(...trialIds);
  }

  /** Progress of running trials, batched: the sweeper flushes these a few times a second. */
  recordProgress(
    updates: readonly { trialId: number; step: number; backend?: string; kernels?: string; device?: string }[],
  ): void {
    const update = this.db.prepare(
      `UPDATE trials SET step = ?, backend = coalesce(?, backend), kernels = coalesce(?, kernels), device = coalesce(?, device),
         heartbeat_at = ${NOW} WHERE id = ? AND status = 'running'`,
    );
    this.db.transaction(() =>
      updates.forEach((u) => update.run(u.step, u.backend ?? null, u.kernels ?? null, u.device ?? null, u.trialId)),
    )();
  }

  /** One evaluation point of a running trial (its curves). */
  recordPoints(trialId: number, step: number, values: Readonly<Record<string, number>>): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO metric_points (trial_id, name, step, value) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const [name, value] of Object.entries(values)) insert.run(trialId, name, step, Number.isFinite(value) ? value : null);
      this.db.prepare(`UPDATE trials SET step = max(step, ?), heartbeat_at = ${NOW} WHERE id = ?`).run(step, trialId);
    })();
  }

  /**
   * The trial finished: its final metrics, the backend and product kernels that ran it and its training time.
   * Only a running trial completes (a trial is stored once); returns false when it was not running.
   */
  completeTrial(trialId: number, result: { metrics: Readonly<Partial<Metrics>>; backend: string; kernels?: string; trainMs: number }): boolean {
    const values = metricValues(result.metrics);
    const changed = this.db
      .prepare(
        `UPDATE trials SET status = 'completed', step = steps, backend = ?, kernels = coalesce(?, kernels), train_ms = ?, finished_at = ${NOW}, error = NULL,
         ${METRIC_NAMES.map((name) => `"${name}" = ?`).join(', ')}
         WHERE id = ? AND status = 'running'`,
      )
      .run(result.backend, result.kernels ?? null, result.trainMs, ...values, trialId).changes;
    return changed > 0;
  }

  /**
   * The sweep's early termination stopped the trial at `step` (an evaluation point): final, like completed, with
   * its curve up to that step and the metrics of that evaluation as its columns. False when it was not running.
   */
  pruneTrial(trialId: number, at: { step: number; metrics: Readonly<Partial<Metrics>> }): boolean {
    const changed = this.db
      .prepare(
        `UPDATE trials SET status = 'pruned', step = ?, finished_at = ${NOW}, error = NULL,
         ${METRIC_NAMES.map((name) => `"${name}" = ?`).join(', ')}
         WHERE id = ? AND status = 'running'`,
      )
      .run(at.step, ...metricValues(at.metrics), trialId).changes;
    return changed > 0;
  }

  failTrial(trialId: number, error: string, backend?: string): void {
    this.db
      .prepare(`UPDATE trials SET status = 'failed', error = ?, backend = coalesce(?, backend), finished_at = ${NOW} WHERE id = ? AND status = 'running'`)
      .run(error, backend ?? null, trialId);
  }

  /** Marks running trials interrupted (Ctrl-C): they resume on the next run. */
  interruptTrials(trialIds: readonly number[]): void {
    const mark = this.db.prepare(`UPDATE trials SET status = 'interrupted', finished_at = ${NOW} WHERE id = ? AND status = 'running'`);
    this.db.transaction(() => trialIds.forEach((id) => mark.run(id)))();
  }

  trial(trialId: number): TrialRecord {
    return trialFromRow(this.db.prepare('SELECT * FROM trials WHERE id = ?').get(trialId) as Record<string, unknown>);
  }
}
