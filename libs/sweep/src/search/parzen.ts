/**
 * A multivariate Parzen estimator, as Optuna's TPE builds one (multivariate=True): a mixture with one component per
 * observed point and one prior component. Each component is a product over the dimensions of a truncated normal
 * (numeric: at the observed value, bandwidth by Scott's rule, clipped) or a categorical kernel (most of its mass on
 * the observed choice). The prior is wide (numeric: centred, σ = the range) or uniform (categorical).
 */
import { errorFunction, probit } from 'simple-statistics';
import type { Dimension, Point } from './space.ts';

/** Weight of the prior component, against 1 for each observation (Optuna's prior_weight). */
export const PRIOR_WEIGHT = 1;
/** A categorical kernel puts this share of its mass on the observed choice, the rest spread evenly. */
const CATEGORICAL_MASS = 0.75;
const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

const normalCdf = (z: number) => 0.5 * (1 + errorFunction(z / SQRT2));

/** One numeric kernel: a normal at mu with width sigma, truncated to [low, high]. */
interface Normal {
  mu: number;
  sigma: number;
  /** log of the normal's mass inside [low, high]. */
  logMass: number;
  cdfLow: number;
  cdfHigh: number;
}

function truncatedNormal(mu: number, sigma: number, low: number, high: number): Normal {
  const cdfLow = normalCdf((low - mu) / sigma);
  const cdfHigh = normalCdf((high - mu) / sigma);
  return { mu, sigma, cdfLow, cdfHigh, logMass: Math.log(Math.max(cdfHigh - cdfLow, 1e-300)) };
}

function logNormalDensity(k: Normal, x: number): number {
  const z = (x - k.mu) / k.sigma;
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(k.sigma) - k.logMass;
}

/** A draw from the truncated normal by its inverse distribution function. */
function sampleNormal(k: Normal, low: number, high: number, u: number): number {
  const p = k.cdfLow + (k.cdfHigh - k.cdfLow) * u;
  const x = k.mu + k.sigma * probit(Math.min(1 - 1e-12, Math.max(1e-12, p)));
  return Number.isFinite(x) ? Math.min(high, Math.max(low, x)) : Math.min(high, Math.max(low, k.mu));
}

/** One component: a kernel per dimension (a truncated normal, or probabilities over the choices). */
type Kernel = Normal | number[];

export class ParzenEstimator {
  private readonly components: Kernel[][];
  private readonly logWeights: number[];
  private readonly cumulative: number[];

  constructor(
    private readonly dimensions: readonly Dimension[],
    observations: readonly Point[],
  ) {
    const n = observations.length;
    this.components = [...observations.map((point) => this.componentAt(point, n)), this.prior()];
    const weights = [...observations.map(() => 1), PRIOR_WEIGHT];
    const total = weights.reduce((a, b) => a + b, 0);
    this.logWeights = weights.map((w) => Math.log(w / total));
    let sum = 0;
    this.cumulative = weights.map((w) => (sum += w / total));
  }

  /** Bandwidth σ = 0.2 · n^(−1/(d+4)) · range (Optuna's multivariate rule), at least range / min(100, n + 1). */
  private componentAt(point: Point, n: number): Kernel[] {
    const d = this.dimensions.length;
    return this.dimensions.map((dim, i) => {
      if (dim.kind === 'categorical') {
        const k = dim.choices.length;
        return dim.choices.map((_, j) => (j === point[i] ? CATEGORICAL_MASS : 0) + (1 - CATEGORICAL_MASS) / k);
      }
      const range = dim.high - dim.low;
      const sigma = Math.max(0.2 * n ** (-1 / (d + 4)) * range, range / Math.min(100, n + 1));
      return truncatedNormal(point[i]!, sigma, dim.low, dim.high);
    });
  }

  private prior(): Kernel[] {
    return this.dimensions.map((dim) =>
      dim.kind === 'categorical'
        ? dim.choices.map(() => 1 / dim.choices.length)
        : truncatedNormal((dim.low + dim.high) / 2, dim.high - dim.low, dim.low, dim.high),
    );
  }

  /** log of the mixture's density at a point (a density on numeric axes, a probability on categorical ones). */
  logDensity(point: Point): number {
    const terms = this.components.map((kernels, c) =>
      kernels.reduce((sum, kernel, i) => sum + (Array.isArray(kernel) ? Math.log(kernel[point[i]!]!) : logNormalDensity(kernel, point[i]!)), this.logWeights[c]!),
    );
    const max = Math.max(...terms);
    return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
  }

  /** A point drawn from the mixture: a component by weight, then each dimension from its kernel. */
  sample(random: () => number): Point {
    const u = random();
    const c = Math.min(this.cumulative.findIndex((edge) => u < edge) >>> 0, this.components.length - 1);
    return this.components[c]!.map((kernel, i) => {
      const dim = this.dimensions[i]!;
      if (Array.isArray(kernel)) return pickIndex(kernel, random());
      const { low, high } = dim as Extract<Dimension, { kind: 'numeric' }>;
      return sampleNormal(kernel, low, high, random());
    });
  }
}

/** The index whose cumulative probability first passes u. */
function pickIndex(probabilities: readonly number[], u: number): number {
  let sum = 0;
  for (let j = 0; j < probabilities.length; j++) if (u < (sum += probabilities[j]!)) return j;
  return probabilities.length - 1;
}
