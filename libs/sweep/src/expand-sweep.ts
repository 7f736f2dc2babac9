/**
 * From a sweep to its trials. A grid is the cartesian product of the parameters in file order (the first
 * varies slowest); a random sweep draws `runCap` configurations from a generator seeded by the sweep's name,
 * so the same file always plans the same trials, and raising runCap keeps the trials already drawn.
 * Every configuration runs once per seed; configurations that resolve to the same settings are one.
 */
import seedrandom from 'seedrandom';
import { parseSettings, type SettingName, type Settings } from '@l2x/model/config';
import type { ParameterSpec, PlannedTrial, SettingValue, SweepSpec } from './sweep-spec.ts';
import { configKey, trialKey } from './trial-key.ts';

/** Where a configuration's value of a parameter came from: an index into its `values`, its `value`, or a draw. */
export type ParameterPick = number | 'value' | 'drawn';

/** One configuration before seeds: the swept values, and where each came from (for error messages). */
export interface Configuration {
  params: Partial<Settings>;
  picks: Partial<Record<SettingName, ParameterPick>>;
}

/** The configurations of a sweep, in order, duplicates included (`expandSweep` collapses them). */
export function* configurations(spec: SweepSpec): Generator<Configuration> {
  if (spec.method === 'grid') yield* gridConfigurations(spec);
  else yield* randomConfigurations(spec); // bayes: its random start draws the same way (parseSweep checks these)
}

function* gridConfigurations(spec: SweepSpec): Generator<Configuration> {
  const axes = spec.parameters.map(({ name, spec: p }) => ({
    name,
    choices: 'values' in p ? p.values : 'value' in p ? [p.value] : [],
    fixed: 'value' in p,
  }));
  // parseSweep refuses distributions in a grid; a hand-made spec with one has no grid to run.
  const missing = spec.parameters.find(({ spec: p }) => 'distribution' in p);
  if (missing) throw new Error(`sweep ${spec.name}: a grid cannot sweep ${missing.name} over a distribution`);
  const index = axes.map(() => 0);
  for (;;) {
    const config: Configuration = { params: {}, picks: {} };
    axes.forEach((axis, i) => {
      setParam(config.params, axis.name, axis.choices[index[i]!]!);
      config.picks[axis.name] = axis.fixed ? 'value' : index[i]!;
    });
    yield config;
    // Odometer: the last parameter turns fastest.
    let i = axes.length - 1;
    while (i >= 0 && ++index[i]! === axes[i]!.choices.length) index[i--] = 0;
    if (i < 0) return;
  }
}

function* randomConfigurations(spec: SweepSpec): Generator<Configuration> {
  const random = seedrandom(spec.name);
  for (let n = 0; n < (spec.runCap ?? 0); n++) {
    const config: Configuration = { params: {}, picks: {} };
    for (const { name, spec: p } of spec.parameters) {
      const { value, pick } = draw(p, random);
      setParam(config.params, name, value);
      config.picks[name] = pick;
    }
    yield config;
  }
}

/** One value of a parameter, drawn as W&B does. Values from q-distributions are exact multiples of q. */
function draw(p: ParameterSpec, random: () => number): { value: SettingValue; pick: ParameterPick } {
  if ('value' in p) return { value: p.value, pick: 'value' };
  if ('values' in p) {
    const i = Math.floor(random() * p.values.length);
    return { value: p.values[i]!, pick: i };
  }
  const drawn = (value: number) => ({ value, pick: 'drawn' as const });
  const quantize = (x: number, q: number) => Number((Math.round(x / q) * q).toPrecision(12));
  switch (p.distribution) {
    case 'uniform':
      return drawn(p.min + (p.max - p.min) * random());
    case 'int_uniform':
      return drawn(p.min + Math.floor(random() * (p.max - p.min + 1)));
    case 'log_uniform_values':
      return drawn(logUniform(p.min, p.max, random()));
    case 'q_uniform':
      return drawn(quantize(p.min + (p.max - p.min) * random(), p.q));
    case 'q_log_uniform_values':
      return drawn(quantize(logUniform(p.min, p.max, random()), p.q));
    case 'normal': {
      // Box–Muller; 1 − u keeps the logarithm finite.
      const [u, v] = [1 - random(), random()];
      return drawn(p.mu + p.sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
  }
}

function logUniform(min: number, max: number, u: number): number {
  return Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * u);
}

function setParam(params: Partial<Settings>, name: SettingName, value: SettingValue): void {
  (params as Record<SettingName, SettingValue>)[name] = value;
}

/**
 * The trials of a sweep: each distinct configuration once per seed, seed-major (every configuration's
 * first seed before any second seed, so an interrupted sweep has seen every configuration). Deterministic:
 * the same spec gives the same trials, in the same order, with the same keys. Settings that break the
 * model's rules are a UserError (a spec from `parseSweep` never has any: it checked them with locations).
 */
export function expandSweep(spec: SweepSpec): PlannedTrial[] {
  if (spec.method === 'bayes') throw new Error(`bug: sweep ${spec.name} is bayes: its configurations are asked one at a time (trialsOf)`);
  const distinct: { params: Partial<Settings>; configKey: string }[] = [];
  const seen = new Set<string>();
  const firstSeed = spec.seeds[0] ?? 0;
  for (const { params } of configurations(spec)) {
    const key = configKey(resolve(spec, params, firstSeed));
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push({ params, configKey: key });
  }
  const trials: PlannedTrial[] = [];
  for (const seed of spec.seeds)
    for (const config of distinct) {
      const settings = resolve(spec, config.params, seed);
      trials.push({ key: trialKey(settings), configKey: config.configKey, seed, settings, params: { ...config.params } });
    }
  return trials;
}

/** One configuration's trials, once per seed (a bayes sweep's newly asked configuration). */
export function trialsOf(spec: SweepSpec, params: Partial<Settings>): PlannedTrial[] {
  const key = configKey(resolve(spec, params, spec.seeds[0] ?? 0));
  return spec.seeds.map((seed) => {
    const settings = resolve(spec, params, seed);
    return { key: trialKey(settings), configKey: key, seed, settings, params: { ...params } };
  });
}

function resolve(spec: SweepSpec, params: Partial<Settings>, seed: number): Settings {
  return parseSettings({ ...spec.trial, ...params, seed }, `sweep ${spec.name}`);
}
