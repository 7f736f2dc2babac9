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

/**
 * Checks on tensor values made after the test body, reading values asynchronously: webgpu in Node cannot read
 * synchronously (dataSync), so test bodies queue their checks here and `run()` (in afterEach) performs them.
 */
export class DeferredChecks {
  private queue: { tensors: Tensor[]; check: (values: Float32Array[]) => void }[] = [];

  /** Queues `check` on the values of `tensors` (kept until run). */
  later(tensors: Tensor[], check: (values: Float32Array[]) => void): void {
    this.queue.push({ tensors: tensors.map((t) => tf.keep(t)), check });
  }

  /** expectClose, deferred: largest absolute difference relative to the reference's largest magnitude. */
  close(actual: Tensor, expected: Tensor, tolerance = 1e-4): void {
    expect(actual.shape).toEqual(expected.shape);
    this.later([actual, expected], ([a, e]) => {
      let diff = 0;
      let scale = 1e-6;
      e!.forEach((v, i) => ((diff = Math.max(diff, Math.abs(a![i]! - v))), (scale = Math.max(scale, Math.abs(v)))));
      expect(diff / scale).toBeLessThan(tolerance);
    });
  }

  async run(): Promise<void> {
    for (const { tensors, check } of this.queue.splice(0)) {
      const values = (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
      tf.dispose(tensors);
      check(values);
    }
  }
}
