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
import { ADAPTER_ENV, ADAPTER_PCI_ENV, INSTALL_DEVICE_SELECT, NO_WEBGPU_ENV, deviceLabel, normalPciBusId, whyNoAdapter, type AdapterInfo } from '@l2x/model/webgpu';
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
  /** Every card nvidia-smi lists, by name, whatever CUDA_VISIBLE_DEVICES shows; empty without nvidia-smi. */
  nvidiaSmiNames?: string[];
  /**
   * Mesa's Vulkan device-select layer was seen to show a process one card alone by its PCI bus (list-adapters.ts
   * tries it where several adapters share a name): what binds a WebGPU worker to one of several identical cards.
   */
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

/** Set for the adapter-listing child: a card's PCI bus to try Mesa's device-select layer on, where adapters share a name. */
export const PROBE_PCI_ENV = 'L2X_PROBE_PCI';
/** How long listing the adapters may take (Dawn starts every driver's instance; a few seconds on a busy node). */
const LIST_TIMEOUT_MS = 60_000;

/** What the adapter-listing child reports (list-adapters.ts). */
export interface AdapterListing {
  adapters: AdapterInfo[];
  problem?: string;
  /** Whether the device-select layer showed the probed card alone; absent when nothing was probed. */
  singledOut?: boolean;
}

/**
 * WebGPU's adapters, or why there are none, listed by a child process (list-adapters.ts) that loads Dawn: Dawn's
 * own warnings on stderr stay out of the sweeper's screen, and a driver that crashes Dawn takes only the child.
 */
async function listAdaptersApart(probePciBusId: string | undefined): Promise<AdapterListing> {
  const { script, execArgv } = childScript('list-adapters');
  const env = { ...process.env, ...(probePciBusId && { [PROBE_PCI_ENV]: probePciBusId }) };
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [...execArgv, script], { encoding: 'utf8', env, timeout: LIST_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 }));
  } catch (error) {
    const { killed, code, signal, stderr } = error as { killed?: boolean; code?: number | string; signal?: string; stderr?: string };
    const how = killed ? `took over ${LIST_TIMEOUT_MS / 1000} s` : signal ? `killed by ${signal}` : `exit ${code}`;
    const last = (stderr ?? '').trim().split('\n').filter((line) => !line.startsWith('Warning:')).pop();
    return { adapters: [], problem: `listing WebGPU adapters failed (${how})${last ? `: ${last}` : ''}` };
  }
  const result = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(result) as AdapterListing;
  } catch {
    return { adapters: [], problem: `listing WebGPU adapters printed no result (its last line: "${result.slice(0, 120)}")` };
  }
}

