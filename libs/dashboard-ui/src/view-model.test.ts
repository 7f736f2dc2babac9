import { describe, expect, it } from 'vitest';
import type { RunRecord, StatusCounts, SweepRecord, TrialRecord } from '@l2x/store';
import {
  withTrialsToAsk,
  allocate,
  backendOf,
  barAxis,
  compareBy,
  groupings,
  leaderboard,
  meanTrialMs,
  sortKeys,
  timing,
  windowAround,
} from './view-model.ts';
import { configsOf, type TestTrial } from '../test/configs.ts';

function row(settings: Record<string, unknown>, _seed: number, metrics: Record<string, number | null>, extra: Partial<TestTrial> = {}): TestTrial {
  return { configKey: JSON.stringify(settings), status: 'completed', startedAt: null, finishedAt: null, trainMs: null, settings, metrics, ...extra };
}

const counts = (c: Partial<StatusCounts>): StatusCounts => {
  const base = { queued: 0, running: 0, completed: 0, failed: 0, interrupted: 0, pruned: 0, ...c };
  return { ...base, total: base.queued + base.running + base.completed + base.failed + base.interrupted + base.pruned };
};

const run = (r: Partial<RunRecord>): RunRecord => ({
  id: 1, sweepId: 1, status: 'running', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: null, host: 'h', pid: 1,
  gitCommit: null, gitDirty: null, nodeVersion: 'v20', tfjsVersion: null, backend: 'auto', kernels: null, workers: 2, argv: [], ...r,
});

const runningTrial = (t: Partial<TrialRecord>): TrialRecord =>
  ({ id: 1, sweepId: 1, status: 'running', step: 0, steps: 1000, startedAt: '2026-01-01T00:00:00.000Z', backend: null, worker: 0, params: {}, seed: 0, ...t }) as TrialRecord;

describe('compareBy', () => {
  it('summarizes soft, hard, gap and precision over the completed trials of each value, in value order', () => {
    const trials = [
      row({ tau: 0.5 }, 0, { soft_acc: 0.9, hard_acc: 0.8, gap: 0.1, precision: 0.7 }),
      row({ tau: 0.1 }, 0, { soft_acc: 0.95, hard_acc: 0.7, gap: 0.25, precision: 0.6 }),
      row({ tau: 0.1 }, 1, { soft_acc: 0.93, hard_acc: 0.74, gap: 0.19, precision: 0.62 }),
      row({ tau: 0.1 }, 2, { soft_acc: null, hard_acc: null, gap: null, precision: null }, { status: 'queued' }),
    ];
    const rows = compareBy(configsOf(trials), 'tau');
    expect(rows.map((r) => [r.value, r.done, r.total])).toEqual([['0.1', 2, 3], ['0.5', 1, 1]]);
    expect(rows[0]!.soft.mean).toBeCloseTo(0.94, 12);
    expect(rows[0]!.hard.n).toBe(2);
    // t(0.975, 1) = 12.706; std of (0.7, 0.74) = 0.02828; ci = 12.706 × 0.02828 / √2 = 0.2541
    expect(rows[0]!.hard.ci95).toBeCloseTo(0.2541, 3);
    expect(rows[1]!.gap).toMatchObject({ n: 1, mean: 0.1 });
    expect(Number.isNaN(rows[1]!.gap.ci95)).toBe(true);
  });

  it('orders numbers numerically and words alphabetically', () => {
    const trials = [row({ k: 10 }, 0, {}), row({ k: 2 }, 0, {}), row({ k: 'x' }, 0, {})];
    expect(compareBy(configsOf(trials), 'k').map((r) => r.value)).toEqual(['2', '10', 'x']);
  });

  it('puts the bars axis a round number below the lowest accuracy', () => {
    const rows = compareBy(configsOf([row({ tau: 1 }, 0, { soft_acc: 0.93, hard_acc: 0.71 })]), 'tau');
    expect(barAxis(rows)).toEqual({ lo: 0.6, hi: 1 });
    expect(barAxis([])).toEqual({ lo: 0, hi: 1 });
  });
});

