/**
 * Samplers: what configuration a sweep tries next, from what it has seen. The Tree-structured Parzen Estimator
 * (Bergstra et al. 2011), as Optuna's TPESampler runs it: random for the first `nStartupTrials` configurations, then
 * the seen ones split at gamma into good (the best ⌈0.1·n⌉, at most 25) and bad; l(x) and g(x) are Parzen
 * estimators over each group, and the next configuration is the one of `nEiCandidates` draws from l with the
 * largest l(x)/g(x). Running configurations are counted in by a constant liar (among the bad), so parallel
 * workers and agents that ask at the same time do not all draw the same point.
 *
 * Stateless: every ask rebuilds the model from the history it is given (the store's), so a resumed sweep and
 * several agents on one store continue one search; the draws are seeded by the sweep's name, the seed and the
 * history's length, so the same history gives the same answer.
 */
import seedrandom from 'seedrandom';
import type { Settings } from '@l2x/model/config';
import type { BayesOptions, MetricGoal } from '../sweep-spec.ts';
import { canonicalJson } from '../trial-key.ts';
import { ParzenEstimator } from './parzen.ts';
import { SearchSpace, type Point } from './space.ts';

/** What the sampler knows of one configuration asked before: its state and, once it has one, its metric. */
export interface Observation {
  params: Partial<Settings>;
  state: 'completed' | 'pruned' | 'running' | 'failed';
  /** The final metric (completed), the last one reported (pruned), else null. */
  value: number | null;
  /** The step it reached (a pruned configuration that went further ranks above one stopped earlier). */
  step: number;
}

export interface Sampler {
  /** The next configuration's swept settings, or null when the space holds no configuration not asked yet. */
  ask(history: readonly Observation[]): Partial<Settings> | null;
}

/** How many of n ranked observations count as good (Optuna's default gamma). */
export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** A draw attempts this many times to find a configuration not asked before, then gives up. */
const FRESH_ATTEMPTS = 200;

export class TpeSampler implements Sampler {
  private readonly space: SearchSpace;

  constructor(
    parameters: ConstructorParameters<typeof SearchSpace>[0],
    private readonly goal: MetricGoal,
    private readonly options: BayesOptions,
    private readonly sweepName: string,
  ) {
    this.space = new SearchSpace(parameters);
  }

  ask(history: readonly Observation[]): Partial<Settings> | null {
    const random = seedrandom(`${this.sweepName}/${this.options.seed}/${history.length}`);
    const seen = new Set(history.map((o) => canonicalJson(o.params)));
    const fresh = (point: Point) => !seen.has(canonicalJson(this.space.toParams(point)));
    const { good, bad } = this.split(history);
    const point = good.length === 0 || this.finished(history) < this.options.nStartupTrials
      ? this.uniform(random, fresh)
      : this.bestCandidate(good, bad, random, fresh) ?? this.uniform(random, fresh);
    return point && this.space.toParams(point);
  }

  /** Configurations with a result (completed or pruned): the random start lasts until there are nStartupTrials. */
  private finished(history: readonly Observation[]): number {
    return history.filter((o) => o.state === 'completed' || o.state === 'pruned').length;
  }

  /**
   * Ranked best first: completed by value toward the goal, then pruned (further first, then by value), then failed.
   * The best gamma(n) are good; the rest, and every running configuration (the constant liar), are bad.
   */
  split(history: readonly Observation[]): { good: Point[]; bad: Point[] } {
    const sign = this.goal === 'minimize' ? 1 : -1;
    const tier = (o: Observation) => (o.state === 'completed' && o.value !== null ? 0 : o.state === 'pruned' && o.value !== null ? 1 : 2);
    const located = history.map((o) => ({ o, point: this.space.toPoint(o.params) })).filter((x) => x.point !== null);
    const ranked = located
      .filter(({ o }) => o.state !== 'running')
      .sort((a, b) => tier(a.o) - tier(b.o) || (tier(a.o) === 1 ? b.o.step - a.o.step : 0) || sign * ((a.o.value ?? 0) - (b.o.value ?? 0)));
    const good = ranked.filter(({ o }) => tier(o) < 2).slice(0, gamma(ranked.length));
    const bad = located.filter((x) => !good.includes(x));
    return { good: good.map((x) => x.point!), bad: bad.map((x) => x.point!) };
  }

  /** Of nEiCandidates draws from l, the fresh one with the largest log l(x) − log g(x); null when none is fresh. */
  private bestCandidate(good: Point[], bad: Point[], random: () => number, fresh: (p: Point) => boolean): Point | null {
    const l = new ParzenEstimator(this.space.dimensions, good);
    const g = new ParzenEstimator(this.space.dimensions, bad);
    let best: { point: Point; score: number } | null = null;
    for (let i = 0; i < this.options.nEiCandidates; i++) {
      const point = l.sample(random);
      if (!fresh(point)) continue;
      const score = l.logDensity(point) - g.logDensity(point);
      if (!best || score > best.score) best = { point, score };
    }
    return best?.point ?? null;
  }

  /** A fresh point drawn uniformly on each dimension's axis (log-uniform on a log range), or null after many tries. */
  private uniform(random: () => number, fresh: (p: Point) => boolean): Point | null {
    for (let attempt = 0; attempt < FRESH_ATTEMPTS; attempt++) {
      const point = this.space.dimensions.map((d) =>
        d.kind === 'categorical' ? Math.min(d.choices.length - 1, Math.floor(random() * d.choices.length)) : d.low + (d.high - d.low) * random(),
      );
      if (fresh(point)) return point;
    }
    return null;
  }
}
