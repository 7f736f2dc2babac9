/**
 * WebGPU adapters through Dawn's Node binding (the optional npm package `webgpu`, `dawn.node` inside it):
 * which adapters this machine has, which of them are software renderers, and binding TensorFlow.js's webgpu
 * backend to one of them. On Linux Dawn drives Vulkan (an NVIDIA, AMD or Intel driver's ICD, or Mesa's
 * lavapipe), on macOS Metal, on Windows D3D12: no CUDA, no cuDNN.
 *
 * Nothing here loads TensorFlow.js; the sweeper uses it to plan workers, the backend loader to start one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Environment variable naming the adapter a worker binds to (a substring of its name, as Dawn matches). */
export const ADAPTER_ENV = 'L2X_WEBGPU_ADAPTER';
/**
 * Environment variable naming the card a worker binds to by its PCI bus ("0000:65:00.0"), where several cards share
 * one adapter name (eight H200s): Dawn tells adapters apart only by name, so the worker asks Mesa's Vulkan
 * device-select layer to show it that one card alone (DRI_PRIME=pci-0000_65_00_0!).
 */
export const ADAPTER_PCI_ENV = 'L2X_WEBGPU_PCI';
/**
 * Set by the sweeper for CPU workers when it already listed the adapters and found none `auto` may use: the
 * reason, which `auto` then reports without loading Dawn again in every worker.
 */
export const NO_WEBGPU_ENV = 'L2X_NO_WEBGPU';

export interface AdapterInfo {
  /** The adapter's name as Dawn reports it ("NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  name: string;
  /** Dawn's backend: vulkan, metal, d3d12, … */
  api: string;
  vendor: string;
  architecture: string;
  /** The driver's description ("llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)", "NVIDIA 570.86"). */
  driver: string;
  /** A CPU renderer (lavapipe, SwiftShader, WARP): slower than wasm, used only when asked for by name. */
  software: boolean;
  /** The largest storage buffer one binding may hold (bytes): one tensor of a pack must fit in it. */
  maxBindingBytes: number;
  /** The card's PCI bus ("0000:65:00.0") when the adapter was bound by it (ADAPTER_PCI_ENV). */
  pciBusId?: string;
}

/**
 * What a trial's `device` column says for this adapter: "NVIDIA H200", "llvmpipe (software)", and the card's PCI
 * bus where several cards share the name: "NVIDIA H200 (0000:65:00.0)".
 */
export function deviceLabel(adapter: Pick<AdapterInfo, 'name' | 'software' | 'pciBusId'>): string {
  const name = adapter.software ? adapter.name.split(' (')[0]! : adapter.name;
  const notes = [adapter.software ? 'software' : '', adapter.pciBusId ?? ''].filter(Boolean);
  return notes.length > 0 ? `${name} (${notes.join(', ')})` : name;
}

/**
 * A PCI bus address as `lspci -D` writes it ("0000:65:00.0"), from nvidia-smi's ("00000000:65:00.0", hex in
 * capitals) or that form itself; undefined for anything else, and for a domain above ffff, which Mesa's
 * device-select tag cannot name.
 */
