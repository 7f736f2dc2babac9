/**
 * Sweep throughput on the whole machine: the same small sweep (8 trials of the notebook's model, 100 steps
 * each) run by the real sweeper (one worker process per core, results database) packed and unpacked, with
 * TensorFlow.js's wasm product kernels and with the native kernel; and the notebook's own PyTorch loop, one
 * process per core with one thread each, the trials shared out between them; at ff 2048 and ff 128. Prints
 * trials per hour, ms per trial-step, the ratios to PyTorch, and the effective GFLOP/s of the matrix products
 * beside this machine's wasm matrix-product ceiling measured in the same run.
 *
 *   npx nx run sweeper:bench [--ff 2048,128] [--trials 8] [--steps 100] [--workers <cores>] [--kernels wasm,native]
 *                            [--backend auto|webgpu|wasm|…]
 *                            [--torch ../shared/reference/seed_torch.py] [--python /usr/bin/python3]
 *
 * --torch is taken from the workspace root. PyTorch runs with --batch-first --threads 1 (faster than two
 * threads on small machines); it is skipped, with a note, when the python cannot import torch.
 * --kernels applies under wasm (the native kernel plugs into it); on other backends it defaults to auto. On a GPU
 * backend the workers share each GPU (trialsPerDevice = --workers), and the device that ran the trials is named.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBackend } from '@l2x/model';
import type { KernelChoice } from '@l2x/native-kernels';
import { DEFAULT_SETTINGS, type Settings } from '@l2x/model/config';
import { runSweep } from '@l2x/runner';
import { ResultsStore } from '@l2x/store';
import { parseSweep, sha256 } from '@l2x/sweep';
import { WORKSPACE_ROOT } from '../src/paths.ts';

const { values: args } = parseArgs({
  options: {
    ff: { type: 'string', default: '2048,128' },
    trials: { type: 'string', default: '8' },
    steps: { type: 'string', default: '100' },
    workers: { type: 'string', default: String(cpus().length) },
    kernels: { type: 'string' }, // default: wasm,native under wasm or auto, auto on other backends
    torch: { type: 'string', default: '../shared/reference/seed_torch.py' },
    python: { type: 'string', default: '/usr/bin/python3' },
    backend: { type: 'string', default: 'auto' },
  },
});
const trials = Number(args.trials);
const steps = Number(args.steps);
const workers = Number(args.workers);
const kernelChoices = (args.kernels ?? (args.backend === 'wasm' || args.backend === 'auto' ? 'wasm,native' : 'auto')).split(',') as KernelChoice[];
const evalSize = 1024; // as the PyTorch script evaluates

/** Floating-point operations of the matrix products in one training step (backward = 2 × forward). */
function productFlops(s: Settings): number {
  const rows = s.batchSize * s.tokens; // every token of every sample
  const D = s.dModel;
  const encoder = 2 * rows * (s.vocab * D + 3 * D * D + D * D + 2 * D * s.ff) + 2 * 2 * s.batchSize * s.tokens * s.tokens * D;
  const explainer = 2 * rows * (D * D + D);
  const approximator = 2 * s.batchSize * (D * D + D * s.vocab);
  return 3 * (s.layers * encoder + explainer + approximator);
}

/** The six feed-forward products of a step as 2-D untransposed matMuls on wasm (XNNPACK): ms each, and GFLOP/s. */
async function wasmCeiling(s: Settings): Promise<{ floorMs: number; gflops: number }> {
  const { tf } = await loadBackend('wasm');
  const m = s.batchSize * s.tokens;
  const D = s.dModel;
  const F = s.ff;
  // forward X·W1, H·W2; backward dY·W2ᵀ, dH·W1ᵀ (inner dims 32 and F), Hᵀ·dY, Xᵀ·dH (inner dim B·T)
  const shapes: [number, number, number][] = [[m, D, F], [m, F, D], [m, D, F], [m, F, D], [F, m, D], [D, m, F]];
  let floorMs = 0;
  let flops = 0;
  for (const [a, inner, b] of shapes) {
    const x = tf.randomNormal([a, inner]);
    const w = tf.randomNormal([inner, b]);
    for (let i = 0; i < 3; i++) tf.matMul(x, w).dispose();
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      const y = tf.matMul(x, w);
      y.dataSync();
      times.push(performance.now() - start);
      y.dispose();
    }
    x.dispose();
    w.dispose();
    const ms = Math.min(...times);
    floorMs += ms;
    flops += 2 * a * inner * b;
  }
  return { floorMs, gflops: flops / floorMs / 1e6 };
}

const devices = new Set<string>();

