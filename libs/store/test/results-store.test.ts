import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, METRIC_NAMES, SETTING_NAMES, type Settings } from '@l2x/model/config';
import { UserError } from '@l2x/errors';
import { ResultsReader, ResultsStore, SCHEMA_VERSION, type RunEnvironment, type TrialInput } from '../src/index.ts';
import { MIGRATIONS, viewStatements } from '../src/schema.ts';

const env: RunEnvironment = {
  host: 'test-host', pid: process.pid, gitCommit: 'abc123', gitDirty: false, nodeVersion: process.version,
  tfjsVersion: '4.22.0', backend: 'cpu', kernels: 'wasm+native avx2', workers: 1, argv: ['--config', 'x.yaml'],
};

function trial(tau: number, seed: number): TrialInput {
  const settings: Settings = { ...DEFAULT_SETTINGS, tau, seed, steps: 50 };
  return { key: `t${tau}-s${seed}`, configKey: `t${tau}`, seed, settings, params: { tau } };
}

const sweepInput = {
  name: 'tau', configText: 'name: tau', configHash: 'h1', configPath: 'sweeps/tau.yaml',
  metric: { name: 'hard_acc' as const, goal: 'maximize' as const }, swept: ['tau'],
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// One suite, every backend the store has: a private in-memory database and a file with WAL.
describe.each([
  ['in-memory', () => ':memory:'],
  ['file', () => join(dir, 'nested', 'results.db')],
])('ResultsStore (%s)', (_name, pathOf) => {
  let store: ResultsStore;
  beforeEach(() => {
    store = ResultsStore.open(pathOf());
  });
  afterEach(() => store.close());

  it('creates a sweep once and resumes it by name', () => {
    const first = store.ensureSweep(sweepInput);
    expect(first.created).toBe(true);
    const again = store.ensureSweep(sweepInput);
    expect(again).toMatchObject({ created: false, configChanged: false });
    expect(again.sweep.id).toBe(first.sweep.id);
    expect(store.ensureSweep({ ...sweepInput, configHash: 'h2' }).configChanged).toBe(true);
    expect(store.listSweeps().map((s) => s.name)).toEqual(['tau']);
  });

  it('queues each trial key once', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    const planned = [trial(0.1, 0), trial(0.1, 1), trial(0.5, 0)];
    expect(store.addTrials(sweep.id, planned)).toBe(3);
    expect(store.addTrials(sweep.id, [...planned, trial(0.5, 1)])).toBe(1);
    expect(store.counts(sweep.id)).toMatchObject({ queued: 4, total: 4 });
    expect(store.pendingTrials(sweep.id).map((t) => t.key)).toEqual(['t0.1-s0', 't0.1-s1', 't0.5-s0', 't0.5-s1']);
  });

  it('claims a trial for one worker only and records its life', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0)]);
    const runId = store.startRun(sweep.id, env);
    const [t] = store.pendingTrials(sweep.id);
    expect(store.claimTrial(t!.id, { runId, worker: 0, device: null })).toBe(true);
    expect(store.claimTrial(t!.id, { runId, worker: 1, device: null })).toBe(false);
    store.recordPoints(t!.id, 20, { loss: 1.5, hard_acc: 0.4 });
    store.recordPoints(t!.id, 40, { loss: 0.9, hard_acc: 0.7 });
    store.recordProgress([{ trialId: t!.id, step: 45, backend: 'wasm', kernels: 'wasm+native avx2' }]);
    expect(store.trial(t!.id)).toMatchObject({ status: 'running', step: 45, worker: 0, attempts: 1, backend: 'wasm', kernels: 'wasm+native avx2' });
    expect(store.completeTrial(t!.id, { metrics: { loss: 0.8, hard_acc: 0.75, soft_acc: 0.9, gap: 0.15 }, backend: 'cpu', kernels: 'cpu', trainMs: 1234 })).toBe(true);
    // A trial is stored once: a second completion (a late worker) changes nothing.
    expect(store.completeTrial(t!.id, { metrics: { hard_acc: 0.1 }, backend: 'wasm', trainMs: 1 })).toBe(false);
    store.failTrial(t!.id, 'late failure');
    const done = store.trial(t!.id);
    expect(done).toMatchObject({ status: 'completed', step: 50, trainMs: 1234, backend: 'cpu', kernels: 'cpu', error: null });
    expect(store.trialSummary(sweepInput.name, ['kernels'])).toEqual([{ kernels: 'cpu' }]);
    expect(store.finalMetrics(t!.id)).toMatchObject({ hard_acc: 0.75, gap: 0.15 });
    expect(store.metricPoints(sweep.id, { names: ['loss'] }).map((p) => [p.step, p.value])).toEqual([[20, 1.5], [40, 0.9]]);
    expect(store.pendingTrials(sweep.id)).toEqual([]);
  });

  it('records a failure with its error and keeps the other trials', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0), trial(0.2, 0)]);
    const runId = store.startRun(sweep.id, env);
    const [a, b] = store.pendingTrials(sweep.id);
    store.claimTrial(a!.id, { runId, worker: 0, device: null });
    store.failTrial(a!.id, 'loss became NaN at step 12');
    expect(store.trial(a!.id)).toMatchObject({ status: 'failed', error: 'loss became NaN at step 12' });
    expect(store.pendingTrials(sweep.id).map((t) => t.id)).toEqual([b!.id]);
    expect(store.requeueFailed(sweep.id)).toBe(1);
    expect(store.pendingTrials(sweep.id).map((t) => t.id)).toEqual([a!.id, b!.id]);
  });

  it('reclaims trials of a dead run and of a stale heartbeat, not of a live one', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0), trial(0.2, 0), trial(0.3, 0)]);
    const live = store.startRun(sweep.id, env);
    const dead = store.startRun(sweep.id, { ...env, pid: 999_999 });
    const [a, b, c] = store.pendingTrials(sweep.id);
    store.claimTrial(a!.id, { runId: live, worker: 0, device: null });
    store.claimTrial(b!.id, { runId: dead, worker: 0, device: null });
    store.claimTrial(c!.id, { runId: live, worker: 1, device: null });
    store.recordPoints(b!.id, 10, { loss: 2 });
    const isAlive = (_host: string, pid: number) => pid === process.pid;
    expect(store.reclaimOrphans(sweep.id, { staleMs: 60_000, isAlive })).toBe(1);
    expect(store.trial(b!.id).status).toBe('interrupted');
    expect(store.trial(a!.id).status).toBe('running');
    // A reclaimed trial starts over: its old curve points go when it is claimed again.
    expect(store.claimTrial(b!.id, { runId: live, worker: 2, device: null })).toBe(true);
    expect(store.trial(b!.id).attempts).toBe(2);
    expect(store.metricPoints(sweep.id, { trialIds: [b!.id] })).toEqual([]);
    expect(store.reclaimOrphans(sweep.id, { staleMs: -1, isAlive })).toBe(3);
  });

  it('interrupts running trials so that the next run resumes them', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0)]);
    const runId = store.startRun(sweep.id, env);
    const [t] = store.pendingTrials(sweep.id);
    store.claimTrial(t!.id, { runId, worker: 0, device: null });
    store.interruptTrials([t!.id]);
    store.finishRun(runId, 'interrupted');
    expect(store.pendingTrials(sweep.id).map((x) => x.status)).toEqual(['interrupted']);
    expect(store.runs(sweep.id)[0]).toMatchObject({ status: 'interrupted', gitCommit: 'abc123', gitDirty: false, kernels: 'wasm+native avx2', argv: ['--config', 'x.yaml'] });
  });

  it('flattens settings and final metrics in trial_summary and aggregates seeds in config_summary', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2), trial(0.5, 0)]);
    const runId = store.startRun(sweep.id, env);
    const hard = [0.6, 0.7, 0.8, 0.5];
    store.pendingTrials(sweep.id).forEach((t, i) => {
      store.claimTrial(t.id, { runId, worker: 0, device: null });
      store.completeTrial(t.id, { metrics: { hard_acc: hard[i]!, soft_acc: 0.9 }, backend: 'cpu', trainMs: 10 });
    });
    const rows = store.trialSummary('tau', ['key', 'tau', 'k', 'anneal', 'seed', 'hard_acc', 'status']);
    expect(rows[0]).toEqual({ key: 't0.1-s0', tau: 0.1, k: 3, anneal: 'constant', seed: 0, hard_acc: 0.6, status: 'completed' });
    const db = (store as unknown as { db: Database.Database }).db;
    const config = db.prepare(`SELECT tau, n, hard_acc_mean, hard_acc_std, soft_acc_std FROM config_summary WHERE sweep = 'tau' ORDER BY tau`).all();
    // Seeds 0.6, 0.7, 0.8: mean 0.7, sample standard deviation 0.1; one seed has no std.
    expect(config[0]).toMatchObject({ tau: 0.1, n: 3, soft_acc_std: 0 });
    expect((config[0] as { hard_acc_mean: number }).hard_acc_mean).toBeCloseTo(0.7, 12);
    expect((config[0] as { hard_acc_std: number }).hard_acc_std).toBeCloseTo(0.1, 12);
    expect(config[1]).toMatchObject({ tau: 0.5, n: 1, hard_acc_mean: 0.5, hard_acc_std: null });
  });

  it('keeps each configuration\'s moments as trials complete, fail and are retried (configStats against the trials)', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2), trial(0.5, 0), trial(0.5, 1)]);
    const runId = store.startRun(sweep.id, env);
    const [a, b, c, d, e] = store.pendingTrials(sweep.id);
    for (const t of [a!, b!, c!, d!, e!]) store.claimTrial(t.id, { runId, worker: 0, device: null });
    store.completeTrial(a!.id, { metrics: { hard_acc: 0.6, soft_acc: 0.9 }, backend: 'cpu', trainMs: 10 });
    store.completeTrial(b!.id, { metrics: { hard_acc: 0.7 }, backend: 'cpu', trainMs: 10 });
    store.failTrial(c!.id, 'NaN loss', 'cpu');
    store.completeTrial(d!.id, { metrics: { hard_acc: 0.5 }, backend: 'cpu', trainMs: 10 });
    store.interruptTrials([e!.id]);
    // Progress and heartbeats on other trials touch nothing.
    store.recordPoints(a!.id, 5, { loss: 1 });

    const stats = () => Object.fromEntries(store.configStats(sweep.id, ['tau', 'k'], ['hard_acc', 'soft_acc']).map((c) => [c.configKey, c]));
    let byConfig = stats();
    expect(byConfig['t0.1']).toMatchObject({ settings: { tau: 0.1, k: 3 }, trials: 3, completed: 2 });
    expect(byConfig['t0.1']!.metrics.hard_acc!.n).toBe(2);
    expect(byConfig['t0.1']!.metrics.hard_acc!.sum).toBeCloseTo(1.3, 12);
    expect(byConfig['t0.1']!.metrics.hard_acc!.sumSq).toBeCloseTo(0.36 + 0.49, 12);
    expect(byConfig['t0.1']!.metrics.soft_acc).toEqual({ n: 1, sum: 0.9, sumSq: expect.closeTo(0.81, 12) });
    expect(byConfig['t0.1']!.wallMs.n).toBe(2);
    expect(byConfig['t0.5']).toMatchObject({ trials: 2, completed: 1, metrics: { hard_acc: { n: 1, sum: 0.5 } } });

    // The failed trial is retried and completes: it counts now, once.
    store.requeueFailed(sweep.id);
    const retried = store.pendingTrials(sweep.id).find((t) => t.id === c!.id)!;
    store.claimTrial(retried.id, { runId, worker: 0, device: null });
    store.completeTrial(retried.id, { metrics: { hard_acc: 0.8 }, backend: 'cpu', trainMs: 10 });
    byConfig = stats();
    expect(byConfig['t0.1']).toMatchObject({ trials: 3, completed: 3 });
    expect(byConfig['t0.1']!.metrics.hard_acc!.sum).toBeCloseTo(2.1, 12);

    // The same numbers as the trials themselves say.
    const completed = store.trialSummary('tau', ['config_key', 'status', 'hard_acc']).filter((r) => r.status === 'completed');
    for (const [key, config] of Object.entries(byConfig)) {
      const values = completed.filter((r) => r.config_key === key).map((r) => r.hard_acc as number);
      expect(config.metrics.hard_acc!.n).toBe(values.length);
      expect(config.metrics.hard_acc!.sum).toBeCloseTo(values.reduce((x, y) => x + y, 0), 12);
    }
    expect(store.lastFinishedAt(sweep.id)).toBe(store.trialByKey(sweep.id, retried.key)!.finishedAt);
    const since = store.finishedSince(sweep.id, store.trialByKey(sweep.id, d!.key)!.finishedAt);
    expect(since.map((t) => t.id)).toEqual(expect.arrayContaining([d!.id, retried.id]));
    expect(since.at(-1)).toMatchObject({ id: retried.id, status: 'completed', metrics: { hard_acc: 0.8, gap: null } });
    expect(store.finishedSince(sweep.id, null).map((t) => t.id).sort()).toEqual([a!.id, b!.id, c!.id, d!.id, e!.id].sort());
    expect(store.lastBackend(sweep.id)).toBe('cpu');
  });

  it('prunes a running trial: final, with its curve, stop step and last metrics; counted apart from completed', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2)]);
    const runId = store.startRun(sweep.id, env);
    const [a, b, c] = store.pendingTrials(sweep.id);
    for (const t of [a!, b!, c!]) store.claimTrial(t.id, { runId, worker: 0, device: null });
    store.recordPoints(a!.id, 10, { hard_acc: 0.4 });
    store.recordPoints(a!.id, 20, { hard_acc: 0.45 });
    expect(store.pruneTrial(a!.id, { step: 20, metrics: { hard_acc: 0.45 } })).toBe(true);
    expect(store.pruneTrial(a!.id, { step: 20, metrics: { hard_acc: 0.45 } })).toBe(false); // final: once
    expect(store.completeTrial(a!.id, { metrics: { hard_acc: 1 }, backend: 'cpu', trainMs: 1 })).toBe(false);
    store.completeTrial(b!.id, { metrics: { hard_acc: 0.7 }, backend: 'cpu', trainMs: 1 });
    store.completeTrial(c!.id, { metrics: { hard_acc: 0.9 }, backend: 'cpu', trainMs: 1 });

    expect(store.trial(a!.id)).toMatchObject({ status: 'pruned', step: 20 });
    expect(store.finalMetrics(a!.id).hard_acc).toBe(0.45);
    expect(store.metricPoints(sweep.id, { trialIds: [a!.id] }).map((p) => p.step)).toEqual([10, 20]);
    expect(store.pendingTrials(sweep.id)).toEqual([]); // a resume does not rerun it
    expect(store.counts(sweep.id)).toMatchObject({ completed: 2, pruned: 1, total: 3 });
    const [config] = store.configStats(sweep.id, ['tau'], ['hard_acc']);
    expect(config).toMatchObject({ trials: 3, completed: 2, pruned: 1 });
    expect(config!.metrics.hard_acc!.sum).toBeCloseTo(1.6, 12); // completed only
    expect(store.trialSummary('tau', ['status', 'step', 'hard_acc'])).toContainEqual({ status: 'pruned', step: 20, hard_acc: 0.45 });
    const db = (store as unknown as { db: Database.Database }).db;
    const summary = db.prepare('SELECT n, pruned, hard_acc_mean FROM config_summary WHERE sweep = ?').get('tau') as Record<string, number>;
    expect(summary.n).toBe(2);
    expect(summary.pruned).toBe(1);
    expect(summary.hard_acc_mean).toBeCloseTo(0.8, 12);

    expect(store.trialOutcomes(sweep.id, 'hard_acc').map((o) => [o.status, o.value, o.step])).toEqual([
      ['pruned', 0.45, 20], ['completed', 0.7, 50], ['completed', 0.9, 50],
    ]);
    const curves = store.metricCurves(sweep.id, 'hard_acc');
    expect(curves).toEqual([{ trialId: a!.id, status: 'pruned', values: new Map([[10, 0.4], [20, 0.45]]) }]);
  });

  it('names each view column once: every setting and metric under its own name', () => {
    const db = (store as unknown as { db: Database.Database }).db;
    for (const view of ['trial_summary', 'config_summary']) {
      const columns = (db.pragma(`table_info(${view})`) as { name: string }[]).map((c) => c.name);
      expect(new Set(columns).size, view).toBe(columns.length);
      expect(columns).toEqual(expect.arrayContaining(['sweep', 'config_key', 'tau', 'k', 'anneal', 'attention', 'steps']));
    }
    const trialColumns = (db.pragma('table_info(trial_summary)') as { name: string }[]).map((c) => c.name);
    expect(trialColumns).toEqual(expect.arrayContaining([...SETTING_NAMES, ...METRIC_NAMES, 'key', 'status', 'backend']));
  });

  it('deletes a sweep with everything it holds', () => {
    const { sweep } = store.ensureSweep(sweepInput);
    store.addTrials(sweep.id, [trial(0.1, 0)]);
    expect(store.deleteSweep('tau')).toBe(true);
    expect(store.deleteSweep('tau')).toBe(false);
    expect(store.counts(sweep.id).total).toBe(0);
    expect(store.configStats(sweep.id, ['tau'])).toEqual([]);
  });

  it('names the sweeps there are when asked for one that does not exist', () => {
    store.ensureSweep(sweepInput);
    expect(() => store.sweep('tua')).toThrow(/no sweep named "tua" \(did you mean "tau"\?\); sweeps here: tau/);
  });
});