/** Both kinds of GPU. Listing WebGPU adapters loads Dawn (about a second, in a child process), never TensorFlow.js. */
export async function detectGpus(): Promise<GpuInventory> {
  const rows = nvidiaSmi();
  const cuda = visibleCudaDevices(rows, process.env.CUDA_VISIBLE_DEVICES);
  const { adapters, problem, singledOut } = await listAdaptersApart(cuda.find((d) => d.pciBusId)?.pciBusId);
  return {
    cuda,
    adapters,
    ...(problem ? { webgpuProblem: problem } : {}),
    cudaRestricted: process.env.CUDA_VISIBLE_DEVICES !== undefined,
    nvidiaSmiNames: rows.map((row) => row.name),
    deviceSelect: singledOut === true,
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

/** The names of all the cards nvidia-smi lists, whatever CUDA_VISIBLE_DEVICES shows (the visible ones when unknown). */
function allCardNames(inventory: GpuInventory): string[] {
  return inventory.nvidiaSmiNames ?? inventory.cuda.map((d) => d.name);
}

/**
 * CUDA's GPUs. Where the machine has several cards of a name, a card is named by its PCI bus, and the webgpu
 * backend that backs up its worker (when libtensorflow finds no GPU, `auto` falls through) is bound to it by bus.
 */
function cudaGpus(inventory: GpuInventory): Gpu[] {
  const names = allCardNames(inventory);
  return inventory.cuda.map((d) => {
    const pciBusId = names.filter((name) => name === d.name).length > 1 ? d.pciBusId : undefined;
    return {
      label: deviceLabel({ name: d.name, software: false, ...(pciBusId && { pciBusId }) }),
      driver: `${d.driver} (cuda)`,
      env: { CUDA_VISIBLE_DEVICES: d.id, TF_FORCE_GPU_ALLOW_GROWTH: 'true', [ADAPTER_ENV]: d.name, ...(pciBusId && { [ADAPTER_PCI_ENV]: pciBusId }) },
      memoryBytes: d.memoryBytes,
      maxTensorBytes: d.memoryBytes, // libtensorflow has no per-tensor limit below the card's memory
    };
  });
}

/** GPUs found, and what the plan line should say about those left out. */
interface GpuChoice {
  gpus: Gpu[];
  notes: string[];
}

/**
 * WebGPU's GPUs, in Dawn's order: each adapter by its name, with nvidia-smi's memory for the card of that name
 * (else UNKNOWN_GPU_MEMORY). Dawn tells adapters apart only by name: where several cards share one (eight H200s),
 * each card is bound by its PCI bus through Mesa's device-select layer, when nvidia-smi gives the buses and the
 * layer was seen to single out a card; else only the first of them is used, or none under a scheduler's
 * CUDA_VISIBLE_DEVICES (the first could be a card it did not give).
 */
function webgpuGpus(inventory: GpuInventory, adapters: AdapterInfo[]): GpuChoice {
  const notes: string[] = [];
  const byName = new Map<string, Gpu[]>();
  for (const name of new Set(adapters.map((a) => a.name))) {
    const { gpus, note } = gpusNamed(inventory, adapters.filter((a) => a.name === name));
    byName.set(name, gpus);
    if (note) notes.push(note);
  }
  // Each adapter takes the next GPU of its name: `resources.devices` positions follow Dawn's list.
  const gpus = adapters.flatMap((a) => byName.get(a.name)!.splice(0, 1));
  return { gpus, notes };
}

/** The GPUs behind the adapters of one name (one, or several identical cards), and why some are left out. */
function gpusNamed(inventory: GpuInventory, same: AdapterInfo[]): { gpus: Gpu[]; note?: string } {
  const adapter = same[0]!;
  const { name } = adapter;
  const cards = inventory.cuda.filter((d) => d.name === name);
  const gpu = (card?: CudaDevice, pciBusId?: string): Gpu => ({
    label: deviceLabel({ ...adapter, ...(pciBusId && { pciBusId }) }),
    driver: `${adapter.driver} (${adapter.api})`,
    env: { [ADAPTER_ENV]: name, ...(pciBusId && { [ADAPTER_PCI_ENV]: pciBusId }) },
    memoryBytes: card?.memoryBytes ?? UNKNOWN_GPU_MEMORY,
    maxTensorBytes: adapter.maxBindingBytes,
  });
  // A scheduler's CUDA_VISIBLE_DEVICES rules an NVIDIA card only where nvidia-smi can say which cards it shows.
  const scheduled = inventory.cudaRestricted === true && allCardNames(inventory).length > 0 && /nvidia/i.test(`${adapter.vendor} ${name}`);
  if (scheduled && cards.length === 0) return { gpus: [], note: `CUDA_VISIBLE_DEVICES shows no "${name}": its ${same.length === 1 ? 'adapter is' : `${same.length} adapters are`} left out` };
  if (same.length === 1 && cards.length <= 1) return { gpus: [gpu(cards[0])] };
  const problem =
    cards.length === 0
      ? 'nvidia-smi lists none of them, so their PCI buses are unknown (it knows only NVIDIA cards)'
      : cards.some((card) => !card.pciBusId)
        ? 'nvidia-smi gives no PCI bus for some of them'
        : cards.length > same.length
          ? `nvidia-smi lists ${cards.length} of them and Vulkan ${same.length}`
          : !inventory.deviceSelect
            ? `nothing here shows a process one of them alone; that needs ${INSTALL_DEVICE_SELECT}`
            : undefined;
  if (!problem) return { gpus: cards.map((card) => gpu(card, card.pciBusId)) };
  const several = `${Math.max(same.length, cards.length)} cards are named "${name}" and ${problem}`;
  if (scheduled) return { gpus: [], note: `${several}: none is used, since any could be a card CUDA_VISIBLE_DEVICES does not show` };
  return { gpus: [gpu(cards[0])], note: `${several}: WebGPU workers use the first one only` };
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
      if (choice.gpus.length === 0) throw new UserError(`backend webgpu: no adapter can be used: ${choice.notes.join('; ')}; use --backend auto, wasm or cpu`);
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
