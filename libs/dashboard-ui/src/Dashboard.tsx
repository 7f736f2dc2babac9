/**
 * The live dashboard: the one stateful component. It polls the store through a SweepSource (reading only when
 * the database changed), keeps what the keys choose (grouping, sort, selected configuration) and the log of
 * trials finished while watching, works out how many rows each section gets from the terminal's size, and
 * hands plain values to the render-only components.
 */
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import type { ResultsReader } from '@l2x/store';
import { Comparison } from './Comparison.tsx';
import { FailedTrials, type FailedRow } from './FailedTrials.tsx';
import { FinishedLog } from './FinishedLog.tsx';
import { Footer } from './Footer.tsx';
import { fit, settingsLabel } from './format.ts';
import { Header } from './Header.tsx';
import { Leaderboard } from './Leaderboard.tsx';
import { RunningTrials, type RunningRow } from './RunningTrials.tsx';
import { SweepSource, type SourceState } from './sweep-source.ts';
import { supportsColour } from './theme.ts';
import {
  allocate,
  backendOf,
  barAxis,
  compareBy,
  groupings,
  leaderboard,
  sortKeys,
  timing,
  type ComparisonRow,
  type FinishedEntry,
  type LeaderRow,
  type SortKey,
  type SweepSnapshot,
} from './view-model.ts';

export interface DashboardProps {
  /** A read-only connection (ResultsReader.open); the dashboard never writes. */
  reader: ResultsReader;
  /** The sweep to show; the latest one otherwise. */
  sweep?: string;
  /** How often to look at the database (at most 1000 ms). */
  pollMs?: number;
  /** Colour, or plain text; by default colour when the terminal has it and NO_COLOR is not set. */
  colour?: boolean;
  /** Called on `q` and Ctrl-C (the sweeper treats both as its Ctrl-C). */
  onQuit?: () => void;
  /** Whether `q` and Ctrl-C also close the dashboard (default true). */
  exitOnQuit?: boolean;
  /** The clock (tests). */
  clock?: () => number;
  /**
   * Filled with a function that reads the store now and resolves once that is drawn (the sweeper calls it before
   * closing the screen, so that the last frame is the sweep's end state).
   */
  refresh?: MutableRefObject<(() => Promise<void>) | undefined>;
}

