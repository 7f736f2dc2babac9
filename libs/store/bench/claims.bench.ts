/**
 * Claims per second and the 99th-percentile claim latency with 1, 4 and 16 concurrent claimers on 10,000 queued
 * trials, on SQLite (a WAL file) and PostgreSQL, with double claims counted. Each claimer is a process of its own
 * with its own connection, as agents are; each claim is the store's one transaction (`claimNext`).
 *
 *   npx nx run store:bench [-- --trials 10000 --claimers 1,4,16 --backends sqlite,postgres]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_SETTINGS } from '@l2x/model/config';
import { ResultsStore } from '../src/index.ts';
import { createTestDatabase } from '../src/testing.ts';

type FromClaimer = { type: 'ready' } | { type: 'done'; ids: number[]; latencies: number[] };
type ToClaimer = { type: 'go' };

/** A claimer: opens its own connection, then on `go` claims one trial after another until none is left. */
async function claimer(location: string, sweepId: number, runId: number, worker: number): Promise<void> {
  const store = await ResultsStore.open(location);
  process.send!({ type: 'ready' } satisfies FromClaimer);
  await new Promise<void>((resolve) => process.once('message', (m: ToClaimer) => m.type === 'go' && resolve()));
  const ids: number[] = [];
  const latencies: number[] = [];
  for (;;) {
    const t0 = performance.now();
    const [lease] = await store.claimNext(sweepId, { runId, worker, device: null });
    latencies.push(performance.now() - t0);
    if (!lease) break;
    ids.push(lease.trialId);
  }
  latencies.pop(); // the last look found nothing: not a claim
  await store.close();
  process.send!({ type: 'done', ids, latencies } satisfies FromClaimer, () => process.exit(0));
}

/** A sweep of `trials` queued trials in a new database; its ids. */
async function queued(location: string, trials: number): Promise<{ sweepId: number; runId: number }> {
  const store = await ResultsStore.open(location);
  const { sweep } = await store.ensureSweep({
    name: 'bench', configText: 'name: bench', configHash: 'bench', metric: { name: 'hard_acc', goal: 'maximize' }, swept: ['tau'],
  });
  await store.addTrials(
    sweep.id,
    Array.from({ length: trials }, (_, i) => ({
      key: `t${i}`, configKey: `c${i % 100}`, seed: Math.floor(i / 100), settings: { ...DEFAULT_SETTINGS, tau: 0.01 * (1 + (i % 100)), seed: Math.floor(i / 100) },
      params: { tau: 0.01 * (1 + (i % 100)) },
    })),
  );
  const runId = await store.startRun(sweep.id, {
    host: 'bench', pid: process.pid, gitCommit: null, gitDirty: null, nodeVersion: process.version, tfjsVersion: null, backend: 'cpu', kernels: null, workers: 1, argv: [],
  });
  await store.close();
  return { sweepId: sweep.id, runId };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? NaN;
}

interface Result {
  backend: string;
  claimers: number;
  claims: number;
  perSecond: number;
  p50: number;
  p99: number;
  doubles: number;
  missed: number;
}

/** Starts `n` claimer processes on a sweep of `trials` queued trials, lets them go together, and counts. */
async function measure(backend: string, location: string, trials: number, n: number): Promise<Result> {
  const { sweepId, runId } = await queued(location, trials);
  const script = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<{ ids: number[]; latencies: number[] }>[] = [];
  for (let i = 0; i < n; i++) {
    const child = fork(script, ['--claimer', location, String(sweepId), String(runId), String(i)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    ready.push(new Promise((resolve) => child.on('message', (m: FromClaimer) => m.type === 'ready' && resolve())));
    done.push(
      new Promise((resolve, reject) => {
        child.on('message', (m: FromClaimer) => m.type === 'done' && resolve(m));
        child.on('exit', (code) => code !== 0 && reject(new Error(`claimer ${i} exited with ${code}`)));
      }),
    );
  }
  await Promise.all(ready);
  const t0 = performance.now();
  for (const child of children) child.send({ type: 'go' } satisfies ToClaimer);
  const results = await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  const ids = results.flatMap((r) => r.ids);
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const distinct = new Set(ids).size;
  return {
    backend, claimers: n, claims: ids.length, perSecond: ids.length / seconds,
    p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), doubles: ids.length - distinct, missed: trials - distinct,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '10000' }, claimers: { type: 'string', default: '1,4,16' }, backends: { type: 'string', default: 'sqlite,postgres' } },
  });
  const trials = Number(values.trials);
  const counts = values.claimers.split(',').map(Number);
  const backends = values.backends.split(',');
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${trials} queued trials; each claimer a process with its own connection; a claim is one transaction\n`);
  console.log('backend    claimers   claims/s   p50 ms   p99 ms   double claims   unclaimed');
  const dir = mkdtempSync(join(tmpdir(), 'claims-bench-'));
  try {
    for (const backend of backends)
      for (const n of counts) {
        const pg = backend === 'postgres' ? await createTestDatabase('l2x_claims_bench') : undefined;
        try {
          const location = pg?.url ?? join(dir, `claims-${n}.db`);
          const r = await measure(backend, location, trials, n);
          console.log(
            `${r.backend.padEnd(10)} ${String(r.claimers).padStart(8)} ${r.perSecond.toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${String(r.doubles).padStart(15)} ${String(r.missed).padStart(11)}`,
          );
        } finally {
          await pg?.drop();
        }
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

const at = process.argv.indexOf('--claimer');
if (at >= 0) {
  const [location, sweepId, runId, worker] = process.argv.slice(at + 1);
  await claimer(location!, Number(sweepId), Number(runId), Number(worker));
} else await main();
