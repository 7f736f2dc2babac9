/**
 * The model on TensorFlow.js's webgpu backend (Dawn; on CI Mesa's lavapipe, a software Vulkan adapter):
 * it trains as it does on wasm, draws its noise on the device deterministically, packs trials without changing
 * them, and keeps no tensors. Skips, saying why, where no adapter exists (webgpuForTests in src/webgpu.ts).
 * Then several identical cards, made of two lavapipe adapters: a worker bound to one by its PCI bus sees it alone.
 *
 * Sizes are small: lavapipe runs a step of even this model in a second or so on two cores.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { parseSettings, type Metrics } from '../src/config.ts';
import { loadBackend } from '../src/backend.ts';
import { DeviceStream, hashUniform, uniformRows } from '../src/device-random.ts';
import { trainPack, type PackEvent } from '../src/train.ts';
import { REQUIRE_WEBGPU, deviceLabel, driPrimeTag, normalPciBusId, webgpuForTests } from '../src/webgpu.ts';

const available = await webgpuForTests();
const small = (over: object = {}) => parseSettings({ ff: 32, batchSize: 32, evalSize: 128, steps: 20, evalEvery: 10, ...over });

async function metrics(settings: ReturnType<typeof small>[], backend: 'webgpu' | 'wasm', random?: 'host' | 'device'): Promise<Metrics[]> {
  const outcomes = await trainPack(settings, { backend, random });
  return outcomes.map((o) => {
    if (!o.ok) throw o.error;
    return o.result.metrics;
  });
}

describe.skipIf(!available)('webgpu backend', () => {
  it('starts on the adapter and names it as the device', async () => {
    const loaded = await loadBackend('webgpu');
    expect(loaded.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(loaded.adapter!.name.length).toBeGreaterThan(0);
    expect(loaded.device).toBe(loaded.adapter!.software ? `${loaded.adapter!.name.split(' (')[0]} (software)` : loaded.adapter!.name);
    expect(loaded.device).not.toMatch(/^gpu:\d/);
  }, 60_000);

  it('draws on the device exactly the numbers the cpu reference computes, uniform on (0, 1)', async () => {
    await loadBackend('webgpu');
    const keys = [new DeviceStream(1, 3).next(), new DeviceStream(2, 3).next()];
    const u = uniformRows(keys, 4096);
    const values = Array.from(await u.data());
    keys.forEach((key, p) => [0, 1, 777, 4095].forEach((i) => expect(values[p * 4096 + i]).toBe(Math.fround(hashUniform(key >>> 0, i)))));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    // 8192 uniforms: the mean's standard deviation is sqrt(1/12/8192) ≈ 0.0032; 5 of them is far beyond chance.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.016);
    expect(Math.min(...values)).toBeGreaterThan(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.slice(0, 4096)).not.toEqual(values.slice(4096)); // each trial's key gives its own numbers
    u.dispose();
  }, 60_000);

  it('a short run matches wasm within 0.05 in every accuracy (same data, weights and noise; float order differs)', async () => {
    const settings = [small({ steps: 30, evalEvery: 30 })];
    const [webgpu] = await metrics(settings, 'webgpu', 'host');
    const [wasm] = await metrics(settings, 'wasm');
    for (const name of ['mean_acc', 'soft_acc', 'hard_acc', 'precision'] as const) expect(Math.abs(webgpu![name] - wasm![name])).toBeLessThan(0.05);
    expect(Math.abs(webgpu!.loss - wasm!.loss) / wasm!.loss).toBeLessThan(0.02);
  }, 300_000);

  it('noise drawn on the device is deterministic for a seed, differs across seeds, and a pack equals its trials alone', async () => {
    const a = small({ seed: 3, k: 2, tau: 0.5 });
    const b = small({ seed: 4, k: 3, tau: 0.1 });
    const [aloneA] = await metrics([a], 'webgpu');
    const [again] = await metrics([a], 'webgpu');
    expect(again).toEqual(aloneA);
    const [aloneB] = await metrics([b], 'webgpu');
    expect(aloneB).not.toEqual(aloneA);
    const packed = await metrics([a, b], 'webgpu');
    for (const [alone, inPack] of [[aloneA!, packed[0]!], [aloneB!, packed[1]!]] as const)
      for (const name of ['loss', 'mean_acc', 'soft_acc', 'hard_acc', 'precision', 'mask_sum'] as const) expect(inPack[name]).toBeCloseTo(alone[name], 4);
  }, 300_000);

  it('keeps no tensors: the count is flat across steps and back to where it was after training', async () => {
    await loadBackend('webgpu');
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await trainPack([small({ dropout: 0.1 }), small({ seed: 1, auxWeight: 0.5 })], {
      backend: 'webgpu',
      onEvent: (e: PackEvent) => e.type === 'progress' && e.trial === 0 && counts.push(tf.memory().numTensors),
    });
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});

describe('cards told apart by PCI bus', () => {
  it("writes nvidia-smi's bus as lspci does and as Mesa's device-select tag", () => {
    expect(normalPciBusId('00000000:CA:00.0')).toBe('0000:ca:00.0');
    expect(normalPciBusId('0001:1b:1f.7')).toBe('0001:1b:1f.7');
    expect(normalPciBusId('N/A')).toBeUndefined();
    expect(normalPciBusId('00000001:E1:00.0')).toBe('0001:e1:00.0');
    expect(normalPciBusId('00010000:E1:00.0')).toBeUndefined(); // a domain Mesa's tag cannot name, not 0000:e1:00.0
    expect(normalPciBusId('65:00.0')).toBeUndefined();
    expect(driPrimeTag('0000:ca:00.0')).toBe('pci-0000_ca_00_0');
    expect(deviceLabel({ name: 'NVIDIA H200', software: false, pciBusId: '0000:ca:00.0' })).toBe('NVIDIA H200 (0000:ca:00.0)');
    expect(deviceLabel({ name: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true, pciBusId: '0000:00:00.0' })).toBe('llvmpipe (software, 0000:00:00.0)');
  });
});

/**
 * Two identical cards, made of lavapipe: its Vulkan driver manifest listed twice gives Dawn two adapters of one
 * name, as eight H200s do. lavapipe reports PCI bus 0000:00:00.0, which Mesa's device-select layer matches.
 */
