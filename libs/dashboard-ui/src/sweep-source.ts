/**
 * What the dashboard reads from results.db, and when.
 *
 * Polling is cheap when nothing happens: `PRAGMA data_version` (a counter in shared memory) says whether another
 * connection committed since the last look, and only then are the tables read. Reads come in three sizes:
 *  - light, on every change: the sweep row, counts, runs, running trials and their loss curves (a few rows,
 *    each by index) — the sweeper commits progress several times a second;
 *  - by lookup, when the counts say trials finished and they are the ones that were running at the last look:
 *    the record and final metrics of just those (by key). A finished trial's settings and metrics never change,
 *    so the rest is kept;
 *  - incremental, when the counts do not add up that way (trials added or requeued, or one ran and finished
 *    between two looks): every trial's key and status (the cheapest scan `trial_summary` offers), then a lookup
 *    of each trial whose status moved;
 *  - full, at the first look (and when many trials moved at once): every trial's swept settings and final metrics
 *    from `trial_summary`. On 10,000 trials this is the one slow read (see bench/queries.bench.ts).
 * Everything is re-read every few seconds while the sweep runs even if data_version stands still, in case the
 * reader shares its connection with the writer (data_version only counts other connections' commits).
 */
import type { ResultsReader, SweepRecord, TrialRecord, TrialStatus } from '@l2x/store';
import { TRIAL_SUMMARY_COLUMNS } from '@l2x/store';
import { COMPARED_METRICS, finishedEntry, type FinishedEntry, type SweepSnapshot, type TrialRow } from './view-model.ts';

type SummaryColumn = (typeof TRIAL_SUMMARY_COLUMNS)[number];

const BASE_COLUMNS = ['key', 'config_key', 'status', 'seed', 'started_at', 'finished_at', 'train_ms', 'backend', 'error'] as const;
const KNOWN_COLUMNS = new Set<string>(TRIAL_SUMMARY_COLUMNS);

/** Above this many trials whose status moved, one full read is cheaper than looking each up. */
export const MAX_LOOKUPS = 200;

/** The trial_summary columns one refresh asks for: swept settings, the compared metrics and the sweep's metric. */
export function summaryColumns(sweep: Pick<SweepRecord, 'swept' | 'metric'>): { settings: SummaryColumn[]; metrics: SummaryColumn[] } {
  const known = (names: readonly string[]) => [...new Set(names)].filter((n): n is SummaryColumn => KNOWN_COLUMNS.has(n) && n !== 'seed');
  return { settings: known(sweep.swept), metrics: known([...COMPARED_METRICS, sweep.metric.name]) };
}

