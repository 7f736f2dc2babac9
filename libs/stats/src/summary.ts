/**
 * Mean ± 95% confidence interval over seeds: the one summary every table and bar in this project shows.
 * The interval is Student's t (n − 1 degrees of freedom), right for the handful of seeds a sweep runs.
 */
import quantile from '@stdlib/stats-base-dists-t-quantile';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN with one value. */
  std: number;
  /** Half-width of the 95% confidence interval of the mean; NaN with one value. */
  ci95: number;
  low: number;
  high: number;
}

/** Summary of the finite values given (NaN and null are left out, as failed trials are). */
export function summarize(values: readonly (number | null | undefined)[], confidence = 0.95): Summary {
  return summarizeMoments(momentsOf(values), confidence);
}

/** What a summary needs of a set of values, and what adds up when sets are pooled: count, sum, sum of squares. */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

export const NO_MOMENTS: Moments = Object.freeze({ n: 0, sum: 0, sumSq: 0 });

/** Moments of several sets pooled (a configuration's seeds, the configurations with one value of a setting). */
export function poolMoments(parts: readonly Moments[]): Moments {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const part of parts) {
    n += part.n;
    sum += part.sum;
    sumSq += part.sumSq;
  }
  return { n, sum, sumSq };
}

/** Moments of the finite values given. */
export function momentsOf(values: readonly (number | null | undefined)[]): Moments {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const v of values)
    if (typeof v === 'number' && Number.isFinite(v)) {
      n += 1;
      sum += v;
      sumSq += v * v;
    }
  return { n, sum, sumSq };
}

/**
 * The same summary as `summarize`, from moments (what the store keeps per configuration, so that a dashboard
 * reads 2,000 rows rather than 10,000 trials). The variance from sums of squares is clamped at 0 against rounding.
 */
export function summarizeMoments({ n, sum, sumSq }: Moments, confidence = 0.95): Summary {
  if (n === 0) return { n, mean: NaN, std: NaN, ci95: NaN, low: NaN, high: NaN };
  const mean = sum / n;
  if (n === 1) return { n, mean, std: NaN, ci95: NaN, low: mean, high: mean };
  const std = Math.sqrt(Math.max(0, (sumSq - sum * mean) / (n - 1)));
  const ci95 = quantile(1 - (1 - confidence) / 2, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, ci95, low: mean - ci95, high: mean + ci95 };
}

/** `0.812 ± 0.031`, or `0.812` when there is no interval. */
export function formatSummary(s: Summary, digits = 3): string {
  if (s.n === 0) return '–';
  return Number.isFinite(s.ci95) ? `${s.mean.toFixed(digits)} ± ${s.ci95.toFixed(digits)}` : s.mean.toFixed(digits);
}
