/**
 * Smarter sweeps, measured through the real sweeper (worker processes, results databases), side by side in one run:
 *
 * 1. Early termination: a random sweep of 27 configurations over lr (log 1e-5…1e-1) and tau (log 0.05…2) on L2X's
 *    orange-skin set, every trial run in full, against the same sweep (same name: the same 27 configurations,
 *    each trial deterministic for its seed) with `early_terminate: {type: hyperband, min_iter: 1, eta: 3}`.
 *    Reported: the trial-steps hyperband spent (share of the full runs'), and whether its best configuration is
 *    the full runs' best or within that one's 95% interval (both configurations rerun on 3 seeds).
 * 2. Search: `bayes` against `random`, same space and runCap, 30-step trials, on each metric of --search-metrics:
 *    median_rank (the explanation's quality; about one configuration in seven reaches its optimum 2.5 here, a
 *    plateau) and loss (the mean training loss over the 30 steps: smooth, its best in a small corner of the space).
 *    Reported: how often bayes's best after runCap trials is at least as good as random's, and the trials each needs
 *    to come within 1% of the best value known for the space (the best any trial of this run reached on that
 *    metric; not reached within runCap counts as runCap + 1).
 *
 * Each repetition is a different sweep name, so a different seed for the draws; medians over the repetitions.
 * The two sides of each comparison run at the same time, one worker each (two processes on two cores).
 *
 *   npx nx run sweeper:bench-search [--reps-et 3] [--reps-search 7] [--run-cap 40] [--startup 5] [--search-metrics median_rank,loss]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { METRIC_GOAL, METRIC_NAMES, type MetricName } from '@l2x/model/config';
import { summarize } from '@l2x/stats';
import { runSweep } from '@l2x/runner';
import { ResultsStore } from '@l2x/store';
import { parseSweep, sha256 } from '@l2x/sweep';

const { values: args } = parseArgs({
  options: {
    'reps-et': { type: 'string', default: '3' },
    'reps-search': { type: 'string', default: '7' },
    'run-cap': { type: 'string', default: '40' },
    startup: { type: 'string', default: '5' },
    'search-metrics': { type: 'string', default: 'median_rank,loss' },
  },
});
const searchMetrics = args['search-metrics'].split(',') as MetricName[];
for (const m of searchMetrics)
  if (METRIC_GOAL[m] !== 'minimize') throw new Error(`--search-metrics: ${m} is not a metric to minimize; allowed: ${METRIC_NAMES.filter((n) => METRIC_GOAL[n] === 'minimize').join(', ')}`);
const [repsEt, repsSearch, runCap, startup] = [args['reps-et'], args['reps-search'], args['run-cap'], args.startup].map(Number) as [number, number, number, number];

const SPACE = `  lr: { distribution: log_uniform_values, min: 1.0e-5, max: 1.0e-1 }\n  tau: { distribution: log_uniform_values, min: 0.05, max: 2 }\n`;
/** Early termination's trials: 180 steps, an evaluation every 10 (18 points: rungs at 1, 3 and 9 evaluations). */
const ET_TRIAL = `trial: { task: orange-skin, batchSize: 100, steps: 180, evalEvery: 10, evalSize: 1000 }\n`;
/** Search's trials: 30 steps, one evaluation at the end (what the sampler sees). */
const SEARCH_TRIAL = `trial: { task: orange-skin, batchSize: 100, steps: 30, evalEvery: 30, evalSize: 1000 }\n`;
const RESOURCES = `resources: { backend: wasm, workers: 1, pack: off }\n`;
const COMMON = `metric: { name: median_rank }\n${RESOURCES}`;

const env = { gitCommit: null, gitDirty: null, tfjsVersion: null };
const dir = mkdtempSync(join(tmpdir(), 'bench-search-'));
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Runs a sweep file's text into its own database; returns the store (open) and the sweep's id. */
async function sweep(db: string, yaml: string): Promise<{ store: ResultsStore; sweepId: number }> {
  const store = await ResultsStore.open(join(dir, db));
  const summary = await runSweep({ store, sweep: { spec: parseSweep(yaml, db), text: yaml, hash: sha256(yaml), path: db }, env });
  if (summary.failed > 0) console.error(`note: ${db}: ${summary.failed} trials failed (diverged)`);
  return { store, sweepId: summary.sweepId };
}

