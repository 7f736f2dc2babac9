/**
 * Two custom kernels for the wasm backend: split a matrix into column blocks, and stack tensors.
 *
 * On wasm every built-in Slice/Split first copies the whole input out of the WebAssembly heap into a fresh
 * JavaScript buffer (`readSync`): ~0.5 ms for a [1152, 32] tensor, which made unstacking packed trials and
 * unpacking parameters the slowest part of a step. These kernels copy blocks inside the heap (`copyWithin`,
 * a memcpy) and give each output its final shape (no reshape ops after them). Other backends use tf.split /
 * tf.stack.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

export const SPLIT_COLUMNS = 'L2xSplitColumns';
export const STACK = 'L2xStack';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (public members of that class). */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape?: number[] } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function checkDtype(info: TensorInfo, kernel: string) {
  if (info.dtype !== 'float32' && info.dtype !== 'int32') throw new Error(`${kernel}: dtype ${info.dtype} is not supported`);
}

/**
 * Output i holds columns [c_i, c_i + sizes[i]) of x [rows, cols], with shape shapes[i]. A single row is
 * allocated as rank 1: wasm's fused matMul checks a bias's rank in its own records of the allocation (not the
 * tensor's shape), and biases come out of this kernel.
 */
function splitColumnsWasm(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const x = args.inputs.x!;
  checkDtype(x, SPLIT_COLUMNS);
  const sizes = args.attrs!.sizes as number[];
  const shapes = args.attrs!.shapes as number[][];
  const backend = args.backend as WasmBackendInternals;
  const [rows, cols] = x.shape as [number, number];
  const outputs = sizes.map((n, i) => ({ ...backend.makeOutput(rows === 1 ? [n] : [rows, n], x.dtype), shape: shapes[i]! }));
  const heap = backend.wasm.HEAPU8; // read after the allocations: growing memory replaces the view
  const source = backend.dataIdMap.get(x.dataId)!.memoryOffset;
  let column = 0;
  sizes.forEach((n, i) => {
    const target = backend.dataIdMap.get(outputs[i]!.dataId)!.memoryOffset;
    for (let r = 0; r < rows; r++) {
      const from = source + 4 * (r * cols + column);
      heap.copyWithin(target + 4 * r * n, from, from + 4 * n);
    }
    column += n;
  });
  return outputs;
}

/** Stacks inputs "0", "1", … (equal shapes) along a new leading axis. */
function stackWasm(args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackendInternals;
  const xs = Object.keys(args.inputs)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => args.inputs[k]!);
  const first = xs[0]!;
  checkDtype(first, STACK);
  const n = size(first.shape);
  const out = backend.makeOutput([xs.length, ...first.shape], first.dtype);
  const heap = backend.wasm.HEAPU8;
  const target = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  xs.forEach((x, i) => {
    const from = backend.dataIdMap.get(x.dataId)!.memoryOffset;
    heap.copyWithin(target + 4 * i * n, from, from + 4 * n);
  });
  return out;
}

const kernels: KernelConfig[] = [
  { kernelName: SPLIT_COLUMNS, backendName: 'wasm', kernelFunc: splitColumnsWasm as unknown as KernelConfig['kernelFunc'] },
  { kernelName: STACK, backendName: 'wasm', kernelFunc: stackWasm as unknown as KernelConfig['kernelFunc'] },
];

const gradients: GradConfig[] = [
  {
    kernelName: SPLIT_COLUMNS,
    gradFunc: (dy: Tensor | Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => {
      const sizes = attrs.sizes as number[];
      const rows = (dy as Tensor[])[0]!.size / sizes[0]!;
      return { x: () => tf.concat((dy as Tensor[]).map((d, i) => tf.reshape(d, [rows, sizes[i]!])), 1) };
    },
  },
  {
    kernelName: STACK,
    gradFunc: (dy: Tensor | Tensor[]) => {
      const d = dy as Tensor;
      const [count, ...rest] = d.shape;
      const parts = splitColumns(tf.reshape(d, [1, d.size]), new Array<number>(count!).fill(size(rest)), new Array(count!).fill(rest));
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
];

let registered = false;

export function registerKernels(): void {
  if (registered) return;
  kernels.forEach((k) => tf.registerKernel(k));
  gradients.forEach((g) => tf.registerGradient(g));
  registered = true;
}

const onWasm = () => tf.getBackend() === 'wasm';

/** x [rows, cols] → blocks [rows, size_i], each reshaped to shapes[i] when given. Differentiable. */
export function splitColumns(x: Tensor, sizes: number[], shapes?: number[][]): Tensor[] {
  const rows = x.shape[0]!;
  const outShapes = shapes ?? sizes.map((n) => [rows, n]);
  if (onWasm()) {
    registerKernels();
    return tf.engine().runKernel(SPLIT_COLUMNS, { x }, { sizes, shapes: outShapes as unknown as number[] }) as unknown as Tensor[];
  }
  const parts = sizes.length === 1 ? [x] : tf.split(x, sizes, 1);
  return parts.map((p, i) => tf.reshape(p, outShapes[i]!));
}

/** Equal-shaped tensors → one tensor with a new leading axis. Differentiable. */
export function stack(xs: Tensor[]): Tensor {
  if (xs.length === 1) return tf.expandDims(xs[0]!, 0);
  if (onWasm()) {
    registerKernels();
    return tf.engine().runKernel(STACK, Object.fromEntries(xs.map((x, i) => [String(i), x]))) as unknown as Tensor;
  }
  return tf.stack(xs);
}

/**
 * A bias for wasm's fused matMul, which accepts only a bias allocated as rank 1: copies b [n] into a rank-1
 * allocation when it was allocated with another shape (a reshaped [1, n] tensor). Other backends: b itself.
 */
export function fusedBias(b: Tensor): Tensor {
  if (!onWasm()) return b;
  const record = (tf.backend() as unknown as WasmBackendInternals).dataIdMap.get(b.dataId);
  if (!record?.shape || record.shape.length === 1) return b;
  return splitColumns(tf.reshape(b, [1, b.size]), [b.size], [[b.size]])[0]!;
}