describe('leaderboard', () => {
  const trials = [
    row({ tau: 0.1 }, 0, { hard_acc: 0.7, gap: 0.2 }),
    row({ tau: 0.1 }, 1, { hard_acc: 0.8, gap: 0.1 }),
    row({ tau: 0.5 }, 0, { hard_acc: 0.9, gap: 0.3 }),
    row({ tau: 1 }, 0, { hard_acc: null, gap: 0.05 }),
    row({ tau: 2 }, 0, { hard_acc: 0.99, gap: 0 }, { status: 'failed' }),
  ];

  it('ranks configurations by the mean over seeds, by the goal, missing values last', () => {
    const board = leaderboard(configsOf(trials), ['tau'], { metric: 'hard_acc', goal: 'maximize' });
    expect(board.map((r) => [r.rank, r.label, r.n])).toEqual([[1, 'tau=0.5', 1], [2, 'tau=0.1', 2], [3, 'tau=1', 1]]);
    expect(board[1]!.value.mean).toBeCloseTo(0.75, 12);
    const byGap = leaderboard(configsOf(trials), ['tau'], { metric: 'gap', goal: 'minimize' });
    expect(byGap.map((r) => r.label)).toEqual(['tau=1', 'tau=0.1', 'tau=0.5']);
  });

  it('cycles sorts starting from the sweep metric', () => {
    expect(sortKeys({ name: 'gap', goal: 'minimize' }).map((k) => k.metric)).toEqual(['gap', 'hard_acc', 'precision', 'soft_acc']);
    expect(sortKeys({ name: 'loss', goal: 'minimize' }).map((k) => k.metric)).toEqual(['loss', 'hard_acc', 'gap', 'precision', 'soft_acc']);
    expect(sortKeys({ name: 'hard_acc', goal: 'maximize' })[0]).toEqual({ metric: 'hard_acc', goal: 'maximize' });
  });
});

describe('timing', () => {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();

  it('estimates the time left from completed trials, pending and running work and the workers', () => {
    const trials = [
      row({}, 0, {}, { startedAt: at(0), finishedAt: at(100) }),
      row({}, 1, {}, { startedAt: at(0), finishedAt: at(140) }),
    ];
    const running = [runningTrial({ step: 500, steps: 1000, startedAt: at(140) })];
    const result = timing({ counts: counts({ completed: 2, running: 1, queued: 3 }), runs: [run({ startedAt: at(0), workers: 2 })], running, configs: configsOf(trials), lastFinishedAt: at(140) }, t0 + 200_000);
    expect(result.state).toBe('running');
    expect(result.trialMs).toBe(120_000);
    expect(result.elapsedMs).toBe(200_000);
    // (3 queued + half a trial) × 120 s over 2 workers = 210 s
    expect(result.etaMs).toBe(210_000);
  });

  it('uses the running trials pace before any trial completed', () => {
    const running = [runningTrial({ step: 250, steps: 1000, startedAt: at(0) })];
    const result = timing({ counts: counts({ running: 1, queued: 1 }), runs: [run({ startedAt: at(0), workers: 1 })], running, configs: [], lastFinishedAt: null }, t0 + 50_000);
    expect(result.trialMs).toBe(200_000);
    expect(result.etaMs).toBe(150_000 + 200_000);
  });

  it('is done with no time left, and counts runs without the pauses between them', () => {
    const trials = [row({}, 0, {}, { startedAt: at(10), finishedAt: at(60) })];
    const runs = [run({ id: 1, startedAt: at(0), finishedAt: at(30), status: 'interrupted' }), run({ id: 2, startedAt: at(1000), finishedAt: null })];
    const all = [row({}, 0, {}, { startedAt: at(1000), finishedAt: at(1040) }), ...trials];
    const result = timing({ counts: counts({ completed: 1 }), runs, running: [], configs: configsOf(all), lastFinishedAt: at(1040) }, t0 + 5_000_000);
    expect(result).toMatchObject({ state: 'done', etaMs: 0, elapsedMs: 70_000 });
  });

  it('says stopped when trials are left but no sweeper runs, and waiting before the first run', () => {
    expect(timing({ counts: counts({ queued: 2 }), runs: [run({ finishedAt: at(10), status: 'interrupted' })], running: [], configs: [], lastFinishedAt: at(10) }, t0).state).toBe('stopped');
    expect(timing({ counts: counts({ queued: 2 }), runs: [], running: [], configs: [], lastFinishedAt: null }, t0)).toMatchObject({ state: 'waiting', etaMs: undefined, elapsedMs: undefined });
  });

  it('takes the mean wall time of a completed trial from the configurations', () => {
    const configs = [
      { configKey: 'a', settings: {}, trials: 2, completed: 2, pruned: 0, wallMs: { n: 2, sum: 3000 }, metrics: {} },
      { configKey: 'b', settings: {}, trials: 2, completed: 1, pruned: 1, wallMs: { n: 1, sum: 42 }, metrics: {} },
    ];
    expect(meanTrialMs(configs)).toBe(3042 / 3);
    expect(meanTrialMs([])).toBeUndefined();
  });

  it('reports the backend a trial ran on, else the one the run asked for', () => {
    expect(backendOf({ running: [runningTrial({ backend: 'wasm' })], runs: [run({})], lastBackend: 'cpu' })).toBe('wasm');
    expect(backendOf({ running: [], runs: [run({})], lastBackend: 'cpu' })).toBe('cpu');
    expect(backendOf({ running: [], runs: [run({ backend: 'auto' })], lastBackend: null })).toBe('auto');
  });
});