export function normalPciBusId(raw: string): string | undefined {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(raw.trim());
  if (!m) return undefined;
  const domain = parseInt(m[1]!, 16);
  if (domain > 0xffff) return undefined;
  return `${domain.toString(16).padStart(4, '0')}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase();
}

/** Mesa's device-select tag for a card ("pci-0000_65_00_0"); with "!" the layer shows that card alone. */
export function driPrimeTag(pciBusId: string): string {
  return `pci-${pciBusId.replace(/[:.]/g, '_')}`;
}

/** What singles out one of several identical cards, for the messages that need it. */
export const INSTALL_DEVICE_SELECT =
  "Mesa's Vulkan device-select layer, new enough for DRI_PRIME=pci-…! (mesa-vulkan-drivers; tested with 25.0.7, from bookworm-backports on Debian 12), with NODEVICE_SELECT unset";

/**
 * From now on this process's Vulkan instances show only the card on `pciBusId`, through Mesa's device-select layer
 * (DRI_PRIME=pci-…!; the layer's own selectors, which it reads first, are cleared). Dawn reads it at each `create`.
 * Returns what puts the environment back.
 */
function showOnlyCard(pciBusId: string): () => void {
  const names = ['DRI_PRIME', 'MESA_VK_DEVICE_SELECT', 'MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE'] as const;
  const saved = names.map((name) => process.env[name]);
  for (const name of names) delete process.env[name];
  process.env.DRI_PRIME = `${driPrimeTag(pciBusId)}!`;
  return () =>
    names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
}

/**
 * Whether the device-select layer shows this process the card on `pciBusId` alone when asked: the layer installed,
 * new enough for "!", not turned off, and the bus one that Vulkan shows. The sweeper asks before it binds workers
 * to several cards of one name by their buses.
 */
export async function singlesOutCard(pciBusId: string): Promise<boolean> {
  const restore = showOnlyCard(pciBusId);
  try {
    return (await adapterNames()).filter((a) => a.api === 'vulkan').length === 1;
  } finally {
    restore();
  }
}

interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}
interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: { maxStorageBufferBindingSize: number };
}
export interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}

const INSTALL_PACKAGE = 'the npm package webgpu (Dawn for Node; `npm install webgpu@0.6.2`, nothing downloaded at install)';
const INSTALL_VULKAN =
  'a Vulkan loader and driver: `apt-get install libvulkan1` and the GPU driver (NVIDIA driver with its Vulkan ICD; for software rendering mesa-vulkan-drivers ≥ 24, from bookworm-backports on Debian 12)';

let dawn: DawnModule | undefined;

/** Loads Dawn's binding once and puts WebGPU's globals (GPUBufferUsage, …) where TensorFlow.js looks for them. */
async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  let module: DawnModule;
  try {
    module = (await import(/* @vite-ignore */ 'webgpu')) as unknown as DawnModule;
  } catch (error) {
    throw new WebgpuUnavailable(`the package webgpu is not installed (${firstLine(error)}); it needs ${INSTALL_PACKAGE}`, { cause: error });
  }
  Object.assign(globalThis, module.globals);
  return (dawn = module);
}

/** Why WebGPU cannot run here, in one line that says what installs the missing part. */
export class WebgpuUnavailable extends Error {
  override name = 'WebgpuUnavailable';
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** Whether the Vulkan loader (libvulkan.so.1) is where the dynamic linker finds it (Linux only; true elsewhere). */
export function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).includes('libvulkan.so.1')) return true;
  } catch {
    // no ldconfig on PATH (a non-root shell): look in the usual places
  }
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'].some((dir) => existsSync(`${dir}/libvulkan.so.1`));
}

/** Software renderers by what they report: Dawn's fallback flag, Vulkan's CPU type, or a known name. */
function isSoftware(info: DawnAdapter['info'], name: string): boolean {
  return info.isFallbackAdapter === true || info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|warp/i.test(name);
}

/**
 * The adapters Dawn sees, by name. WebGPU has no enumeration call; Dawn's Node binding lists every adapter when
 * asked for one that does not exist, and each is then opened by its name to read its details.
 */
export async function listAdapters(): Promise<AdapterInfo[]> {
  const { create } = await loadDawn();
  const adapters: AdapterInfo[] = [];
  for (const { api, name } of await adapterNames()) {
    const adapter = await create([`adapter=${name}`]).requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) adapters.push(describeAdapter(adapter, name, api));
  }
  return adapters;
}

/** Each adapter's backend and name, from the list Dawn gives when asked for an adapter that does not exist. */
async function adapterNames(): Promise<{ api: string; name: string }[]> {
  const { create } = await loadDawn();
  ensureRuntimeDir();
  try {
    await create(['adapter=\u0001no such adapter']).requestAdapter();
    return [];
  } catch (error) {
    return [...firstMessage(error).matchAll(/\* backend: '([^']*)', name: '([^']*)'/g)].map((m) => ({ api: m[1]!, name: m[2]! }));
  }
}

function firstMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeAdapter(adapter: DawnAdapter, name: string, api: string): AdapterInfo {
  const { info } = adapter;
  return {
    name,
    api,
    vendor: info.vendor,
    architecture: info.architecture,
    driver: info.description,
    software: isSoftware(info, name),
    maxBindingBytes: adapter.limits.maxStorageBufferBindingSize,
  };
}

/** Dawn's Vulkan backend warns without XDG_RUNTIME_DIR; a worker started by a scheduler often has none. */
function ensureRuntimeDir(): void {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
}

/**
 * Puts `navigator.gpu` in place for TensorFlow.js's webgpu backend, bound to one adapter: the one named by
 * `adapter` (a substring of its name), else the first hardware adapter, else (with `allowSoftware`) a software
 * one. With `pciBusId`, the one card on that bus: Mesa's device-select layer is asked to show this process that
 * card alone, and it is checked that no other adapter of the name is left. Throws WebgpuUnavailable with what is
 * missing and what installs it.
 */
export async function bindAdapter(options: { adapter?: string; pciBusId?: string; allowSoftware: boolean }): Promise<AdapterInfo> {
  const { create } = await loadDawn();
  const pciBusId = options.pciBusId === undefined ? undefined : checkedBus(options.pciBusId);
  if (pciBusId) showOnlyCard(pciBusId); // for good: every later instance of this worker is on that card
  // A layer that matched shows one Vulkan adapter in all; one that did not, all of them (lavapipe too, where installed).
  const adapters = pciBusId ? (await listAdapters()).filter((a) => a.api === 'vulkan') : await listAdapters();
  if (pciBusId && adapters.length !== 1) throw new WebgpuUnavailable(whyNotSingledOut(adapters.length, pciBusId));
  const wanted = options.adapter
    ? adapters.find((a) => a.name.includes(options.adapter!))
    : (adapters.find((a) => !a.software) ?? (options.allowSoftware ? adapters[0] : undefined));
  if (!wanted) throw new WebgpuUnavailable(whyNoAdapter(adapters, options));
  if (pciBusId) wanted.pciBusId = pciBusId;
  const gpu = create([`adapter=${wanted.name}`]);
  // Node 21+ has a global navigator (a getter): define over it rather than assign.
  const current = (globalThis as { navigator?: object }).navigator;
  Object.defineProperty(globalThis, 'navigator', { value: { ...current, gpu }, configurable: true, writable: true });
  return wanted;
}

/** ADAPTER_PCI_ENV's value as a bus address, or one line naming the variable, the bad value and the form wanted. */
function checkedBus(raw: string): string {
  const bus = normalPciBusId(raw);
  if (!bus) throw new WebgpuUnavailable(`${ADAPTER_PCI_ENV}: got "${raw}"; must be a PCI bus address DDDD:BB:DD.F as \`lspci -D\` writes it, e.g. 0000:65:00.0`);
  return bus;
}