/** Every trial of the sweep with its swept settings and final metrics (the full read). */
export function readTrials(reader: ResultsReader, sweep: SweepRecord): TrialRow[] {
  const { settings, metrics } = summaryColumns(sweep);
  const rows = reader.trialSummary(sweep.name, [...BASE_COLUMNS, ...settings, ...metrics]) as Record<string, unknown>[];
  return rows.map((row) => ({
    key: row.key as string,
    configKey: row.config_key as string,
    status: row.status as TrialStatus,
    seed: row.seed as number,
    startedAt: (row.started_at as string | null) ?? null,
    finishedAt: (row.finished_at as string | null) ?? null,
    trainMs: (row.train_ms as number | null) ?? null,
    backend: (row.backend as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    settings: Object.fromEntries(settings.map((name) => [name, row[name]])),
    metrics: Object.fromEntries(metrics.map((name) => [name, typeof row[name] === 'number' ? (row[name] as number) : null])),
  }));
}

/** One trial as a row, from its record and final metrics (the incremental read's lookups). */
function rowOf(record: TrialRecord, sweep: SweepRecord, final: Record<string, number | null>): TrialRow {
  const { settings, metrics } = summaryColumns(sweep);
  const resolved = record.settings as unknown as Record<string, unknown>;
  return {
    key: record.key,
    configKey: record.configKey,
    status: record.status,
    seed: record.seed,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    trainMs: record.trainMs,
    backend: record.backend,
    error: record.error,
    settings: Object.fromEntries(settings.map((name) => [name, resolved[name] ?? null])),
    metrics: Object.fromEntries(metrics.map((name) => [name, typeof final[name] === 'number' ? final[name] : null])),
  };
}

/**
 * The trials again, knowing `previous` (the same sweep's rows from the last read): one scan of keys and statuses,
 * then a lookup of each trial whose status moved or that is new. Falls back to the full read when trials went
 * away or too many moved. Returns how it read.
 */
export function refreshTrials(reader: ResultsReader, sweep: SweepRecord, previous: readonly TrialRow[]): { trials: TrialRow[]; mode: 'incremental' | 'full' } {
  const known = new Map(previous.map((row) => [row.key, row]));
  const statuses = reader.trialSummary(sweep.name, ['key', 'status']) as { key: string; status: TrialStatus }[];
  const moved = statuses.filter(({ key, status }) => known.get(key)?.status !== status);
  const stillThere = statuses.length - moved.filter(({ key }) => !known.has(key)).length;
  if (moved.length > MAX_LOOKUPS || stillThere !== previous.length) return { trials: readTrials(reader, sweep), mode: 'full' };
  const fresh = new Map<string, TrialRow>();
  for (const { key } of moved) {
    const record = reader.trialByKey(sweep.id, key);
    if (!record) return { trials: readTrials(reader, sweep), mode: 'full' }; // deleted meanwhile
    fresh.set(key, rowOf(record, sweep, record.status === 'completed' ? reader.finalMetrics(record.id) : {}));
  }
  return { trials: statuses.map(({ key }) => fresh.get(key) ?? known.get(key)!), mode: 'incremental' };
}

/** What decides whether the trials are read again: a trial finished, failed, was added or requeued, or the sweep changed. */
function trialsSignature(sweep: SweepRecord, counts: SweepSnapshot['counts']): string {
  return [sweep.id, sweep.updatedAt, sweep.swept.join(','), sweep.metric.name, counts.total, counts.completed, counts.failed].join('|');
}

/** How a refresh read the trials: not at all (nothing finished), by lookup, incrementally, or in full. */
export type TrialsRead = 'kept' | 'lookup' | 'incremental' | 'full';

/**
 * The trials after the ones running at the last look finished, looking up only those; undefined when the counts
 * say more happened than that (then the incremental read finds out what).
 */
export function lookUpFinished(
  reader: ResultsReader,
  sweep: SweepRecord,
  previous: SweepSnapshot,
  now: { counts: SweepSnapshot['counts']; running: readonly TrialRecord[] },
): TrialRow[] | undefined {
  if (now.counts.total !== previous.counts.total) return undefined;
  const still = new Set(now.running.map((t) => t.id));
  const gone = previous.running.filter((t) => !still.has(t.id));
  if (gone.length === 0 || gone.length > MAX_LOOKUPS) return undefined;
  const at = new Map(gone.map((t) => [t.key, -1]));
  previous.trials.forEach((row, i) => {
    if (at.has(row.key)) at.set(row.key, i);
  });
  const trials = previous.trials.slice();
  for (const t of gone) {
    const record = reader.trialByKey(sweep.id, t.key);
    const i = at.get(t.key)!;
    if (!record || i < 0) return undefined;
    trials[i] = rowOf(record, sweep, record.status === 'completed' ? reader.finalMetrics(record.id) : {});
  }
  let completed = 0;
  let failed = 0;
  for (const row of trials) {
    if (row.status === 'completed') completed += 1;
    else if (row.status === 'failed') failed += 1;
  }
  return completed === now.counts.completed && failed === now.counts.failed ? trials : undefined;
}

/**
 * One refresh of a sweep. With `previous` (the same sweep's last snapshot), the trials are read again only when
 * the counts say one finished, and then incrementally; `full: true` forces the full read (the benchmark measures each).
 */
export function readSnapshot(
  reader: ResultsReader,
  sweep: SweepRecord,
  previous?: SweepSnapshot,
  options: { full?: boolean } = {},
): { snapshot: SweepSnapshot; read: TrialsRead } {
  // The same record when nothing in it changed, so that what is computed from it need not be again.
  if (previous && JSON.stringify(previous.sweep) === JSON.stringify(sweep)) sweep = previous.sweep;
  const counts = reader.counts(sweep.id);
  const runs = reader.runs(sweep.id);
  const running = reader.trials(sweep.id, ['running']);
  const losses: Record<number, number[]> = {};
  for (const point of reader.metricPoints(sweep.id, { names: ['loss'], trialIds: running.map((t) => t.id) }))
    if (point.value !== null) (losses[point.trialId] ??= []).push(point.value);
  const same = !options.full && previous !== undefined && previous.sweep.id === sweep.id;
  let trials: TrialRow[];
  let read: TrialsRead;
  if (same && trialsSignature(previous.sweep, previous.counts) === trialsSignature(sweep, counts)) {
    trials = previous.trials;
    read = 'kept';
  } else if (same && previous.sweep.swept.join(',') === sweep.swept.join(',') && previous.sweep.metric.name === sweep.metric.name) {
    const looked = lookUpFinished(reader, sweep, previous, { counts, running });
    if (looked) [trials, read] = [looked, 'lookup'];
    else ({ trials, mode: read } = refreshTrials(reader, sweep, previous.trials));
  } else {
    trials = readTrials(reader, sweep);
    read = 'full';
  }
  return { snapshot: { sweep, counts, runs, running, losses, trials }, read };
}

export type SourceState =
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
  private seen: Map<string, string> | undefined;
  private seenSweepId: number | undefined;
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
  poll(force = false): PollResult {
    const now = this.clock();
    let version: number;
    try {
      version = this.reader.dataVersion();
    } catch (error) {
      return this.failed(error);
    }
    const due = this.active && now - this.lastRead >= this.recheckMs;
    if (!force && this.state && version === this.version && !due) return { changed: false, state: this.state, finished: [] };
    this.version = version;
    this.lastRead = now;
    try {
      const sweep = this.name === undefined ? this.reader.latestSweep() : this.reader.findSweep(this.name);
      if (!sweep) {
        this.state = this.name === undefined ? { kind: 'no-sweeps' } : { kind: 'missing', name: this.name };
        return { changed: true, state: this.state, finished: [] };
      }
      this.name = sweep.name;
      const previous = this.snapshot;
      const { snapshot, read } = readSnapshot(this.reader, sweep, previous);
      this.state = { kind: 'ok', snapshot };
      return { changed: true, state: this.state, finished: read === 'kept' ? [] : this.newlyFinished(snapshot) };
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

  /** Trials whose finished state is new since the last look; the first look of a sweep only takes note. */
  private newlyFinished(snapshot: SweepSnapshot): FinishedEntry[] {
    const first = this.seen === undefined || this.seenSweepId !== snapshot.sweep.id;
    if (first) {
      this.seen = new Map();
      this.seenSweepId = snapshot.sweep.id;
    }
    const seen = this.seen!;
    const out: FinishedEntry[] = [];
    for (const trial of snapshot.trials) {
      if (trial.status !== 'completed' && trial.status !== 'failed') continue;
      if (seen.get(trial.key) === trial.status) continue;
      seen.set(trial.key, trial.status);
      if (!first) out.push(finishedEntry(trial, snapshot.sweep.swept));
    }
    out.sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    return out.slice(-this.maxFinished);
  }
}
