/**
 * Where trials run: one worker process per GPU × trialsPerDevice on a GPU backend (tfjs-node-gpu on CUDA, or
 * WebGPU on any adapter Dawn finds), CPU workers otherwise.
 *
 * GPUs are found by enumerating WebGPU adapters (Dawn) and, where present, with nvidia-smi. A
 * CUDA_VISIBLE_DEVICES set by a scheduler (Slurm, Kubernetes) is respected: only the GPUs it lists are used,
 * and each worker is given one of its entries, never another GPU.
 */
import { execFile, execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { UserError } from '@l2x/errors';
import type { BackendName } from '@l2x/model/config';
import { ADAPTER_ENV, ADAPTER_PCI_ENV, NO_WEBGPU_ENV, deviceLabel, hasDeviceSelectLayer, normalPciBusId, whyNoAdapter, type AdapterInfo } from '@l2x/model/webgpu';
import type { SweepResources } from '@l2x/sweep';
import { childScript } from './child-script.ts';

export interface WorkerSlot {
  index: number;
  /** The GPU this worker is bound to ("NVIDIA H200", "llvmpipe (software)"); null for a CPU worker. */
  device: string | null;
  /** Its driver and API ("NVIDIA 570.86 (cuda)", "llvmpipe: Mesa 25.0.7 (vulkan)"); null for a CPU worker. */
  driver: string | null;
  env: Record<string, string>;
}

export interface ResourcePlan {
  backend: BackendName;
  slots: WorkerSlot[];
  /** On GPUs: how much one worker's pack may take, which `pack: auto` fills (jobs.ts); none on CPU workers. */
  packBudget?: PackBudget;
  /** GPUs found but left out, and why (the plan line says them). */
  notes: string[];
}

/** What one GPU worker's pack may take: device memory, and the largest single tensor (WebGPU's binding limit). */
export interface PackBudget {
  bytes: number;
  maxTensorBytes: number;
}

/** The share of a GPU's memory its workers' packs may fill together (TensorFlow.js's pool and the driver take the rest). */
export const PACK_MEMORY_SHARE = 0.5;
/** A GPU's memory when nothing reports it (no nvidia-smi: AMD, Intel, Apple): a conservative 4 GiB. */
export const UNKNOWN_GPU_MEMORY = 4 * 2 ** 30;

/** A CUDA device as nvidia-smi lists it, restricted to those CUDA_VISIBLE_DEVICES shows. */
export interface CudaDevice {
  /** What CUDA_VISIBLE_DEVICES calls it: the index or UUID the scheduler wrote, else nvidia-smi's index. */
  id: string;
  name: string;
  driver: string;
  /** Its memory in bytes (nvidia-smi's memory.total). */
  memoryBytes: number;
  /** Its PCI bus ("0000:65:00.0"): what binds a WebGPU worker to it where several cards share a name. */
  pciBusId?: string;
}

/** The GPUs of this machine, as each GPU backend sees them. */
export interface GpuInventory {
  cuda: CudaDevice[];
  adapters: AdapterInfo[];
  /** Why no WebGPU adapter could be listed (the package or Vulkan missing), when that is so. */
  webgpuProblem?: string;
  /** CUDA_VISIBLE_DEVICES is set: a scheduler chose `cuda`, and WebGPU workers keep to those cards too. */
  cudaRestricted?: boolean;
  /** Mesa's Vulkan device-select layer is installed: it binds a WebGPU worker to one of several identical cards. */
  deviceSelect?: boolean;
}

/** A GPU as nvidia-smi lists it. */
export interface NvidiaSmiRow {
  index: string;
  uuid: string;
  name: string;
  driver: string;
  /** memory.total, MiB */
  memoryMiB: number;
  /** pci.bus_id as nvidia-smi writes it ("00000000:65:00.0") */
  pciBusId: string;
}

/** nvidia-smi's GPUs; none when it is missing (no driver, no GPU). nvidia-smi ignores CUDA_VISIBLE_DEVICES. */
function nvidiaSmi(): NvidiaSmiRow[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index,uuid,name,driver_version,memory.total,pci.bus_id', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out
      .split('\n')
      .map((line) => line.split(',').map((cell) => cell.trim()))
      .filter((cells) => cells.length === 6)
      .map(([index, uuid, name, driver, memory, bus]) => ({ index: index!, uuid: uuid!, name: name!, driver: driver!, memoryMiB: Number(memory), pciBusId: bus! }));
  } catch {
    return [];
  }
}

/**
 * The GPUs CUDA_VISIBLE_DEVICES shows (indices or UUIDs, in its order), or all of them when it is unset: each keeps
 * the name the scheduler gave it, so a worker's CUDA_VISIBLE_DEVICES is one entry of the scheduler's own list.
 */