/** A card asked for by its PCI bus that the device-select layer did not single out: this worker could bind another. */
function whyNotSingledOut(visible: number, pciBusId: string): string {
  return (
    `${ADAPTER_PCI_ENV}=${pciBusId}: ${visible} Vulkan adapters are visible with DRI_PRIME=${driPrimeTag(pciBusId)}!, not the one card on that bus, ` +
    `so this worker cannot tell its card from the others; it needs ${INSTALL_DEVICE_SELECT}`
  );
}

/** Why no adapter fits `options`, naming what installs the missing part. */
export function whyNoAdapter(adapters: AdapterInfo[], options: { adapter?: string; allowSoftware: boolean }): string {
  if (options.adapter)
    return `no WebGPU adapter named "${options.adapter}" (${ADAPTER_ENV}); this machine has ${adapters.map((a) => `"${a.name}"`).join(', ') || 'none'}`;
  if (adapters.length > 0)
    return `only a software WebGPU adapter (${adapters.map((a) => a.name).join(', ')}), slower than wasm: ask for it with --backend webgpu`;
  if (!hasVulkanLoader() && process.platform === 'linux') return `no Vulkan loader (libvulkan.so.1): WebGPU needs ${INSTALL_VULKAN}`;
  return `no WebGPU adapter: the Vulkan loader found no driver that Dawn accepts; WebGPU needs ${INSTALL_VULKAN}`;
}

/** The adapters, or why there are none (the package, the Vulkan loader or a driver missing), in one line. */
export async function webgpuStatus(): Promise<{ adapters: AdapterInfo[]; problem?: string }> {
  try {
    const adapters = await listAdapters();
    return adapters.length > 0 ? { adapters } : { adapters, problem: whyNoAdapter(adapters, { allowSoftware: true }) };
  } catch (error) {
    return { adapters: [], problem: firstLine(error) };
  }
}

/** Set to 1 where webgpu tests must run (CI installs lavapipe): a missing adapter is then a failure, not a skip. */
export const REQUIRE_WEBGPU = 'L2X_REQUIRE_WEBGPU';

/**
 * For test suites: whether the webgpu tests can run here. Without an adapter they skip, saying why on stderr;
 * under L2X_REQUIRE_WEBGPU=1 this throws instead, so that a broken Vulkan setup cannot pass as a skip.
 */
export async function webgpuForTests(): Promise<boolean> {
  const { adapters, problem } = await webgpuStatus();
  if (adapters.length > 0) return true;
  if (process.env[REQUIRE_WEBGPU] === '1') throw new Error(`${REQUIRE_WEBGPU}=1 but WebGPU cannot run here: ${problem}`);
  console.warn(`webgpu tests skipped: ${problem} (set ${REQUIRE_WEBGPU}=1 to make this a failure)`);
  return false;
}
