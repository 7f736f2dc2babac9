/**
 * What the dashboard reads from results.db, and when.
 *
 * Polling is cheap when nothing happens: `PRAGMA data_version` (a counter in shared memory; on PostgreSQL, whether
 * the server's write-ahead log moved) says whether another connection committed since the last look, and only then
 * is the store read:
 *  - on every change: the sweep row, counts, runs, running trials and their loss curves, when a trial last
 *    finished and the trials that finished since the last look (a few rows, each by index) — the sweeper
 *    commits progress several times a second;
 *  - when the counts say a trial finished, failed, was added or requeued (and at the first look): one row per
 *    configuration with the moments of its metrics (`configStats`, kept by the store's triggers) and the failed
 *    trials. On 10,000 trials that is 2,000 rows, never the trials themselves (see bench/queries.bench.ts).
 * Everything is re-read every few seconds while the sweep runs even if data_version stands still, in case the
 * reader shares its connection with the writer (data_version only counts other connections' commits).
 */
import { TRIAL_SUMMARY_COLUMNS, type ConfigStats, type ResultsReader, type SweepRecord, type TrialRecord } from '@l2x/store';
import { COMPARED_METRICS, finishedEntry, withTrialsToAsk, type FinishedEntry, type SweepSnapshot } from './view-model.ts';

type MetricName = SweepRecord['metric']['name'];

/** The settings and metrics a refresh reads per configuration: the swept settings, the compared metrics and the sweep's metric. */
export function statsColumns(sweep: Pick<SweepRecord, 'swept' | 'metric'>): { settings: string[]; metrics: MetricName[] } {
  // Setting columns the store knows (trial_summary has each under its name), never the seed.
  const settings = [...new Set(sweep.swept)].filter((name) => name !== 'seed' && (TRIAL_SUMMARY_COLUMNS as readonly string[]).includes(name));
  return { settings, metrics: [...new Set<MetricName>([...COMPARED_METRICS, sweep.metric.name])] };
}

/** Every configuration of the sweep with the moments of the metrics shown. */
export function readConfigs(reader: ResultsReader, sweep: SweepRecord): Promise<ConfigStats[]> {
  const { settings, metrics } = statsColumns(sweep);
  return reader.configStats(sweep.id, settings, metrics);
}

/** What decides whether the configurations are read again: a trial finished, failed, was added or requeued, or the sweep changed. */
function configsSignature(sweep: SweepRecord, counts: SweepSnapshot['counts']): string {
  return [sweep.id, sweep.updatedAt, sweep.swept.join(','), sweep.metric.name, counts.total, counts.completed, counts.failed, counts.pruned].join('|');
}

/** How a refresh read the configurations: not at all (nothing finished) or again. */
export type ConfigsRead = 'kept' | 'read';

/**
 * One refresh of a sweep. With `previous` (the same sweep's last snapshot), the configurations and failed trials
 * are read again only when the counts say a trial finished; `full: true` forces it (the benchmark measures each).
 */
export async function readSnapshot(
  reader: ResultsReader,
  sweep: SweepRecord,
  previous?: SweepSnapshot,
  options: { full?: boolean } = {},
): Promise<{ snapshot: SweepSnapshot; read: ConfigsRead }> {
  // The same record when nothing in it changed, so that what is computed from it need not be again.
  if (previous && JSON.stringify(previous.sweep) === JSON.stringify(sweep)) sweep = previous.sweep;
  const counts = withTrialsToAsk(await reader.counts(sweep.id), sweep);
  const runs = await reader.runs(sweep.id);
  const running = await reader.trials(sweep.id, ['running']);
  const losses: Record<number, number[]> = {};
  for (const point of await reader.metricPoints(sweep.id, { names: ['loss'], trialIds: running.map((t) => t.id) }))
    if (point.value !== null) (losses[point.trialId] ??= []).push(point.value);
  const keep = !options.full && previous !== undefined && previous.sweep.id === sweep.id && configsSignature(previous.sweep, previous.counts) === configsSignature(sweep, counts);
  const configs = keep ? previous.configs : await readConfigs(reader, sweep);
  const failed: TrialRecord[] = keep ? previous.failed : await reader.trials(sweep.id, ['failed']);
  const lastFinishedAt = await reader.lastFinishedAt(sweep.id);
  const lastBackend = keep && previous.lastFinishedAt === lastFinishedAt ? previous.lastBackend : await reader.lastBackend(sweep.id);
  // Where each running trial runs: its run's host (the runs are read already).
  const hostOfRun = new Map(runs.map((r) => [r.id, r.host]));
  const hostOf = Object.fromEntries(running.flatMap((t) => (t.runId !== null && hostOfRun.has(t.runId) ? [[t.id, hostOfRun.get(t.runId)!]] : [])));
  return { snapshot: { sweep, counts, runs, running, hosts: hostOf, losses, configs, failed, lastFinishedAt, lastBackend }, read: keep ? 'kept' : 'read' };
}

