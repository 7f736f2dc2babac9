/**
 * The writers' side of a results database (SQLite or PostgreSQL). Several writers may share one database:
 * sweepers and agents on one machine (SQLite, WAL, BEGIN IMMEDIATE) or on many (PostgreSQL).
 *
 * Trials move queued → running → completed | failed | pruned | interrupted; interrupted and (on request) failed trials are
 * queued again. The rules that keep several writers safe:
 *  - a claim is one transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; the write lock on SQLite): a trial is
 *    running for one claimer at a time, and each claim raises its `attempts`;
 *  - a running trial holds a lease, its `heartbeat_at`, renewed by heartbeats and timed by the database's clock;
 *    a lease older than the stale time is taken back (requeued) by any writer in the statement that finds it;
 *  - every write about a trial names the attempt it belongs to (a `Lease`) and is refused for any other attempt
 *    or a trial no longer running: a writer that lost its lease changes nothing;
 *  - nothing finished is ever overwritten.
 */
import { METRIC_NAMES, type Metrics } from '@l2x/model/config';
import type { Db, OpenOptions } from './database.ts';
import { openForWriting } from './database.ts';
import { ResultsReader, trialFromRow } from './results-reader.ts';
import type { RunEnvironment, SweepInput, SweepRecord, SweepStatus, TrialInput, TrialRecord } from './records.ts';

export interface Claim {
  runId: number;
  worker: number;
  device: string | null;
}

/** A claimed trial and the attempt that claimed it: what every write about the trial names. */
export interface Lease {
  trialId: number;
  attempt: number;
}

/** A writer that holds running trials of a sweep (whose leases are current): `--fresh` names it. */
export interface Holder {
  runId: number;
  host: string;
  pid: number;
  startedAt: string;
  trials: number;
}

/** Trials per multi-row INSERT (SQLite binds at most 32,766 parameters). */
const INSERT_CHUNK = 500;

