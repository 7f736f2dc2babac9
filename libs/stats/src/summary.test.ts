import { describe, expect, it } from 'vitest';
import { formatSummary, momentsOf, poolMoments, summarize, summarizeMoments } from './summary.ts';

describe('summarize', () => {
  it('gives mean, sample std and the t-based 95% interval (checked by hand)', () => {
    // 0.6, 0.7, 0.8: mean 0.7, s = 0.1, t(0.975, 2) = 4.302653, half-width = 4.302653 · 0.1 / √3 = 0.248414
    const s = summarize([0.6, 0.7, 0.8]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.7, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
    expect(s.ci95).toBeCloseTo(0.248414, 5);
    expect(s.low).toBeCloseTo(0.7 - 0.248414, 5);
  });

  it('uses t with n − 1 degrees of freedom: 5 values', () => {
    // 1..5: mean 3, s = √2.5 = 1.581139, t(0.975, 4) = 2.776445, half-width = 1.963243
    expect(summarize([1, 2, 3, 4, 5]).ci95).toBeCloseTo(1.963243, 5);
  });

  it('leaves out missing values and has no interval with one value', () => {
    const s = summarize([0.5, null, NaN, undefined]);
    expect(s).toMatchObject({ n: 1, mean: 0.5, low: 0.5, high: 0.5 });
    expect(s.ci95).toBeNaN();
    expect(summarize([]).n).toBe(0);
  });

  it('formats as mean ± half-width', () => {
    expect(formatSummary(summarize([0.6, 0.7, 0.8]))).toBe('0.700 ± 0.248');
    expect(formatSummary(summarize([0.5]))).toBe('0.500');
    expect(formatSummary(summarize([]))).toBe('–');
  });

  it('pools moments: the summary of two sets pooled is the summary of all their values', () => {
    const a = [0.91, 0.93, 0.9];
    const b = [0.88, 0.95];
    const pooled = summarizeMoments(poolMoments([momentsOf(a), momentsOf(b)]));
    const direct = summarize([...a, ...b]);
    expect(pooled.n).toBe(5);
    expect(pooled.mean).toBeCloseTo(0.914, 12);
    // sample std of the five values, by hand: deviations -.004 .016 -.014 -.034 .036 → Σd² = .00292, /4, √
    expect(pooled.std).toBeCloseTo(Math.sqrt(0.00292 / 4), 10);
    expect(pooled.ci95).toBeCloseTo(direct.ci95, 12);
  });
});
