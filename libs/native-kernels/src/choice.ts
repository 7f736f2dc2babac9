/**
 * Which matrix-product kernels a trial uses on the WebAssembly backend: `wasm` (TensorFlow.js's own, XNNPACK),
 * `native` (the compiled kernel; an error when it cannot load) or `auto` (native when it loaded, else wasm).
 * Chosen by `--kernels` or the L2X_KERNELS environment variable. Loads no TensorFlow.js.
 */
import { UserError, showValue } from '@l2x/errors';
import { HOW_TO_BUILD, nativeKernels, unavailableReason, type NativeKernels } from './native.ts';

export const KERNEL_CHOICES = ['auto', 'wasm', 'native'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];
export const KERNELS_ENV = 'L2X_KERNELS';

/** The choice named by L2X_KERNELS (auto when unset); a bad value is a UserError. */
export function kernelChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): KernelChoice {
  const value = env[KERNELS_ENV];
  if (value === undefined || value === '') return 'auto';
  if ((KERNEL_CHOICES as readonly string[]).includes(value)) return value as KernelChoice;
  throw new UserError(`${KERNELS_ENV}: got ${showValue(value)}; allowed: ${KERNEL_CHOICES.join(', ')}`);
}

/**
 * The native kernel the choice gives (null = TensorFlow.js's own). `native` that cannot load is a UserError
 * saying what to install.
 */
export function resolveKernels(choice: KernelChoice): NativeKernels | null {
  if (choice === 'wasm') return null;
  const kernels = nativeKernels();
  if (!kernels && choice === 'native') throw new UserError(`--kernels native: ${unavailableReason()}; it needs ${HOW_TO_BUILD}`);
  return kernels;
}

/** How the kernels are named in records and messages: `wasm+native avx2`, or `wasm`. */
export function kernelsLabel(kernels: NativeKernels | null): string {
  return kernels ? `wasm+native ${kernels.isa()}` : 'wasm';
}