/** Runs the sweep through the real runner into a scratch database; seconds of wall time. */
async function sweepSeconds(ff: number, pack: string, kernels: KernelChoice): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sweeper-bench-'));
  const text = [
    `name: bench-${ff}-${pack}-${workers}-${kernels}`,
    'method: grid',
    `seeds: ${trials}`,
    `trial: { ff: ${ff}, steps: ${steps}, evalEvery: ${steps}, evalSize: ${evalSize} }`,
    'parameters: { tau: { value: 0.1 } }',
    `resources: { backend: ${args.backend}, workers: ${workers}, trialsPerDevice: ${workers}, pack: ${pack} }`,
  ].join('\n');
  const store = await ResultsStore.open(join(dir, 'results.db'));
  try {
    const start = performance.now();
    const summary = await runSweep({ store, sweep: { spec: parseSweep(text, 'bench.yaml'), text, hash: sha256(text), path: 'bench.yaml' }, kernels, env: { gitCommit: null, gitDirty: null, tfjsVersion: null } });
    if (summary.completed !== trials) throw new Error(`bench sweep: ${summary.completed} of ${trials} trials completed`);
    const seconds = (performance.now() - start) / 1000;
    for (const t of await store.trials(summary.sweepId)) devices.add(`${t.backend} on ${t.device}`);
    return seconds;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The notebook's PyTorch loop on the whole machine: one process per worker, one thread each, the trials shared
 * out between them (as the sweeper shares them out); wall time from the first start to the last exit.
 */
async function torchSeconds(ff: number): Promise<number | undefined> {
  const script = resolve(WORKSPACE_ROOT, args.torch);
  if (!existsSync(script) || !existsSync(args.python) || spawnSync(args.python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return undefined;
  const shares = Array.from({ length: workers }, (_, w) => Math.floor(trials / workers) + (w < trials % workers ? 1 : 0)).filter((n) => n > 0);
  const start = performance.now();
  // seed_torch.py trains steps + 1 steps (0..steps) and evaluates 1024 samples, as the sweep above does.
  await Promise.all(
    shares.map((n, w) =>
      promisify(execFile)(args.python, [script, '--batch-first', '--threads', '1', '--ff', String(ff), '--steps', String(steps - 1), '--trials', String(n), '--seed', String(100 * w)]),
    ),
  );
  return (performance.now() - start) / 1000;
}

const table: string[][] = [['ff', 'run', 'trials/hour', 'ms/trial-step', 'vs PyTorch', 'GFLOP/s', 'wasm ceiling GFLOP/s', '÷ floor']];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`sweep: ${trials} trials × ${steps} steps of the notebook's model (batch ${DEFAULT_SETTINGS.batchSize}, d_model ${DEFAULT_SETTINGS.dModel}), one eval of ${evalSize} samples each`);
for (const ff of args.ff.split(',').map(Number)) {
  const settings: Settings = { ...DEFAULT_SETTINGS, ff };
  const { floorMs, gflops: ceiling } = await wasmCeiling(settings);
  const flops = productFlops(settings);
  const torch = await torchSeconds(ff);
  const runs: [string, number][] = [];
  for (const kernels of kernelChoices) {
    runs.push([`${kernels}: unpacked, ${workers} workers`, await sweepSeconds(ff, 'off', kernels)]);
    runs.push([`${kernels}: packed (auto), ${workers} workers`, await sweepSeconds(ff, 'auto', kernels)]);
  }
  if (torch !== undefined) runs.push([`PyTorch: ${workers} processes × 1 thread`, torch]);
  for (const [name, seconds] of runs) {
    const msPerTrialStep = (1000 * seconds) / (trials * steps);
    table.push([
      String(ff),
      name,
      ((trials * 3600) / seconds).toFixed(0),
      msPerTrialStep.toFixed(1),
      torch !== undefined ? (torch / seconds).toFixed(2) : '–',
      (flops / msPerTrialStep / 1e6).toFixed(1),
      ceiling.toFixed(1),
      // The feed-forward products alone, at the ceiling, take floorMs: how far a trial-step is above that.
      (msPerTrialStep / floorMs).toFixed(2),
    ]);
  }
  if (torch === undefined) console.log(`PyTorch: not measured at ff ${ff} (${args.python} cannot import torch, or ${args.torch} is missing)`);
  console.log(`ff ${ff}: wasm floor of the six feed-forward products ${floorMs.toFixed(1)} ms per step at ${ceiling.toFixed(1)} GFLOP/s`);
}
const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
console.log(`ran on: ${[...devices].join(', ')}`);
if ([...devices].some((d) => d.includes('(software)'))) console.log('note: a software WebGPU adapter (lavapipe, SwiftShader) runs on the CPU: its numbers are for correctness, not speed');
console.log('');
for (const row of table) console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
