/**
 * The model's 2-D matrix products, and which kernel runs them.
 *
 * On the wasm backend, with the native kernel loaded (@l2x/native-kernels), a product big enough to pay for the
 * call runs as one custom TensorFlow.js kernel that multiplies in place in the WebAssembly heap: the operands are
 * read where the wasm backend keeps them and the result is written into a fresh wasm allocation, with no copy in
 * or out. Transposed operands, bias and ReLU are handled inside that kernel. Everything else (other backends,
 * `--kernels wasm`, small products) runs on TensorFlow.js's own kernels as before, transposing the operand that
 * costs least (XNNPACK's fast path takes only untransposed 2-D products).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelsLabel, resolveKernels, type KernelChoice, type NativeKernels } from '@l2x/native-kernels';
import { UserError } from '@l2x/errors';
import { fusedBias } from './kernels.ts';

export const NATIVE_MATMUL = 'L2xNativeMatMul';

/**
 * Products of fewer multiply-adds than this stay on wasm. Measured with `nx run model:bench` (its crossover
 * table): on the 2-vCPU AMD EPYC development machine the native call was faster at every shape the model has,
 * down to 4×4×4 (7.5 µs against 1.3 ms: wasm's call has the larger fixed cost), so every 2-D product goes native.
 * Kept as a setting for machines where a rerun of that table says otherwise.
 */
export const NATIVE_MIN_MACS = 0;

let native: NativeKernels | null = null;
let minMacs = NATIVE_MIN_MACS;

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (public members of that class). */
interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

interface ProductOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Tensor | null; // [N]
  activation?: 'linear' | 'relu';
}

/** C = act(op(A) @ op(B) + bias) on the native kernel, inside the wasm heap. Inputs a, b and optionally bias. */
function nativeMatMulWasm(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { a, b, bias } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
  const { transposeA, transposeB, relu } = args.attrs as { transposeA: boolean; transposeB: boolean; relu: boolean };
  for (const t of [a, b, bias]) if (t && t.dtype !== 'float32') throw new Error(`${NATIVE_MATMUL}: dtype ${t.dtype} is not supported`);
  const backend = args.backend as WasmBackendInternals;
  const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const n = transposeB ? b.shape[0]! : b.shape[1]!;
  const out = backend.makeOutput([m, n], 'float32');
  const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  // Read the heap after the allocation: growing the memory replaces its ArrayBuffer.
  const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
  native!.gemm(heap, m, n, k, offset(a), transposeA, offset(b), transposeB, offset(out), bias ? offset(bias) : -1, relu);
  return out;
}

/** Gradients of act(op(A) @ op(B) + bias), written with the same kernel (used when products are taped directly). */
const nativeMatMulGrad: GradConfig = {
  kernelName: NATIVE_MATMUL,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [a, b, y] = saved as [Tensor, Tensor, Tensor];
    const { transposeA: tA, transposeB: tB, relu } = attrs as { transposeA: boolean; transposeB: boolean; relu: boolean };
    const dz = relu ? tf.mul(dy as Tensor, tf.step(y)) : (dy as Tensor);
    const da = tA ? matMul(b, dz, { transposeA: tB, transposeB: true }) : matMul(dz, b, { transposeB: !tB }); // [K, M] or [M, K]
    const db = tB ? matMul(dz, a, { transposeA: true, transposeB: tA }) : matMul(a, dz, { transposeA: !tA }); // [N, K] or [K, N]
    return { a: () => da, b: () => db, bias: () => tf.reshape(matMul(tf.ones([1, dz.shape[0]!]), dz), [dz.shape[1]!]) };
  },
};

let registered = false;

function register(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: NATIVE_MATMUL, backendName: 'wasm', kernelFunc: nativeMatMulWasm as unknown as KernelConfig['kernelFunc'] });
  tf.registerGradient(nativeMatMulGrad);
  registered = true;
}

/**
 * Picks the product kernels for the backend now running and returns their name for records: `wasm+native
 * avx2`, `wasm`, or the backend's own name (the native kernel plugs into the wasm backend only).
 */
export function useKernels(choice: KernelChoice): string {
  const backend = tf.getBackend();
  if (backend !== 'wasm') {
    if (choice === 'native') throw new UserError(`--kernels native: the native kernel works under the wasm backend, but this trial runs on ${backend}; use --backend wasm`);
    native = null;
    return backend;
  }
  native = resolveKernels(choice);
  if (native) register();
  return kernelsLabel(native);
}

/** Tests: the smallest product (multiply-adds) sent to the native kernel; null restores the measured default. */
export function setNativeMinMacs(macs: number | null): void {
  minMacs = macs ?? NATIVE_MIN_MACS;
}

/** The native kernel in use, or null. */
export function nativeInUse(): NativeKernels | null {
  return native;
}

/**
 * op(a) @ op(b) (+ bias, activation), 2-D: a [M, K] ([K, M] with transposeA), b [K, N] ([N, K] with transposeB),
 * bias [N] → [M, N].
 */
export function matMul(a: Tensor, b: Tensor, options: ProductOptions = {}): Tensor {
  const { transposeA = false, transposeB = false, bias = null, activation = 'linear' } = options;
  const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const n = transposeB ? b.shape[0]! : b.shape[1]!;
  if (native && m * n * k >= minMacs && tf.getBackend() === 'wasm') {
    const inputs: Record<string, Tensor> = bias ? { a, b, bias } : { a, b };
    return tf.engine().runKernel(NATIVE_MATMUL, inputs, { transposeA, transposeB, relu: activation === 'relu' }) as Tensor;
  }
  if (transposeA) return withBias(innerProduct(a, transposeB ? tf.transpose(b) : b), bias, activation);
  const right = transposeB ? tf.transpose(b) : b; // [K, N]
  return tf.fused.matMul({ a: a as tf.Tensor2D, b: right as tf.Tensor2D, bias: bias ? fusedBias(bias) : undefined, activation });
}

function withBias(y: Tensor, bias: Tensor | null, activation: 'linear' | 'relu'): Tensor {
  const z = bias ? tf.add(y, bias) : y;
  return activation === 'relu' ? tf.relu(z) : z;
}

/**
 * x^T @ y without a transposed operand: x [M, A], y [M, B] → [A, B]; the narrower of x, y is transposed.
 * (Measured in a step: XNNPACK packs the right operand of every product anew, as these tensors are new each
 * step, so the wide operand costs about as much packed on the right as transposed to the left; transposing the
 * narrow one is as fast at ff 128 and ~10% faster at ff 2048.)
 */
function innerProduct(x: Tensor, y: Tensor): Tensor {
  const a = x.shape[1]!;
  const b = y.shape[1]!;
  if (a <= b) return tf.matMul(tf.transpose(x), y); // [A, M] @ [M, B]
  return tf.transpose(tf.matMul(tf.transpose(y), x)); // ([B, M] @ [M, A])^T
}
