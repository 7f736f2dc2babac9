/**
 * The search space a sampler works in: each swept setting as one dimension. Numbers live on an internal axis
 * (the logarithm for log distributions, so that a kernel's width means a factor), bounded by [low, high];
 * categorical settings (`values:` lists) are indices into their choices. `value:` settings are fixed, not searched.
 */
import type { SettingName, Settings } from '@l2x/model/config';
import type { SettingValue, SweptParameter } from '../sweep-spec.ts';

export type Dimension =
  | { kind: 'numeric'; name: SettingName; low: number; high: number; log: boolean; step: number | null }
  | { kind: 'categorical'; name: SettingName; choices: SettingValue[] };

/** A point of the space: a number on each numeric dimension's internal axis, a choice index on each categorical one. */
export type Point = number[];

export class SearchSpace {
  readonly dimensions: Dimension[];
  /** Settings with a single `value:`, set on every configuration. */
  private readonly fixed: Partial<Record<SettingName, SettingValue>> = {};

  constructor(parameters: readonly SweptParameter[]) {
    this.dimensions = [];
    for (const { name, spec } of parameters) {
      if ('value' in spec) this.fixed[name] = spec.value;
      else if ('values' in spec) this.dimensions.push({ kind: 'categorical', name, choices: spec.values });
      else if (spec.distribution === 'normal') throw new Error(`bug: bayes cannot search ${name} over a normal distribution (parseSweep refuses it)`);
      else {
        const log = spec.distribution.includes('log');
        const step = 'q' in spec ? spec.q : spec.distribution === 'int_uniform' ? 1 : null;
        const axis = (x: number) => (log ? Math.log(x) : x);
        // A quantised range is widened by half a step on each side, so that its end values are as likely as the others.
        const half = step !== null && !log ? step / 2 : 0;
        this.dimensions.push({ kind: 'numeric', name, low: axis(spec.min) - half, high: axis(spec.max) + half, log, step });
      }
    }
  }

  /** The setting values of a point (quantised values rounded to their step, and kept within min and max). */
  toParams(point: Point): Partial<Settings> {
    const params: Record<string, SettingValue> = { ...this.fixed };
    this.dimensions.forEach((d, i) => {
      params[d.name] = d.kind === 'categorical' ? d.choices[point[i]!]! : this.toValue(d, point[i]!);
    });
    return params as Partial<Settings>;
  }

  /** A configuration's point, or null when one of its values is outside the space (the file changed since). */
  toPoint(params: Readonly<Partial<Settings>>): Point | null {
    const point: Point = [];
    for (const d of this.dimensions) {
      const value = (params as Record<string, SettingValue | undefined>)[d.name];
      if (d.kind === 'categorical') {
        const index = d.choices.findIndex((c) => c === value);
        if (index < 0) return null;
        point.push(index);
      } else {
        if (typeof value !== 'number') return null;
        const x = d.log ? Math.log(value) : value;
        if (!(x >= d.low - 1e-9 && x <= d.high + 1e-9)) return null;
        point.push(x);
      }
    }
    return point;
  }

  private toValue(d: Extract<Dimension, { kind: 'numeric' }>, x: number): number {
    const clamped = Math.min(d.high, Math.max(d.low, x));
    let value = d.log ? Math.exp(clamped) : clamped;
    if (d.step !== null) {
      const [min, max] = d.log ? [Math.exp(d.low), Math.exp(d.high)] : [d.low + d.step / 2, d.high - d.step / 2];
      value = Math.min(Math.max(Math.round(value / d.step) * d.step, Math.ceil(min / d.step - 1e-9) * d.step), Math.floor(max / d.step + 1e-9) * d.step);
      value = Number(value.toPrecision(12));
    }
    return value;
  }
}
