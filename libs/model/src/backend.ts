/**
 * Picks and starts the TensorFlow.js backend a trial runs on.
 *
 * `auto` tries the native TensorFlow backends (GPU, then CPU; optional dependencies whose install downloads
 * libtensorflow and may have failed), then WebAssembly (SIMD), then the pure-JavaScript cpu backend.
 * An explicitly requested backend that cannot start is a UserError naming what is missing, never a silent
 * fallback. Nothing here writes to stdout (an Ink screen may own it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@l2x/errors';
import type { BackendName, ResolvedBackend } from './config.ts';
import { registerGradients } from './gradients.ts';
import { registerKernels } from './kernels.ts';

export type TF = typeof tf;

export interface LoadedBackend {
  backend: ResolvedBackend;
  tf: TF;
  /** Version of TensorFlow.js (tfjs-core). */
  version: string;
}

/** TensorFlow.js's name for each backend. */
const TF_NAME: Record<ResolvedBackend, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const HOW_TO_INSTALL: Record<ResolvedBackend, string> = {
  'tensorflow-gpu':
    'the package @tensorflow/tfjs-node-gpu (with CUDA and cuDNN); install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0`, which downloads libtensorflow',
  tensorflow:
    'the package @tensorflow/tfjs-node; install it with `npm install @tensorflow/tfjs-node@4.22.0`, which downloads libtensorflow',
  wasm: 'the package @tensorflow/tfjs-backend-wasm; reinstall with `npm ci`',
  cpu: 'the package @tensorflow/tfjs-backend-cpu; reinstall with `npm ci`',
};

const AUTO_ORDER: ResolvedBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Imports a package by a name TypeScript does not resolve (optional dependencies may be absent). */
async function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

let loadedPackage: ResolvedBackend | undefined;

async function start(backend: ResolvedBackend): Promise<void> {
  tf.enableProdMode(); // no debug checks, and no "Hi there 👋" banner from the cpu backend on stdout
  switch (backend) {
    case 'tensorflow-gpu':
      process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true'; // take only the memory needed: workers share a card
      await importOptional('@tensorflow/tfjs-node-gpu');
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
  if (backend.startsWith('tensorflow') && loadedPackage?.startsWith('tensorflow') && loadedPackage !== backend) {
    // Both native packages register a backend named "tensorflow"; the first one loaded wins.
    throw new Error(`@tensorflow/tfjs-node${loadedPackage === 'tensorflow-gpu' ? '-gpu' : ''} is already loaded in this process`);
  }
  if (tf.findBackend(TF_NAME[backend]) === null && tf.findBackendFactory(TF_NAME[backend]) === null) {
    throw new Error(`the package loaded but registered no "${TF_NAME[backend]}" backend`);
  }
  const ok = await tf.setBackend(TF_NAME[backend]); // false (not a throw) when the backend fails to start
  if (!ok) throw new Error(`tf.setBackend('${TF_NAME[backend]}') failed`);
  await tf.ready();
  if (backend.startsWith('tensorflow')) loadedPackage ??= backend;
}

/**
 * Starts the named backend (or the best available one for `auto`) and returns the backend actually used.
 * Calling it again with the same name is cheap.
 */
export async function loadBackend(name: BackendName = 'auto'): Promise<LoadedBackend> {
  registerGradients();
  registerKernels();
  if (name !== 'auto') {
    try {
      await start(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new UserError(`backend ${JSON.stringify(name)} cannot start (${reason}): it needs ${HOW_TO_INSTALL[name]}`, { cause: error });
    }
    return { backend: name, tf, version: tf.version_core };
  }
  const failures: string[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      await start(candidate);
      return { backend: candidate, tf, version: tf.version_core };
    } catch (error) {
      failures.push(`${candidate}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new UserError(`no TensorFlow.js backend could start (${failures.join('; ')})`);
}

/** The backend TensorFlow.js is running on now, in this library's names. */
export function currentBackend(): ResolvedBackend {
  const name = tf.getBackend();
  if (name === 'tensorflow') return loadedPackage ?? 'tensorflow';
  if (name === 'wasm' || name === 'cpu') return name;
  throw new Error(`unexpected TensorFlow.js backend ${JSON.stringify(name)}`);
}
