/**
 * Milliseconds per training step of the notebook's model (ff 2048 and ff 128) on this machine's default
 * backend, with each product kernel asked for (TensorFlow.js's wasm kernels, the native kernel), beside the
 * notebook's own PyTorch loop when `python3 -c 'import torch'` works.
 *
 *   npx nx run model:bench [-- --window 20 --windows 3 --ff 2048,128 --backend auto|webgpu|wasm|… --kernels wasm,native --pack 8 --torch ../shared/reference/seed_torch.py --python /usr/bin/python3]
 *
 * The device is named beside the backend (a WebGPU adapter, a CUDA device, or cpu). --kernels applies under wasm
 * (the native kernel plugs into it); on other backends it defaults to auto.
 *
 * Then the crossover: µs per product call, wasm against the native kernel, on the model's small shapes (what
 * NATIVE_MIN_MACS in src/products.ts is set from).
 *
 * --torch is resolved against the repository root. PyTorch runs with --batch-first --threads 1 (one thread is
 * faster than two on small machines). --pack N also trains N trials packed together and reports the time per
 * trial-step.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels, type KernelChoice } from '@l2x/native-kernels';
import { loadBackend } from '../src/backend.ts';
import { matMul, setNativeMinMacs, useKernels } from '../src/products.ts';
import { parseSettings, type BackendName, type Settings } from '../src/config.ts';
import { trainPack, type PackEvent } from '../src/train.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values: args } = parseArgs({
  options: {
    window: { type: 'string', default: '20' },
    windows: { type: 'string', default: '3' },
    ff: { type: 'string', default: '2048,128' },
    backend: { type: 'string', default: 'auto' },
    kernels: { type: 'string' }, // default: wasm,native under wasm or auto, auto on other backends
    pack: { type: 'string', default: '0' },
    torch: { type: 'string', default: '../shared/reference/seed_torch.py' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'torch-steps': { type: 'string', default: '60' },
  },
});
const window = Number(args.window);
const windows = Number(args.windows);
if (!Number.isInteger(window / 10) || window < 10) throw new Error(`--window: got ${args.window}; must be a multiple of 10 (steps are timed at progress events, every 10 steps)`);
const warmup = 10;
const kernelChoices = (args.kernels ?? (args.backend === 'wasm' || args.backend === 'auto' ? 'wasm,native' : 'auto')).split(',') as KernelChoice[];
const steps = warmup + window * windows;

/**
 * ms per step of a pack of `trials` trials: the best of `windows` windows of `window` steps after a warm-up
 * (no evaluation inside). The best window, as for PyTorch the best of its trials: other processes on a shared
 * machine only ever make a window slower.
 */
async function measure(settings: Settings, trials: number, kernels: KernelChoice): Promise<{ ms: number; kernels: string; device: string }> {
  const pack = Array.from({ length: trials }, (_, i) => ({ ...settings, seed: settings.seed + i, k: 1 + (i % 3) }));
  const marks = new Map<number, number>();
  const outcomes = await trainPack(pack, {
    backend: args.backend as BackendName,
    kernels,
    syncProgress: true, // on a GPU backend a step is timed when it ran, not when it was queued
    onEvent: (e: PackEvent) => e.type === 'progress' && e.trial === 0 && marks.set(e.step, performance.now()),
  });
  const first = outcomes[0]!;
  if (!first.ok) throw first.error;
  const times = Array.from({ length: windows }, (_, w) => (marks.get(warmup + (w + 1) * window)! - marks.get(warmup + w * window)!) / window);
  return { ms: Math.min(...times), kernels: first.result.kernels, device: first.result.device };
}

function torchAvailable(python: string): boolean {
  return existsSync(python) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function torchMsPerStep(python: string, script: string, ff: number): number {
  const run = ['--batch-first', '--threads', '1', '--ff', String(ff), '--steps', args['torch-steps'], '--trials', String(windows)];
  const out = execFileSync(python, [script, ...run], { encoding: 'utf8' });
  const lines = out.trim().split('\n').filter((l) => l.includes('ms_per_step'));
  return Math.min(...lines.map((l) => (JSON.parse(l) as { ms_per_step: number }).ms_per_step));
}

const script = resolve(root, args.torch);
const withTorch = torchAvailable(args.python) && existsSync(script);
const packSize = Number(args.pack);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; best of ${windows} windows of ${window} steps (after ${warmup}); PyTorch best of ${windows} trials of ${args['torch-steps']} steps`);
if (!withTorch) console.log(`PyTorch: not measured (${existsSync(script) ? `${args.python} cannot import torch` : `${script} not found`})`);
const rows: string[][] = [
  ['ff', 'kernels', 'ms/step', ...(withTorch ? ['torch ms/step', 'ratio'] : []), ...(packSize > 1 ? [`packed ×${packSize} ms/trial-step`, ...(withTorch ? ['torch/packed'] : [])] : [])],
];
for (const ff of args.ff.split(',').map(Number)) {
  const settings = parseSettings({ ff, steps, evalEvery: steps, evalSize: 16 });
  const torch = withTorch ? torchMsPerStep(args.python, script, ff) : undefined;
  for (const kernels of kernelChoices) {
    const single = await measure(settings, 1, kernels);
    const packed = packSize > 1 ? (await measure(settings, packSize, kernels)).ms / packSize : undefined;
    rows.push([
      String(ff),
      `${single.kernels} (${single.device})`,
      single.ms.toFixed(1),
      ...(torch !== undefined ? [torch.toFixed(1), (single.ms / torch).toFixed(2)] : []),
      ...(packed !== undefined ? [packed.toFixed(1), ...(torch !== undefined ? [(torch / packed).toFixed(2)] : [])] : []),
    ]);
  }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
if (rows.slice(1).some((r) => r[1]!.includes('(software)'))) console.log('note: a software WebGPU adapter (lavapipe, SwiftShader) runs on the CPU: its numbers are for correctness, not speed');

/** µs per call of one product, best of 5 rounds of `calls` (wasm backend). */
function productMicros(a: tf.Tensor, b: tf.Tensor, calls: number): number {
  for (let i = 0; i < 10; i++) matMul(a, b).dispose();
  const rounds = Array.from({ length: 5 }, () => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) matMul(a, b).dispose();
    return ((performance.now() - start) * 1000) / calls;
  });
  return Math.min(...rounds);
}

if (nativeKernels()) {
  await loadBackend('wasm');
  setNativeMinMacs(0);
  const shapes: [number, number, number][] = [[4, 4, 4], [16, 16, 16], [32, 32, 4], [128, 32, 10], [128, 32, 32], [1152, 32, 1], [1152, 9, 32], [1152, 32, 32], [1, 1152, 128]];
  const cross: string[][] = [['m×n×k', 'multiply-adds', 'wasm µs', 'native µs']];
  for (const [m, n, k] of shapes) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    useKernels('wasm');
    const wasm = productMicros(a, b, 200);
    useKernels('native');
    const native = productMicros(a, b, 200);
    cross.push([`${m}×${n}×${k}`, String(m * n * k), wasm.toFixed(1), native.toFixed(1)]);
    tf.dispose([a, b]);
  }
  setNativeMinMacs(null);
  console.log('\ncrossover (one product call, wasm backend):');
  const w = cross[0]!.map((_, c) => Math.max(...cross.map((r) => r[c]!.length)));
  for (const row of cross) console.log(row.map((cell, c) => cell.padStart(w[c]!)).join('  '));
}
