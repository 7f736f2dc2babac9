/**
 * Mean ± 95% confidence interval over seeds: the one summary every table and bar in this project shows.
 * The interval is Student's t (n − 1 degrees of freedom), right for the handful of seeds a sweep runs.
 */
import quantile from '@stdlib/stats-base-dists-t-quantile';
import { mean as sampleMean, sampleStandardDeviation } from 'simple-statistics';

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
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, std: NaN, ci95: NaN, low: NaN, high: NaN };
  const mean = sampleMean(xs);
  if (n === 1) return { n, mean, std: NaN, ci95: NaN, low: mean, high: mean };
  const std = sampleStandardDeviation(xs);
  const ci95 = quantile(1 - (1 - confidence) / 2, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, ci95, low: mean - ci95, high: mean + ci95 };
}

/** `0.812 ± 0.031`, or `0.812` when there is no interval. */
export function formatSummary(s: Summary, digits = 3): string {
  if (s.n === 0) return '–';
  return Number.isFinite(s.ci95) ? `${s.mean.toFixed(digits)} ± ${s.ci95.toFixed(digits)}` : s.mean.toFixed(digits);
}