interface Row {
  configKey: string;
  params: Record<string, unknown>;
  status: string;
  value: number | null;
  step: number;
}
const rowsOf = (store: ResultsStore, sweepId: number, metric: MetricName = 'median_rank'): Promise<Row[]> => store.trialOutcomes(sweepId, metric);
const best = (rows: readonly Row[]) => rows.filter((r) => r.status === 'completed' && r.value !== null).sort((a, b) => a.value! - b.value!)[0]!;

async function earlyTermination(rep: number) {
  const name = `et-${rep}`;
  const base = `name: ${name}\nmethod: random\nrunCap: 27\n${COMMON}${ET_TRIAL}parameters:\n${SPACE}`;
  const [full, hyperband] = await Promise.all([
    sweep(`${name}-full.db`, base),
    sweep(`${name}-hyperband.db`, `${base}early_terminate: { type: hyperband, min_iter: 1, eta: 3 }\n`),
  ]);
  const fullRows = await rowsOf(full.store, full.sweepId);
  const hbRows = await rowsOf(hyperband.store, hyperband.sweepId);
  const steps = (rows: readonly Row[]) => rows.reduce((sum, r) => sum + r.step, 0);
  const [fullBest, hbBest] = [best(fullRows), best(hbRows)];
  // Both best configurations on 3 seeds: is hyperband's within the 95% interval of the full runs' best?
  const confirm = (params: Record<string, unknown>, tag: string) =>
    sweep(`${name}-confirm-${tag}.db`, `name: ${name}-${tag}\nmethod: grid\nseeds: 3\n${COMMON}${ET_TRIAL}parameters:\n` +
      Object.entries(params).map(([k, v]) => `  ${k}: { value: ${v} }\n`).join(''));
  const same = fullBest.configKey === hbBest.configKey;
  const [a, b] = await Promise.all([confirm(fullBest.params, 'full'), same ? null : confirm(hbBest.params, 'hb')]);
  const fullSeeds = summarize((await rowsOf(a.store, a.sweepId)).map((r) => r.value));
  const hbSeeds = b ? summarize((await rowsOf(b.store, b.sweepId)).map((r) => r.value)) : fullSeeds;
  const within = same || hbSeeds.mean <= fullSeeds.mean + fullSeeds.ci95;
  const result = {
    share: steps(hbRows) / steps(fullRows),
    pruned: hbRows.filter((r) => r.status === 'pruned').length,
    same,
    within,
    full: `${fullBest.value!.toFixed(3)} (3 seeds ${fullSeeds.mean.toFixed(3)} ± ${fullSeeds.ci95.toFixed(3)})`,
    hyperband: `${hbBest.value!.toFixed(3)}${same ? ' (same configuration)' : ` (3 seeds ${hbSeeds.mean.toFixed(3)} ± ${hbSeeds.ci95.toFixed(3)})`}`,
  };
  for (const s of [full, hyperband, a, b]) await s?.store.close();
  console.log(`early termination ${name}: hyperband ${(100 * result.share).toFixed(1)}% of the trial-steps, ${result.pruned}/27 pruned; ` +
    `best full ${result.full}, hyperband ${result.hyperband}; ${result.same ? 'same best' : result.within ? 'within the interval' : 'OUTSIDE the interval'}`);
  return result;
}

async function search(rep: number, metric: MetricName) {
  const name = `search-${metric}-${rep}`;
  const base = `name: ${name}\nrunCap: ${runCap}\nmetric: { name: ${metric} }\n${RESOURCES}${SEARCH_TRIAL}parameters:\n${SPACE}`;
  const [random, bayes] = await Promise.all([
    sweep(`${name}-random.db`, `method: random\n${base}`),
    sweep(`${name}-bayes.db`, `method: bayes\nbayes: { nStartupTrials: ${startup} }\n${base}`),
  ]);
  const values = async (s: { store: ResultsStore; sweepId: number }) => (await rowsOf(s.store, s.sweepId, metric)).map((r) => (r.status === 'completed' ? r.value! : Infinity));
  const result = { random: await values(random), bayes: await values(bayes) };
  await random.store.close();
  await bayes.store.close();
  return result;
}

