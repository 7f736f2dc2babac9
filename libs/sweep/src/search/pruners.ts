/**
 * Pruners: whether a running trial stops at an evaluation point, judged against every trial of the sweep that
 * reported at that step (whichever process or agent ran it: the curves come from the store). Small classes
 * behind one interface, as Optuna's pruners; `createPruner` builds the one a sweep file's `early_terminate` names.
 */
import type { EarlyTerminate, MetricGoal } from '../sweep-spec.ts';
import type { TrialState } from '../trial-state.ts';

/** One trial's curve of the sweep's metric: value at each evaluation step. */
export interface Curve {
  trialId: number;
  status: TrialState;
  values: ReadonlyMap<number, number>;
}

export interface Pruner {
  /** Whether any trial can stop at this evaluation step (if not, nothing need be read to judge it). */
  judges(step: number): boolean;
  /** Whether the trial stops now, at this evaluation step (its own value at the step is in its curve). */
  shouldPrune(trialId: number, step: number, curves: readonly Curve[]): boolean;
}

/** `better(a, b)`: a is strictly better than b toward the goal. */
const better = (goal: MetricGoal) => (goal === 'minimize' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b);

/**
 * Asynchronous Hyperband (W&B's `hyperband`, ASHA's rule): rungs at minIter·eta^k evaluations. At a rung, a trial
 * continues if its value is at least as good as the top-1/eta quantile (interpolated) of the values of every trial
 * that reached the rung, itself included: the first trial at a rung always continues. `strict` ranks instead: the
 * trial continues only if it is among the best max(1, ⌊n/eta⌋) of the n trials there.
 */
export class HyperbandPruner implements Pruner {
  private readonly rungs: Set<number>;

  constructor(
    private readonly options: { minIter: number; eta: number; strict: boolean },
    private readonly evalEvery: number,
    private readonly goal: MetricGoal,
    steps: number,
  ) {
    this.rungs = new Set(hyperbandRungs(options.minIter, options.eta, steps, evalEvery));
  }

  judges(step: number): boolean {
    return this.rungs.has(step);
  }

  shouldPrune(trialId: number, step: number, curves: readonly Curve[]): boolean {
    if (!this.judges(step)) return false;
    const own = curves.find((c) => c.trialId === trialId)?.values.get(step);
    if (own === undefined) return false;
    const values = curves.flatMap((c) => (c.values.has(step) ? [c.values.get(step)!] : []));
    const sorted = [...values].sort((a, b) => (this.goal === 'minimize' ? a - b : b - a)); // best first
    if (this.options.strict) {
      const keep = Math.max(1, Math.floor(sorted.length / this.options.eta));
      return better(this.goal)(sorted[keep - 1]!, own);
    }
    return better(this.goal)(quantile(sorted, 1 / this.options.eta), own);
  }
}

/** The training steps of a hyperband schedule's rungs below the last step: minIter·eta^k evaluations, k = 0, 1, … */
export function hyperbandRungs(minIter: number, eta: number, steps: number, evalEvery: number): number[] {
  const rungs: number[] = [];
  for (let k = 0; ; k++) {
    const step = Math.round(minIter * eta ** k) * evalEvery;
    if (step >= steps) return rungs;
    if (!rungs.includes(step)) rungs.push(step);
  }
}

/** The q-quantile of values sorted best first, interpolated linearly (q = 0: the best). */
function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const i = Math.floor(at);
  const next = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return sorted[i]! + (next - sorted[i]!) * (at - i);
}

/**
 * Optuna's MedianPruner: after nStartupTrials completed trials and from step nWarmupSteps on, a trial stops when its
 * best value so far is worse than the median of the other trials' values at the same step.
 */
export class MedianPruner implements Pruner {
  constructor(
    private readonly options: { nStartupTrials: number; nWarmupSteps: number },
    private readonly goal: MetricGoal,
  ) {}

  judges(step: number): boolean {
    return step >= this.options.nWarmupSteps;
  }

  shouldPrune(trialId: number, step: number, curves: readonly Curve[]): boolean {
    if (!this.judges(step)) return false;
    if (curves.filter((c) => c.status === 'completed').length < this.options.nStartupTrials) return false;
    const own = curves.find((c) => c.trialId === trialId);
    if (!own) return false;
    const sofar = [...own.values].filter(([s]) => s <= step).map(([, v]) => v);
    if (sofar.length === 0) return false;
    const best = this.goal === 'minimize' ? Math.min(...sofar) : Math.max(...sofar);
    const others = curves.filter((c) => c.trialId !== trialId && c.values.has(step)).map((c) => c.values.get(step)!);
    if (others.length === 0) return false;
    return better(this.goal)(median(others), best);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The pruner a sweep's `early_terminate` asks for; trials evaluate every `evalEvery` of their `steps`. */
export function createPruner(spec: EarlyTerminate, trial: { steps: number; evalEvery: number }, goal: MetricGoal): Pruner {
  if (spec.type === 'median') return new MedianPruner(spec, goal);
  return new HyperbandPruner(spec, trial.evalEvery, goal, trial.steps);
}
