/**
 * The fallback, forced: with the native kernel unavailable (as on a machine without a C++ compiler) trials run
 * on TensorFlow.js's wasm kernels and say so; `--kernels native` is a one-line error naming what to install.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { loadBackend } from '../src/backend.ts';
import { parseSettings } from '../src/config.ts';
import { matMul, NATIVE_MATMUL, setNativeMinMacs, useKernels } from '../src/products.ts';
import { trainPack } from '../src/train.ts';

describe('without the native kernel', () => {
  beforeAll(async () => {
    process.env.L2X_NATIVE_ADDON = 'absent'; // read when the kernel is first asked for: nothing here loaded it
    await loadBackend('wasm');
  });

  it('auto trains on wasm’s own kernels and records `wasm`', async () => {
    const [outcome] = await trainPack([parseSettings({ ff: 32, batchSize: 16, steps: 4, evalEvery: 4, evalSize: 32 })], { backend: 'wasm', kernels: 'auto' });
    expect(outcome!.ok && outcome!.result.kernels).toBe('wasm');
    setNativeMinMacs(0);
    const a = tf.ones([4, 4]);
    const profile = await tf.profile(() => matMul(a, a).dispose());
    expect(profile.kernels.map((k) => k.name)).not.toContain(NATIVE_MATMUL);
    expect(profile.kernels.length).toBeGreaterThan(0);
    setNativeMinMacs(null);
    a.dispose();
  }, 60_000);

  it('native is a UserError of one line that says what to install, before any training', async () => {
    const error = await trainPack([parseSettings({ steps: 1 })], { backend: 'wasm', kernels: 'native' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/--kernels native: .*not built.*g\+\+/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('the L2X_KERNELS environment variable chooses when no option does', async () => {
    process.env.L2X_KERNELS = 'native';
    try {
      await expect(trainPack([parseSettings({ steps: 1 })], { backend: 'wasm' })).rejects.toThrow(/--kernels native/);
    } finally {
      delete process.env.L2X_KERNELS;
    }
  });

  it('native on another backend is a UserError naming the backend', async () => {
    await loadBackend('cpu');
    expect(() => useKernels('native')).toThrow(/works under the wasm backend, but this trial runs on cpu/);
    expect(useKernels('auto')).toBe('cpu');
    await loadBackend('wasm');
  });
});