describe('opening results databases', () => {
  it('lets a reader in another connection see the writer commit, without writing itself', () => {
    const path = join(dir, 'results.db');
    const store = ResultsStore.open(path);
    const { sweep } = store.ensureSweep(sweepInput);
    const reader = ResultsReader.open(path);
    const before = reader.dataVersion();
    store.addTrials(sweep.id, [trial(0.1, 0)]);
    expect(reader.dataVersion()).not.toBe(before);
    expect(reader.counts(sweep.id).queued).toBe(1);
    expect(() => (reader as unknown as { db: Database.Database }).db.exec('DELETE FROM trials')).toThrow(/readonly/);
    reader.close();
    store.close();
  });

  it('is idempotent: opening migrates once and keeps the data', () => {
    const path = join(dir, 'results.db');
    ResultsStore.open(path).close();
    const store = ResultsStore.open(path);
    store.ensureSweep(sweepInput);
    store.close();
    const again = ResultsStore.open(path);
    expect(again.listSweeps()).toHaveLength(1);
    again.close();
  });

  it('migrates a version-1 database: its trials keep their metrics and gain median_rank, tpr and fdr columns in both views', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO sweeps (name, config_text, config_hash, metric_name, metric_goal) VALUES ('tau', 'name: tau', 'h', 'hard_acc', 'maximize')").run();
    old.prepare("INSERT INTO trials (sweep_id, key, config_key, seed, settings, status, hard_acc) VALUES (1, 'a', 'c', 0, ?, 'completed', 0.75)").run(JSON.stringify(DEFAULT_SETTINGS));
    expect(old.prepare('SELECT name FROM pragma_table_info(?)').all('trials').map((c) => (c as { name: string }).name)).not.toContain('median_rank');
    old.close();

    const store = ResultsStore.open(path);
    const sweep = store.listSweeps()[0]!;
    const [row] = store.trialSummary(sweep.name, ['hard_acc', 'median_rank', 'tpr', 'fdr']);
    expect(row).toEqual({ hard_acc: 0.75, median_rank: null, tpr: null, fdr: null });
    store.addTrials(sweep.id, [trial(0.2, 1)]);
    const added = store.pendingTrials(sweep.id)[0]!;
    expect(store.claimTrial(added.id, { runId: store.startRun(sweep.id, env), worker: 0, device: null })).toBe(true);
    store.completeTrial(added.id, { metrics: { hard_acc: 0.9, median_rank: 1.5, tpr: 1, fdr: 0 }, backend: 'cpu', trainMs: 1 });
    const rows = store.trialSummary(sweep.name, ['median_rank', 'tpr', 'fdr']);
    expect(rows).toContainEqual({ median_rank: 1.5, tpr: 1, fdr: 0 });
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all('config_summary').map((c) => (c as { name: string }).name);
    expect(columns).toEqual(expect.arrayContaining(['median_rank_mean', 'median_rank_std', 'tpr_mean', 'fdr_std']));
    db.close();
    const again = ResultsStore.open(path);
    const [config] = again.configStats(sweep.id, ['tau'], ['median_rank', 'hard_acc']).filter((c) => c.settings.tau === 0.2);
    expect(config!.metrics.median_rank!.sum).toBeCloseTo(1.5, 12); // the triggers keep the new metrics too
    again.close();
  });

  it('migrates a version-5 database to pruned (a rebuilt trials table): rows, ids, points, indexes, views and triggers kept', () => {
    const path = join(dir, 'v5.db');
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    for (const migration of MIGRATIONS.slice(0, 5)) old.exec(migration);
    for (const statement of viewStatements()) old.exec(statement); // the views read the same columns at 5
    old.pragma('user_version = 5');
    old.close();
    // Written by the schema-5 store code paths: a sweep, completed, failed and queued trials with curves.
    const v5 = new ResultsStore(new Database(path));
    (v5 as unknown as { db: Database.Database }).db.pragma('foreign_keys = ON');
    const { sweep } = v5.ensureSweep(sweepInput);
    v5.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.5, 0), trial(0.5, 1)]);
    const runId = v5.startRun(sweep.id, env);
    const [a, b, c] = v5.pendingTrials(sweep.id);
    for (const t of [a!, b!, c!]) v5.claimTrial(t.id, { runId, worker: 0, device: null });
    v5.recordPoints(a!.id, 10, { hard_acc: 0.5, median_rank: 2 });
    v5.completeTrial(a!.id, { metrics: { hard_acc: 0.6, median_rank: 1.5 }, backend: 'cpu', kernels: 'wasm', trainMs: 5 });
    v5.completeTrial(b!.id, { metrics: { hard_acc: 0.8, median_rank: 2.5 }, backend: 'cpu', trainMs: 5 });
    v5.failTrial(c!.id, 'NaN loss');
    const before = {
      rows: v5.trialSummary('tau', ['key', 'status', 'hard_acc', 'median_rank', 'kernels', 'tau']),
      stats: (v5 as unknown as { db: Database.Database }).db.prepare('SELECT * FROM config_stats ORDER BY config_key').all(),
      points: v5.metricPoints(sweep.id),
      ids: v5.trials(sweep.id).map((t) => t.id),
    };
    v5.close();

    const store = ResultsStore.open(path);
    expect(store.trialSummary('tau', ['key', 'status', 'hard_acc', 'median_rank', 'kernels', 'tau'])).toEqual(before.rows);
    const db = (store as unknown as { db: Database.Database }).db;
    const stats = db.prepare('SELECT * FROM config_stats ORDER BY config_key').all() as Record<string, unknown>[];
    expect(stats.map(({ pruned, ...rest }) => (expect(pruned).toBe(0), rest))).toEqual(before.stats);
    expect(store.configStats(sweep.id, ['tau'], ['hard_acc']).find((x) => x.settings.tau === 0.1)).toMatchObject({ trials: 2, completed: 2, pruned: 0 });
    expect(store.metricPoints(sweep.id)).toEqual(before.points);
    expect(store.trials(sweep.id).map((t) => t.id)).toEqual(before.ids);
    const names = (type: string) => (db.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').pluck().all(type) as string[]);
    expect(names('index')).toEqual(expect.arrayContaining(['trials_sweep_status', 'trials_sweep_key_status', 'trials_sweep_config', 'trials_sweep_finished']));
    expect(names('trigger')).toEqual(['config_stats_delete', 'config_stats_insert', 'config_stats_update']);
    expect(names('view')).toEqual(['config_summary', 'trial_summary']);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const columns = db.prepare('SELECT name FROM pragma_table_xinfo(?)').pluck().all('trials') as string[];
    expect(columns).toEqual(expect.arrayContaining(['kernels', 'median_rank', 'tpr', 'fdr', 'tau', 'steps']));
    // The new status works, the triggers count it, and deleting the sweep still cascades to the curves.
    const [d] = store.pendingTrials(sweep.id);
    store.claimTrial(d!.id, { runId, worker: 0, device: null });
    store.recordPoints(d!.id, 10, { hard_acc: 0.1 });
    expect(store.pruneTrial(d!.id, { step: 10, metrics: { hard_acc: 0.1 } })).toBe(true);
    expect(store.configStats(sweep.id, ['tau'], ['hard_acc']).find((x) => x.settings.tau === 0.5)).toMatchObject({ trials: 2, completed: 0, pruned: 1 });
    store.deleteSweep('tau');
    expect(db.prepare('SELECT count(*) FROM metric_points').pluck().get()).toBe(0);
    store.close();
  });

  it('fills the per-configuration moments of a database written before they were kept (migration 2)', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    const settings = JSON.stringify({ ...DEFAULT_SETTINGS, tau: 0.1 });
    const insert = old.prepare(
      `INSERT INTO trials (sweep_id, key, config_key, seed, settings, status, hard_acc, started_at, finished_at) VALUES (1, ?, 'c', ?, ?, ?, ?, ?, ?)`,
    );
    old.prepare(`INSERT INTO sweeps (id, name, config_text, config_hash, metric_name, metric_goal) VALUES (1, 'tau', '', '', 'hard_acc', 'maximize')`).run();
    insert.run('a', 0, settings, 'completed', 0.6, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z');
    insert.run('b', 1, settings, 'completed', 0.8, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:04.000Z');
    insert.run('c', 2, settings, 'failed', null, null, null);
    old.close();
    const store = ResultsStore.open(path);
    const [config] = store.configStats(1, ['tau'], ['hard_acc']);
    expect(config).toMatchObject({ configKey: 'c', settings: { tau: 0.1 }, trials: 3, completed: 2, wallMs: { n: 2 } });
    expect(config!.wallMs.sum).toBeCloseTo(6000, 6);
    expect(config!.metrics.hard_acc!.sum).toBeCloseTo(1.4, 12);
    store.close();
  });

  it('rejects a missing file, a folder, a file that is not SQLite, a foreign SQLite file and a newer schema', () => {
    const missing = join(dir, 'nope.db');
    expect(() => ResultsReader.open(missing)).toThrow(UserError);
    expect(() => ResultsReader.open(missing)).toThrow(/no results database at .*nope\.db/);
    expect(() => ResultsReader.open(dir)).toThrow(/is a folder/);

    const text = join(dir, 'notes.db');
    writeFileSync(text, 'this is not a database, just some text long enough to have a header '.repeat(20));
    const bytes = readFileSync(text);
    expect(() => ResultsReader.open(text)).toThrow(/is not a SQLite results database/);
    expect(() => ResultsStore.open(text)).toThrow(/is not a SQLite results database/);
    expect(readFileSync(text).equals(bytes)).toBe(true); // loses nothing

    const foreign = join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(() => ResultsReader.open(foreign)).toThrow(/not a results database/);

    const newer = join(dir, 'newer.db');
    ResultsStore.open(newer).close();
    const bump = new Database(newer);
    bump.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    bump.close();
    const size = statSync(newer).size;
    expect(() => ResultsReader.open(newer)).toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
    expect(() => ResultsStore.open(newer)).toThrow(/update this tool/);
    expect(statSync(newer).size).toBe(size);
  });
});
