import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRIC_NAMES, SETTING_NAMES } from '@l2x/model/config';
import { ResultsReader, ResultsStore, type Lease, type Sql } from '../src/index.ts';
import { env, sweepInput, trial } from './inputs.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';


const claim = (runId: number, worker = 0) => ({ runId, worker, device: null });

/** Claims one trial by id; its lease (the test fails when it was not claimed). */
async function claimOne(store: ResultsStore, trialId: number, runId: number, worker = 0): Promise<Lease> {
  const [lease] = await store.claimTrials([trialId], claim(runId, worker));
  expect(lease?.trialId).toBe(trialId);
  return lease!;
}

/** A sweep with one trial, claimed in a new run: the start of a trial's life. */
async function oneClaimedTrial(store: ResultsStore) {
  const { sweep } = await store.ensureSweep(sweepInput);
  await store.addTrials(sweep.id, [trial(0.1, 0)]);
  const runId = await store.startRun(sweep.id, env);
  const [t] = await store.pendingTrials(sweep.id);
  const lease = await claimOne(store, t!.id, runId);
  return { sweep, runId, t: t!, lease };
}

function sqlOf(store: ResultsReader): Sql {
  return (store as unknown as { db: Sql }).db;
}

/** The columns of a view or table, whichever database holds it. */
async function columnsOf(sql: Sql, table: string): Promise<string[]> {
  const rows =
    sql.dialect.name === 'sqlite'
      ? await sql.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [table])
      : await sql.all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position', [table]);
  return rows.map((row) => row.name);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database of each kind the store has, new for each test: SQLite in memory, a SQLite file with WAL, PostgreSQL. */
const BACKENDS: [string, () => Promise<{ location: string; drop(): Promise<void> }>][] = [
  ['sqlite in-memory', async () => ({ location: ':memory:', drop: async () => {} })],
  ['sqlite file', async () => ({ location: join(dir, 'nested', 'results.db'), drop: async () => {} })],
  [
    'postgres',
    async () => {
      const db: TestDatabase = await createTestDatabase('l2x_store');
      return { location: db.url, drop: db.drop };
    },
  ],
];

