import { describe, expect, it } from 'vitest';
import { UserError } from '@l2x/errors';
import type { SweepResources } from '@l2x/sweep';
import { autoCpuWorkers, planResources } from '../src/index.ts';

const resources: SweepResources = { backend: 'auto', workers: 'auto', devices: 'auto', trialsPerDevice: 1, pack: 'off' };

describe('planResources', () => {
  it('gives one worker per GPU × trialsPerDevice, each seeing only its card and growing its memory', () => {
    const plan = planResources({ ...resources, backend: 'tensorflow-gpu', trialsPerDevice: 2 }, {}, () => [0, 1]);
    expect(plan.backend).toBe('tensorflow-gpu');
    expect(plan.slots.map((s) => [s.device, s.env.CUDA_VISIBLE_DEVICES, s.env.TF_FORCE_GPU_ALLOW_GROWTH])).toEqual([
      ['gpu:0', '0', 'true'],
      ['gpu:0', '0', 'true'],
      ['gpu:1', '1', 'true'],
      ['gpu:1', '1', 'true'],
    ]);
  });

  it('uses only the devices listed, and --workers caps the slots', () => {
    const plan = planResources({ ...resources, backend: 'tensorflow-gpu', devices: [1] }, { workers: 1 }, () => [0, 1]);
    expect(plan.slots.map((s) => s.device)).toEqual(['gpu:1']);
  });

  it('rejects a GPU backend without GPUs and a device that is not there', () => {
    expect(() => planResources({ ...resources, backend: 'tensorflow-gpu' }, {}, () => [])).toThrow(UserError);
    expect(() => planResources({ ...resources, backend: 'tensorflow-gpu', devices: [3] }, {}, () => [0])).toThrow(/GPU 3 not found/);
  });

  it('falls back to CPU workers with no GPU visible', () => {
    const plan = planResources({ ...resources, workers: 3 }, {}, () => []);
    expect(plan.backend).toBe('auto');
    expect(plan.slots).toHaveLength(3);
    expect(plan.slots.every((s) => s.device === null && s.env.CUDA_VISIBLE_DEVICES === '')).toBe(true);
    expect(planResources(resources, { workers: 2, backend: 'cpu' }, () => []).slots).toHaveLength(2);
  });

  it('chooses one CPU worker per core', () => {
    expect([1, 2, 4, 16].map((n) => autoCpuWorkers(n))).toEqual([1, 2, 4, 16]);
  });
});
