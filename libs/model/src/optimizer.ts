/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW (betas 0.9/0.999, eps 1e-8), over one flat
 * parameter variable [P, n]: P packed trials, each with its own learning rate and weight decay.
 * One flat vector means ~12 elementwise ops per step instead of ~12 per parameter tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  lr: number[]; // per trial
  weightDecay: number[]; // per trial
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class AdamW {
  private m: Variable;
  private v: Variable;
  private lr: Tensor; // [P, 1]
  private decay: Tensor; // [P, 1]: 1 − lr·weightDecay
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private t = 0;

  constructor(
    private theta: Variable,
    options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    const trials = theta.shape[0]!;
    this.m = tf.tidy(() => tf.variable(tf.zerosLike(theta), false));
    this.v = tf.tidy(() => tf.variable(tf.zerosLike(theta), false));
    this.lr = tf.tensor2d(options.lr, [trials, 1]);
    this.decay = tf.tensor2d(options.lr.map((lr, i) => 1 - lr * options.weightDecay[i]!), [trials, 1]);
  }

  /** One step with the gradient of the flat parameters. */
  applyGradients(grad: Tensor): void {
    this.t += 1;
    const { beta1, beta2, eps, t } = this;
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(grad, 1 - beta1));
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
      // p ← p·(1 − lr·wd) − lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + eps)
      const denom = tf.add(tf.mul(tf.sqrt(v), 1 / Math.sqrt(1 - beta2 ** t)), eps);
      const step = tf.mul(this.lr, 1 / (1 - beta1 ** t)); // [P, 1]
      this.theta.assign(tf.sub(tf.mul(this.theta, this.decay), tf.mul(step, tf.div(m, denom))));
      this.m.assign(m);
      this.v.assign(v);
    });
  }

  /** Keeps only these trials' rows (a pack that shrinks): `theta` is the parameters' variable with the same rows kept. */
  keepRows(rows: readonly number[], theta: Variable): void {
    const take = (t: Tensor) => tf.tidy(() => tf.gather(t, Array.from(rows), 0));
    const kept = (t: Variable) => tf.tidy(() => tf.variable(tf.gather(t, Array.from(rows), 0), false)); // the tidy frees the gathered copy
    const [m, v, lr, decay] = [kept(this.m), kept(this.v), take(this.lr), take(this.decay)];
    tf.dispose([this.m, this.v, this.lr, this.decay]);
    Object.assign(this, { m, v, lr, decay, theta });
  }

  dispose(): void {
    tf.dispose([this.m, this.v, this.lr, this.decay]);
  }
}
