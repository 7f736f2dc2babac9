/**
 * Where trials run: one worker process per GPU × trialsPerDevice when TensorFlow.js's GPU backend is
 * there, CPU workers otherwise.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { UserError } from '@l2x/errors';
import type { BackendName } from '@l2x/model/config';
import type { SweepResources } from '@l2x/sweep';

export interface WorkerSlot {
  index: number;
  /** `gpu:N` for a GPU worker, null for a CPU worker. */
  device: string | null;
  env: Record<string, string>;
}

export interface ResourcePlan {
  backend: BackendName;
  slots: WorkerSlot[];
}

/** GPU indices that `nvidia-smi` lists; none when it is missing (no driver, no GPU). */
export function detectGpus(): number[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return out.split('\n').map((line) => line.trim()).filter(Boolean).map(Number).filter(Number.isInteger);
  } catch {
    return [];
  }
}

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU workers when the sweep says `auto`: one per core. The wasm and cpu backends run one thread each, so a
 * worker keeps one core busy; measured on 2 vCPUs (README, sweeper:bench), two workers finish the same sweep
 * 1.4-1.6× faster than one.
 */
export function autoCpuWorkers(cpus = availableParallelism()): number {
  return Math.max(1, cpus);
}

export function planResources(
  resources: SweepResources,
  overrides: { workers?: number; backend?: BackendName } = {},
  gpus: () => number[] = detectGpus,
): ResourcePlan {
  const backend = overrides.backend ?? resources.backend;
  const wantsGpu = backend === 'tensorflow-gpu' || (backend === 'auto' && installed('@tensorflow/tfjs-node-gpu'));
  const available = wantsGpu ? gpus() : [];
  if (backend === 'tensorflow-gpu' && available.length === 0)
    throw new UserError('backend tensorflow-gpu: no GPU found (nvidia-smi lists none); use --backend auto, wasm or cpu');
  const devices = resources.devices === 'auto' ? available : resources.devices;
  if (wantsGpu && devices.length > 0) {
    const missing = devices.filter((d) => !available.includes(d));
    if (missing.length) throw new UserError(`resources.devices: GPU ${missing.join(', ')} not found; this machine has ${available.join(', ') || 'none'}`);
    const slots: WorkerSlot[] = [];
    for (const device of devices)
      for (let i = 0; i < resources.trialsPerDevice; i++)
        slots.push({
          index: slots.length,
          device: `gpu:${device}`,
          env: { CUDA_VISIBLE_DEVICES: String(device), TF_FORCE_GPU_ALLOW_GROWTH: 'true' },
        });
    const limit = overrides.workers ?? (resources.workers === 'auto' ? slots.length : resources.workers);
    return { backend: backend === 'auto' ? 'tensorflow-gpu' : backend, slots: slots.slice(0, limit) };
  }
  const count = overrides.workers ?? (resources.workers === 'auto' ? autoCpuWorkers() : resources.workers);
  return {
    backend,
    slots: Array.from({ length: count }, (_, index) => ({ index, device: null, env: { CUDA_VISIBLE_DEVICES: '' } })),
  };
}
