import { describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import type { AdapterInfo } from '@l2x/model/webgpu';
import type { SweepResources } from '@l2x/sweep';
import { autoCpuWorkers, planResources, visibleCudaDevices, type GpuInventory } from '../src/index.ts';
import { INSTALL_DEVICE_SELECT } from '@l2x/model/webgpu';
import { PACK_MEMORY_SHARE, UNKNOWN_GPU_MEMORY } from '../src/resources.ts';

const resources: SweepResources = { backend: 'auto', workers: 'auto', devices: 'auto', trialsPerDevice: 1, pack: 'off' };
const adapter = (name: string, software = false): AdapterInfo => ({ name, api: 'vulkan', vendor: 'v', architecture: software ? 'software' : 'hw', driver: `${name} driver`, software, maxBindingBytes: 2 ** 31 });
const cuda = (...names: string[]): GpuInventory['cuda'] => names.map((name, i) => ({ id: String(i), name, driver: 'NVIDIA 570.86', memoryBytes: 141 * 2 ** 30 }));
const none: GpuInventory = { cuda: [], adapters: [] };

describe('planResources', () => {
  it('tensorflow-gpu: one worker per GPU × trialsPerDevice, each seeing only its card, growing its memory, named by the card', () => {
    const plan = planResources({ ...resources, backend: 'tensorflow-gpu', trialsPerDevice: 2 }, {}, { cuda: cuda('NVIDIA H200', 'NVIDIA A100'), adapters: [] });
    expect(plan.backend).toBe('tensorflow-gpu');
    expect(plan.slots.map((s) => [s.device, s.env.CUDA_VISIBLE_DEVICES, s.env.TF_FORCE_GPU_ALLOW_GROWTH])).toEqual([
      ['NVIDIA H200', '0', 'true'],
      ['NVIDIA H200', '0', 'true'],
      ['NVIDIA A100', '1', 'true'],
      ['NVIDIA A100', '1', 'true'],
    ]);
    expect(plan.slots[0]!.driver).toBe('NVIDIA 570.86 (cuda)');
  });

  it('webgpu: one worker per adapter, each bound to its adapter by name; software adapters only when asked for by name', () => {
    const inventory: GpuInventory = { cuda: [], adapters: [adapter('AMD Radeon Pro'), adapter('llvmpipe (LLVM 15.0.6, 256 bits)', true)] };
    const asked = planResources({ ...resources, backend: 'webgpu' }, {}, inventory);
    expect(asked.backend).toBe('webgpu');
    expect(asked.slots.map((s) => [s.device, s.env.L2X_WEBGPU_ADAPTER])).toEqual([
      ['AMD Radeon Pro', 'AMD Radeon Pro'],
      ['llvmpipe (software)', 'llvmpipe (LLVM 15.0.6, 256 bits)'],
    ]);
    const auto = planResources(resources, {}, inventory);
    expect(auto.backend).toBe('webgpu');
    expect(auto.slots.map((s) => s.device)).toEqual(['AMD Radeon Pro']);
    const softwareOnly = planResources({ ...resources, workers: 2 }, {}, { cuda: [], adapters: [adapter('llvmpipe', true)] });
    expect(softwareOnly.backend).toBe('auto');
    expect(softwareOnly.slots.map((s) => s.device)).toEqual([null, null]);
    // Its workers are told why, so that each does not load Dawn again to find out.
    expect(softwareOnly.slots[0]!.env.L2X_NO_WEBGPU).toMatch(/only a software WebGPU adapter \(llvmpipe\)/);
  });

  describe('several cards of one name (Dawn tells adapters apart only by name)', () => {
    const h200s = (n: number): GpuInventory['cuda'] =>
      Array.from({ length: n }, (_, i) => ({ id: String(i), name: 'NVIDIA H200', driver: 'NVIDIA 570.86', memoryBytes: 141 * 2 ** 30, pciBusId: `0000:${(0x18 + 16 * i).toString(16)}:00.0` }));
    const adapters = (n: number) => Array.from({ length: n }, () => ({ ...adapter('NVIDIA H200'), vendor: 'nvidia' }));
    const names = (n: number) => Array.from({ length: n }, () => 'NVIDIA H200');

    it('binds each worker to one card by its PCI bus through Mesa\'s device-select layer, and names the bus in its device', () => {
      const plan = planResources({ ...resources, backend: 'webgpu', trialsPerDevice: 2 }, {}, { cuda: h200s(3), adapters: adapters(3), deviceSelect: true });
      expect(plan.slots.map((s) => [s.device, s.env.L2X_WEBGPU_ADAPTER, s.env.L2X_WEBGPU_PCI])).toEqual([
        ['NVIDIA H200 (0000:18:00.0)', 'NVIDIA H200', '0000:18:00.0'],
        ['NVIDIA H200 (0000:18:00.0)', 'NVIDIA H200', '0000:18:00.0'],
        ['NVIDIA H200 (0000:28:00.0)', 'NVIDIA H200', '0000:28:00.0'],
        ['NVIDIA H200 (0000:28:00.0)', 'NVIDIA H200', '0000:28:00.0'],
        ['NVIDIA H200 (0000:38:00.0)', 'NVIDIA H200', '0000:38:00.0'],
        ['NVIDIA H200 (0000:38:00.0)', 'NVIDIA H200', '0000:38:00.0'],
      ]);
      expect(plan.notes).toEqual([]);
      // One card of its name needs no binding, and its device is the plain name.
      const single = planResources({ ...resources, backend: 'webgpu' }, {}, { cuda: h200s(1), adapters: adapters(1), deviceSelect: true });
      expect(single.slots.map((s) => [s.device, s.env.L2X_WEBGPU_PCI])).toEqual([['NVIDIA H200', undefined]]);
    });

    it('tensorflow-gpu names each of several identical cards by its bus too, and its webgpu fallback binds the same card', () => {
      const plan = planResources({ ...resources, backend: 'tensorflow-gpu' }, {}, { cuda: h200s(2), adapters: [] });
      expect(plan.slots.map((s) => [s.device, s.env.CUDA_VISIBLE_DEVICES, s.env.L2X_WEBGPU_PCI])).toEqual([
        ['NVIDIA H200 (0000:18:00.0)', '0', '0000:18:00.0'],
        ['NVIDIA H200 (0000:28:00.0)', '1', '0000:28:00.0'],
      ]);
      // One of three a scheduler gave: still one of several on the machine, so named and bound by bus.
      const given = planResources({ ...resources, backend: 'tensorflow-gpu' }, {}, { cuda: h200s(3).slice(2), nvidiaSmiNames: names(3), adapters: [], cudaRestricted: true });
      expect(given.slots.map((s) => [s.device, s.env.CUDA_VISIBLE_DEVICES, s.env.L2X_WEBGPU_PCI])).toEqual([['NVIDIA H200 (0000:38:00.0)', '2', '0000:38:00.0']]);
      // The only card of its name: plain.
      const lone = planResources({ ...resources, backend: 'tensorflow-gpu' }, {}, { cuda: h200s(1), nvidiaSmiNames: names(1), adapters: [], cudaRestricted: true });
      expect(lone.slots.map((s) => [s.device, s.env.L2X_WEBGPU_PCI])).toEqual([['NVIDIA H200', undefined]]);
    });

    it("keeps to the cards a scheduler's CUDA_VISIBLE_DEVICES chose, though Vulkan shows them all", () => {
      const chosen = h200s(8).filter((d) => ['2', '5'].includes(d.id));
      const scheduled = { nvidiaSmiNames: names(8), deviceSelect: true, cudaRestricted: true };
      const plan = planResources(resources, {}, { cuda: chosen, adapters: adapters(8), ...scheduled });
      expect(plan.backend).toBe('webgpu');
      expect(plan.slots.map((s) => s.env.L2X_WEBGPU_PCI)).toEqual(['0000:38:00.0', '0000:68:00.0']);
      // A lone card the scheduler did not give us is left out too, and CPU workers are told why.
      const hidden = planResources({ ...resources, workers: 1 }, {}, { cuda: [], adapters: adapters(1), ...scheduled, nvidiaSmiNames: names(1) });
      expect(hidden.backend).toBe('auto');
      expect(hidden.notes).toEqual(['CUDA_VISIBLE_DEVICES shows no "NVIDIA H200": its adapter is left out']);
      expect(hidden.slots[0]!.env.L2X_NO_WEBGPU).toBe(hidden.notes[0]);
      // Without nvidia-smi nothing says which cards the variable means: the adapter is used.
      const unknown = planResources({ ...resources, workers: 1 }, {}, { cuda: [], adapters: adapters(1), cudaRestricted: true, nvidiaSmiNames: [] });
      expect(unknown.slots.map((s) => s.device)).toEqual(['NVIDIA H200']);
    });

    it('binds by bus only where the layer singled out a card and the buses are known; else the first card, saying why', () => {
      const notes = (inventory: Partial<GpuInventory>) => {
        const plan = planResources({ ...resources, backend: 'webgpu' }, {}, { cuda: h200s(2), adapters: adapters(2), deviceSelect: true, ...inventory });
        expect(plan.slots.map((s) => [s.device, s.env.L2X_WEBGPU_PCI])).toEqual([['NVIDIA H200', undefined]]);
        return plan.notes;
      };
      expect(notes({ deviceSelect: false })).toEqual([`2 cards are named "NVIDIA H200" and nothing here shows a process one of them alone; that needs ${INSTALL_DEVICE_SELECT}: WebGPU workers use the first one only`]);
      expect(notes({ cuda: [] })).toEqual(['2 cards are named "NVIDIA H200" and nvidia-smi lists none of them, so their PCI buses are unknown (it knows only NVIDIA cards): WebGPU workers use the first one only']);
      expect(notes({ cuda: [h200s(2)[0]!, { ...h200s(2)[1]!, pciBusId: undefined }] })).toEqual([
        '2 cards are named "NVIDIA H200" and nvidia-smi gives no PCI bus for some of them: WebGPU workers use the first one only',
      ]);
      expect(notes({ cuda: h200s(3) })).toEqual(['3 cards are named "NVIDIA H200" and nvidia-smi lists 3 of them and Vulkan 2: WebGPU workers use the first one only']);
      // Under a scheduler the first could be a card it did not give: none is used, and asking for webgpu says why.
      expect(() =>
        planResources({ ...resources, backend: 'webgpu' }, {}, { cuda: h200s(2).slice(1), nvidiaSmiNames: names(2), adapters: adapters(2), cudaRestricted: true }),
      ).toThrow(/^backend webgpu: no adapter can be used: 2 cards are named "NVIDIA H200" and nothing here shows .*none is used, since any could be a card CUDA_VISIBLE_DEVICES does not show; use --backend auto, wasm or cpu$/);
    });

    it("keeps Dawn's order for resources.devices, twins among other cards", () => {
      const a100 = { id: '2', name: 'NVIDIA A100', driver: 'NVIDIA 570.86', memoryBytes: 80 * 2 ** 30, pciBusId: '0000:99:00.0' };
      const inventory: GpuInventory = { cuda: [...h200s(2), a100], adapters: [adapters(1)[0]!, { ...adapter('NVIDIA A100'), vendor: 'nvidia' }, adapters(1)[0]!], deviceSelect: true };
      const plan = planResources({ ...resources, backend: 'webgpu', devices: [1, 2] }, {}, inventory);
      expect(plan.slots.map((s) => s.device)).toEqual(['NVIDIA A100', 'NVIDIA H200 (0000:28:00.0)']);
    });
  });

  it('uses only the devices listed, and --workers caps the slots', () => {
    const plan = planResources({ ...resources, backend: 'tensorflow-gpu', devices: [1] }, { workers: 1 }, { cuda: cuda('A', 'B'), adapters: [] });
    expect(plan.slots.map((s) => [s.device, s.env.CUDA_VISIBLE_DEVICES])).toEqual([['B', '1']]);
  });

  it('rejects a GPU backend without GPUs (saying what is missing) and a device that is not there', () => {
    expect(() => planResources({ ...resources, backend: 'tensorflow-gpu' }, {}, none)).toThrow(UserError);
    expect(() => planResources({ ...resources, backend: 'webgpu' }, {}, { ...none, webgpuProblem: 'no Vulkan loader (libvulkan.so.1): install libvulkan1\nmore' })).toThrow(
      /^backend webgpu: no Vulkan loader \(libvulkan\.so\.1\): install libvulkan1$/,
    );
    expect(() => planResources({ ...resources, backend: 'tensorflow-gpu', devices: [3] }, {}, { cuda: cuda('A'), adapters: [] })).toThrow(/GPU 3 not found.*0 \(A\)/);
  });

  it("gives GPU workers a pack budget: their share of the card's memory (nvidia-smi's, or 4 GiB unknown) and the adapter's binding limit", () => {
    const cudaPlan = planResources({ ...resources, backend: 'tensorflow-gpu', trialsPerDevice: 2 }, {}, { cuda: cuda('NVIDIA H200'), adapters: [] });
    expect(cudaPlan.packBudget).toEqual({ bytes: (PACK_MEMORY_SHARE * 141 * 2 ** 30) / 2, maxTensorBytes: 141 * 2 ** 30 });
    // The adapter of a card nvidia-smi lists takes the card's memory; another adapter, the conservative default.
    const named = planResources({ ...resources, backend: 'webgpu' }, {}, { cuda: cuda('NVIDIA H200'), adapters: [adapter('NVIDIA H200')] });
    expect(named.packBudget).toEqual({ bytes: PACK_MEMORY_SHARE * 141 * 2 ** 30, maxTensorBytes: 2 ** 31 });
    const unknown = planResources({ ...resources, backend: 'webgpu' }, {}, { cuda: [], adapters: [adapter('AMD Radeon Pro')] });
    expect(unknown.packBudget?.bytes).toBe(PACK_MEMORY_SHARE * UNKNOWN_GPU_MEMORY);
    expect(planResources({ ...resources, workers: 2 }, {}, none).packBudget).toBeUndefined();
  });

  it('falls back to CPU workers with no GPU visible', () => {
    const plan = planResources({ ...resources, workers: 3 }, {}, none);
    expect(plan.backend).toBe('auto');
    expect(plan.slots).toHaveLength(3);
    expect(plan.slots.every((s) => s.device === null && s.env.CUDA_VISIBLE_DEVICES === '')).toBe(true);
    expect(planResources(resources, { workers: 2, backend: 'cpu' }, none).slots).toHaveLength(2);
  });

  it('chooses one CPU worker per core', () => {
    expect([1, 2, 4, 16].map((n) => autoCpuWorkers(n))).toEqual([1, 2, 4, 16]);
  });
});

describe('visibleCudaDevices', () => {
  const rows = ['A', 'B', 'C'].map((name, i) => ({ index: String(i), uuid: `GPU-${i}aaa-${name}`, name, driver: '570.86', memoryMiB: 81_559, pciBusId: `00000000:${i ? 'CA' : '1B'}:0${i}.0` }));

  it('without CUDA_VISIBLE_DEVICES: every GPU, named by its index', () => {
    expect(visibleCudaDevices(rows, undefined).map((d) => [d.id, d.name, d.driver])).toEqual([
      ['0', 'A', 'NVIDIA 570.86'],
      ['1', 'B', 'NVIDIA 570.86'],
      ['2', 'C', 'NVIDIA 570.86'],
    ]);
  });

  it("a scheduler's CUDA_VISIBLE_DEVICES is respected: only its GPUs, in its order, under the names it used", () => {
    expect(visibleCudaDevices(rows, '2,0').map((d) => [d.id, d.name])).toEqual([
      ['2', 'C'],
      ['0', 'A'],
    ]);
    expect(visibleCudaDevices(rows, 'GPU-1aaa-B').map((d) => [d.id, d.name])).toEqual([['GPU-1aaa-B', 'B']]);
    expect(visibleCudaDevices(rows, '')).toEqual([]);
    expect(visibleCudaDevices(rows, '7')).toEqual([]);
  });

  it("keeps each card's PCI bus, written as lspci -D writes it (nvidia-smi's 8-digit domain and capitals)", () => {
    expect(visibleCudaDevices(rows, undefined).map((d) => d.pciBusId)).toEqual(['0000:1b:00.0', '0000:ca:01.0', '0000:ca:02.0']);
    expect(visibleCudaDevices([{ ...rows[0]!, pciBusId: 'N/A' }], undefined)[0]!.pciBusId).toBeUndefined();
  });
});
