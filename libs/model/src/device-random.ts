/**
 * Random numbers drawn on the device: Gumbel noise and dropout masks on GPU backends without uploading them
 * from JavaScript every step (at ff 2048 a step's dropout masks are 2.4 M floats per trial).
 *
 * TensorFlow.js's own tf.random* ops fill a buffer in JavaScript and upload it, so this is a kernel of its
 * own: a counter-based generator (Salmon et al. 2011's idea; here two rounds of MurmurHash3's finaliser) that
 * maps (key, index) to a uniform number. Each trial of a pack has its own key per draw, and index i of a row is
 * the i-th number of that trial's draw whatever the pack, so a packed trial draws what it would alone, and a
 * seed gives the same numbers on every run. The integer hash is exact on every backend, and the conversion to
 * a float (24 bits, + ½, / 2^24) is exact too: the webgpu and cpu kernels give identical bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { mix32 } from './random.ts';

export const HASH_UNIFORM = 'L2xHashUniform';

/** MurmurHash3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The uniform number at `index` of the draw with `key`, in (0, 1). */
export function hashUniform(key: number, index: number): number {
  const x = fmix32((fmix32(index ^ Math.imul(key, 0x9e3779b9)) + key) >>> 0);
  return ((x >>> 8) + 0.5) / 16777216;
}

const WGSL = `
  fn fmix32(hIn : u32) -> u32 {
    var h = hIn;
    h = h ^ (h >> 16u);
    h = h * 0x85ebca6bu;
    h = h ^ (h >> 13u);
    h = h * 0xc2b2ae35u;
    return h ^ (h >> 16u);
  }
`;

/** The parts of tfjs-backend-webgpu this kernel uses (its program interface and dispatch helpers). */
interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}
interface WebgpuBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: string; data: number[] }[]): TensorInfo;
}

function webgpuProgram(util: WebgpuUtil, rows: number, cols: number) {
  const outputShape = [rows, cols];
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(outputShape);
  return {
    variableNames: ['seeds'],
    outputShape,
    shaderKey: 'l2xHashUniform',
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, outputShape, workgroupSize),
    workgroupSize,
    size: true,
    getUserCode: () => `
      ${WGSL}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let cols = uniforms.outShape[1];
          let key = bitcast<u32>(seeds[index / cols]); // the raw i32 (getSeeds() would convert it to f32)
          let i = u32(index % cols);
          let x = fmix32(fmix32(i ^ (key * 0x9e3779b9u)) + key);
          setOutputAtIndex(index, (f32(x >> 8u) + 0.5) / 16777216.0);
        }
      }
    `,
  };
}

function cpuKernel(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const seeds = args.inputs.seeds!;
  const cols = args.attrs!.cols as number;
  const backend = args.backend as { data: { get(id: object): { values: Int32Array } }; makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo };
  const keys = backend.data.get(seeds.dataId).values;
  const out = new Float32Array(keys.length * cols);
  keys.forEach((key, p) => {
    for (let i = 0; i < cols; i++) out[p * cols + i] = hashUniform(key >>> 0, i);
  });
  return backend.makeTensorInfo([keys.length, cols], 'float32', out);
}

let registeredCpu = false;
let registeredWebgpu = false;

/** Registers the cpu kernel (the reference the webgpu kernel is tested against). */
export function registerDeviceRandom(): void {
  if (registeredCpu) return;
  tf.registerKernel({ kernelName: HASH_UNIFORM, backendName: 'cpu', kernelFunc: cpuKernel as unknown as KernelConfig['kernelFunc'] });
  registeredCpu = true;
}

/** Registers the webgpu kernel; `util` is tfjs-backend-webgpu's webgpu_util (imported once WebGPU is bound). */
export function registerDeviceRandomWebgpu(util: WebgpuUtil): void {
  if (registeredWebgpu) return;
  tf.registerKernel({
    kernelName: HASH_UNIFORM,
    backendName: 'webgpu',
    kernelFunc: ((args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
      const seeds = args.inputs.seeds!;
      const program = webgpuProgram(util, seeds.shape[0]!, args.attrs!.cols as number);
      return (args.backend as WebgpuBackendLike).runWebGPUProgram(program, [seeds], 'float32');
    }) as unknown as KernelConfig['kernelFunc'],
  });
  registeredWebgpu = true;
}

/** Whether this backend draws random numbers on the device. */
export function drawsOnDevice(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** Uniform numbers [P, cols] in (0, 1): row p is the draw with key keys[p]. */
export function uniformRows(keys: number[], cols: number): Tensor {
  const seeds = tf.tensor1d(Int32Array.from(keys, (k) => k | 0), 'int32');
  const out = tf.engine().runKernel(HASH_UNIFORM, { seeds }, { cols }) as unknown as Tensor;
  seeds.dispose();
  return out;
}

/** A trial's sequence of draw keys on the device: one stream (noise, dropout, …) of one seed. */
export class DeviceStream {
  private count = 0;
  private readonly base: number;

  constructor(seed: number, stream: number) {
    this.base = mix32(mix32(seed) ^ Math.imul(stream + 1, 0x632be5ab));
  }

  /** The key of the next draw. */
  next(): number {
    return mix32((this.base + Math.imul(++this.count, 0x9e3779b9)) | 0);
  }
}
