/**
 * The store's side of model-based search and early termination: a bayes sweep's next configuration, asked of
 * its sampler with the history the store holds (every agent's trials), and the pruner's verdict at an evaluation
 * point, judged against every curve of the sweep in the store. Nothing here keeps state between calls.
 */
import { DEFAULT_SETTINGS } from '@l2x/model/config';
import type { ResultsReader, TrialOutcome } from '@l2x/store';
import { TpeSampler, createPruner, isFinished, trialsOf, type Observation, type PlannedTrial, type Pruner, type SweepSpec } from '@l2x/sweep';

/**
 * One observation per configuration, in order of its first trial: running while any of its trials is pending or
 * running (the constant liar), else completed (mean over its completed seeds), pruned (the furthest stop, its
 * value) or failed.
 */
export function observationsOf(outcomes: readonly TrialOutcome[]): Observation[] {
  const byConfig = new Map<string, TrialOutcome[]>();
  for (const o of outcomes) byConfig.set(o.configKey, [...(byConfig.get(o.configKey) ?? []), o]);
  return [...byConfig.values()].map((trials): Observation => {
    const params = trials[0]!.params as Observation['params'];
    const step = Math.max(...trials.map((t) => t.step));
    if (trials.some((t) => !isFinished(t.status)))
      return { params, state: 'running', value: null, step };
    const completed = trials.filter((t) => t.status === 'completed' && t.value !== null);
    if (completed.length > 0) return { params, state: 'completed', value: completed.reduce((a, t) => a + t.value!, 0) / completed.length, step };
    const pruned = trials.filter((t) => t.status === 'pruned' && t.value !== null).sort((a, b) => b.step - a.step);
    if (pruned.length > 0) return { params, state: 'pruned', value: pruned[0]!.value, step: pruned[0]!.step };
    return { params, state: 'failed', value: null, step };
  });
}

/**
 * The trials of a bayes sweep's next configuration (one per seed), or none when runCap configurations were asked or
 * the space has no configuration left. The caller adds them to the store.
 */
export async function askNext(reader: ResultsReader, sweepId: number, spec: SweepSpec): Promise<PlannedTrial[]> {
  const history = observationsOf(await reader.trialOutcomes(sweepId, spec.metric.name));
  if (history.length >= (spec.runCap ?? 0)) return [];
  const sampler = new TpeSampler(spec.parameters, spec.metric.goal, spec.bayes!, spec.name);
  const params = sampler.ask(history);
  return params ? trialsOf(spec, params) : [];
}

/** The sweep's pruner (none without early_terminate); steps and evalEvery are fixed for every trial (parseSweep checks). */
export function sweepPruner(spec: SweepSpec): Pruner | null {
  if (!spec.earlyTerminate) return null;
  const { steps, evalEvery } = { ...DEFAULT_SETTINGS, ...spec.trial };
  return createPruner(spec.earlyTerminate, { steps, evalEvery }, spec.metric.goal);
}

/** Which of these trials, that just reported `step`, stop there: each judged against every curve of the sweep. */
export async function judge(reader: ResultsReader, sweepId: number, spec: SweepSpec, pruner: Pruner, trialIds: readonly number[], step: number): Promise<number[]> {
  if (!pruner.judges(step)) return []; // not a rung (or still warming up): nothing to read
  // What the pruners read: the others' values at this step, and the judged trials' own curves so far.
  const curves = await reader.metricCurves(sweepId, spec.metric.name, { step, whole: trialIds });
  return trialIds.filter((id) => pruner.shouldPrune(id, step, curves));
}
