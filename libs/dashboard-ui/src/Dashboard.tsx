/**
 * The live dashboard: the one stateful component. It polls the store through a SweepSource (reading only when
 * the database changed), keeps what the keys choose (grouping, sort, selected configuration) and the log of
 * trials finished while watching, works out how many rows each section gets from the terminal's size, and
 * hands plain values to the render-only components.
 */
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
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
  type FinishedEntry,
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

export function Dashboard({ reader, sweep, pollMs = 1000, colour, onQuit, exitOnQuit = true, clock = Date.now }: DashboardProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const { columns, rows } = useTerminalSize();
  const useColour = colour ?? supportsColour(stdout as { hasColors?: () => boolean });

  const source = useMemo(() => new SweepSource(reader, { sweep, clock }), [reader, sweep, clock]);
  const [state, setState] = useState<SourceState>(() => source.poll(true).state);
  const [log, setLog] = useState<FinishedEntry[]>([]);
  const [now, setNow] = useState(clock);
  const [groupIndex, setGroupIndex] = useState(0);
  const [sortIndex, setSortIndex] = useState(0);
  const [selectedKey, setSelectedKey] = useState<string | undefined>(undefined);

  const snapshot: SweepSnapshot | undefined = 'snapshot' in state ? state.snapshot : undefined;
  const live = useRef(false);
  live.current = snapshot !== undefined && snapshot.counts.running + snapshot.counts.queued + snapshot.counts.interrupted > 0;

  useEffect(() => {
    const timer = setInterval(
      () => {
        const result = source.poll();
        if (result.changed) setState(result.state);
        if (result.finished.length) setLog((entries) => [...entries, ...result.finished]);
        // Elapsed and ETA move every second while the sweep runs; an idle dashboard does not render at all.
        if (result.changed || live.current) setNow(clock());
      },
      Math.min(1000, Math.max(10, pollMs)),
    );
    return () => clearInterval(timer);
  }, [source, pollMs, clock]);

  // The aggregates change only when the trials were read again (a trial finished), not on every progress commit.
  const trials = snapshot?.trials;
  const sweepRecord = snapshot?.sweep;
  const aggregates = useMemo(() => {
    if (!trials || !sweepRecord) return undefined;
    const groups = groupings(sweepRecord, trials);
    const setting = groups.length ? groups[groupIndex % groups.length] : undefined;
    const comparison = setting === undefined ? [] : compareBy(trials, setting);
    const sorts = sortKeys(sweepRecord.metric);
    const sort = sorts[sortIndex % sorts.length]!;
    const board = leaderboard(trials, sweepRecord.swept, sort);
    const failed: FailedRow[] = trials
      .filter((t) => t.status === 'failed')
      .map((t) => ({ key: t.key, label: `${settingsLabel(t.settings, sweepRecord.swept)} seed=${t.seed}`, error: t.error }));
    return { groups, setting, comparison, axis: barAxis(comparison), sort, board, failed };
  }, [trials, sweepRecord, groupIndex, sortIndex]);
  const running = useMemo(
    () =>
      snapshot?.running.map(
        (t): RunningRow => ({
          id: t.id,
          worker: t.worker,
          label: `${settingsLabel(t.params as Record<string, unknown>, snapshot.sweep.swept)} seed=${t.seed}`,
          step: t.step,
          steps: t.steps,
          losses: snapshot.losses[t.id] ?? [],
        }),
      ) ?? [],
    [snapshot],
  );
  const view = aggregates && { ...aggregates, running };

  const selected = view ? Math.max(0, view.board.findIndex((r) => r.configKey === selectedKey)) : 0;
  const board = useRef(view?.board ?? []);
  board.current = view?.board ?? [];
  const move = (step: number) =>
    setSelectedKey((key) => {
      const rows = board.current;
      const at = Math.max(0, rows.findIndex((r) => r.configKey === key));
      return rows[Math.min(Math.max(0, at + step), rows.length - 1)]?.configKey;
    });

  const quit = () => {
    onQuit?.();
    if (exitOnQuit) exit();
  };
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) return quit();
      if (!view) return;
      if (key.tab) {
        setGroupIndex((i) => (view.groups.length ? (i + (key.shift ? view.groups.length - 1 : 1)) % view.groups.length : 0));
      } else if (input === 's') {
        setSortIndex((i) => i + 1);
      } else if (key.upArrow) {
        move(-1);
      } else if (key.downArrow) {
        move(1);
      }
    },
    { isActive: isRawModeSupported === true },
  );

  const width = Math.max(20, columns);
  if (!snapshot || !view) {
    const text =
      state.kind === 'no-sweeps'
        ? 'No sweeps in this database yet; waiting for one to start (npx nx run sweeper:run --config sweeps/smoke.yaml)…'
        : state.kind === 'missing'
          ? `No sweep named "${state.name}" in this database (yet); waiting for it…`
          : state.kind === 'error'
            ? `Cannot read the database: ${state.message}`
            : '';
    return <Waiting width={width} text={text} />;
  }

  // Ink redraws in place only while the live view is shorter than the terminal: keep one row spare.
  const budget = Math.max(8, rows - 1);
  const { counts, sweep: record, runs } = snapshot;
  const comparisonWant = 2 + Math.max(1, view.comparison.length);
  const heights = allocate(budget, [
    { name: 'header', min: 2, want: 2 },
    { name: 'footer', min: 1, want: 1 },
    { name: 'comparison', min: Math.min(comparisonWant, 5), want: comparisonWant },
    { name: 'running', min: view.running.length ? 2 : 0, want: view.running.length ? 1 + view.running.length : 0 },
    { name: 'failed', min: view.failed.length ? 2 : 0, want: view.failed.length ? 1 + Math.min(3, view.failed.length) : 0 },
    { name: 'leaderboard', min: 3, want: 2 + Math.max(1, view.board.length) },
    { name: 'moreFailed', min: 0, want: view.failed.length > 3 ? view.failed.length - 3 : 0 },
  ]);
  const t = timing(snapshot, now);
  const workers = runs[runs.length - 1]?.workers ?? null;

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
          workers={workers}
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
        <FailedTrials width={width} colour={useColour} rows={view.failed} height={heights.failed! + heights.moreFailed!} />
        <Leaderboard width={width} colour={useColour} settings={record.swept} sort={view.sort} rows={view.board} selected={selected} height={heights.leaderboard!} />
        <Footer width={width} colour={useColour} problem={state.kind === 'error' ? state.message : undefined} />
      </Box>
    </>
  );
}
