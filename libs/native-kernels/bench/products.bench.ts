/**
 * The native kernel against numpy (OpenBLAS or whatever BLAS it links, one thread) on the six products of the
 * encoder's feed-forward block in a training step, with the transposes the model uses, at ff 2048 and ff 128.
 * Both measured in this run, best of a few repeats each (other processes only ever make a repeat slower).
 *
 *   npx nx run native-kernels:bench [-- --ff 2048,128 --rows 1152 --width 32 --python /usr/bin/python3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { nativeKernels, unavailableReason } from '../src/index.ts';

const { values: args } = parseArgs({
  options: {
    ff: { type: 'string', default: '2048,128' },
    rows: { type: 'string', default: '1152' }, // batch 128 × 9 tokens
    width: { type: 'string', default: '32' }, // d_model
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});

interface Shape {
  name: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Forward X·W1 and H·W2; backward dY·W2ᵀ, dZ·W1ᵀ, Xᵀ·dZ and Hᵀ·dY (as ops.ts asks for them). */
function shapes(rows: number, d: number, f: number): Shape[] {
  return [
    { name: 'X·W1', m: rows, n: f, k: d, transA: false, transB: false },
    { name: 'H·W2', m: rows, n: d, k: f, transA: false, transB: false },
    { name: 'dY·W2ᵀ', m: rows, n: f, k: d, transA: false, transB: true },
    { name: 'dZ·W1ᵀ', m: rows, n: d, k: f, transA: false, transB: true },
    { name: 'Xᵀ·dZ', m: d, n: f, k: rows, transA: true, transB: false },
    { name: 'Hᵀ·dY', m: f, n: d, k: rows, transA: true, transB: false },
  ];
}

const repeats = (s: Shape) => Math.max(5, Math.round(3e8 / (2 * s.m * s.n * s.k)));

/** ms per product on the native kernel, operands in a WebAssembly.Memory as the wasm backend's are. */
function nativeMs(s: Shape): number {
  const kernels = nativeKernels()!;
  const { WebAssembly } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };
  const bytes = 4 * (s.m * s.k + s.k * s.n + s.m * s.n);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const heap = new Float32Array(memory.buffer);
  for (let i = 0; i < heap.length; i++) heap[i] = Math.random() - 0.5;
  const a = 0, b = 4 * s.m * s.k, c = b + 4 * s.k * s.n;
  const once = () => kernels.gemm(memory.buffer, s.m, s.n, s.k, a, s.transA, b, s.transB, c, -1, false);
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < repeats(s); i++) once();
    times.push((performance.now() - start) / repeats(s));
  }
  return Math.min(...times);
}

const NUMPY = `
import json, sys, time, numpy as np
out = []
for s in json.loads(sys.argv[1]):
    a = np.random.rand(*((s['k'], s['m']) if s['transA'] else (s['m'], s['k']))).astype(np.float32)
    b = np.random.rand(*((s['n'], s['k']) if s['transB'] else (s['k'], s['n']))).astype(np.float32)
    A = a.T if s['transA'] else a
    B = b.T if s['transB'] else b
    for _ in range(3): A @ B
    best = float('inf')
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(s['repeats']): A @ B
        best = min(best, (time.perf_counter() - t) / s['repeats'])
    out.append(best * 1e3)
print(json.dumps({'ms': out, 'numpy': np.__version__}))
`;

/** ms per product in numpy, one BLAS thread; undefined when the python has no numpy. */
function numpyMs(list: Shape[]): { ms: number[]; version: string } | undefined {
  if (spawnSync(args.python, ['-c', 'import numpy'], { stdio: 'ignore' }).status !== 0) return undefined;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const out = execFileSync(args.python, ['-c', NUMPY, JSON.stringify(list.map((s) => ({ ...s, repeats: repeats(s) })))], { encoding: 'utf8', env });
  const parsed = JSON.parse(out) as { ms: number[]; numpy: string };
  return { ms: parsed.ms, version: parsed.numpy };
}

const kernels = nativeKernels();
if (!kernels) {
  console.log(`native kernel: unavailable (${unavailableReason()})`);
  process.exit(1);
}
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(1)}; native kernel ${kernels.isa()}`);
const rows: string[][] = [['ff', 'product', 'm×n×k', 'native ms', 'native GFLOP/s', 'numpy ms', 'numpy GFLOP/s', 'native ÷ numpy']];
const totals = { native: 0, numpy: 0 };
let version = '';
for (const f of args.ff.split(',').map(Number)) {
  const list = shapes(Number(args.rows), Number(args.width), f);
  const numpy = numpyMs(list);
  version = numpy?.version ?? version;
  list.forEach((s, i) => {
    const flops = 2 * s.m * s.n * s.k;
    const ours = nativeMs(s);
    const theirs = numpy?.ms[i];
    totals.native += ours;
    totals.numpy += theirs ?? 0;
    rows.push([
      String(f), s.name, `${s.m}×${s.n}×${s.k}`, ours.toFixed(3), (flops / ours / 1e6).toFixed(1),
      theirs === undefined ? '–' : theirs.toFixed(3), theirs === undefined ? '–' : (flops / theirs / 1e6).toFixed(1),
      theirs === undefined ? '–' : `${((100 * theirs) / ours).toFixed(0)}%`,
    ]);
  });
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const row of rows) console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
if (totals.numpy > 0) console.log(`all products: native at ${((100 * totals.numpy) / totals.native).toFixed(0)}% of numpy ${version} (time-weighted)`);
else console.log(`numpy: not measured (${args.python} cannot import numpy)`);
