/**
 * Builds results databases with made-up trials, for tests and benchmarks of what reads results.db
 * (dashboard, reports). The values come from a function the caller gives, so tests know what to expect.
 */
import { DEFAULT_SETTINGS, METRIC_NAMES, type Metrics, type Settings } from '@l2x/model/config';
import type { Lease, ResultsStore } from './results-store.ts';
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
export async function writeFixtureSweep(store: ResultsStore, fixture: FixtureSweep): Promise<number> {
  const { sweep } = await store.ensureSweep({
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
  await store.addTrials(sweep.id, inputs);
  const runId = await store.startRun(sweep.id, {
    host: 'fixture', pid: process.pid, gitCommit: null, gitDirty: null, nodeVersion: process.version,
    tfjsVersion: null, backend: 'cpu', kernels: null, workers: 2, argv: [],
  });
  const byKey = new Map((await store.trials(sweep.id)).map((t) => [t.key, t]));
  for (const [i, t] of fixture.trials.entries()) {
    const record = byKey.get(inputs[i]!.key)!;
    const status = t.status ?? 'completed';
    if (status === 'queued') continue;
    const [lease] = await store.claimTrials([record.id], { runId, worker: i % 2, device: null });
    if (!lease) continue; // a trial listed twice
    for (const [step, values] of Object.entries(t.curve ?? {})) await store.recordPoints(lease, Number(step), values as Record<string, number>);
    if (t.step !== undefined) await store.recordProgress([{ ...lease, step: t.step, backend: 'cpu' }]);
    if (status === 'completed') await store.completeTrial(lease, { metrics: t.metrics ?? {}, backend: 'cpu', trainMs: 1000 });
    else if (status === 'failed') await store.failTrial(lease, t.error ?? 'failed', 'cpu');
    else if (status === 'interrupted') await store.interruptTrials([lease]);
    else if (status === 'pruned') await store.pruneTrial(lease, { step: t.step ?? 0, metrics: t.metrics ?? {} });
  }
  return sweep.id;
}

/** The lease the trial's current attempt holds (tests that play a writer by hand). */
export async function leaseOf(store: ResultsStore, trialId: number): Promise<Lease> {
  return { trialId, attempt: (await store.trial(trialId)).attempts };
}
