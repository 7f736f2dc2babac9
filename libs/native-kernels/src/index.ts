export { nativeKernels, unavailableReason, ADDON_FILE, ADDON_PATH, HOW_TO_BUILD, type NativeKernels, type Isa } from './native.ts';
export { KERNEL_CHOICES, KERNELS_ENV, kernelChoiceFromEnv, resolveKernels, kernelsLabel, type KernelChoice } from './choice.ts';
