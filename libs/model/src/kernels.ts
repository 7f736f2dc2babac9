/**
 * One custom kernel: split a matrix into column blocks.
 *
 * On the wasm backend every built-in Slice/Split first copies the whole input out of the WebAssembly heap
 * into a fresh JavaScript buffer (`readSync`), which costs ~0.5 ms per call for a [1152, 32] tensor and makes
 * unstacking packed trials or unpacking parameters the slowest thing in a step. This kernel copies the
 * requested blocks inside the heap (`copyWithin`, a memcpy) instead. Other backends use `tf.split`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

export const SPLIT_COLUMNS = 'L2xSplitColumns';

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (public members of that class). */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

function splitColumnsWasm(args: { inputs: { x?: TensorInfo }; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const x = args.inputs.x!;
  const sizes = args.attrs!.sizes as number[];
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`${SPLIT_COLUMNS}: dtype ${x.dtype} is not supported`);
  const backend = args.backend as WasmBackendInternals;
  const [rows, cols] = x.shape as [number, number];
  // A single row is registered as rank 1: wasm's fused matMul checks a bias's rank in its own records of
  // the allocation (not the tensor's shape), and a bias reaches it as a reshaped [1, n] block of this split.
  const outputs = sizes.map((size) => {
    const info = backend.makeOutput(rows === 1 ? [size] : [rows, size], x.dtype);
    return { ...info, shape: [rows, size] };
  });
  const heap = backend.wasm.HEAPU8; // read after the allocations: growing memory replaces the view
  const source = backend.dataIdMap.get(x.dataId)!.memoryOffset;
  let column = 0;
  sizes.forEach((size, i) => {
    const target = backend.dataIdMap.get(outputs[i]!.dataId)!.memoryOffset;
    for (let r = 0; r < rows; r++) {
      const from = source + 4 * (r * cols + column);
      heap.copyWithin(target + 4 * r * size, from, from + 4 * size);
    }
    column += size;
  });
  return outputs;
}

const splitColumnsKernel: KernelConfig = {
  kernelName: SPLIT_COLUMNS,
  backendName: 'wasm',
  kernelFunc: splitColumnsWasm as unknown as KernelConfig['kernelFunc'],
};

const splitColumnsGrad: GradConfig = {
  kernelName: SPLIT_COLUMNS,
  gradFunc: (dy: Tensor | Tensor[]) => ({ x: () => tf.concat(dy as Tensor[], 1) }),
};

let registered = false;

export function registerKernels(): void {
  if (registered) return;
  tf.registerKernel(splitColumnsKernel);
  tf.registerGradient(splitColumnsGrad);
  registered = true;
}

/** x [rows, cols] → blocks [rows, size_i] (sizes sum to cols). Differentiable. */
export function splitColumns(x: Tensor, sizes: number[]): Tensor[] {
  if (sizes.length === 1) return [x];
  if (tf.getBackend() === 'wasm') {
    registerKernels();
    return tf.engine().runKernel(SPLIT_COLUMNS, { x }, { sizes }) as unknown as Tensor[];
  }
  return tf.split(x, sizes, 1);
}

/**
 * A bias for wasm's fused matMul, which accepts only a bias allocated as rank 1 (it checks its own records of
 * the allocation, not the tensor's shape): copies b [n] into a rank-1 allocation when it was allocated with
 * another shape (a reshaped [1, n] tensor). Other backends: b itself.
 */
export function fusedBias(b: Tensor): Tensor {
  if (tf.getBackend() !== 'wasm') return b;
  const record = (tf.backend() as unknown as { dataIdMap: { get(id: object): { shape?: number[] } | undefined } }).dataIdMap.get(b.dataId);
  if (!record?.shape || record.shape.length === 1) return b;
  registerKernels();
  const [copy] = tf.engine().runKernel(SPLIT_COLUMNS, { x: tf.reshape(b, [1, b.size]) }, { sizes: [b.size] }) as unknown as Tensor[];
  return tf.reshape(copy!, [b.size]);
}