/** Trials until the first value within 1% of the target (runCap + 1 when never). */
function trialsTo(values: readonly number[], target: number): number {
  const i = values.findIndex((v) => v <= target * 1.01);
  return i < 0 ? values.length + 1 : i + 1;
}

const started = Date.now();
const load = [loadavg()[0]!];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${load[0]!.toFixed(2)}`);

const et = [];
for (let rep = 1; rep <= repsEt; rep++) {
  et.push(await earlyTermination(rep));
  load.push(loadavg()[0]!);
}
const share = median(et.map((r) => r.share));
const table = [
  `| hyperband trial-steps (median of ${repsEt}) | ${(100 * share).toFixed(1)}% of the full runs' | ≤ 40% | ${share <= 0.4 ? 'met' : 'missed'} |`,
  `| hyperband's best = the full runs' best, or within its 95% interval | ${et.filter((r) => r.within).length}/${repsEt} repetitions (${et.filter((r) => r.same).length} the same configuration) | every one | ${et.every((r) => r.within) ? 'met' : 'missed'} |`,
];
for (const metric of searchMetrics) {
  const searches = [];
  for (let rep = 1; rep <= repsSearch; rep++) {
    searches.push(await search(rep, metric));
    load.push(loadavg()[0]!);
  }
  const known = Math.min(...searches.flatMap((s) => [...s.random, ...s.bayes]));
  const perRep = searches.map((s, i) => {
    const r = { rep: i + 1, random: Math.min(...s.random), bayes: Math.min(...s.bayes), toRandom: trialsTo(s.random, known), toBayes: trialsTo(s.bayes, known) };
    console.log(`search ${metric} ${r.rep}: best after ${runCap} trials random ${r.random.toFixed(3)}, bayes ${r.bayes.toFixed(3)}; trials to ≤ ${(known * 1.01).toFixed(3)}: random ${r.toRandom}, bayes ${r.toBayes}`);
    return r;
  });
  const wins = perRep.filter((r) => r.bayes <= r.random).length;
  const [medRandom, medBayes] = [median(perRep.map((r) => r.toRandom)), median(perRep.map((r) => r.toBayes))];
  // Random draws are independent: from the share p of all its draws within 1%, its median trials-to-target is the
  // geometric distribution's, ⌈ln ½ / ln(1 − p)⌉, which runCap does not cut off.
  const draws = searches.flatMap((s) => s.random);
  const hitRate = draws.filter((v) => v <= known * 1.01).length / draws.length;
  const geometric = hitRate > 0 ? Math.ceil(Math.log(0.5) / Math.log(1 - hitRate)) : Infinity;
  console.log(`search ${metric}: ${(100 * hitRate).toFixed(1)}% of random's ${draws.length} draws within 1%: its median trials-to-target ≈ ${geometric} (geometric)`);
  table.push(
    `| ${metric}: bayes's best after ${runCap} trials ≤ random's | ${wins}/${repsSearch} repetitions (${((100 * wins) / repsSearch).toFixed(0)}%) | ≥ 70% | ${wins / repsSearch >= 0.7 ? 'met' : 'missed'} |`,
    `| ${metric}: trials to within 1% of the best known (${known.toFixed(3)}), median | bayes ${medBayes}, random ${medRandom} (ratio ${(medBayes / medRandom).toFixed(2)}); random from its hit rate ${(100 * hitRate).toFixed(1)}%: ≈ ${geometric} (ratio ${(medBayes / geometric).toFixed(2)}) | ≤ 0.5 | ${medBayes <= medRandom / 2 ? 'met' : 'missed'} |`,
  );
}
console.log(['', '| goal | measured | target | |', '|---|---|---|---|', ...table].join('\n'));
console.log(`\n${((Date.now() - started) / 60_000).toFixed(1)} min; load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} during the run`);
rmSync(dir, { recursive: true, force: true });
