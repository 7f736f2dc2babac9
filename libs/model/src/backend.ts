/**
 * Picks and starts the TensorFlow.js backend a trial runs on.
 *
 * `auto` tries, in order: tfjs-node-gpu (counted only when libtensorflow really sees a GPU: built for CUDA 11.2
 * and cuDNN 8, it quietly runs on the CPU elsewhere), WebGPU on a hardware adapter (a software adapter such as
 * lavapipe is slower than wasm and runs only when asked for by name), tfjs-node, WebAssembly (SIMD), then the
 * pure-JavaScript cpu backend. An explicitly requested backend that cannot start is a UserError naming what is
 * missing, never a silent fallback. Nothing here writes to stdout (an Ink screen may own it).
 */
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@l2x/errors';
import type { BackendName, ResolvedBackend } from './config.ts';
import { registerGradients } from './gradients.ts';
import { registerKernels } from './kernels.ts';
import { registerDeviceRandom, registerDeviceRandomWebgpu } from './device-random.ts';
import { ADAPTER_ENV, ADAPTER_PCI_ENV, NO_WEBGPU_ENV, bindAdapter, deviceLabel, normalPciBusId, WebgpuUnavailable, type AdapterInfo } from './webgpu.ts';

export type TF = typeof tf;

export interface LoadedBackend {
  backend: ResolvedBackend;
  tf: TF;
  /** Version of TensorFlow.js (tfjs-core). */
  version: string;
  /** What ran the computation: the adapter's or CUDA device's name ("NVIDIA H200", "llvmpipe (software)"), or "cpu". */
  device: string;
  /** The WebGPU adapter, with its driver (webgpu only). */
  adapter?: AdapterInfo;
  /** With `auto`: each backend passed over before this one, and why ("webgpu: only a software adapter …"). */
  skipped: string[];
}

/** TensorFlow.js's name for each backend. */
const TF_NAME: Record<ResolvedBackend, string> = {
  'tensorflow-gpu': 'tensorflow',
  webgpu: 'webgpu',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const HOW_TO_INSTALL: Record<ResolvedBackend, string> = {
  'tensorflow-gpu':
    'the package @tensorflow/tfjs-node-gpu on Linux with CUDA 11.2 and cuDNN 8.1; install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0`, which downloads libtensorflow',
  webgpu: 'a WebGPU adapter: the npm package webgpu (`npm install webgpu@0.6.2`) and a driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows)',
  tensorflow:
    'the package @tensorflow/tfjs-node; install it with `npm install @tensorflow/tfjs-node@4.22.0`, which downloads libtensorflow',
  wasm: 'the package @tensorflow/tfjs-backend-wasm; reinstall with `npm ci`',
  cpu: 'the package @tensorflow/tfjs-backend-cpu; reinstall with `npm ci`',
};

const AUTO_ORDER: ResolvedBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** Imports a package by a name TypeScript does not resolve (optional dependencies may be absent). */
async function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

let loadedPackage: 'tensorflow-gpu' | 'tensorflow' | undefined;
let cudaSeen = false;
let adapter: AdapterInfo | undefined;

/**
 * The CUDA device this process sees first (CUDA_VISIBLE_DEVICES), as nvidia-smi names it, with the PCI bus the
 * sweeper gave where the machine has several cards of that name: "NVIDIA H200 (0000:65:00.0)".
 */
function cudaDeviceName(): string {
  const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')[0]?.trim();
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader', ...(visible ? ['-i', visible] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    const name = out.split('\n')[0]!.trim();
    const pciBusId = normalPciBusId(process.env[ADAPTER_PCI_ENV] ?? '');
    return name ? deviceLabel({ name, software: false, ...(pciBusId && { pciBusId }) }) : 'gpu';
  } catch {
    return 'gpu';
  }
}

