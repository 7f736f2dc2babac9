/** The corpus of good sweep files: every file in the workspace's sweeps/ parses, expands and plans valid trials. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsSchema } from '@l2x/model/config';
import { describe, expect, it } from 'vitest';
import { expandSweep, loadSweepFile, sha256 } from '../src/index.ts';

const sweepsDir = fileURLToPath(new URL('../../../sweeps/', import.meta.url));
const files = readdirSync(sweepsDir).filter((f) => f.endsWith('.yaml')).sort();

/** Trials each shipped sweep plans: configurations × seeds. */
const sizes: Record<string, [configs: number, seeds: number]> = {
  'anneal.yaml': [4, 3],
  'aux.yaml': [4, 3],
  'k.yaml': [3, 3],
  'l2x-synthetic.yaml': [4, 3],
  'notebook.yaml': [2, 3],
  'random-lr.yaml': [12, 2],
  'samplers.yaml': [3, 6],
  'search.yaml': [16, 1],
  'smoke.yaml': [2, 2],
  'tau.yaml': [5, 3],
};

describe('sweeps/', () => {
  it('ships the sweeps the README names', () => {
    expect(files).toEqual(Object.keys(sizes).sort());
  });

  it.each(files)('%s parses and expands to valid, distinct trials', (file) => {
    const loaded = loadSweepFile(`${sweepsDir}${file}`);
    expect(loaded.spec.name).toBe(file.replace(/\.yaml$/, ''));
    expect(loaded.text).toBe(readFileSync(`${sweepsDir}${file}`, 'utf8'));
    expect(loaded.hash).toBe(sha256(loaded.text));
    const [configs, seeds] = sizes[file]!;
    if (loaded.spec.method === 'bayes') {
      // Its configurations are asked one at a time while it runs: runCap of them, each once per seed.
      expect([loaded.spec.runCap, loaded.spec.seeds.length]).toEqual([configs, seeds]);
      return;
    }
    const trials = expandSweep(loaded.spec);
    expect(trials).toHaveLength(configs * seeds);
    expect(new Set(trials.map((t) => t.key)).size).toBe(trials.length);
    expect(new Set(trials.map((t) => t.configKey)).size).toBe(configs);
    for (const t of trials) {
      expect(settingsSchema.parse(t.settings)).toEqual(t.settings);
      expect(t.settings.seed).toBe(t.seed);
      expect(Object.keys(t.params).sort()).toEqual(loaded.spec.parameters.map((p) => p.name).sort());
    }
  });

  it('keeps smoke.yaml small enough to run in seconds', () => {
    const trials = expandSweep(loadSweepFile(`${sweepsDir}smoke.yaml`).spec);
    for (const { settings } of trials) {
      expect(settings.steps).toBeLessThanOrEqual(100);
      expect(settings.ff).toBeLessThanOrEqual(128);
      expect(settings.evalSize).toBeLessThanOrEqual(512);
    }
  });

  it('l2x-synthetic.yaml runs L2X\'s four sets with L2X\'s settings (each set\'s k, batch 1000, tau 0.1), ranked on median rank', () => {
    const loaded = loadSweepFile(`${sweepsDir}l2x-synthetic.yaml`);
    expect(loaded.spec.metric).toEqual({ name: 'median_rank', goal: 'minimize' });
    const trials = expandSweep(loaded.spec);
    const ks = Object.fromEntries(trials.map((t) => [t.settings.task, t.settings.k]));
    expect(ks).toEqual({ xor: 2, 'orange-skin': 4, 'nonlinear-additive': 4, switch: 5 });
    for (const { settings } of trials) expect(settings).toMatchObject({ batchSize: 1000, tau: 0.1, lr: 1e-3, sampler: 'gumbel-max', approximator: 'masked' });
  });

  it('every shipped sweep but the smoke test ranks on a metric the shared approximator cannot leak', () => {
    for (const file of files.filter((f) => f !== 'smoke.yaml'))
      expect(['median_rank', 'tpr', 'fdr'], file).toContain(loadSweepFile(`${sweepsDir}${file}`).spec.metric.name);
  });

  it('search.yaml searches with bayes and stops trials early with hyperband at evaluation points', () => {
    const { spec } = loadSweepFile(`${sweepsDir}search.yaml`);
    expect(spec.method).toBe('bayes');
    expect(spec.earlyTerminate).toEqual({ type: 'hyperband', minIter: 1, eta: 3, strict: false });
    expect(spec.trial.steps! / spec.trial.evalEvery!).toBeGreaterThanOrEqual(9); // rungs at 1, 3 and 9 evaluations before the end
  });

  it('notebook.yaml runs the notebook with attention over the batch beside attention over tokens', () => {
    const trials = expandSweep(loadSweepFile(`${sweepsDir}notebook.yaml`).spec);
    expect(new Set(trials.map((t) => t.settings.attention))).toEqual(new Set(['batch', 'tokens']));
    const { attention: _a, seed: _s, ...rest } = trials[0]!.settings;
    const notebook = settingsSchema.parse({});
    const { attention: _da, seed: _ds, ...defaults } = notebook;
    expect(rest).toEqual(defaults);
  });
});
