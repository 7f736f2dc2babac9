/** --kernels / L2X_KERNELS, with the native kernel made unavailable (as on a machine without a compiler). */
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import { kernelChoiceFromEnv, kernelsLabel, nativeKernels, resolveKernels, unavailableReason } from '../src/index.ts';

describe('kernel choice without the native kernel', () => {
  beforeAll(() => {
    process.env.L2X_NATIVE_ADDON = 'absent'; // read on first use: this file never loads the addon
  });

  it('auto and wasm fall back to TensorFlow.js\'s kernels, and say why', () => {
    expect(nativeKernels()).toBeNull();
    expect(unavailableReason()).toMatch(/L2X_NATIVE_ADDON/);
    expect(resolveKernels('auto')).toBeNull();
    expect(resolveKernels('wasm')).toBeNull();
    expect(kernelsLabel(null)).toBe('wasm');
  });

  it('native is one line naming what to install', () => {
    let error: unknown;
    try {
      resolveKernels('native');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^--kernels native: .*g\+\+.*npm rebuild @l2x\/native-kernels/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads L2X_KERNELS, and names the allowed values for a bad one', () => {
    expect(kernelChoiceFromEnv({})).toBe('auto');
    expect(kernelChoiceFromEnv({ L2X_KERNELS: 'wasm' })).toBe('wasm');
    expect(() => kernelChoiceFromEnv({ L2X_KERNELS: 'natve' })).toThrow(/L2X_KERNELS: got "natve"; allowed: auto, wasm, native/);
  });
});
