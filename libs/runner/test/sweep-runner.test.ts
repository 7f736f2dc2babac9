/**
 * The runner end to end: real worker processes training the real model (tiny settings), a real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '@l2x/model/config';
import { joinSweep, runSweep, type RunnerEvent } from '../src/index.ts';
import { ResultsStore } from '@l2x/store';
import { createTestDatabase } from '@l2x/store/testing';
import { loadSweepFile, parseSweep, sha256 } from '@l2x/sweep';

const env = { gitCommit: null, gitDirty: null, tfjsVersion: null };

function inline(yaml: string) {
  return { spec: parseSweep(yaml, 'inline.yaml'), text: yaml, hash: sha256(yaml), path: 'inline.yaml' };
}

const tiny = `trial: { ff: 32, steps: 30, evalEvery: 10, evalSize: 128, batchSize: 32 }\nresources: { backend: wasm, workers: 2 }\n`;

let dir: string;
let store: ResultsStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runner-'));
  store = await ResultsStore.open(join(dir, 'results.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runSweep', () => {
  it('runs sweeps/smoke.yaml: every trial completed with every metric, and a re-run runs nothing', async () => {
    const sweep = loadSweepFile(join(import.meta.dirname, '../../../sweeps/smoke.yaml'));
    const events: RunnerEvent[] = [];
    const summary = await runSweep({ store, sweep, env, onEvent: (e) => events.push(e) });
    expect(summary.status).toBe('completed');
    expect(summary.completed).toBe(summary.total);
    expect(summary.total).toBeGreaterThanOrEqual(4);
    const rows = await store.trialSummary(sweep.spec.name, ['status', 'backend', 'kernels', ...METRIC_NAMES]);
    const planned = events.find((e): e is Extract<RunnerEvent, { type: 'planned' }> => e.type === 'planned')!;
    for (const row of rows) {
      expect(row.status).toBe('completed');
      expect(['cpu', 'wasm', 'tensorflow', 'tensorflow-gpu']).toContain(row.backend);
      // Each trial records the product kernels that ran it; under wasm, those the run announced.
      expect(row.kernels).toBe(row.backend === 'wasm' ? planned.kernels.label : row.backend);
      for (const name of METRIC_NAMES) expect(row[name], name).toEqual(expect.any(Number));
    }
    // Curves: an eval point every evalEvery steps, tau beside the metrics.
    const points = await store.metricPoints(summary.sweepId, { names: ['hard_acc', 'tau'] });
    expect(points.length).toBeGreaterThanOrEqual(2 * rows.length);
    expect(events.filter((e) => e.type === 'trial-finished')).toHaveLength(summary.total);

    const again = await runSweep({ store, sweep, env });
    expect(again).toMatchObject({ status: 'completed', completed: summary.total });
    expect((await store.trials(summary.sweepId)).every((t) => t.attempts === 1)).toBe(true);
    expect(await store.runs(summary.sweepId)).toHaveLength(2);
  }, 120_000);

  it('stores a trial whose loss turns NaN as failed, and the others complete', async () => {
    // An auxiliary weight of 1e39 is Infinity in float32: the loss is not finite from the first step.
    const sweep = inline(`name: nan\nmethod: grid\nseeds: 1\nparameters: { auxWeight: { values: [1.0e39, 0.5] } }\n${tiny}`);
    const summary = await runSweep({ store, sweep, env });
    expect(summary).toMatchObject({ status: 'failed', completed: 1, failed: 1 });
    const failed = await store.trials(summary.sweepId, ['failed']);
    expect(failed[0]!.params).toEqual({ auxWeight: 1e39 });
    expect(failed[0]!.error).toMatch(/not finite|NaN/i);
  }, 120_000);

  it('stops cleanly when aborted: running trials become interrupted and the next run finishes them', async () => {
    const sweep = inline(`name: stop\nmethod: grid\nseeds: 2\nparameters: { k: { values: [1, 2] } }\n${tiny.replace('steps: 30', 'steps: 200')}`);
    const stop = new AbortController();
    const first = await runSweep({
      store, sweep, env, signal: stop.signal,
      onEvent: (e) => e.type === 'trial-started' && stop.abort(),
    });
    expect(first.status).toBe('interrupted');
    expect(first.interrupted).toBeGreaterThan(0);
    expect(await store.trials(first.sweepId, ['running'])).toEqual([]);
    const second = await runSweep({ store, sweep, env });
    expect(second).toMatchObject({ status: 'completed', completed: 4, total: 4 });
  }, 120_000);

  it('stores a packed trial like any other, with the metrics it gets when trained alone', async () => {
    const body = `method: grid\nseeds: 2\nparameters: { tau: { values: [0.1, 0.5] }, auxWeight: { values: [0, 0.5] } }\n`;
    const packed = await runSweep({ store, sweep: inline(`name: packed\n${body}${tiny.replace('workers: 2', 'workers: 1, pack: 4')}`), env });
    const alone = await runSweep({ store, sweep: inline(`name: alone\n${body}${tiny.replace('workers: 2', 'workers: 1, pack: off')}`), env });
    expect(packed).toMatchObject({ status: 'completed', completed: 8 });
    expect(alone).toMatchObject({ status: 'completed', completed: 8 });
    const columns = ['key', 'status', 'soft_acc', 'hard_acc', 'precision', 'loss'] as const;
    const a = await store.trialSummary('packed', columns);
    const b = await store.trialSummary('alone', columns);
    expect(a.map((r) => r.key)).toEqual(b.map((r) => r.key));
    a.forEach((row, i) => {
      for (const name of ['soft_acc', 'hard_acc', 'precision', 'loss'] as const) expect(row[name] as number).toBeCloseTo(b[i]![name] as number, 4);
    });
  }, 120_000);

  it('runs a bayes sweep: runCap distinct configurations asked one at a time, then a re-run asks nothing more', async () => {
    const yaml = `name: tpe\nmethod: bayes\nrunCap: 6\nbayes: { nStartupTrials: 3 }\nmetric: { name: median_rank }\n` +
      `trial: { task: xor, steps: 20, evalEvery: 10, evalSize: 200, batchSize: 50 }\nresources: { backend: wasm, workers: 2 }\n` +
      `parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1 }\n  sampler: { values: [gumbel-max, straight-through] }\n`;
    const summary = await runSweep({ store, sweep: inline(yaml), env });
    expect(summary).toMatchObject({ status: 'completed', completed: 6, total: 6 });
    const rows = await store.trialSummary('tpe', ['lr', 'sampler', 'median_rank']);
    expect(new Set(rows.map((r) => `${r.lr}/${r.sampler}`)).size).toBe(6);
    for (const row of rows) expect(row.median_rank).toEqual(expect.any(Number));
    const again = await runSweep({ store, sweep: inline(yaml), env });
    expect(again).toMatchObject({ status: 'completed', completed: 6, total: 6 });
  }, 120_000);

  it('resumes a stopped bayes sweep: the trials it had asked and left interrupted run, then it asks the rest', async () => {
    const yaml = `name: tpe-resume\nmethod: bayes\nrunCap: 4\nbayes: { nStartupTrials: 2 }\nmetric: { name: median_rank }\n` +
      `trial: { task: xor, steps: 200, evalEvery: 100, evalSize: 200, batchSize: 50 }\nresources: { backend: wasm, workers: 1 }\n` +
      `parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1 }\n`;
    const stop = new AbortController();
    const first = await runSweep({ store, sweep: inline(yaml), env, signal: stop.signal, onEvent: (e) => e.type === 'trial-started' && stop.abort() });
    expect(first.status).toBe('interrupted');
    expect(first.interrupted).toBeGreaterThan(0);
    const second = await runSweep({ store, sweep: inline(yaml), env });
    expect(second).toMatchObject({ status: 'completed', completed: 4, interrupted: 0, total: 4 });
  }, 120_000);

  it('prunes with hyperband inside packs: pruned trials stop at a rung with their curve and last metrics, the rest complete', async () => {
    const yaml = `name: hb\nmethod: random\nrunCap: 9\nmetric: { name: median_rank }\nearly_terminate: { type: hyperband, min_iter: 1 }\n` +
      `trial: { task: xor, steps: 90, evalEvery: 10, evalSize: 200, batchSize: 50 }\nresources: { backend: wasm, workers: 2, pack: 3 }\n` +
      `parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1 }\n`;
    const events: RunnerEvent[] = [];
    const summary = await runSweep({ store, sweep: inline(yaml), env, onEvent: (e) => events.push(e) });
    expect(summary.status).toBe('completed');
    expect(summary.pruned).toBeGreaterThan(0);
    expect(summary.completed + summary.pruned).toBe(9);
    const trials = await store.trials(summary.sweepId);
    for (const t of trials.filter((x) => x.status === 'pruned')) {
      expect([10, 30]).toContain(t.step); // the rungs: 1 and 3 evaluations
      const points = await store.metricPoints(summary.sweepId, { names: ['median_rank'], trialIds: [t.id] });
      expect(points.at(-1)!.step).toBe(t.step);
      expect((await store.finalMetrics(t.id)).median_rank).toBe(points.at(-1)!.value);
    }
    expect(events.filter((e) => e.type === 'trial-finished')).toHaveLength(9);
    const rerun = await runSweep({ store, sweep: inline(yaml), env });
    expect(rerun).toMatchObject({ completed: summary.completed, pruned: summary.pruned }); // pruned is final
  }, 180_000);

  it('prunes with the median rule once enough trials completed, at evaluation points after the warm-up', async () => {
    const yaml = `name: med\nmethod: random\nrunCap: 8\nmetric: { name: median_rank }\nearly_terminate: { type: median, n_startup_trials: 2, n_warmup_steps: 20 }\n` +
      `trial: { task: xor, steps: 60, evalEvery: 10, evalSize: 200, batchSize: 50 }\nresources: { backend: wasm, workers: 1, pack: off }\n` +
      `parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1 }\n`;
    const summary = await runSweep({ store, sweep: inline(yaml), env });
    expect(summary.completed + summary.pruned).toBe(8);
    expect(summary.pruned).toBeGreaterThan(0); // lr over four decades: some trials are worse than the median
    const trials = await store.trials(summary.sweepId);
    // One worker, trials in order: the first two always complete (nothing to compare with before them).
    expect(trials.slice(0, 2).map((t) => t.status)).toEqual(['completed', 'completed']);
    for (const t of trials.filter((x) => x.status === 'pruned')) {
      expect(t.step).toBeGreaterThanOrEqual(20);
      expect(t.step % 10).toBe(0);
    }
  }, 120_000);
});

describe('two parents on one PostgreSQL sweep', () => {
  it('continue one bayes search with hyperband: every trial final once, pruned ones included, asked from one shared history', async () => {
    const db = await createTestDatabase('l2x_runner_search');
    const [first, second] = [await ResultsStore.open(db.url), await ResultsStore.open(db.url)];
    try {
      const yaml = `name: shared-tpe\nmethod: bayes\nrunCap: 8\nbayes: { nStartupTrials: 3 }\nmetric: { name: median_rank }\n` +
        `early_terminate: { type: hyperband, min_iter: 1 }\n` +
        `trial: { task: xor, steps: 90, evalEvery: 10, evalSize: 200, batchSize: 50 }\nresources: { backend: wasm, workers: 1 }\n` +
        `parameters:\n  lr: { distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1 }\n`;
      let joined: Promise<unknown> | undefined;
      const planner = runSweep({
        store: first, sweep: inline(yaml), env,
        onEvent: (e) => {
          if (e.type === 'planned') joined = joinSweep({ store: second, sweepName: 'shared-tpe', env });
        },
      });
      const summary = await planner;
      await joined;
      const trials = await first.trials(summary.sweepId);
      expect(trials.every((t) => t.status === 'completed' || t.status === 'pruned')).toBe(true);
      expect(trials.some((t) => t.status === 'pruned')).toBe(true); // lr over four decades: hyperband stops some
      expect(trials.every((t) => t.attempts === 1)).toBe(true); // each ran once
      expect(new Set(trials.map((t) => t.key)).size).toBe(trials.length);
      // runCap configurations (one more at most: two parents may ask at the same moment).
      expect(new Set(trials.map((t) => t.configKey)).size).toBeGreaterThanOrEqual(8);
      expect(new Set(trials.map((t) => t.configKey)).size).toBeLessThanOrEqual(9);
      expect(new Set(trials.map((t) => t.runId)).size).toBe(2); // both parents ran trials
      expect((await first.runs(summary.sweepId)).length).toBe(2);
      expect((await first.sweep('shared-tpe')).status).toBe('completed');
      const [config] = await first.configStats(summary.sweepId, ['lr'], ['median_rank']);
      expect(config!.completed + config!.pruned).toBe(config!.trials);
    } finally {
      await first.close();
      await second.close();
      await db.drop();
    }
  }, 180_000);
});