/** Columns and rows of the output; 80×24 when it does not say (a pipe). */
function terminalSize(stdout: { columns?: number; rows?: number }): { columns: number; rows: number } {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

/** The terminal's size, following resizes. */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => terminalSize(stdout));
  useEffect(() => {
    const onResize = () => setSize(terminalSize(stdout));
    onResize(); // a resize between the first render and this effect
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function Waiting({ width, text }: { width: number; text: string }) {
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">{fit(text, width)}</Text>
      <Text wrap="truncate-end">{fit('q quit', width)}</Text>
    </Box>
  );
}

/** Columns left free at the right edge (see the width in Dashboard). */
export const RELAY_MARGIN = 2;

/** What the dashboard shows of a snapshot, given the grouping and sort the keys chose. */
interface View {
  groups: string[];
  setting: string | undefined;
  comparison: ComparisonRow[];
  axis: { lo: number; hi: number };
  sort: SortKey;
  board: LeaderRow[];
  failed: FailedRow[];
  running: RunningRow[];
}

/**
 * Polls the store through a SweepSource (reading only when the database changed): the source's state, the log
 * of trials finished while watching, and the clock, which moves every second while the sweep runs.
 */
function useSweep(reader: ResultsReader, sweep: string | undefined, pollMs: number, clock: () => number, refresh?: DashboardProps['refresh']) {
  const source = useMemo(() => new SweepSource(reader, { sweep, clock }), [reader, sweep, clock]);
  const [state, setState] = useState<SourceState>({ kind: 'loading' });
  const [log, setLog] = useState<FinishedEntry[]>([]);
  const [now, setNow] = useState(clock);
  const live = useRef(false);
  // Callers of refresh waiting for the frame that shows what it read: resolved after the next commit.
  const drawn = useRef<(() => void)[]>([]);
  const [, setRefreshes] = useState(0);
  useLayoutEffect(() => {
    for (const resolve of drawn.current.splice(0)) resolve();
  });
  const snapshot = snapshotOf(state);
  live.current = snapshot !== undefined && snapshot.counts.running + snapshot.counts.queued + snapshot.counts.interrupted > 0;

  useEffect(() => {
    let stopped = false;
    // One read at a time: a poll that finds one in flight waits for it (a forced one then reads again).
    let inFlight: Promise<void> = Promise.resolve();
    let busy = false;
    const poll = (force: boolean): Promise<void> => {
      if (busy && !force) return inFlight;
      const run = async () => {
        busy = true;
        try {
          const result = await source.poll(force);
          if (stopped) return;
          if (result.changed) setState(result.state);
          if (result.finished.length) setLog((entries) => [...entries, ...result.finished]);
          // Elapsed and ETA move every second while the sweep runs; an idle dashboard does not render at all.
          if (result.changed || live.current) setNow(clock());
        } finally {
          busy = false;
        }
      };
      inFlight = inFlight.then(run, run);
      return inFlight;
    };
    void poll(true);
    if (refresh)
      refresh.current = async () => {
        await poll(true);
        await new Promise<void>((resolve) => {
          drawn.current.push(resolve);
          setRefreshes((n) => n + 1); // a commit even when nothing changed
        });
      };
    const timer = setInterval(() => void poll(false), Math.min(1000, Math.max(10, pollMs)));
    return () => {
      stopped = true;
      clearInterval(timer);
      if (refresh) refresh.current = undefined;
    };
  }, [source, pollMs, clock, refresh]);
  return { state, snapshot, log, now };
}

function snapshotOf(state: SourceState): SweepSnapshot | undefined {
  return 'snapshot' in state ? state.snapshot : undefined;
}

/** The comparison, leaderboard and failed trials (again only when the configurations were read again), and the running trials. */
function useView(snapshot: SweepSnapshot | undefined, groupIndex: number, sortIndex: number): View | undefined {
  const configs = snapshot?.configs;
  const failedTrials = snapshot?.failed;
  const record = snapshot?.sweep;
  const aggregates = useMemo(() => {
    if (!configs || !failedTrials || !record) return undefined;
    const groups = groupings(record, configs);
    const setting = groups.length ? groups[groupIndex % groups.length] : undefined;
    const comparison = setting === undefined ? [] : compareBy(configs, setting);
    const sorts = sortKeys(record.metric);
    const sort = sorts[sortIndex % sorts.length]!;
    const board = leaderboard(configs, record.swept, sort);
    const failed = failedTrials.map((t): FailedRow => ({ key: t.key, label: `${settingsLabel(t.params as Record<string, unknown>, record.swept)} seed=${t.seed}`, error: t.error }));
    return { groups, setting, comparison, axis: barAxis(comparison), sort, board, failed };
  }, [configs, failedTrials, record, groupIndex, sortIndex]);
  const running = useMemo(() => {
    // Where each trial runs, shown when the sweep's runs span more than one machine.
    const severalHosts = snapshot !== undefined && new Set(snapshot.runs.map((r) => r.host)).size > 1;
    return snapshot?.running.map(
        (t): RunningRow => ({
          id: t.id,
          worker: t.worker,
          host: severalHosts ? (snapshot.hosts[t.id] ?? null) : null,
          label: `${settingsLabel(t.params as Record<string, unknown>, snapshot.sweep.swept)} seed=${t.seed}`,
          step: t.step,
          steps: t.steps,
          losses: snapshot.losses[t.id] ?? [],
        }),
      ) ?? [];
  }, [snapshot]);
  return aggregates && { ...aggregates, running };
}

/** The keys: q and Ctrl-C quit, tab cycles the grouping, s the sort, ↑/↓ move the selection in the leaderboard. */
function useKeys(view: View | undefined, keys: ReturnType<typeof useSelection>, quit: () => void) {
  const { isRawModeSupported } = useStdin();
  const board = useRef<LeaderRow[]>([]);
  board.current = view?.board ?? [];
  // The view as last rendered: a key pressed right after the first frame with data sees it (Ink hands keys to the
  // handler registered at the previous commit).
  const shown = useRef<View | undefined>(undefined);
  shown.current = view;
  const move = (step: number) =>
    keys.setSelectedKey((key) => {
      const rows = board.current;
      const at = Math.max(0, rows.findIndex((r) => r.configKey === key));
      return rows[Math.min(Math.max(0, at + step), rows.length - 1)]?.configKey;
    });
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) return quit();
      const view = shown.current;
      if (!view) return;
      if (key.tab) {
        keys.setGroupIndex((i) => (view.groups.length ? (i + (key.shift ? view.groups.length - 1 : 1)) % view.groups.length : 0));
      } else if (input === 's') {
        keys.setSortIndex((i) => i + 1);
      } else if (key.upArrow) {
        move(-1);
      } else if (key.downArrow) {
        move(1);
      }
    },
    { isActive: isRawModeSupported === true },
  );
}

function useSelection() {
  const [groupIndex, setGroupIndex] = useState(0);
  const [sortIndex, setSortIndex] = useState(0);
  const [selectedKey, setSelectedKey] = useState<string | undefined>(undefined);
  return { groupIndex, setGroupIndex, sortIndex, setSortIndex, selectedKey, setSelectedKey };
}

