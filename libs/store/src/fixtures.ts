/**
 * Builds results databases with made-up trials, for tests and benchmarks of what reads results.db
 * (dashboard, reports). The values come from a function the caller gives, so tests know what to expect.
 */
import { DEFAULT_SETTINGS, METRIC_NAMES, type Metrics, type Settings } from '@l2x/model/config';
import type { ResultsStore } from './results-store.ts';
import type { TrialStatus } from './records.ts';

export interface FixtureTrial {
  params: Partial<Settings>;
  seed: number;
  status?: TrialStatus;
  /** Final metrics (completed trials); missing metrics are left out. */
  metrics?: Partial<Metrics>;
  /** Curve points: step → metric values. */
  curve?: Record<number, Partial<Metrics>>;
  step?: number;
  error?: string;
}

export interface FixtureSweep {
  name: string;
  swept: string[];
  metric?: { name: (typeof METRIC_NAMES)[number]; goal: 'maximize' | 'minimize' };
  /** The sweep file's method (grid, random, …), written into the stored sweep file. */
  method?: string;
  fixed?: Partial<Settings>;
  trials: FixtureTrial[];
}

/** Writes a sweep and its trials through the real store API; returns the sweep id. */
export function writeFixtureSweep(store: ResultsStore, fixture: FixtureSweep): number {
  const { sweep } = store.ensureSweep({
    name: fixture.name,
    configText: `name: ${fixture.name}\n${fixture.method ? `method: ${fixture.method}\n` : ''}`,
    configHash: `fixture-${fixture.name}`,
    configPath: `sweeps/${fixture.name}.yaml`,
    metric: fixture.metric ?? { name: 'hard_acc', goal: 'maximize' },
    swept: fixture.swept,
  });
  const inputs = fixture.trials.map((t) => {
    const settings: Settings = { ...DEFAULT_SETTINGS, ...fixture.fixed, ...t.params, seed: t.seed };
    const configKey = JSON.stringify(t.params);
    return { key: `${configKey}#${t.seed}`, configKey, seed: t.seed, settings, params: t.params };
  });
  store.addTrials(sweep.id, inputs);
  const runId = store.startRun(sweep.id, {
    host: 'fixture', pid: process.pid, gitCommit: null, gitDirty: null, nodeVersion: process.version,
    tfjsVersion: null, backend: 'cpu', kernels: null, workers: 2, argv: [],
  });
  const byKey = new Map(store.trials(sweep.id).map((t) => [t.key, t]));
  fixture.trials.forEach((t, i) => {
    const record = byKey.get(inputs[i]!.key)!;
    const status = t.status ?? 'completed';
    if (status === 'queued') return;
    store.claimTrial(record.id, { runId, worker: i % 2, device: null });
    for (const [step, values] of Object.entries(t.curve ?? {})) store.recordPoints(record.id, Number(step), values as Record<string, number>);
    if (t.step !== undefined) store.recordProgress([{ trialId: record.id, step: t.step, backend: 'cpu' }]);
    if (status === 'completed') store.completeTrial(record.id, { metrics: t.metrics ?? {}, backend: 'cpu', trainMs: 1000 });
    else if (status === 'failed') store.failTrial(record.id, t.error ?? 'failed', 'cpu');
    else if (status === 'interrupted') store.interruptTrials([record.id]);
    else if (status === 'pruned') store.pruneTrial(record.id, { step: t.step ?? 0, metrics: t.metrics ?? {} });
  });
  return sweep.id;
}
