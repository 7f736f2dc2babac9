/**
 * The one aggregation of a sweep's results, shared by the dashboard, the report and the end-of-run summary:
 * configurations (their seeds pooled) grouped per configuration or by the values of some settings, each metric
 * as mean ± 95% interval over the group's completed trials, groups ranked by a metric and its goal, setting
 * values formatted one way. Works on `ConfigStats` rows (`ResultsReader.configStats`): one row per
 * configuration with the moments of each metric, so nothing here reads every trial.
 */
import { poolMoments, summarizeMoments, NO_MOMENTS, type Moments, type Summary } from '@l2x/stats';
import type { Goal } from './records.ts';

/** A setting's value as the store's columns hold it: numbers and text (never booleans: JSON true reads as 1). */
export type SettingValue = string | number | null;

/** One configuration of a sweep, as `ResultsReader.configStats` reads it. */
export interface ConfigStats {
  configKey: string;
  /** The settings asked for, by name. */
  settings: Record<string, SettingValue>;
  /** Trials of the configuration (any status), the completed ones and the pruned ones (stopped early: not in the moments). */
  trials: number;
  completed: number;
  pruned: number;
  /** Wall time of the completed trials (start to finish, else training time): how many have one, and their sum. */
  wallMs: { n: number; sum: number };
  /** Moments of each final metric over the completed trials. */
  metrics: Record<string, Moments>;
}

/** A setting value as people write it in a sweep file: `0.1`, `1e-4` as `0.0001`, float noise rounded away, `–` when missing. */
export function showSetting(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** `tau=0.1, k=3` (or with another separator); `all trials` when no settings tell configurations apart. */
export function describeKey(key: Readonly<Record<string, unknown>>, names: readonly string[], separator = ', '): string {
  if (names.length === 0) return 'all trials';
  return names.map((name) => `${name}=${showSetting(key[name])}`).join(separator);
}

/** Numbers before text, numbers ascending, text alphabetically, missing last. */
export function compareSettings(a: SettingValue, b: SettingValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return collator.compare(a, b);
}

const collator = new Intl.Collator('en');

/** Compares two keys setting by setting, in the order given. */
export function compareKeys(a: Readonly<Record<string, SettingValue>>, b: Readonly<Record<string, SettingValue>>, names: readonly string[]): number {
  for (const name of names) {
    const order = compareSettings(a[name] ?? null, b[name] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

/** A key as text that is equal for equal values (groups rows, matches rows across sweeps). */
export function keyId(key: Readonly<Record<string, SettingValue>>, names: readonly string[]): string {
  let id = '';
  for (const name of names) {
    const value = key[name] ?? null;
    id += value === null ? '\u0001-' : `\u0001${typeof value === 'number' ? 'n' : 's'}${value}`;
  }
  return id;
}

/** Configurations pooled: one configuration, or every configuration with the same values of some settings. */
export interface ConfigGroup {
  /** The values that define the group (the key settings'); `describeKey(key, keySettings)` names it. */
  key: Record<string, SettingValue>;
  configKeys: string[];
  /** Trials in the group (any status) and completed ones. */
  trials: number;
  completed: number;
  wallMs: { n: number; sum: number };
  /** Each metric's moments over the group's completed trials. */
  metrics: Record<string, Moments>;
}

/**
 * Groups configurations: one group per configuration (`by` empty), or per value of the `by` settings (seeds ×
 * configurations pooled). `keySettings` are the settings that name a group (by default `by`). Groups by value come in
 * value order; one per configuration, in the order given.
 */
export function groupConfigs(configs: readonly ConfigStats[], options: { by?: readonly string[]; keySettings?: readonly string[] } = {}): ConfigGroup[] {
  const by = options.by ?? [];
  const keySettings = options.keySettings ?? by;
  const parts = new Map<string, ConfigStats[]>();
  for (const config of configs) {
    const id = by.length ? keyId(config.settings, by) : config.configKey;
    const list = parts.get(id);
    if (list) list.push(config);
    else parts.set(id, [config]);
  }
  const metricNames = [...new Set(configs.flatMap((c) => Object.keys(c.metrics)))];
  const groups = [...parts.values()].map((list): ConfigGroup => {
    const key: Record<string, SettingValue> = {};
    for (const name of keySettings) key[name] = list[0]!.settings[name] ?? null;
    const one = list.length === 1 ? list[0]! : undefined;
    return {
      key,
      configKeys: list.map((c) => c.configKey),
      trials: one ? one.trials : list.reduce((sum, c) => sum + c.trials, 0),
      completed: one ? one.completed : list.reduce((sum, c) => sum + c.completed, 0),
      wallMs: one ? one.wallMs : { n: list.reduce((sum, c) => sum + c.wallMs.n, 0), sum: list.reduce((sum, c) => sum + c.wallMs.sum, 0) },
      metrics: one ? one.metrics : Object.fromEntries(metricNames.map((name) => [name, poolMoments(list.map((c) => c.metrics[name] ?? NO_MOMENTS))])),
    };
  });
  // One group per configuration: in the order given (the store reads them by configuration key); rankGroups orders them.
  return by.length ? groups.sort((a, b) => compareKeys(a.key, b.key, keySettings)) : groups;
}

/** A metric over a group's completed trials: mean ± 95% interval. */
export function summaryOf(group: Pick<ConfigGroup, 'metrics'>, metric: string): Summary {
  return summarizeMoments(group.metrics[metric] ?? NO_MOMENTS);
}

/** The mean of a metric over a group's completed trials (NaN when none has it). */
export function meanOf(group: Pick<ConfigGroup, 'metrics'>, metric: string): number {
  const m = group.metrics[metric];
  return m && m.n > 0 ? m.sum / m.n : NaN;
}

export interface Ranked<G extends ConfigGroup = ConfigGroup> {
  rank: number;
  group: G;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Groups with at least one completed trial, best first by the mean of `metric` toward its goal; groups without a
 * value last; ties in key order (then by configuration key, so the order is the same everywhere).
 */
export function rankGroups<G extends ConfigGroup>(groups: readonly G[], metric: string, goal: Goal, keySettings: readonly string[]): Ranked<G>[] {
  const sign = goal === 'maximize' ? -1 : 1;
  const rows = groups.filter((g) => g.completed > 0).map((group) => ({ group, mean: meanOf(group, metric) }));
  rows.sort((a, b) => {
    const aOk = Number.isFinite(a.mean);
    const bOk = Number.isFinite(b.mean);
    if (aOk !== bOk) return aOk ? -1 : 1;
    if (aOk && a.mean !== b.mean) return sign * (a.mean - b.mean);
    return compareKeys(a.group.key, b.group.key, keySettings) || compareText(a.group.configKeys[0]!, b.group.configKeys[0]!);
  });
  return rows.map(({ group }, i) => ({ rank: i + 1, group }));
}