export function visibleCudaDevices(rows: NvidiaSmiRow[], visible: string | undefined): CudaDevice[] {
  const device = (id: string, row: NvidiaSmiRow): CudaDevice => {
    const pciBusId = normalPciBusId(row.pciBusId);
    return { id, name: row.name, driver: `NVIDIA ${row.driver}`, memoryBytes: row.memoryMiB * 2 ** 20, ...(pciBusId && { pciBusId }) };
  };
  if (visible === undefined) return rows.map((row) => device(row.index, row));
  return visible
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .flatMap((entry) => {
      const row = rows.find((r) => r.index === entry || r.uuid === entry || r.uuid === `GPU-${entry}` || (entry.startsWith('GPU-') && r.uuid.startsWith(entry)));
      return row ? [device(entry, row)] : [];
    });
}

export function detectCudaDevices(visible = process.env.CUDA_VISIBLE_DEVICES): CudaDevice[] {
  return visibleCudaDevices(nvidiaSmi(), visible);
}

/**
 * WebGPU's adapters, or why there are none, listed by a child process (list-adapters.ts) that loads Dawn: Dawn's
 * own warnings on stderr stay out of the sweeper's screen, and a driver that crashes Dawn takes only the child.
 */
async function webgpuStatusApart(): Promise<{ adapters: AdapterInfo[]; problem?: string }> {
  const { script, execArgv } = childScript('list-adapters');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [...execArgv, script], { encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { adapters: AdapterInfo[]; problem?: string };
  } catch (error) {
    const { code, signal, stderr } = error as { code?: number | string; signal?: string; stderr?: string };
    const last = (stderr ?? '').trim().split('\n').filter((line) => !line.startsWith('Warning:')).pop();
    return { adapters: [], problem: `listing WebGPU adapters failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}` };
  }
}

