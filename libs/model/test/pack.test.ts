import { describe, expect, it } from 'vitest';
import { parseSettings, type Metrics } from '../src/config.ts';
import { train, trainPack, type PackEvent } from '../src/train.ts';
import { packKey } from '../src/pack.ts';
import { forceProducts } from '../src/ops.ts';

const base = { ff: 32, batchSize: 24, steps: 30, evalEvery: 15, evalSize: 96 };
const pack = [
  parseSettings({ ...base, seed: 1 }),
  parseSettings({ ...base, seed: 2, k: 2, tau: 0.5, anneal: 'linear', tauMin: 0.2, auxWeight: 0.5, lr: 1e-3, weightDecay: 0 }),
  parseSettings({ ...base, seed: 3, k: 4, tau: 1, anneal: 'exponential', annealRate: 0.05, lr: 2e-4, labelTokens: 6 }),
];

function expectSameMetrics(actual: Metrics, expected: Metrics) {
  for (const [name, value] of Object.entries(expected)) expect(actual[name as keyof Metrics], name).toBeCloseTo(value, 4);
}

describe('packed training', () => {
  for (const variant of [{}, { approximator: 'masked', sampler: 'relaxed-topk', attention: 'batch', auxWeight: 0 }]) {
    it(`a packed trial gives the same metrics as the same trial trained alone ${JSON.stringify(variant)}`, async () => {
      const trials = pack.map((s) => parseSettings({ ...s, ...variant }));
      expect(new Set(trials.map(packKey)).size).toBe(1);
      const events: PackEvent[] = [];
      const outcomes = await trainPack(trials, { backend: 'wasm', onEvent: (e) => events.push(e) });
      for (const [i, settings] of trials.entries()) {
        const outcome = outcomes[i]!;
        if (!outcome.ok) throw outcome.error;
        expect(outcome.result.packSize).toBe(3);
        const alone = await train(settings, { backend: 'wasm' });
        expectSameMetrics(outcome.result.metrics, alone.metrics);
        const evals = events.filter((e) => e.trial === i && e.type === 'eval');
        expect(evals).toHaveLength(2);
      }
      // the trials differ from each other (they really are different trials)
      expect(outcomes[0]!.ok && outcomes[1]!.ok && outcomes[0]!.result.metrics.loss !== outcomes[1]!.result.metrics.loss).toBe(true);
    }, 60_000);
  }

  it('with batched products (the native TensorFlow backends’ path, run here on cpu) a packed trial matches it alone too', async () => {
    forceProducts('batched');
    try {
      const tiny = pack.map((s) => parseSettings({ ...s, ff: 16, batchSize: 8, steps: 10, evalEvery: 10, evalSize: 32 }));
      const outcomes = await trainPack(tiny, { backend: 'cpu' });
      for (const [i, settings] of tiny.entries()) {
        const outcome = outcomes[i]!;
        if (!outcome.ok) throw outcome.error;
        expectSameMetrics(outcome.result.metrics, (await train(settings, { backend: 'cpu' })).metrics);
      }
    } finally {
      forceProducts(null);
    }
  }, 60_000);

  it('L2X\'s MLPs on a synthetic set: a packed trial matches it alone (its own batch-norm statistics, k and temperature)', async () => {
    const synthetic = [
      parseSettings({ task: 'switch', batchSize: 64, steps: 20, evalEvery: 10, evalSize: 300, seed: 1 }),
      parseSettings({ task: 'switch', batchSize: 64, steps: 20, evalEvery: 10, evalSize: 300, seed: 2, k: 3, tau: 0.5, lr: 3e-3 }),
    ];
    const outcomes = await trainPack(synthetic, { backend: 'wasm' });
    for (const [i, settings] of synthetic.entries()) {
      const outcome = outcomes[i]!;
      if (!outcome.ok) throw outcome.error;
      expectSameMetrics(outcome.result.metrics, (await train(settings, { backend: 'wasm' })).metrics);
    }
  }, 300_000);

  it('L2X\'s MLPs with Gumbel noise drawn on the device (its cpu kernel): a packed trial matches it alone, and the noise is not the host\'s', async () => {
    const synthetic = [
      parseSettings({ task: 'xor', batchSize: 32, steps: 6, evalEvery: 6, evalSize: 64, seed: 1 }),
      parseSettings({ task: 'xor', batchSize: 32, steps: 6, evalEvery: 6, evalSize: 64, seed: 2, k: 3, tau: 0.5 }),
    ];
    const metrics = async (trials: typeof synthetic, random: 'host' | 'device') =>
      (await trainPack(trials, { backend: 'cpu', random })).map((o) => {
        if (!o.ok) throw o.error;
        return o.result.metrics;
      });
    const packed = await metrics(synthetic, 'device');
    for (const [i, settings] of synthetic.entries()) expectSameMetrics(packed[i]!, (await metrics([settings], 'device'))[0]!);
    const [host] = await metrics([synthetic[0]!], 'host');
    expect(packed[0]!.loss).not.toBe(host!.loss); // same data and weights: only the noise source differs
  }, 300_000);

  it('with attention across the batch, a packed trial is evaluated as alone at a real evalSize (4096: several chunks)', async () => {
    const batchAttention = pack.slice(0, 2).map((s) => parseSettings({ ...s, attention: 'batch', ff: 2048, steps: 2, evalEvery: 2, evalSize: 4096, auxWeight: 0 }));
    const outcomes = await trainPack(batchAttention, { backend: 'wasm' });
    for (const [i, settings] of batchAttention.entries()) {
      const outcome = outcomes[i]!;
      if (!outcome.ok) throw outcome.error;
      expectSameMetrics(outcome.result.metrics, (await train(settings, { backend: 'wasm' })).metrics);
    }
  }, 300_000);

  it('a diverging trial fails alone; the others of its pack finish', async () => {
    const outcomes = await trainPack([pack[0]!, parseSettings({ ...base, seed: 5, auxWeight: 1e39 })], { backend: 'wasm' });
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]!.ok).toBe(false);
    if (!outcomes[1]!.ok) expect(outcomes[1]!.error?.name).toBe('NonFiniteLossError');
  }, 30_000);

  for (const [task, settings] of [
    ['majority', pack],
    ['switch (L2X\'s MLPs, batch norm)', [1, 2, 3].map((seed) => parseSettings({ task: 'switch', batchSize: 50, steps: 30, evalEvery: 10, evalSize: 200, seed, lr: 1e-3 * seed }))],
  ] as const)
    it(`a trial stopped after an evaluation leaves its pack; the others still match themselves alone (${task})`, async () => {
      const evals: PackEvent[] = [];
      const asked: [number, number[]][] = [];
      const outcomes = await trainPack([...settings], {
        backend: 'wasm',
        onEvent: (e) => e.type === 'eval' && evals.push(e),
        afterEval: (step, training) => (asked.push([step, [...training]]), step === settings[0]!.evalEvery ? [1] : []),
      });
      const every = settings[0]!.evalEvery;
      expect(asked[0]).toEqual([every, [0, 1, 2]]);
      expect(asked.slice(1).map(([, training]) => training)).toEqual(asked.slice(1).map(() => [0, 2]));
      // Asked after every evaluation but the last step's.
      const { steps } = settings[0]!;
      expect(asked.map(([step]) => step)).toEqual(Array.from({ length: Math.ceil(steps / every) - 1 }, (_, i) => (i + 1) * every));
      expect(outcomes[1]).toEqual({ ok: false, error: null, stoppedAt: every });
      expect(evals.filter((e) => e.trial === 1).map((e) => (e.type === 'eval' ? e.step : -1))).toEqual([every]); // its curve ends where it stopped
      for (const i of [0, 2]) {
        const outcome = outcomes[i]!;
        if (!outcome.ok) throw outcome.error;
        expectSameMetrics(outcome.result.metrics, (await train(settings[i]!, { backend: 'wasm' })).metrics);
      }
    }, 120_000);

  it('a pack whose every trial is stopped ends at that evaluation', async () => {
    let steps = 0;
    const outcomes = await trainPack([pack[0]!], { backend: 'wasm', onEvent: (e) => e.type === 'progress' && (steps = e.step), afterEval: () => [0] });
    expect(outcomes).toEqual([{ ok: false, error: null, stoppedAt: pack[0]!.evalEvery }]);
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThanOrEqual(pack[0]!.evalEvery); // no step after it
  }, 30_000);

  it('refuses trials whose shapes differ', async () => {
    await expect(trainPack([pack[0]!, parseSettings({ ...base, ff: 64 })], { backend: 'wasm' })).rejects.toThrow(/differs from trial 0/);
  });
});