export type SourceState =
  /** Before the first read. */
  | { kind: 'loading' }
  | { kind: 'no-sweeps' }
  /** The sweep asked for is not in the database (not yet, or deleted by `--fresh`). */
  | { kind: 'missing'; name: string }
  | { kind: 'ok'; snapshot: SweepSnapshot }
  /** Reading failed (the file went away, a newer schema appeared); the last good snapshot stays on screen. */
  | { kind: 'error'; message: string; snapshot?: SweepSnapshot };

export interface PollResult {
  /** Whether anything was read (and the view may have changed). */
  changed: boolean;
  state: SourceState;
  /** Trials that finished or failed since the previous poll (never those already finished at the first look). */
  finished: FinishedEntry[];
}

export interface SweepSourceOptions {
  /** Follow this sweep; otherwise the latest one at the first look that finds any. */
  sweep?: string;
  clock?: () => number;
  /** Re-read at least this often while the sweep runs, data_version or not. */
  recheckMs?: number;
  /** At most this many finished trials are reported by one poll (after a long sleep, the newest ones). */
  maxFinished?: number;
}

export class SweepSource {
  private version: number | undefined;
  private lastRead = -Infinity;
  private state: SourceState | undefined;
  private name: string | undefined;
  private seenSweepId: number | undefined;
  /** The finish time of the last finished trial seen, and the trials seen that finished just then. */
  private seenUntil: string | null = null;
  private seenAt = new Set<string>();
  private readonly clock: () => number;
  private readonly recheckMs: number;
  private readonly maxFinished: number;

  constructor(
    private readonly reader: ResultsReader,
    options: SweepSourceOptions = {},
  ) {
    this.name = options.sweep;
    this.clock = options.clock ?? Date.now;
    this.recheckMs = options.recheckMs ?? 5000;
    this.maxFinished = options.maxFinished ?? 100;
  }

  /** The sweep followed, once known. */
  get sweepName(): string | undefined {
    return this.name;
  }

  private get snapshot(): SweepSnapshot | undefined {
    return this.state && 'snapshot' in this.state ? this.state.snapshot : undefined;
  }

  /** Whether the sweep looks alive (something running or queued), so that a recheck is worth it. */
  private get active(): boolean {
    const counts = this.snapshot?.counts;
    return counts === undefined || counts.running + counts.queued + counts.interrupted > 0;
  }

  /** Looks at the database; reads it only if it changed (or `force`, or the recheck is due while the sweep runs). */
  async poll(force = false): Promise<PollResult> {
    const now = this.clock();
    let version: number;
    try {
      version = await this.reader.dataVersion();
    } catch (error) {
      return this.failed(error);
    }
    const due = this.active && now - this.lastRead >= this.recheckMs;
    if (!force && this.state && version === this.version && !due) return { changed: false, state: this.state, finished: [] };
    this.version = version;
    this.lastRead = now;
    try {
      const sweep = this.name === undefined ? await this.reader.latestSweep() : await this.reader.findSweep(this.name);
      if (!sweep) {
        this.state = this.name === undefined ? { kind: 'no-sweeps' } : { kind: 'missing', name: this.name };
        return { changed: true, state: this.state, finished: [] };
      }
      this.name = sweep.name;
      const previous = this.snapshot;
      const { snapshot, read } = await readSnapshot(this.reader, sweep, previous);
      this.state = { kind: 'ok', snapshot };
      return { changed: true, state: this.state, finished: read === 'kept' && snapshot.lastFinishedAt === previous?.lastFinishedAt ? [] : await this.newlyFinished(snapshot) };
    } catch (error) {
      return this.failed(error);
    }
  }

  private failed(error: unknown): PollResult {
    const message = error instanceof Error ? error.message : String(error);
    const snapshot = this.snapshot;
    this.state = snapshot ? { kind: 'error', message, snapshot } : { kind: 'error', message };
    return { changed: true, state: this.state, finished: [] };
  }

  /**
   * Trials that completed, failed or were pruned since the last look (read by their finish time); the first look of a sweep
   * only takes note of where it stands.
   */
  private async newlyFinished(snapshot: SweepSnapshot): Promise<FinishedEntry[]> {
    const sweepId = snapshot.sweep.id;
    const first = this.seenSweepId !== sweepId;
    if (first) {
      this.seenSweepId = sweepId;
      this.seenUntil = snapshot.lastFinishedAt;
      this.seenAt = new Set();
    }
    if (snapshot.lastFinishedAt === null) return [];
    const trials = await this.reader.finishedSince(sweepId, this.seenUntil, this.maxFinished + this.seenAt.size);
    // Trials that finished in the same millisecond as the last one seen may have been seen already.
    const fresh = trials.filter((t) => !this.seenAt.has(`${t.key}|${t.finishedAt}`));
    const last = trials.at(-1)?.finishedAt ?? this.seenUntil;
    if (last !== this.seenUntil) this.seenAt = new Set();
    for (const t of trials) if (t.finishedAt === last) this.seenAt.add(`${t.key}|${t.finishedAt}`);
    this.seenUntil = last;
    if (first) return [];
    return fresh
      .filter((t) => t.status === 'completed' || t.status === 'failed' || t.status === 'pruned')
      .slice(-this.maxFinished)
      .map((t) => finishedEntry(t, snapshot.sweep.swept));
  }
}