// One suite, every backend the store has.
describe.each(BACKENDS)('ResultsStore (%s)', (_name, create) => {
  let store: ResultsStore;
  let location: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ location, drop } = await create());
    store = await ResultsStore.open(location);
  });
  afterEach(async () => {
    await store.close();
    await drop();
  });

  it('creates a sweep once and resumes it by name', async () => {
    const first = await store.ensureSweep(sweepInput);
    expect(first.created).toBe(true);
    const again = await store.ensureSweep(sweepInput);
    expect(again).toMatchObject({ created: false, configChanged: false });
    expect(again.sweep.id).toBe(first.sweep.id);
    expect((await store.ensureSweep({ ...sweepInput, configHash: 'h2' })).configChanged).toBe(true);
    expect((await store.listSweeps()).map((s) => s.name)).toEqual(['tau']);
  });

  it('creates a sweep once when several writers start at once', async () => {
    const others = location === ':memory:' ? [store] : await Promise.all([1, 2, 3].map(() => ResultsStore.open(location)));
    const results = await Promise.all([store, ...others].map((s) => s.ensureSweep(sweepInput)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.sweep.id)).size).toBe(1);
    const added = await Promise.all([store, ...others].map((s) => s.addTrials(results[0]!.sweep.id, [trial(0.1, 0), trial(0.2, 0)])));
    expect(added.reduce((a, b) => a + b, 0)).toBe(2);
    for (const other of others) if (other !== store) await other.close();
  });

  it('queues each trial key once', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    const planned = [trial(0.1, 0), trial(0.1, 1), trial(0.5, 0)];
    expect(await store.addTrials(sweep.id, planned)).toBe(3);
    expect(await store.addTrials(sweep.id, [...planned, trial(0.5, 1)])).toBe(1);
    expect(await store.counts(sweep.id)).toMatchObject({ queued: 4, total: 4 });
    expect((await store.pendingTrials(sweep.id)).map((t) => t.key)).toEqual(['t0.1-s0', 't0.1-s1', 't0.5-s0', 't0.5-s1']);
  });

  it('claims a trial for one worker only and records its life', async () => {
    const { sweep, runId, t, lease } = await oneClaimedTrial(store);
    expect(lease.attempt).toBe(1);
    expect(await store.claimTrials([t!.id], claim(runId, 1))).toEqual([]);
    expect(await store.recordPoints(lease, 20, { loss: 1.5, hard_acc: 0.4 })).toBe(true);
    await store.recordPoints(lease, 40, { loss: 0.9, hard_acc: 0.7 });
    await store.recordProgress([{ ...lease, step: 45, backend: 'wasm', kernels: 'wasm+native avx2' }]);
    expect(await store.trial(t!.id)).toMatchObject({ status: 'running', step: 45, worker: 0, attempts: 1, backend: 'wasm', kernels: 'wasm+native avx2' });
    expect(await store.completeTrial(lease, { metrics: { loss: 0.8, hard_acc: 0.75, soft_acc: 0.9, gap: 0.15 }, backend: 'cpu', kernels: 'cpu', trainMs: 1234 })).toBe(true);
    // A trial is stored once: a second completion (a late worker) changes nothing.
    expect(await store.completeTrial(lease, { metrics: { hard_acc: 0.1 }, backend: 'wasm', trainMs: 1 })).toBe(false);
    expect(await store.failTrial(lease, 'late failure')).toBe(false);
    expect(await store.trial(t!.id)).toMatchObject({ status: 'completed', step: 50, trainMs: 1234, backend: 'cpu', kernels: 'cpu', error: null });
    expect(await store.trialSummary(sweepInput.name, ['kernels'])).toEqual([{ kernels: 'cpu' }]);
    expect(await store.finalMetrics(t!.id)).toMatchObject({ hard_acc: 0.75, gap: 0.15 });
    expect((await store.metricPoints(sweep.id, { names: ['loss'] })).map((p) => [p.step, p.value])).toEqual([[20, 1.5], [40, 0.9]]);
    expect(await store.pendingTrials(sweep.id)).toEqual([]);
  });

  it('claims the next pending trials in queue order, never one twice however many claim at once', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, Array.from({ length: 40 }, (_, i) => trial(0.1, i)));
    const runId = await store.startRun(sweep.id, env);
    expect((await store.claimNext(sweep.id, claim(runId), 2)).map((l) => l.trialId)).toEqual([1, 2]);
    const claimers = location === ':memory:' ? [store, store, store, store] : await Promise.all([1, 2, 3, 4].map(() => ResultsStore.open(location)));
    const taken = (await Promise.all(claimers.flatMap((s, i) => Array.from({ length: 12 }, () => s.claimNext(sweep.id, claim(runId, i)))))).flat();
    const ids = taken.map((l) => l.trialId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(38);
    expect(await store.counts(sweep.id)).toMatchObject({ running: 40, queued: 0 });
    for (const other of claimers) if (other !== store) await other.close();
  });

  it('records a failure with its error and keeps the other trials', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.2, 0)]);
    const runId = await store.startRun(sweep.id, env);
    const [a, b] = await store.pendingTrials(sweep.id);
    const lease = await claimOne(store, a!.id, runId);
    expect(await store.failTrial(lease, 'loss became NaN at step 12')).toBe(true);
    expect(await store.trial(a!.id)).toMatchObject({ status: 'failed', error: 'loss became NaN at step 12' });
    expect((await store.pendingTrials(sweep.id)).map((t) => t.id)).toEqual([b!.id]);
    expect(await store.requeueFailed(sweep.id)).toBe(1);
    expect((await store.pendingTrials(sweep.id)).map((t) => t.id)).toEqual([a!.id, b!.id]);
  });

  it('takes back trials of a dead process on this host and of an expired lease, not of a live one', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.2, 0), trial(0.3, 0)]);
    const live = await store.startRun(sweep.id, env);
    const dead = await store.startRun(sweep.id, { ...env, pid: 999_999 });
    const [a, b, c] = await store.pendingTrials(sweep.id);
    await claimOne(store, a!.id, live);
    const lost = await claimOne(store, b!.id, dead);
    await claimOne(store, c!.id, live, 1);
    await store.recordPoints(lost, 10, { loss: 2 });
    expect(await store.requeueDead(sweep.id, 'other-host', () => false)).toBe(0);
    expect(await store.requeueDead(sweep.id, 'test-host', (pid) => pid === process.pid)).toBe(1);
    expect((await store.trial(b!.id)).status).toBe('interrupted');
    expect((await store.trial(a!.id)).status).toBe('running');
    expect(await store.requeueExpired(sweep.id, 60)).toBe(0); // leases renewed just now
    // A requeued trial starts over as a new attempt: its old curve points go when it is claimed again.
    const again = await claimOne(store, b!.id, live, 2);
    expect(again.attempt).toBe(2);
    expect(await store.metricPoints(sweep.id, { trialIds: [b!.id] })).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await store.requeueExpired(sweep.id, 0.01)).toBe(3);
  });

  it('refuses every write of an attempt that lost its lease (a zombie changes nothing)', async () => {
    const { sweep, runId, t, lease: zombie } = await oneClaimedTrial(store);
    await store.recordPoints(zombie, 10, { loss: 3 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await store.requeueExpired(sweep.id, 0.01)).toBe(1);
    const current = await claimOne(store, t!.id, runId, 1);
    expect(current.attempt).toBe(zombie.attempt + 1);
    await store.recordPoints(current, 10, { loss: 1 });
    // The zombie wakes up: its heartbeat, progress, points, completion, failure and Ctrl-C are all refused.
    expect(await store.heartbeat([zombie, current])).toEqual([zombie]);
    await store.recordProgress([{ ...zombie, step: 49 }]);
    expect(await store.recordPoints(zombie, 20, { loss: 9 })).toBe(false);
    expect(await store.completeTrial(zombie, { metrics: { hard_acc: 0.1 }, backend: 'cpu', trainMs: 1 })).toBe(false);
    expect(await store.failTrial(zombie, 'zombie')).toBe(false);
    await store.interruptTrials([zombie]);
    expect(await store.trial(t!.id)).toMatchObject({ status: 'running', step: 10, attempts: 2, worker: 1 });
    expect((await store.metricPoints(sweep.id)).map((p) => [p.step, p.value])).toEqual([[10, 1]]);
    expect(await store.completeTrial(current, { metrics: { hard_acc: 0.9 }, backend: 'cpu', trainMs: 1 })).toBe(true);
    expect(await store.trialSummary('tau', ['status', 'hard_acc', 'attempts'])).toEqual([{ status: 'completed', hard_acc: 0.9, attempts: 2 }]);
  });

  it('names the live holders of a sweep and settles its status from its trials', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.2, 0)]);
    const runId = await store.startRun(sweep.id, { ...env, host: 'gpu-7', pid: 4242 });
    const [a, b] = await store.pendingTrials(sweep.id);
    const leaseA = await claimOne(store, a!.id, runId);
    expect(await store.liveHolders(sweep.id, 60)).toEqual([{ runId, host: 'gpu-7', pid: 4242, startedAt: expect.any(String), trials: 1 }]);
    expect(await store.settleSweep(sweep.id)).toBe('running');
    await store.completeTrial(leaseA, { metrics: {}, backend: 'cpu', trainMs: 1 });
    expect(await store.liveHolders(sweep.id, 60)).toEqual([]);
    expect(await store.settleSweep(sweep.id)).toBe('interrupted');
    const leaseB = await claimOne(store, b!.id, runId);
    await store.completeTrial(leaseB, { metrics: {}, backend: 'cpu', trainMs: 1 });
    expect(await store.settleSweep(sweep.id)).toBe('completed');
    expect((await store.sweep('tau')).status).toBe('completed');
  });

  it('interrupts running trials so that the next run resumes them', async () => {
    const { sweep, runId, lease } = await oneClaimedTrial(store);
    await store.interruptTrials([lease]);
    await store.finishRun(runId, 'interrupted');
    expect((await store.pendingTrials(sweep.id)).map((x) => x.status)).toEqual(['interrupted']);
    expect((await store.runs(sweep.id))[0]).toMatchObject({ status: 'interrupted', gitCommit: 'abc123', gitDirty: false, kernels: 'wasm+native avx2', argv: ['--config', 'x.yaml'] });
  });

  it('flattens settings and final metrics in trial_summary and aggregates seeds in config_summary', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2), trial(0.5, 0)]);
    const runId = await store.startRun(sweep.id, env);
    const hard = [0.6, 0.7, 0.8, 0.5];
    for (const [i, t] of (await store.pendingTrials(sweep.id)).entries()) {
      const lease = await claimOne(store, t.id, runId);
      await store.completeTrial(lease, { metrics: { hard_acc: hard[i]!, soft_acc: 0.9 }, backend: 'cpu', trainMs: 10 });
    }
    const rows = await store.trialSummary('tau', ['key', 'tau', 'k', 'anneal', 'seed', 'hard_acc', 'status']);
    expect(rows[0]).toEqual({ key: 't0.1-s0', tau: 0.1, k: 3, anneal: 'constant', seed: 0, hard_acc: 0.6, status: 'completed' });
    const config = await sqlOf(store).all<Record<string, number | null>>(
      `SELECT tau, n, hard_acc_mean, hard_acc_std, soft_acc_std FROM config_summary WHERE sweep = 'tau' ORDER BY tau`,
    );
    // Seeds 0.6, 0.7, 0.8: mean 0.7, sample standard deviation 0.1; one seed has no std.
    expect(config[0]).toMatchObject({ tau: 0.1, n: 3 });
    expect(config[0]!.soft_acc_std).toBeCloseTo(0, 6);
    expect(config[0]!.hard_acc_mean).toBeCloseTo(0.7, 12);
    expect(config[0]!.hard_acc_std).toBeCloseTo(0.1, 6);
    expect(config[1]).toMatchObject({ tau: 0.5, n: 1, hard_acc_mean: 0.5, hard_acc_std: null });
  });

  it('keeps each configuration\'s moments as trials complete, fail and are retried (configStats against the trials)', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2), trial(0.5, 0), trial(0.5, 1)]);
    const runId = await store.startRun(sweep.id, env);
    const [a, b, c, d, e] = await store.pendingTrials(sweep.id);
    const leases = await store.claimTrials([a!, b!, c!, d!, e!].map((t) => t.id), claim(runId));
    const leaseOf = (id: number) => leases.find((l) => l.trialId === id)!;
    await store.completeTrial(leaseOf(a!.id), { metrics: { hard_acc: 0.6, soft_acc: 0.9 }, backend: 'cpu', trainMs: 10 });
    await store.completeTrial(leaseOf(b!.id), { metrics: { hard_acc: 0.7 }, backend: 'cpu', trainMs: 10 });
    await store.failTrial(leaseOf(c!.id), 'NaN loss', 'cpu');
    await store.completeTrial(leaseOf(d!.id), { metrics: { hard_acc: 0.5 }, backend: 'cpu', trainMs: 10 });
    await store.interruptTrials([leaseOf(e!.id)]);
    // Points and heartbeats of a finished trial touch nothing.
    expect(await store.recordPoints(leaseOf(a!.id), 5, { loss: 1 })).toBe(false);
    // A pack's trials read back in one query, in id order, each as `trial` reads it alone.
    const read = await store.trialsById([e!.id, a!.id, c!.id]);
    expect(read).toEqual([await store.trial(a!.id), await store.trial(c!.id), await store.trial(e!.id)]);
    expect(read.map((t) => t.status)).toEqual(['completed', 'failed', 'interrupted']);
    expect(await store.trialsById([])).toEqual([]);

    const stats = async () => Object.fromEntries((await store.configStats(sweep.id, ['tau', 'k'], ['hard_acc', 'soft_acc'])).map((c) => [c.configKey, c]));
    let byConfig = await stats();
    expect(byConfig['t0.1']).toMatchObject({ settings: { tau: 0.1, k: 3 }, trials: 3, completed: 2 });
    expect(byConfig['t0.1']!.metrics.hard_acc!.n).toBe(2);
    expect(byConfig['t0.1']!.metrics.hard_acc!.sum).toBeCloseTo(1.3, 12);
    expect(byConfig['t0.1']!.metrics.hard_acc!.sumSq).toBeCloseTo(0.36 + 0.49, 12);
    expect(byConfig['t0.1']!.metrics.soft_acc).toEqual({ n: 1, sum: 0.9, sumSq: expect.closeTo(0.81, 12) });
    expect(byConfig['t0.1']!.wallMs.n).toBe(2);
    expect(byConfig['t0.5']).toMatchObject({ trials: 2, completed: 1, metrics: { hard_acc: { n: 1, sum: 0.5 } } });

    // The failed trial is retried and completes: it counts now, once.
    await store.requeueFailed(sweep.id);
    const retried = (await store.pendingTrials(sweep.id)).find((t) => t.id === c!.id)!;
    const lease = await claimOne(store, retried.id, runId);
    await store.completeTrial(lease, { metrics: { hard_acc: 0.8 }, backend: 'cpu', trainMs: 10 });
    byConfig = await stats();
    expect(byConfig['t0.1']).toMatchObject({ trials: 3, completed: 3 });
    expect(byConfig['t0.1']!.metrics.hard_acc!.sum).toBeCloseTo(2.1, 12);

    // The same numbers as the trials themselves say.
    const completed = (await store.trialSummary('tau', ['config_key', 'status', 'hard_acc'])).filter((r) => r.status === 'completed');
    for (const [key, config] of Object.entries(byConfig)) {
      const values = completed.filter((r) => r.config_key === key).map((r) => r.hard_acc as number);
      expect(config.metrics.hard_acc!.n).toBe(values.length);
      expect(config.metrics.hard_acc!.sum).toBeCloseTo(values.reduce((x, y) => x + y, 0), 12);
    }
    expect(await store.lastFinishedAt(sweep.id)).toBe((await store.trialByKey(sweep.id, retried.key))!.finishedAt);
    const since = await store.finishedSince(sweep.id, (await store.trialByKey(sweep.id, d!.key))!.finishedAt);
    expect(since.map((t) => t.id)).toEqual(expect.arrayContaining([d!.id, retried.id]));
    expect(since.at(-1)).toMatchObject({ id: retried.id, status: 'completed', metrics: { hard_acc: 0.8, gap: null } });
    expect((await store.finishedSince(sweep.id, null)).map((t) => t.id).sort()).toEqual([a!.id, b!.id, c!.id, d!.id, e!.id].sort());
    expect(await store.lastBackend(sweep.id)).toBe('cpu');
  });

  it('prunes a running trial: final, with its curve, stop step and last metrics; counted apart from completed', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0), trial(0.1, 1), trial(0.1, 2)]);
    const runId = await store.startRun(sweep.id, env);
    const [a, b, c] = await store.pendingTrials(sweep.id);
    const [la, lb, lc] = await store.claimTrials([a!.id, b!.id, c!.id], claim(runId));
    await store.recordPoints(la!, 10, { hard_acc: 0.4 });
    await store.recordPoints(la!, 20, { hard_acc: 0.45 });
    expect(await store.pruneTrial(la!, { step: 20, metrics: { hard_acc: 0.45 } })).toBe(true);
    expect(await store.pruneTrial(la!, { step: 20, metrics: { hard_acc: 0.45 } })).toBe(false); // final: once
    expect(await store.completeTrial(la!, { metrics: { hard_acc: 1 }, backend: 'cpu', trainMs: 1 })).toBe(false);
    await store.completeTrial(lb!, { metrics: { hard_acc: 0.7 }, backend: 'cpu', trainMs: 1 });
    await store.completeTrial(lc!, { metrics: { hard_acc: 0.9 }, backend: 'cpu', trainMs: 1 });

    expect(await store.trial(a!.id)).toMatchObject({ status: 'pruned', step: 20 });
    expect((await store.finalMetrics(a!.id)).hard_acc).toBe(0.45);
    expect((await store.metricPoints(sweep.id, { trialIds: [a!.id] })).map((p) => p.step)).toEqual([10, 20]);
    expect(await store.pendingTrials(sweep.id)).toEqual([]); // a resume does not rerun it
    expect(await store.counts(sweep.id)).toMatchObject({ completed: 2, pruned: 1, total: 3 });
    const [config] = await store.configStats(sweep.id, ['tau'], ['hard_acc']);
    expect(config).toMatchObject({ trials: 3, completed: 2, pruned: 1 });
    expect(config!.metrics.hard_acc!.sum).toBeCloseTo(1.6, 12); // completed only
    expect(await store.trialSummary('tau', ['status', 'step', 'hard_acc'])).toContainEqual({ status: 'pruned', step: 20, hard_acc: 0.45 });
    const summary = (await sqlOf(store).get<Record<string, number>>('SELECT n, pruned, hard_acc_mean FROM config_summary WHERE sweep = ?', ['tau']))!;
    expect(summary.n).toBe(2);
    expect(summary.pruned).toBe(1);
    expect(summary.hard_acc_mean).toBeCloseTo(0.8, 12);

    expect((await store.trialOutcomes(sweep.id, 'hard_acc')).map((o) => [o.status, o.value, o.step])).toEqual([
      ['pruned', 0.45, 20], ['completed', 0.7, 50], ['completed', 0.9, 50],
    ]);
    const curves = await store.metricCurves(sweep.id, 'hard_acc');
    expect(curves).toEqual([{ trialId: a!.id, status: 'pruned', values: new Map([[10, 0.4], [20, 0.45]]) }]);
    // What a pruner reads at one step: each trial's point there, and the whole curves of the trials it judges.
    expect(await store.metricCurves(sweep.id, 'hard_acc', { step: 20, whole: [] })).toEqual([{ trialId: a!.id, status: 'pruned', values: new Map([[20, 0.45]]) }]);
    expect(await store.metricCurves(sweep.id, 'hard_acc', { step: 30, whole: [a!.id] })).toEqual(curves);
    expect(await store.metricCurves(sweep.id, 'hard_acc', { step: 30, whole: [] })).toEqual([]);
  });

  it('names each view column once: every setting and metric under its own name', async () => {
    for (const view of ['trial_summary', 'config_summary']) {
      const columns = await columnsOf(sqlOf(store), view);
      expect(new Set(columns).size, view).toBe(columns.length);
      expect(columns).toEqual(expect.arrayContaining(['sweep', 'config_key', 'tau', 'k', 'anneal', 'attention', 'steps']));
    }
    const trialColumns = await columnsOf(sqlOf(store), 'trial_summary');
    expect(trialColumns).toEqual(expect.arrayContaining([...SETTING_NAMES, ...METRIC_NAMES, 'key', 'status', 'backend']));
  });

  it('deletes a sweep with everything it holds', async () => {
    const { sweep } = await store.ensureSweep(sweepInput);
    await store.addTrials(sweep.id, [trial(0.1, 0)]);
    expect(await store.deleteSweep('tau')).toBe(true);
    expect(await store.deleteSweep('tau')).toBe(false);
    expect((await store.counts(sweep.id)).total).toBe(0);
    expect(await store.configStats(sweep.id, ['tau'])).toEqual([]);
  });

  it('names the sweeps there are when asked for one that does not exist', async () => {
    await store.ensureSweep(sweepInput);
    await expect(store.sweep('tua')).rejects.toThrow(/no sweep named "tua" \(did you mean "tau"\?\); sweeps here: tau/);
  });

  it('lets a reader in another connection see the writer commit, without writing itself', async () => {
    if (location === ':memory:') return; // a private database has no other connection
    const { sweep } = await store.ensureSweep(sweepInput);
    const reader = await ResultsReader.open(location);
    const before = await reader.dataVersion();
    await store.addTrials(sweep.id, [trial(0.1, 0)]);
    expect(await reader.dataVersion()).not.toBe(before);
    expect((await reader.counts(sweep.id)).queued).toBe(1);
    await reader.close();
  });
});