describe('layout', () => {
  it('gives minimums in priority order, then what sections want', () => {
    const sections = [
      { name: 'a', min: 2, want: 2 },
      { name: 'b', min: 3, want: 10 },
      { name: 'c', min: 2, want: 4 },
      { name: 'd', min: 3, want: 20 },
    ];
    expect(allocate(23, sections)).toEqual({ a: 2, b: 10, c: 4, d: 7 });
    expect(allocate(9, sections)).toEqual({ a: 2, b: 5, c: 2, d: 0 });
    expect(allocate(100, sections)).toEqual({ a: 2, b: 10, c: 4, d: 20 });
  });

  it('keeps the selected row in a scrolling window', () => {
    expect(windowAround(10, 4, 0)).toEqual({ start: 0, end: 4 });
    expect(windowAround(10, 4, 6)).toEqual({ start: 3, end: 7 });
    expect(windowAround(10, 4, 5, 3)).toEqual({ start: 3, end: 7 });
    expect(windowAround(3, 4, 2)).toEqual({ start: 0, end: 3 });
  });

  it('offers the swept settings that vary first for grouping', () => {
    const trials = [row({ anneal: 'constant', tau: 0.1 }, 0, {}), row({ anneal: 'constant', tau: 0.5 }, 0, {})];
    expect(groupings({ swept: ['anneal', 'tau'] }, configsOf(trials))).toEqual(['tau', 'anneal']);
  });
});

describe('withTrialsToAsk', () => {
  const sweep = (configText: string): SweepRecord => ({
    id: 1, name: 's', configText, configHash: 'h', configPath: null, metric: { name: 'median_rank', goal: 'minimize' }, swept: ['lr'],
    status: 'running', createdAt: '', updatedAt: '',
  });
  it('counts a bayes sweep\'s configurations not asked yet as queued: runCap × seeds in all', () => {
    const now = counts({ completed: 3, running: 2, pruned: 1 });
    expect(withTrialsToAsk(now, sweep('name: s\nmethod: bayes\nrunCap: 8\nseeds: 2\n'))).toEqual({ ...now, queued: 10, total: 16 });
    expect(withTrialsToAsk(now, sweep('name: s\nmethod: bayes\nrunCap: 8\nseeds: [0, 5]\n')).total).toBe(16);
  });
  it('leaves other sweeps, a finished bayes sweep and an unreadable file as the store says', () => {
    const now = counts({ completed: 6 });
    expect(withTrialsToAsk(now, sweep('name: s\nmethod: random\nrunCap: 8\n'))).toBe(now);
    expect(withTrialsToAsk(now, sweep('name: s\nmethod: bayes\nrunCap: 3\nseeds: 2\n'))).toBe(now);
    expect(withTrialsToAsk(now, sweep('name: [\n'))).toBe(now);
    // Ended before runCap (its space ran out): nothing is left to ask, nothing shows as queued.
    expect(withTrialsToAsk(now, { ...sweep('name: s\nmethod: bayes\nrunCap: 8\n'), status: 'completed' })).toBe(now);
  });
});