const lavapipeManifest = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d']
  .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).map((file) => join(dir, file)) : []))
  .find((file) => /lvp_icd/.test(file));
const deviceSelectLayer = ['/usr/share', '/usr/local/share', '/etc'].some((dir) => existsSync(`${dir}/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json`));
const twinsHere = available && lavapipeManifest !== undefined && deviceSelectLayer;
if (!twinsHere) {
  const why = `identical-card tests need lavapipe's driver manifest and Mesa's device-select layer (mesa-vulkan-drivers ≥ 24)`;
  if (process.env[REQUIRE_WEBGPU] === '1') throw new Error(`${REQUIRE_WEBGPU}=1 but ${why}`);
  console.warn(`skipped: ${why}`);
}

describe.skipIf(!twinsHere)('several cards of one name (lavapipe twins)', () => {
  const child = fileURLToPath(new URL('./bind-adapter.child.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  function inTwins(args: string[], env: Record<string, string> = {}): { names?: string[]; device?: string; visible?: number; error?: string; singledOut?: boolean; after?: number } {
    const dir = mkdtempSync(join(tmpdir(), 'l2x-twins-'));
    const manifests = ['a', 'b'].map((x) => join(dir, `lvp_${x}.json`));
    for (const file of manifests) copyFileSync(lavapipeManifest!, file);
    try {
      const out = spawnSync(process.execPath, ['--import', tsx, child, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, VK_ICD_FILENAMES: manifests.join(':'), VK_DRIVER_FILES: manifests.join(':'), XDG_RUNTIME_DIR: tmpdir(), ...env },
      });
      return JSON.parse(out.stdout.trim().split('\n').pop()!);
    } finally {
      rmSync(dir, { recursive: true });
    }
  }

  it('Dawn lists both under one name: a name alone cannot choose between them', () => {
    const { names } = inTwins(['list']);
    expect(names).toHaveLength(2);
    expect(names![0]).toBe(names![1]);
  }, 90_000);

  it('a worker bound by PCI bus sees that card alone and names the bus in its device', () => {
    expect(inTwins(['bind', 'llvmpipe', '0000:00:00.0'])).toEqual({ device: 'llvmpipe (software, 0000:00:00.0)', visible: 1 });
  }, 90_000);

  it('refuses to bind when the layer leaves several cards: no card on that bus, the layer turned off, or its own selectors set', () => {
    const notAlone = /^L2X_WEBGPU_PCI=0000:\d\d:00\.0: 2 Vulkan adapters are visible with DRI_PRIME=pci-0000_\d\d_00_0!, not the one card on that bus.*device-select layer/;
    expect(inTwins(['bind', 'llvmpipe', '0000:65:00.0']).error).toMatch(notAlone);
    expect(inTwins(['bind', 'llvmpipe', '0000:00:00.0'], { NODEVICE_SELECT: '1' }).error).toMatch(notAlone);
    // The layer's own selector, which it reads before DRI_PRIME, would show one device whatever the bus: cleared.
    expect(inTwins(['bind', 'llvmpipe', '0000:65:00.0'], { MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: '1' }).error).toMatch(notAlone);
    expect(inTwins(['bind', 'llvmpipe', '65:00.0']).error).toBe('L2X_WEBGPU_PCI: got "65:00.0"; must be a PCI bus address DDDD:BB:DD.F as `lspci -D` writes it, e.g. 0000:65:00.0');
  }, 120_000);

  it('tells whether the layer singles out a card (what the sweeper asks before binding by bus), and puts the environment back', () => {
    expect(inTwins(['probe', '0000:00:00.0'])).toEqual({ singledOut: true, after: 2 });
    expect(inTwins(['probe', '0000:65:00.0'])).toEqual({ singledOut: false, after: 2 });
    expect(inTwins(['probe', '0000:00:00.0'], { NODEVICE_SELECT: '1' })).toEqual({ singledOut: false, after: 2 });
  }, 120_000);
});
