/**
 * Configurations (what `ResultsReader.configStats` reads) from trials written out in a test, so that the view
 * model's tests state trials and their expected means rather than sums of squares.
 */
import { momentsOf } from '@l2x/stats';
import type { ConfigStats, SettingValue, TrialStatus } from '@l2x/store';

export interface TestTrial {
  configKey: string;
  status: TrialStatus;
  settings: Record<string, unknown>;
  metrics: Record<string, number | null>;
  startedAt: string | null;
  finishedAt: string | null;
  trainMs: number | null;
}

export function configsOf(trials: readonly TestTrial[]): ConfigStats[] {
  const byKey = new Map<string, TestTrial[]>();
  for (const t of trials) byKey.set(t.configKey, [...(byKey.get(t.configKey) ?? []), t]);
  return [...byKey.entries()].map(([configKey, list]) => {
    const done = list.filter((t) => t.status === 'completed');
    const walls = done
      .map((t) => (t.startedAt && t.finishedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : t.trainMs))
      .filter((ms): ms is number => ms !== null && Number.isFinite(ms));
    const names = [...new Set(list.flatMap((t) => Object.keys(t.metrics)))];
    return {
      configKey,
      settings: list[0]!.settings as Record<string, SettingValue>,
      trials: list.length,
      completed: done.length,
      pruned: list.filter((t) => t.status === 'pruned').length,
      wallMs: { n: walls.length, sum: walls.reduce((a, b) => a + b, 0) },
      metrics: Object.fromEntries(names.map((name) => [name, momentsOf(done.map((t) => t.metrics[name]))])),
    };
  });
}
