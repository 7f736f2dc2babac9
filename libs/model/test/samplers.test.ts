import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackend } from '../src/backend.ts';
import { gumbelMax, relaxedTopk, sample, topkMask } from '../src/model.ts';
import { SAMPLERS } from '../src/config.ts';

const B = 32, T = 9;
// A pack of two trials with different k: the masks of each must respect its own k.
const ks = [3, 5];
const K = Math.max(...ks);
const kMask = () => tf.tensor4d(ks.flatMap((k) => Array.from({ length: K }, (_, j) => (j < k ? 1 : 0))), [2, 1, K, 1]);
const logp = () => tf.logSoftmax(tf.randomNormal([2, B, T], 0, 2, 'float32', 1));
const rowSums = (m: tf.Tensor) => Array.from(tf.sum(m, -1).dataSync());

describe('samplers', () => {
  beforeAll(async () => {
    await loadBackend('wasm');
  });

  it('hard masks have exactly k ones per row, 0/1 valued, at the k largest scores', () => {
    tf.tidy(() => {
      const scores = logp();
      const hard = topkMask(scores, kMask());
      expect(Array.from(hard.dataSync()).every((v) => v === 0 || v === 1)).toBe(true);
      expect(rowSums(hard)).toEqual([...new Array(B).fill(3), ...new Array(B).fill(5)]);
      // every selected score is ≥ every unselected one
      const selectedMin = tf.min(tf.where(tf.equal(hard, 1), scores, tf.fill(scores.shape, Infinity)), -1);
      const unselectedMax = tf.max(tf.where(tf.equal(hard, 0), scores, tf.fill(scores.shape, -Infinity)), -1);
      expect(tf.all(tf.greaterEqual(selectedMin, unselectedMax)).dataSync()[0]).toBe(1);
    });
  });

  it('relaxed-topk masks sum to k (each trial its own k), and are nearly k-hot at a low temperature', () => {
    tf.tidy(() => {
      for (const tau of [0.01, 1, 5]) {
        const mask = relaxedTopk(logp(), tf.randomNormal([2, B, T], 0, 1, 'float32', 2), tf.fill([2, 1, 1, 1], tau), kMask());
        rowSums(mask).forEach((s, i) => expect(s).toBeCloseTo(i < B ? 3 : 5, 4));
        expect(tf.min(mask).dataSync()[0]).toBeGreaterThanOrEqual(0);
        if (tau === 0.01) {
          const hard = topkMask(mask, kMask()); // the k largest entries carry nearly all the mass
          const topMass = rowSums(tf.mul(mask, hard));
          const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          expect(mean(topMass.slice(0, B))).toBeGreaterThan(3 - 0.1);
          expect(mean(topMass.slice(B))).toBeGreaterThan(5 - 0.1);
        }
      }
    });
  });

  it('gumbel-max at a low temperature is close to k-hot with at most k mass, and its duplicates show up as sums < k', () => {
    tf.tidy(() => {
      const mask = gumbelMax(logp(), tf.randomNormal([K, 2, B, T], 0, 1, 'float32', 3), tf.fill([2, 1, 1, 1], 0.01), kMask());
      const sums = rowSums(mask);
      sums.forEach((s, i) => expect(s).toBeLessThanOrEqual((i < B ? 3 : 5) + 1e-4));
      expect(sums.some((s) => s < 2.9)).toBe(true); // independent samples collide sometimes
      const nearBinary = Array.from(mask.dataSync()).filter((v) => v > 0.01 && v < 0.99).length / mask.size;
      expect(nearBinary).toBeLessThan(0.05);
    });
  });

  it('every sampler gives a differentiable mask', () => {
    for (const sampler of SAMPLERS) {
      tf.tidy(() => {
        const l = logp();
        const noiseShape = sampler === 'relaxed-topk' ? [2, B, T] : [K, 2, B, T];
        const noise = tf.randomNormal(noiseShape, 0, 1, 'float32', 4);
        const probe = tf.randomNormal([2, B, T], 0, 1, 'float32', 5);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(sample(sampler, x, noise, tf.fill([2, 1, 1, 1], 0.5), kMask()), probe)))(l);
        expect(tf.max(tf.abs(g)).dataSync()[0], sampler).toBeGreaterThan(1e-4);
      });
    }
  });
});
