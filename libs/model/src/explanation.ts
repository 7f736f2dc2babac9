/**
 * How good an explanation is against the known truth, per sample then averaged over samples (host-side, from
 * E's scores and the hard selection of the held-out set):
 * - median rank (L2X, Chen et al. 2018): rank the positions by E's score (1 = most important; ties broken at
 *   random), take the median of the true positions' ranks. Its optimum is (m + 1)/2 for m true positions;
 *   choosing at random gives (T + 1)/2 in expectation.
 * - TPR and FDR of the hard selection S (INVASE, Yoon et al. 2019): |S ∩ truth| / |truth| and |S \ truth| / |S|.
 * - precision: all selected positions that are true over all selected positions (pooled, not per sample).
 */
import type { Rng } from './random.ts';

export interface ExplanationMetrics {
  median_rank: number;
  tpr: number;
  fdr: number;
  precision: number;
}

/** The median of the true positions' ranks in one sample; `order` is scratch space of length T. */
function sampleMedianRank(scores: ArrayLike<number>, truth: ArrayLike<number>, tiebreak: Float64Array, order: number[]): number {
  const t = order.length;
  for (let i = 0; i < t; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || tiebreak[a]! - tiebreak[b]!);
  const ranks: number[] = [];
  order.forEach((position, r) => truth[position]! > 0 && ranks.push(r + 1));
  ranks.sort((a, b) => a - b);
  const m = ranks.length;
  return m % 2 ? ranks[(m - 1) / 2]! : (ranks[m / 2 - 1]! + ranks[m / 2]!) / 2;
}

/**
 * The explanation metrics over `size` samples of T positions: scores, hard selection and truth are [size, T]
 * row-major; `rng` breaks ties (a fixed stream gives the same answer every time). Samples without any true
 * position count 0 in median rank and TPR (no task makes them).
 */
export function explanationMetrics(scores: ArrayLike<number>, hard: ArrayLike<number>, truth: ArrayLike<number>, size: number, rng: Rng): ExplanationMetrics {
  const t = scores.length / size;
  const order = new Array<number>(t);
  const tiebreak = new Float64Array(t);
  let rank = 0, tpr = 0, fdr = 0, selectedTrue = 0, selected = 0;
  for (let b = 0; b < size; b++) {
    const row = (a: ArrayLike<number>) => Array.prototype.slice.call(a, b * t, (b + 1) * t) as number[];
    const [s, h, y] = [row(scores), row(hard), row(truth)];
    for (let i = 0; i < t; i++) tiebreak[i] = rng.uniform();
    const nTrue = y.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
    const nSelected = h.reduce((a, v) => a + (v > 0.5 ? 1 : 0), 0);
    const hits = h.reduce((a, v, i) => a + (v > 0.5 && y[i]! > 0 ? 1 : 0), 0);
    if (nTrue > 0) {
      rank += sampleMedianRank(s, y, tiebreak, order);
      tpr += hits / nTrue;
    }
    if (nSelected > 0) fdr += (nSelected - hits) / nSelected;
    selectedTrue += hits;
    selected += nSelected;
  }
  return { median_rank: rank / size, tpr: tpr / size, fdr: fdr / size, precision: selected > 0 ? selectedTrue / selected : 0 };
}