/**
 * Rows of screen per section. Ink redraws in place only while the live view is shorter than the terminal: the
 * frame keeps one row spare. When rows are short, the running trials give way first (down to their title and one
 * row), then the leaderboard beyond its first rows, then the rest.
 */
export function screenRows(rows: number, view: Pick<View, 'comparison' | 'running' | 'failed' | 'board'>): Record<string, number> {
  const budget = Math.max(8, rows - 1);
  const comparisonWant = 2 + Math.max(1, view.comparison.length);
  const boardWant = 2 + Math.max(1, view.board.length);
  const boardFirst = Math.min(boardWant, 8);
  const heights = allocate(budget, [
    { name: 'header', min: 2, want: 2 },
    { name: 'footer', min: 1, want: 1 },
    { name: 'comparison', min: Math.min(comparisonWant, 5), want: comparisonWant },
    { name: 'running', min: view.running.length ? 2 : 0, want: view.running.length ? 2 : 0 },
    { name: 'failed', min: view.failed.length ? 2 : 0, want: view.failed.length ? 1 + Math.min(3, view.failed.length) : 0 },
    { name: 'leaderboard', min: 3, want: boardFirst },
    { name: 'moreRunning', min: 0, want: view.running.length ? view.running.length - 1 : 0 },
    { name: 'moreFailed', min: 0, want: view.failed.length > 3 ? view.failed.length - 3 : 0 },
    { name: 'moreLeaderboard', min: 0, want: boardWant - boardFirst },
  ]);
  return {
    header: heights.header!,
    footer: heights.footer!,
    comparison: heights.comparison!,
    running: heights.running! + heights.moreRunning!,
    failed: heights.failed! + heights.moreFailed!,
    leaderboard: heights.leaderboard! + heights.moreLeaderboard!,
  };
}

function waitingText(state: SourceState): string {
  if (state.kind === 'no-sweeps') return 'No sweeps in this database yet; waiting for one to start (npx nx run sweeper:run --config sweeps/smoke.yaml)…';
  if (state.kind === 'missing') return `No sweep named "${state.name}" in this database (yet); waiting for it…`;
  if (state.kind === 'error') return `Cannot read the database: ${state.message}`;
  if (state.kind === 'loading') return 'Reading the results database…';
  return '';
}

export function Dashboard({ reader, sweep, pollMs = 1000, colour, onQuit, exitOnQuit = true, clock = Date.now, refresh }: DashboardProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { columns, rows } = useTerminalSize();
  const useColour = colour ?? supportsColour(stdout as { hasColors?: () => boolean });
  const { state, snapshot, log, now } = useSweep(reader, sweep, pollMs, clock, refresh);
  const keys = useSelection();
  const view = useView(snapshot, keys.groupIndex, keys.sortIndex);
  useKeys(view, keys, () => {
    onQuit?.();
    if (exitOnQuit) exit();
  });

  // Two columns spare: a terminal relay that decodes UTF-8 chunk by chunk (nx run's pseudo-terminal does) turns
  // a glyph cut between two chunks into up to three replacement characters; a line that filled the width would
  // then wrap, and the redraw, a row short, would leave the frame's first line behind.
  const width = Math.max(20, columns - RELAY_MARGIN);
  if (!snapshot || !view) return <Waiting width={width} text={waitingText(state)} />;

  const heights = screenRows(rows, view);
  const selected = Math.max(0, view.board.findIndex((r) => r.configKey === keys.selectedKey));
  const t = timing(snapshot, now);
  const { counts, sweep: record, runs } = snapshot;
  return (
    <>
      <FinishedLog width={width} colour={useColour} entries={log} />
      <Box flexDirection="column" width={width}>
        <Header
          width={width}
          colour={useColour}
          name={record.name}
          state={t.state}
          metric={record.metric}
          counts={counts}
          elapsedMs={t.elapsedMs}
          etaMs={t.etaMs}
          backend={backendOf(snapshot)}
          workers={runs[runs.length - 1]?.workers ?? null}
        />
        <Comparison
          width={width}
          colour={useColour}
          setting={view.setting}
          groupings={view.groups.length}
          rows={view.comparison}
          axis={view.axis}
          height={heights.comparison!}
        />
        <RunningTrials width={width} colour={useColour} rows={view.running} height={heights.running!} />
        <FailedTrials width={width} colour={useColour} rows={view.failed} height={heights.failed!} />
        <Leaderboard width={width} colour={useColour} settings={record.swept} sort={view.sort} rows={view.board} selected={selected} height={heights.leaderboard!} />
        <Footer width={width} colour={useColour} problem={state.kind === 'error' ? state.message : undefined} />
      </Box>
    </>
  );
}