/** Starts a backend; returns its device. Called with the same backend again, it only selects it. */
async function start(backend: ResolvedBackend, explicit: boolean): Promise<string> {
  tf.enableProdMode(); // no debug checks, and no "Hi there 👋" banner from the cpu backend on stdout
  switch (backend) {
    case 'tensorflow-gpu':
      process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true'; // take only the memory needed: workers share a card
      await importOptional('@tensorflow/tfjs-node-gpu');
      break;
    case 'webgpu':
      if (!explicit && process.env[NO_WEBGPU_ENV]) throw new WebgpuUnavailable(process.env[NO_WEBGPU_ENV]);
      adapter ??= await bindAdapter({ adapter: process.env[ADAPTER_ENV] || undefined, pciBusId: process.env[ADAPTER_PCI_ENV] || undefined, allowSoftware: explicit });
      if (adapter.software && !explicit) throw new WebgpuUnavailable(`only a software WebGPU adapter (${adapter.name}), slower than wasm: ask for it with --backend webgpu`);
      // Imported only now: the package registers its backend at import time, and only if navigator.gpu exists.
      {
        // Its Node build is CommonJS: bundled (sweeper:bundle) its exports arrive under `default`.
        const module = (await import('@tensorflow/tfjs-backend-webgpu')) as typeof import('@tensorflow/tfjs-backend-webgpu') & { default?: typeof import('@tensorflow/tfjs-backend-webgpu') };
        registerDeviceRandomWebgpu(module.webgpu_util ?? module.default!.webgpu_util);
      }
      break;
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      break;
    case 'wasm': {
      // The Node build finds its .wasm files beside itself in node_modules: no setWasmPaths needed.
      await import('@tensorflow/tfjs-backend-wasm');
      break;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
  }
  if (backend === 'tensorflow-gpu' && loadedPackage === 'tensorflow') {
    // Both native packages register a backend named "tensorflow"; the first one loaded wins.
    throw new Error('@tensorflow/tfjs-node is already loaded in this process');
  }
  if (tf.findBackend(TF_NAME[backend]) === null && tf.findBackendFactory(TF_NAME[backend]) === null) {
    throw new Error(`the package loaded but registered no "${TF_NAME[backend]}" backend`);
  }
  const ok = await tf.setBackend(TF_NAME[backend]); // false (not a throw) when the backend fails to start
  if (!ok) throw new Error(`tf.setBackend('${TF_NAME[backend]}') failed`);
  await tf.ready();
  if (backend === 'tensorflow-gpu' || backend === 'tensorflow') loadedPackage ??= backend;
  if (backend === 'tensorflow-gpu') {
    // tfjs-node-gpu's libtensorflow (CUDA 11.2, cuDNN 8) falls back to the CPU when it cannot load CUDA or cuDNN.
    if ((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true)
      throw new Error('libtensorflow sees no GPU (it needs CUDA 11.2 and cuDNN 8.1 libraries; tensorflow/tfjs#8269)');
    cudaSeen = true;
    return cudaDeviceName();
  }
  if (backend === 'webgpu') return deviceLabel(adapter!);
  return 'cpu'; // tfjs-node (with or without -gpu, on the CPU), wasm, cpu
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Starts the named backend (or the best available one for `auto`) and returns the backend actually used.
 * Calling it again with the same name is cheap.
 */
export async function loadBackend(name: BackendName = 'auto'): Promise<LoadedBackend> {
  registerGradients();
  registerKernels();
  registerDeviceRandom();
  const failures: string[] = [];
  const loaded = (backend: ResolvedBackend, device: string): LoadedBackend => ({
    backend,
    tf,
    version: tf.version_core,
    device,
    ...(backend === 'webgpu' ? { adapter: adapter! } : {}),
    skipped: failures,
  });
  if (name !== 'auto') {
    try {
      return loaded(name, await start(name, true));
    } catch (error) {
      const needs = error instanceof WebgpuUnavailable ? '' : `: it needs ${HOW_TO_INSTALL[name]}`; // it says what installs the missing part
      throw new UserError(`backend ${JSON.stringify(name)} cannot start (${reasonOf(error)})${needs}`, { cause: error });
    }
  }
  for (const candidate of AUTO_ORDER) {
    try {
      return loaded(candidate, await start(candidate, false));
    } catch (error) {
      failures.push(`${candidate}: ${reasonOf(error)}`);
    }
  }
  throw new UserError(`no TensorFlow.js backend could start (${failures.join('; ')})`);
}

/** The backend TensorFlow.js is running on now, in this library's names. */
export function currentBackend(): ResolvedBackend {
  const name = tf.getBackend();
  if (name === 'tensorflow') return cudaSeen ? 'tensorflow-gpu' : 'tensorflow';
  if (name === 'wasm' || name === 'cpu' || name === 'webgpu') return name;
  throw new Error(`unexpected TensorFlow.js backend ${JSON.stringify(name)}`);
}
