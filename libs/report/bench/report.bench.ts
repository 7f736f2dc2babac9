/**
 * How long a full report takes on a large sweep: 10,000 trials (400 configurations × 25 seeds, tau × k × anneal ×
 * auxWeight), each with 10 evaluation points of every metric (about 900,000 curve points, as the sweeper records
 * them). A full report = open the database read-only, aggregate, curves, Markdown + CSV + JSON, both plots as
 * SVG and PNG, and index.md with the files written. Target: under a second.
 *
 * Wall time on a shared machine swings with its load (printed), so the process's CPU time is printed too: on an
 * idle machine the wall time of this single-threaded work is about its CPU time.
 *
 *   npx nx run report:bench            (or: cd libs/report && npm run bench)
 *   … -- --runs 10                      more timed runs
 *   … -- --fixture /tmp/big.db          keep the fixture there (and reuse it next time: building takes ~15 s)
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ANNEALS, METRIC_NAMES, type Metrics } from '@l2x/model/config';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep, type FixtureTrial } from '@l2x/store/fixtures';
import { ReportReader, buildReport, formatReport, renderPlots, writeReport, type ReportOptions } from '../src/index.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, fixture: { type: 'string' } } });
const runs = Math.max(1, Number(args.runs));

/** Builds the sweep in a private in-memory database (fast: nothing reaches a disk), then saves it as a file. */
class BenchStore extends ResultsStore {
  save(path: string): void {
    writeFileSync(path, (this.db as unknown as { db: { serialize(): Buffer } }).db.serialize());
  }
}

/** A deterministic pseudo-random number in [0, 1). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

function fixtureTrials(): FixtureTrial[] {
  const trials: FixtureTrial[] = [];
  let i = 0;
  for (const tau of [0.05, 0.1, 0.2, 0.5, 1])
    for (const k of [1, 2, 3, 4, 5])
      for (const anneal of ANNEALS)
        for (const auxWeight of [0, 0.25, 0.5, 1])
          for (let seed = 0; seed < 25; seed++) {
            const hard = 0.5 + 0.4 * noise(++i) - 0.1 * tau;
            const soft = Math.min(1, hard + 0.2 * noise(++i));
            const final = (scale: number): Metrics => ({
              loss: 1 - hard * scale, mean_acc: 0.6 * scale, soft_acc: soft * scale, hard_acc: hard * scale, gap: (soft - hard) * scale,
              precision: 0.3 + 0.6 * noise(++i) * scale, mask_sum: k, mask_distinct: 0.9 * scale,
              median_rank: 3 - scale, tpr: 0.6 * scale, fdr: 1 - 0.6 * scale,
            });
            const curve: Record<number, Partial<Metrics> & { tau: number }> = {};
            for (let step = 100; step <= 1000; step += 100) curve[step] = { ...final(step / 1000), tau };
            trials.push({ params: { tau, k, anneal, auxWeight }, seed, metrics: final(1), curve });
          }
  return trials;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function fullReport(db: string, out: string, options: ReportOptions): Promise<Record<string, number>> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reader = await ReportReader.open(db);
  const report = await buildReport(reader, options);
  await reader.close();
  const t1 = performance.now();
  for (const format of ['md', 'csv', 'json'] as const) formatReport(report, format);
  const t2 = performance.now();
  const plots = await renderPlots(report);
  const t3 = performance.now();
  await writeReport(report, out, { plots });
  const t4 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    'read + aggregate + curves': t1 - t0, 'md + csv + json': t2 - t1, 'plots (svg + png)': t3 - t2, 'write files': t4 - t3, total: t4 - t0,
    cpu: (cpu.user + cpu.system) / 1000,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'report-bench-'));
try {
  const db = args.fixture ?? join(dir, 'results.db');
  const t = performance.now();
  const trials = fixtureTrials();
  const reuse = existsSync(db);
  if (!reuse) {
    const memory = await ResultsStore.open(':memory:');
    const store = new BenchStore((memory as unknown as { db: ConstructorParameters<typeof ResultsStore>[0] }).db);
    await writeFixtureSweep(store, { name: 'big', swept: ['tau', 'k', 'anneal', 'auxWeight'], trials });
    store.save(db);
    await store.close();
  }
  const points = trials.length * 10 * (METRIC_NAMES.length + 1);
  const built = reuse ? `reused ${db}` : `built in ${((performance.now() - t) / 1000).toFixed(1)} s (not timed)`;
  console.log(`fixture: ${trials.length} trials, 400 configurations × 25 seeds, ${points} curve points, ${(statSync(db).size / 2 ** 20).toFixed(0)} MB; ${built}`);
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  const modes = [
    ['per configuration (400 rows)', { sweep: 'big' }],
    ['--by tau (5 rows of 2,000 trials)', { sweep: 'big', by: 'tau' }],
  ] as const;
  // The first report in a fresh process pays for compiling vega, vega-lite, SQLite statements and the statistics
  // code: what one CLI invocation sees. Later ones show the steady cost.
  const first = await fullReport(db, join(dir, 'out'), modes[0][1]);
  console.log(`first report in this process (${modes[0][0]}): ${first.total!.toFixed(0)} ms (CPU time ${first.cpu!.toFixed(0)} ms)`);
  for (const phase of Object.keys(first).filter((p) => p !== 'total' && p !== 'cpu')) console.log(`  ${phase.padEnd(28)} ${first[phase]!.toFixed(0).padStart(5)} ms`);
  console.log();
  for (const [what, options] of modes) {
    const warm: Record<string, number>[] = [];
    for (let r = 0; r < runs; r++) warm.push(await fullReport(db, join(dir, 'out'), options));
    const total = median(warm.map((w) => w.total!));
    const cpu = median(warm.map((w) => w.cpu!));
    console.log(`${what}: median of ${runs} runs ${total.toFixed(0)} ms (${total < 1000 ? 'under' : 'OVER'} 1 s; CPU time ${cpu.toFixed(0)} ms)`);
    for (const phase of Object.keys(warm[0]!).filter((p) => p !== 'total' && p !== 'cpu'))
      console.log(`  ${phase.padEnd(28)} ${median(warm.map((w) => w[phase]!)).toFixed(0).padStart(5)} ms`);
    console.log();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