/** Both kinds of GPU. Listing WebGPU adapters loads Dawn (about a second, in a child process), never TensorFlow.js. */
export async function detectGpus(): Promise<GpuInventory> {
  const { adapters, problem } = await webgpuStatusApart();
  return {
    cuda: detectCudaDevices(),
    adapters,
    ...(problem ? { webgpuProblem: problem } : {}),
    cudaRestricted: process.env.CUDA_VISIBLE_DEVICES !== undefined,
    deviceSelect: hasDeviceSelectLayer(),
  };
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

/** A GPU a worker can be bound to: its label, driver, the environment that binds it, and what a pack may take on it. */
interface Gpu {
  label: string;
  driver: string;
  env: Record<string, string>;
  memoryBytes: number;
  maxTensorBytes: number;
}

/** CUDA's GPUs, each named with its PCI bus where several visible cards share a name. */
function cudaGpus(inventory: GpuInventory): Gpu[] {
  const twins = (name: string) => inventory.cuda.filter((d) => d.name === name).length > 1;
  // The adapter of the card backs up a worker whose libtensorflow finds no GPU (auto falls through to webgpu): by
  // its bus where a name alone could bind another card (twins, or cards a scheduler did not give).
  const byBus = (d: CudaDevice): Record<string, string> => (d.pciBusId && (twins(d.name) || inventory.cudaRestricted) ? { [ADAPTER_PCI_ENV]: d.pciBusId } : {});
  return inventory.cuda.map((d) => ({
    label: twins(d.name) && d.pciBusId ? `${d.name} (${d.pciBusId})` : d.name,
    driver: `${d.driver} (cuda)`,
    env: { CUDA_VISIBLE_DEVICES: d.id, TF_FORCE_GPU_ALLOW_GROWTH: 'true', [ADAPTER_ENV]: d.name, ...byBus(d) },
    memoryBytes: d.memoryBytes,
    maxTensorBytes: d.memoryBytes, // libtensorflow has no per-tensor limit below the card's memory
  }));
}

/** GPUs found, and what the plan line should say about those left out. */
interface GpuChoice {
  gpus: Gpu[];
  notes: string[];
}

/**
 * WebGPU's GPUs: each adapter by its name, with nvidia-smi's memory for the card of that name (else
 * UNKNOWN_GPU_MEMORY). Dawn tells adapters apart only by name: where several cards share one (eight H200s), or a
 * scheduler's CUDA_VISIBLE_DEVICES chose some of them, each card nvidia-smi shows is bound by its PCI bus through
 * Mesa's device-select layer; without the layer (or without nvidia-smi's buses) only one card of the name is used.
 */
function webgpuGpus(inventory: GpuInventory, adapters: AdapterInfo[]): GpuChoice {
  const choice: GpuChoice = { gpus: [], notes: [] };
  for (const name of new Set(adapters.map((a) => a.name))) {
    const adapter = adapters.find((a) => a.name === name)!;
    const count = adapters.filter((a) => a.name === name).length;
    const cards = inventory.cuda.filter((d) => d.name === name);
    const gpu = (card?: CudaDevice, pciBusId?: string): Gpu => ({
      label: deviceLabel({ ...adapter, ...(pciBusId && { pciBusId }) }),
      driver: `${adapter.driver} (${adapter.api})`,
      env: { [ADAPTER_ENV]: name, ...(pciBusId && { [ADAPTER_PCI_ENV]: pciBusId }) },
      memoryBytes: card?.memoryBytes ?? UNKNOWN_GPU_MEMORY,
      maxTensorBytes: adapter.maxBindingBytes,
    });
    const nvidia = /nvidia/i.test(`${adapter.vendor} ${name}`);
    const scheduled = inventory.cudaRestricted === true && nvidia;
    if (count === 1 && (!scheduled || cards.length === 1)) {
      choice.gpus.push(gpu(cards[0]));
      continue;
    }
    if (scheduled && cards.length === 0) {
      choice.notes.push(`CUDA_VISIBLE_DEVICES shows no "${name}": its ${count === 1 ? 'adapter is' : `${count} adapters are`} left out`);
      continue;
    }
    const bound = cards.filter((card) => card.pciBusId);
    if (inventory.deviceSelect && bound.length > 0) {
      choice.gpus.push(...bound.map((card) => gpu(card, card.pciBusId)));
      continue;
    }
    const why = bound.length === 0 ? 'nvidia-smi gives no PCI bus for them' : "Mesa's Vulkan device-select layer is not installed (apt-get install mesa-vulkan-drivers)";
    if (scheduled) choice.notes.push(`${count} adapters are named "${name}" and ${why}: none is used, since any could be a card CUDA_VISIBLE_DEVICES does not show`);
    else {
      choice.notes.push(`${count} adapters are named "${name}" and ${why}: WebGPU workers use the first one only`);
      choice.gpus.push(gpu(cards[0]));
    }
  }
  return choice;
}

/** Which GPUs the backend asked for would use, and the backend the workers are told to start. */
function gpusFor(backend: BackendName, inventory: GpuInventory): GpuChoice & { backend: BackendName } {
  switch (backend) {
    case 'tensorflow-gpu':
      if (inventory.cuda.length === 0) throw new UserError('backend tensorflow-gpu: no GPU found (nvidia-smi lists none visible); use --backend auto, webgpu, wasm or cpu');
      return { gpus: cudaGpus(inventory), notes: [], backend };
    case 'webgpu': {
      if (inventory.adapters.length === 0)
        throw new UserError(`backend webgpu: ${inventory.webgpuProblem ?? 'no WebGPU adapter found'}`.split('\n')[0]!);
      const choice = webgpuGpus(inventory, inventory.adapters);
      if (choice.gpus.length === 0) throw new UserError(`backend webgpu: no adapter can be used: ${choice.notes.join('; ')}`);
      return { ...choice, backend };
    }
    case 'auto': {
      if (inventory.cuda.length > 0 && installed('@tensorflow/tfjs-node-gpu')) return { gpus: cudaGpus(inventory), notes: [], backend };
      const hardware = inventory.adapters.filter((a) => !a.software); // software adapters only when asked for by name
      const choice = webgpuGpus(inventory, hardware);
      return { ...choice, backend: choice.gpus.length > 0 ? 'webgpu' : backend };
    }
    default:
      return { gpus: [], notes: [], backend };
  }
}

/** What each worker's pack may take: its share of the smallest GPU's memory, and the smallest binding limit. */
function packBudget(gpus: Gpu[], trialsPerDevice: number): PackBudget {
  return {
    bytes: (PACK_MEMORY_SHARE * Math.min(...gpus.map((g) => g.memoryBytes))) / trialsPerDevice,
    maxTensorBytes: Math.min(...gpus.map((g) => g.maxTensorBytes)),
  };
}

export function planResources(resources: SweepResources, overrides: { workers?: number; backend?: BackendName } = {}, inventory?: GpuInventory): ResourcePlan {
  const asked = overrides.backend ?? resources.backend;
  const { gpus, notes, backend } = gpusFor(asked, inventory ?? { cuda: [], adapters: [] });
  if (gpus.length > 0) {
    const indices = resources.devices === 'auto' ? gpus.map((_, i) => i) : resources.devices;
    const missing = indices.filter((d) => d >= gpus.length);
    if (missing.length)
      throw new UserError(`resources.devices: GPU ${missing.join(', ')} not found; this machine has ${gpus.map((g, i) => `${i} (${g.label})`).join(', ')}`);
    const slots: WorkerSlot[] = [];
    for (const i of indices)
      for (let k = 0; k < resources.trialsPerDevice; k++) slots.push({ index: slots.length, device: gpus[i]!.label, driver: gpus[i]!.driver, env: { ...gpus[i]!.env } });
    const limit = overrides.workers ?? (resources.workers === 'auto' ? slots.length : resources.workers);
    const used = indices.map((i) => gpus[i]!);
    return { backend, slots: slots.slice(0, limit), packBudget: packBudget(used, resources.trialsPerDevice), notes };
  }
  const count = overrides.workers ?? (resources.workers === 'auto' ? autoCpuWorkers() : resources.workers);
  // The adapters were listed already: workers under `auto` skip webgpu with the reason instead of loading Dawn again.
  const noWebgpu: Record<string, string> = asked === 'auto' && inventory ? { [NO_WEBGPU_ENV]: inventory.webgpuProblem ?? (notes.join('; ') || whyNoAdapter(inventory.adapters, { allowSoftware: false })) } : {};
  return {
    backend,
    slots: Array.from({ length: count }, (_, index) => ({ index, device: null, driver: null, env: { CUDA_VISIBLE_DEVICES: '', ...noWebgpu } })),
    notes,
  };
}