const PENDING = `('queued', 'interrupted')`;

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

  /** Opens (creating and migrating when needed) a SQLite file, `:memory:`, or a postgres:// database. */
  static override async open(location: string, options?: OpenOptions): Promise<ResultsStore> {
    return new ResultsStore(await openForWriting(location, options));
  }

  private get now(): string {
    return this.db.dialect.now;
  }

  /**
   * Creates the sweep, or updates its stored config when it exists (re-running a file resumes it). One
   * transaction, an insert that does nothing when the name exists: several starting at once create it once.
   */
  async ensureSweep(input: SweepInput): Promise<{ sweep: SweepRecord; created: boolean; configChanged: boolean }> {
    const values = [input.configText, input.configHash, input.configPath ?? null, input.metric.name, input.metric.goal, JSON.stringify(input.swept)];
    const outcome = await this.db.transaction(async (tx) => {
      const before = await tx.get<{ config_hash: string }>('SELECT config_hash FROM sweeps WHERE name = ?', [input.name]);
      const created = await tx.run(
        `INSERT INTO sweeps (name, config_text, config_hash, config_path, metric_name, metric_goal, swept)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
        [input.name, ...values],
      );
      if (created > 0) return { created: true, configChanged: false };
      const existing = before ?? (await tx.get<{ config_hash: string }>('SELECT config_hash FROM sweeps WHERE name = ?', [input.name]))!;
      await tx.run(
        `UPDATE sweeps SET config_text = ?, config_hash = ?, config_path = ?, metric_name = ?, metric_goal = ?, swept = ?,
         status = 'running', updated_at = ${this.now} WHERE name = ?`,
        [...values, input.name],
      );
      return { created: false, configChanged: existing.config_hash !== input.configHash };
    });
    return { sweep: (await this.findSweep(input.name))!, ...outcome };
  }

  async setSweepStatus(sweepId: number, status: SweepStatus): Promise<void> {
    await this.db.run(`UPDATE sweeps SET status = ?, updated_at = ${this.now} WHERE id = ?`, [status, sweepId]);
  }

  /** Deletes a sweep and everything it holds (`--fresh`). Returns whether it existed. */
  async deleteSweep(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM sweeps WHERE name = ?', [name])) > 0;
  }

  /** Queues the trials the sweep does not hold yet (by key); returns how many were added. */
  async addTrials(sweepId: number, trials: readonly TrialInput[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      let added = 0;
      for (let i = 0; i < trials.length; i += INSERT_CHUNK) {
        const chunk = trials.slice(i, i + INSERT_CHUNK);
        added += await tx.run(
          `INSERT INTO trials (sweep_id, key, config_key, seed, settings, params) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}
           ON CONFLICT (sweep_id, key) DO NOTHING`,
          chunk.flatMap((t) => [sweepId, t.key, t.configKey, t.seed, JSON.stringify(t.settings), JSON.stringify(t.params)]),
        );
      }
      return added;
    });
  }

  async startRun(sweepId: number, env: RunEnvironment): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO runs (sweep_id, host, pid, git_commit, git_dirty, node_version, tfjs_version, backend, kernels, workers, argv, devices)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        sweepId, env.host, env.pid, env.gitCommit, env.gitDirty === null ? null : Number(env.gitDirty), env.nodeVersion,
        env.tfjsVersion, env.backend, env.kernels, env.workers, JSON.stringify(env.argv), env.devices ?? null,
      ],
    );
    return row!.id;
  }

  async finishRun(runId: number, status: SweepStatus): Promise<void> {
    await this.db.run(`UPDATE runs SET status = ?, finished_at = ${this.now} WHERE id = ?`, [status, runId]);
  }

  /**
   * Takes back running trials whose lease expired (no heartbeat for `staleSeconds` by the database's clock), in the
   * one statement that finds them: they become interrupted, and the next claim runs them as a new attempt.
   */
  async requeueExpired(sweepId: number, staleSeconds: number): Promise<number> {
    return this.db.run(
      `UPDATE trials SET status = 'interrupted', finished_at = ${this.now},
       error = 'lease expired: no heartbeat for ' || ? || ' s (requeued)'
       WHERE sweep_id = ? AND status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ${this.db.dialect.ago('?')})`,
      [String(staleSeconds), sweepId, staleSeconds],
    );
  }

  /**
   * The fast path on one host: running trials of runs on `host` whose process is gone (`isAlive` false) are taken
   * back at once, each fenced by the attempt that was read.
   */
  async requeueDead(sweepId: number, host: string, isAlive: (pid: number) => boolean): Promise<number> {
    const rows = await this.db.all<{ id: number; attempts: number; pid: number }>(
      `SELECT t.id, t.attempts, r.pid FROM trials t JOIN runs r ON r.id = t.run_id
       WHERE t.sweep_id = ? AND t.status = 'running' AND r.host = ?`,
      [sweepId, host],
    );
    const dead = rows.filter((row) => !isAlive(row.pid));
    if (dead.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let taken = 0;
      for (const row of dead)
        taken += await tx.run(
          `UPDATE trials SET status = 'interrupted', finished_at = ${this.now}, error = 'worker lost: its process is gone (requeued)'
           WHERE id = ? AND attempts = ? AND status = 'running'`,
          [row.id, row.attempts],
        );
      return taken;
    });
  }

  /** Runs on the sweep that hold running trials whose leases are current (within `staleSeconds`). */
  async liveHolders(sweepId: number, staleSeconds: number): Promise<Holder[]> {
    return this.db.all<Holder>(
      `SELECT r.id AS "runId", r.host, r.pid, r.started_at AS "startedAt", count(*) AS trials
       FROM trials t JOIN runs r ON r.id = t.run_id
       WHERE t.sweep_id = ? AND t.status = 'running' AND t.heartbeat_at >= ${this.db.dialect.ago('?')}
       GROUP BY r.id, r.host, r.pid, r.started_at ORDER BY r.id`,
      [sweepId, staleSeconds],
    );
  }

  /** Puts failed trials back in the queue (`--retry-failed`). */
  async requeueFailed(sweepId: number): Promise<number> {
    return this.db.run(`UPDATE trials SET status = 'queued', error = NULL WHERE sweep_id = ? AND status = 'failed'`, [sweepId]);
  }

  /** Trials that a run should do: queued and interrupted ones, in queue order. */
  pendingTrials(sweepId: number): Promise<TrialRecord[]> {
    return this.trials(sweepId, ['queued', 'interrupted']);
  }

  /**
   * Claims those of these trials that are pending and that no other claimer holds at this moment, in one
   * transaction; returns their leases. Points of an earlier attempt are cleared: the trial starts over.
   */
  async claimTrials(trialIds: readonly number[], claim: Claim): Promise<Lease[]> {
    if (trialIds.length === 0) return [];
    return this.claimWhere(`id IN (${trialIds.map(() => '?').join(', ')})`, trialIds, claim);
  }

  /** Claims the first `limit` pending trials of the sweep that no other claimer holds (queue order). */
  async claimNext(sweepId: number, claim: Claim, limit = 1): Promise<Lease[]> {
    return this.claimWhere('sweep_id = ?', [sweepId], claim, limit);
  }

  /**
   * The claim: on PostgreSQL one statement (an UPDATE of the rows a `FOR UPDATE SKIP LOCKED` subquery locked, and
   * the old attempt's points deleted in the same statement: one round trip, one transaction); on SQLite the same
   * two statements in one BEGIN IMMEDIATE transaction (SQLite has no data-changing WITH).
   */
  private async claimWhere(where: string, args: readonly unknown[], claim: Claim, limit?: number): Promise<Lease[]> {
    const d = this.db.dialect;
    const update = `UPDATE trials SET status = 'running', run_id = ?, worker = ?, device = ?, attempts = attempts + 1, step = 0,
       started_at = ${d.now}, heartbeat_at = ${d.now}, finished_at = NULL, error = NULL
       WHERE id IN (SELECT id FROM trials WHERE ${where} AND status IN ${PENDING} ORDER BY id${limit === undefined ? '' : ' LIMIT ?'}${d.skipLocked})
       RETURNING id, attempts`;
    const params = [claim.runId, claim.worker, claim.device, ...args, ...(limit === undefined ? [] : [limit])];
    const rows =
      d.name === 'postgres'
        ? await this.db.all<{ id: number; attempts: number }>(
            `WITH claimed AS (${update}),
             cleared AS (DELETE FROM metric_points WHERE trial_id IN (SELECT id FROM claimed WHERE attempts > 1))
             SELECT id, attempts FROM claimed`,
            params,
          )
        : await this.db.transaction(async (tx) => {
            const claimed = await tx.all<{ id: number; attempts: number }>(update, params);
            const retried = claimed.filter((row) => row.attempts > 1).map((row) => row.id);
            if (retried.length > 0) await tx.run(`DELETE FROM metric_points WHERE trial_id IN (${retried.map(() => '?').join(', ')})`, retried);
            return claimed;
          });
    return rows.map((row) => ({ trialId: row.id, attempt: row.attempts })).sort((a, b) => a.trialId - b.trialId);
  }

  /** `id = ? AND attempts = ?` for each lease: the fence of a write about several trials. */
  private fence(leases: readonly Lease[]): { sql: string; args: number[] } {
    return {
      sql: `(${leases.map(() => '(id = ? AND attempts = ?)').join(' OR ')})`,
      args: leases.flatMap((lease) => [lease.trialId, lease.attempt]),
    };
  }

  /** Renews the leases of these running trials (one statement); returns those no longer held (taken back). */
  async heartbeat(leases: readonly Lease[]): Promise<Lease[]> {
    if (leases.length === 0) return [];
    const fence = this.fence(leases);
    const renewed = await this.db.all<{ id: number; attempts: number }>(
      `UPDATE trials SET heartbeat_at = ${this.now} WHERE status = 'running' AND ${fence.sql} RETURNING id, attempts`,
      fence.args,
    );
    const held = new Set(renewed.map((row) => `${row.id}#${row.attempts}`));
    return leases.filter((lease) => !held.has(`${lease.trialId}#${lease.attempt}`));
  }

  /** Progress of running trials, batched: writers flush these a few times a second. Renews their leases. */
  async recordProgress(
    updates: readonly (Lease & { step: number; backend?: string; kernels?: string; device?: string })[],
  ): Promise<void> {
    if (updates.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const u of updates)
        await tx.run(
          `UPDATE trials SET step = ?, backend = coalesce(?, backend), kernels = coalesce(?, kernels), device = coalesce(?, device),
           heartbeat_at = ${this.now} WHERE id = ? AND attempts = ? AND status = 'running'`,
          [u.step, u.backend ?? null, u.kernels ?? null, u.device ?? null, u.trialId, u.attempt],
        );
    });
  }

  /** One evaluation point of a running trial (its curves); false (nothing written) when the lease is not held. */
  async recordPoints(lease: Lease, step: number, values: Readonly<Record<string, number>>): Promise<boolean> {
    const d = this.db.dialect;
    return this.db.transaction(async (tx) => {
      // The trial's row first: its lock keeps a reclaim out until the points are in.
      const held = await tx.run(
        `UPDATE trials SET step = ${d.greatest('step', '?')}, heartbeat_at = ${d.now} WHERE id = ? AND attempts = ? AND status = 'running'`,
        [step, lease.trialId, lease.attempt],
      );
      if (held === 0) return false;
      const entries = Object.entries(values);
      if (entries.length > 0)
        await tx.run(
          `INSERT INTO metric_points (trial_id, name, step, value) VALUES ${entries.map(() => '(?, ?, ?, ?)').join(', ')}
           ON CONFLICT (trial_id, name, step) DO UPDATE SET value = excluded.value`,
          entries.flatMap(([name, value]) => [lease.trialId, name, step, Number.isFinite(value) ? value : null]),
        );
      return true;
    });
  }

  /**
   * The trial finished: its final metrics, the backend and product kernels that ran it and its training time.
   * Only the attempt that holds the trial completes it (a trial is stored once); false when it does not.
   */
  async completeTrial(
    lease: Lease,
    result: { metrics: Readonly<Partial<Metrics>>; backend: string; kernels?: string; trainMs: number },
  ): Promise<boolean> {
    const values = metricValues(result.metrics);
    const changed = await this.db.run(
      `UPDATE trials SET status = 'completed', step = steps, backend = ?, kernels = coalesce(?, kernels), train_ms = ?, finished_at = ${this.now}, error = NULL,
       ${METRIC_NAMES.map((name) => `"${name}" = ?`).join(', ')}
       WHERE id = ? AND attempts = ? AND status = 'running'`,
      [result.backend, result.kernels ?? null, result.trainMs, ...values, lease.trialId, lease.attempt],
    );
    return changed > 0;
  }

  /**
   * The sweep's early termination stopped the trial at `step` (an evaluation point): final, like completed, with
   * its curve up to that step and the metrics of that evaluation as its columns. False when this attempt no longer
   * holds it.
   */
  async pruneTrial(lease: Lease, at: { step: number; metrics: Readonly<Partial<Metrics>> }): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE trials SET status = 'pruned', step = ?, finished_at = ${this.now}, error = NULL,
       ${METRIC_NAMES.map((name) => `"${name}" = ?`).join(', ')}
       WHERE id = ? AND attempts = ? AND status = 'running'`,
      [at.step, ...metricValues(at.metrics), lease.trialId, lease.attempt],
    );
    return changed > 0;
  }

  /** The trial failed (a row, never a crash); false when this attempt no longer holds it. */
  async failTrial(lease: Lease, error: string, backend?: string): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE trials SET status = 'failed', error = ?, backend = coalesce(?, backend), finished_at = ${this.now}
       WHERE id = ? AND attempts = ? AND status = 'running'`,
      [error, backend ?? null, lease.trialId, lease.attempt],
    );
    return changed > 0;
  }

  /** Marks this writer's running trials interrupted (Ctrl-C): they resume on the next run. Others' are untouched. */
  async interruptTrials(leases: readonly Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const fence = this.fence(leases);
    await this.db.run(`UPDATE trials SET status = 'interrupted', finished_at = ${this.now} WHERE status = 'running' AND ${fence.sql}`, fence.args);
  }

  /**
   * The sweep's status from its trials, whoever looks last: `completed` (or `failed`, when any trial failed) once
   * every trial is final; `running` while any runs; otherwise `interrupted` (trials wait for a run).
   */
  async settleSweep(sweepId: number): Promise<SweepStatus> {
    const counts = await this.counts(sweepId);
    const status: SweepStatus =
      counts.running > 0 ? 'running' : counts.queued + counts.interrupted > 0 ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed';
    await this.setSweepStatus(sweepId, status);
    return status;
  }

  async trial(trialId: number): Promise<TrialRecord> {
    return trialFromRow((await this.db.get('SELECT * FROM trials WHERE id = ?', [trialId]))!);
  }

  /** Several trials in one read (a GPU pack can hold hundreds), in id order. */
  async trialsById(trialIds: readonly number[]): Promise<TrialRecord[]> {
    if (trialIds.length === 0) return [];
    const rows = await this.db.all(`SELECT * FROM trials WHERE id IN (${trialIds.map(() => '?').join(', ')}) ORDER BY id`, trialIds);
    return rows.map(trialFromRow);
  }
}
