/**
 * Seeded random numbers on the host. Every random draw of a trial (data, initialisation, dropout masks,
 * Gumbel noise) comes from one of these streams, each derived from the trial's seed, so that a trial re-run
 * on the same backend is identical. Generating noise here (rather than with tf.random*) keeps it identical
 * across backends and costs no host↔device synchronisation.
 */

/** splitmix32: turns any 32-bit value into a well-mixed one (seeding, stream derivation). */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The named random streams of a trial. */
export const STREAMS = { data: 1, init: 2, dropout: 3, noise: 4, evalNoise: 5, evalData: 6, evalTies: 7 } as const;
export type StreamName = keyof typeof STREAMS;

/** xoshiro128**: small, fast, good enough for ML noise, and exactly reproducible in JavaScript. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    let x = mix32(seed ^ Math.imul(stream + 1, 0x632be5ab));
    this.s0 = x = mix32(x);
    this.s1 = x = mix32(x);
    this.s2 = x = mix32(x);
    this.s3 = mix32(x) | 1; // never all zero
  }

  /** A stream of the trial with this seed. */
  static stream(seed: number, name: StreamName): Rng {
    return new Rng(seed, STREAMS[name]);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const r5 = Math.imul(s1, 5);
    const result = Math.imul((r5 << 7) | (r5 >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in the open interval (0, 1). */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Fills `out` with standard Gumbel noise, −log(−log u). */
  gumbel(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = -Math.log(-Math.log(this.uniform()));
    return out;
  }

  /**
   * Fills `out` with a dropout keep-mask: `value` with probability 1 − p, else 0 (value 1 when the
   * 1/(1 − p) scale is applied elsewhere). Two 16-bit draws per 32-bit number (p is resolved to 1/65536):
   * this is the hot loop of a step at ff 2048 (2.4 M entries), so it is written for speed.
   */
  keepMask(out: Float32Array, p: number, value = 1): Float32Array {
    const threshold = Math.round(p * 65536);
    const n = out.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const r = this.nextUint32();
      out[i] = (r & 0xffff) >= threshold ? value : 0;
      out[i + 1] = r >>> 16 >= threshold ? value : 0;
    }
    if (i < n) out[i] = (this.nextUint32() & 0xffff) >= threshold ? value : 0;
    return out;
  }
}
