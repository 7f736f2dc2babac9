/**
 * How long the dashboard's refreshes take on a sweep of 10,000 trials (target: under 50 ms).
 *
 *   npx nx run dashboard-ui:bench        (or: npm run bench, in libs/dashboard-ui)
 *
 * Builds a results database with the store's own writer (writeFixtureSweep) in a temporary folder: 2,000
 * configurations (tau × k × anneal × auxWeight × lr) × 5 seeds, nearly all completed, a few failed, running
 * and queued. Then times, over repeated refreshes, each query the dashboard makes and the refreshes it does:
 *  - idle poll: PRAGMA data_version only (what an idle dashboard does every second);
 *  - light refresh: counts, runs, running trials and their loss curves (after progress commits);
 *  - after a trial finished: the light one plus the configurations (configStats: one row per configuration) and
 *    the failed trials, and the view (comparison, leaderboard) rebuilt;
 *  - the first read: all of it with nothing known yet, and the view model: what the first frame waits for.
 * Prints median and p95 in ms. `BENCH_TRIALS=2000` for a smaller database; `BENCH_DB=path` to reuse one.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';
import { readConfigs, readSnapshot, statsColumns } from '../src/sweep-source.ts';
import type { SweepSnapshot } from '../src/view-model.ts';
import { compareBy, leaderboard, sortKeys, timing } from '../src/view-model.ts';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 10_000);
const TARGET_MS = 50;

async function buildDatabase(path: string): Promise<string> {
  const taus = [0.05, 0.1, 0.2, 0.5, 1];
  const ks = [1, 2, 3, 4, 5];
  const anneals = ['constant', 'linear', 'exponential', 'cosine'] as const;
  const auxWeights = [0, 0.25, 0.5, 1];
  const lrs = [1e-4, 3e-4, 5e-4, 1e-3, 3e-3];
  const seeds = 5;
  const trials: FixtureTrial[] = [];
  outer: for (const tau of taus)
    for (const k of ks)
      for (const anneal of anneals)
        for (const auxWeight of auxWeights)
          for (const lr of lrs)
            for (let seed = 0; seed < seeds; seed++) {
              if (trials.length >= TRIALS) break outer;
              const i = trials.length;
              const status = i % 997 === 0 ? 'failed' : i >= TRIALS - 2 ? 'running' : i >= TRIALS - 40 ? 'queued' : 'completed';
              const soft = 0.9 + 0.02 * Math.sin(i) + 0.01 * taus.indexOf(tau);
              const hard = soft - 0.1 / (1 + taus.indexOf(tau)) - 0.01 * Math.cos(i);
              trials.push({
                params: { tau, k, anneal, auxWeight, lr },
                seed,
                status,
                metrics: { loss: 0.4 + 0.1 * Math.cos(i), mean_acc: 0.6, soft_acc: soft, hard_acc: hard, gap: soft - hard, precision: 0.7, mask_sum: k, mask_distinct: 0.95 },
                // Ten evaluation points per trial, as a 1000-step trial with evalEvery 100 writes.
                curve:
                  status === 'queued'
                    ? undefined
                    : Object.fromEntries(Array.from({ length: 10 }, (_, j) => [(j + 1) * 100, { loss: 1.5 - j * 0.1, soft_acc: soft, hard_acc: hard }])),
                step: status === 'running' ? 450 : undefined,
                error: status === 'failed' ? 'loss became NaN at step 120' : undefined,
              });
            }
  const store = await ResultsStore.open(path);
  const started = performance.now();
  await writeFixtureSweep(store, { name: 'bench', swept: ['tau', 'k', 'anneal', 'auxWeight', 'lr'], fixed: { steps: 1000, evalEvery: 100 }, trials });
  await store.close();
  return `${trials.length} trials written in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

async function measure(label: string, repeats: number, fn: () => unknown, target?: number): Promise<{ label: string; median: number; p95: number }> {
  for (let i = 0; i < Math.min(3, repeats); i++) await fn(); // warm the statement cache and the page cache
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)]!;
  const verdict = target === undefined ? '' : p95 < target ? `  ok (< ${target} ms)` : `  OVER ${target} ms`;
  console.log(`${label.padEnd(58)} ${median.toFixed(2).padStart(8)} ${p95.toFixed(2).padStart(8)}${verdict}`);
  return { label, median, p95 };
}

const dir = mkdtempSync(join(tmpdir(), 'dashboard-bench-'));
try {
  // BENCH_DB: a database this benchmark built before (kept with BENCH_KEEP=1), to skip the half minute of writing.
  const path = process.env.BENCH_DB ?? join(dir, 'results.db');
  if (!process.env.BENCH_DB) {
    console.log(`building ${TRIALS} trials in ${path} …`);
    console.log(await buildDatabase(path), `· ${(statSync(path).size / 1e6).toFixed(1)} MB`);
  } else await (await ResultsStore.open(path)).close(); // migrated to this build's schema
  const reader = await ResultsReader.open(path);
  const sweep = await reader.sweep('bench');
  const { settings, metrics } = statsColumns(sweep);
  const running = (await reader.trials(sweep.id, ['running'])).map((t) => t.id);
  const first = (await readSnapshot(reader, sweep)).snapshot;
  console.log(`\n${'query (ms)'.padEnd(62)} ${'median'.padStart(8)} ${'p95'.padStart(8)}`);

  console.log('— each query');
  await measure('dataVersion (idle poll)', 500, () => reader.dataVersion());
  await measure('findSweep', 200, () => reader.findSweep('bench'));
  await measure('counts', 200, () => reader.counts(sweep.id));
  await measure('runs', 200, () => reader.runs(sweep.id));
  await measure("trials(['running'])", 200, () => reader.trials(sweep.id, ['running']));
  await measure("trials(['failed'])", 200, () => reader.trials(sweep.id, ['failed']));
  await measure('metricPoints(loss of running trials)', 200, () => reader.metricPoints(sweep.id, { names: ['loss'], trialIds: running }));
  await measure('lastFinishedAt, lastBackend', 200, () => Promise.all([reader.lastFinishedAt(sweep.id), reader.lastBackend(sweep.id)]));
  await measure('finishedSince(the last finish)', 200, () => reader.finishedSince(sweep.id, first.lastFinishedAt));
  await measure(`configStats(${settings.length} settings, ${metrics.length} metrics): ${first.configs.length} configurations`, 30, () => readConfigs(reader, sweep));
  await measure('for comparison: trialSummary of every trial (what the first look read before)', 10, () =>
    reader.trialSummary('bench', ['key', 'config_key', 'status', 'seed', 'started_at', 'finished_at', 'train_ms', 'backend', 'error', ...(settings as 'tau'[]), ...metrics]),
  );

  console.log('— refreshes');
  const view = (snapshot: SweepSnapshot) => {
    compareBy(snapshot.configs, 'tau');
    leaderboard(snapshot.configs, sweep.swept, sortKeys(sweep.metric)[0]!);
    timing(snapshot, Date.now());
  };
  // The last look as it was before a trial finished: the counts differ, so the configurations are read again.
  const before: SweepSnapshot = { ...first, counts: { ...first.counts, completed: first.counts.completed - 1, running: first.counts.running + 1 } };
  const expect = async (snapshot: SweepSnapshot | undefined, read: string) => {
    const result = await readSnapshot(reader, sweep, snapshot);
    if (result.read !== read) throw new Error(`bench: expected a ${read} read, got ${result.read}`);
    return result.snapshot;
  };
  const idle = await measure('idle poll (nothing changed: data_version)', 500, () => reader.dataVersion(), TARGET_MS);
  const light = await measure('light refresh (progress: counts, runs, running, curves)', 200, () => expect(first, 'kept'), TARGET_MS);
  const finished = await measure('refresh after a trial finished (configurations again)', 30, () => expect(before, 'read'), TARGET_MS);
  const viewOnly = await measure(`view model of ${first.configs.length} configurations (comparison, leaderboard, ETA)`, 30, () => view(first), TARGET_MS);
  const both = await measure('refresh after a trial finished + view model', 30, async () => view(await expect(before, 'read')), TARGET_MS);
  const full = await measure('first read (first look + view model: the first frame)', 30, async () => view(await expect(undefined, 'read')), TARGET_MS);
  console.log(
    `\nsummary (median / p95 ms): idle poll ${idle.median.toFixed(3)} · light ${light.median.toFixed(2)} / ${light.p95.toFixed(2)} · ` +
      `trial finished ${finished.median.toFixed(1)} / ${finished.p95.toFixed(1)} · view ${viewOnly.median.toFixed(1)} / ${viewOnly.p95.toFixed(1)} · ` +
      `trial finished + view ${both.median.toFixed(1)} / ${both.p95.toFixed(1)} · first read ${full.median.toFixed(1)} / ${full.p95.toFixed(1)}`,
  );
  await reader.close();

} finally {
  rmSync(dir, { recursive: true, force: true });
}
