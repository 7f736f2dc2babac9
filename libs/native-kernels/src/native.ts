/**
 * Loads the compiled product kernel (build/Release/l2x_kernels.node), once. Never throws: when the addon is
 * missing (no compiler at install, a failed build) or does not load, `nativeKernels()` is null and
 * `unavailableReason()` says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The instruction sets the kernel is compiled for; `isa()` is the one in use (the best the CPU runs). */
export type Isa = 'avx512' | 'avx2' | 'neon' | 'portable';

export interface NativeKernels {
  /**
   * C = act(op(A) @ op(B) + bias), float32, row-major, all operands inside `buffer` at byte offsets; C [m, n] is
   * overwritten. op(A) is [m, k] (stored [k, m] when transA), op(B) is [k, n] (stored [n, k] when transB).
   * bias [n] at its offset, or −1 for none; relu applies max(0, ·). Synchronous, one thread.
   */
  gemm(
    buffer: ArrayBuffer,
    m: number,
    n: number,
    k: number,
    a: number,
    transA: boolean,
    b: number,
    transB: boolean,
    c: number,
    bias: number,
    relu: boolean,
  ): void;
  isa(): Isa;
  /** The instruction sets this CPU runs, best first. */
  isas(): Isa[];
  /** Switches to another instruction set of isas() (tests compare them). */
  useIsa(isa: Isa): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
/** The addon where node-gyp builds it, or (in the sweeper's bundle, dist/sweeper/) beside the bundled code. */
export const ADDON_FILE = 'l2x_kernels.node';
export const ADDON_PATH = [join(root, 'build/Release', ADDON_FILE), join(here, ADDON_FILE)].find((path) => existsSync(path)) ?? join(root, 'build/Release', ADDON_FILE);

let loaded: { kernels: NativeKernels | null; reason: string } | undefined;

function load(): { kernels: NativeKernels | null; reason: string } {
  // Tests and users can act as if it were not built, the way a machine without a compiler is.
  if (process.env.L2X_NATIVE_ADDON === 'absent') return { kernels: null, reason: 'the native kernel is not built: L2X_NATIVE_ADDON=absent hides it' };
  if (!existsSync(ADDON_PATH)) {
    const note = join(root, 'build/unavailable.txt');
    const why = existsSync(note) ? readFileSync(note, 'utf8').split('\n')[0]!.trim() : 'it was not built';
    return { kernels: null, reason: `the native kernel is not built: ${why}` };
  }
  try {
    return { kernels: createRequire(import.meta.url)(ADDON_PATH) as NativeKernels, reason: '' };
  } catch (error) {
    return { kernels: null, reason: `the native kernel does not load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

/** The kernel, or null when it is not there (see unavailableReason). */
export function nativeKernels(): NativeKernels | null {
  loaded ??= load();
  return loaded.kernels;
}

/** Why nativeKernels() is null ('' when it loaded). */
export function unavailableReason(): string {
  loaded ??= load();
  return loaded.reason;
}

/** What to do when the kernel is missing, for error messages. */
export const HOW_TO_BUILD =
  'a C++ compiler (Debian/Ubuntu: `apt-get install g++ make python3`; macOS: `xcode-select --install`), then `npm rebuild @l2x/native-kernels`';
