import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Largest absolute difference between two tensors, relative to the larger magnitude of the reference. */
export function relativeError(actual: Tensor, expected: Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]!;
    const scale = Math.max(1e-6, tf.max(tf.abs(expected)).dataSync()[0]!);
    return diff / scale;
  });
}

export function expectClose(actual: Tensor, expected: Tensor, tolerance = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(relativeError(actual, expected)).toBeLessThan(tolerance);
}
