/**
 * The trainer: trains one trial, or a pack of trials with the same shapes in one computation, and reports
 * through events. It knows nothing of where results are stored.
 *
 * A step makes no host↔device synchronisation: losses accumulate on the device and are read only when a
 * metric is due (every evalEvery steps and at the end).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { parseSettings, type BackendName, type Metrics, type ResolvedBackend, type Settings } from './config.ts';
import { loadBackend } from './backend.ts';
import { kernelChoiceFromEnv, type KernelChoice } from '@l2x/native-kernels';
import { useKernels } from './products.ts';
import { AbortError, NonFiniteLossError } from './errors.ts';
import { DeviceStream, drawsOnDevice, uniformRows } from './device-random.ts';
import { EVAL_SUMS, deviceGumbelNoise, evaluationSums, gumbelNoise, initialParams, modelSpec, paramCount, trainingLoss, unpackParams, type Context, type Inputs } from './model.ts';
import { AdamW } from './optimizer.ts';
import { oneHot, releaseHeld } from './ops.ts';
import { packKey } from './pack.ts';
import { Rng, STREAMS } from './random.ts';
import { temperature } from './schedule.ts';
import { createTask, type Batch, type Task } from './task.ts';

export type TrainEvent =
  | { type: 'start'; backend: ResolvedBackend; kernels: string; tfjsVersion: string; device: string; skipped: string[] }
  | { type: 'progress'; step: number; steps: number } // every few steps, without reading the device
  | { type: 'eval'; step: number; tau: number; metrics: Metrics };

/** An event of one trial of a pack; `trial` is its index in the pack. */
export type PackEvent = TrainEvent & { trial: number };

export interface TrainResult {
  backend: ResolvedBackend;
  /** The product kernels that ran: `wasm+native avx2`, `wasm`, or the backend's own (products.ts). */
  kernels: string;
  tfjsVersion: string;
  /** What ran it: the adapter's or CUDA device's name, or "cpu" (LoadedBackend.device). */
  device: string;
  metrics: Metrics;
  steps: number;
  /** Wall time of the training steps (evaluations excluded); shared by the trials of a pack. */
  trainMs: number;
  msPerStep: number;
  /** Trials trained together with this one (1 = alone): msPerStep / packSize is its share. */
  packSize: number;
}

export type PackOutcome = { ok: true; result: TrainResult } | { ok: false; error: NonFiniteLossError };

export interface TrainOptions {
  backend?: BackendName;
  /** Product kernels under the wasm backend (default: the L2X_KERNELS environment variable, else auto). */
  kernels?: KernelChoice;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
}

export interface PackOptions {
  backend?: BackendName;
  kernels?: KernelChoice;
  signal?: AbortSignal;
  onEvent?: (event: PackEvent) => void;
  /**
   * Progress events wait until the device has finished the steps before them (benchmarks time steps by them).
   * Otherwise on a GPU backend a progress event says a step was queued, not run.
   */
  syncProgress?: boolean;
  /**
   * Where Gumbel noise and dropout masks are drawn: `device` (the default on webgpu: a kernel, nothing uploaded;
   * also on cpu, for tests) or `host` (the default elsewhere: JavaScript streams, the same on every backend).
   */
  random?: 'host' | 'device';
}

/** The held-out set is the same for every trial (drawn from this seed), so trials are compared on equal terms. */
export const EVAL_SEED = 0x5eed;
const PROGRESS_EVERY = 10;

/** Trains one trial. Throws NonFiniteLossError if its loss diverges, AbortError when aborted. */
export async function train(settings: Settings, options: TrainOptions = {}): Promise<TrainResult> {
  const { onEvent } = options;
  const [outcome] = await trainPack([settings], {
    backend: options.backend,
    kernels: options.kernels,
    signal: options.signal,
    onEvent: onEvent ? ({ trial: _trial, ...event }) => onEvent(event as TrainEvent) : undefined,
  });
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.result;
}

/** Per-trial host state: its random streams (noise and dropout on the host, or their keys on the device). */
interface TrialState {
  settings: Settings;
  data: Rng;
  dropout: Rng;
  noise: Rng;
  deviceDropout: DeviceStream;
  deviceNoise: DeviceStream;
  failed: NonFiniteLossError | null;
}

/** Noise for one batch: from each trial's host stream, or drawn on the device from its device stream's next key. */
type NoiseSource = { host: Rng[] } | { device: DeviceStream[] };

/**
 * Trains trials with equal packKey together: weights and optimiser state stacked along a leading axis.
 * A packed trial gives the same metrics as the same trial trained alone. Outcomes are in pack order.
 */
export async function trainPack(input: Settings[], options: PackOptions = {}): Promise<PackOutcome[]> {
  if (input.length === 0) return [];
  // Settings typed as such can still be wrong at run time (built by hand, read from JSON): a UserError before any work.
  const pack = input.map((s, i) => parseSettings(s, input.length > 1 ? `trial ${i}` : 'settings'));
  const key = packKey(pack[0]!);
  pack.forEach((s, i) => {
    if (packKey(s) !== key) throw new Error(`trainPack: trial ${i} differs from trial 0 in a setting that fixes shapes (${packKey(s)} vs ${key})`);
  });
  const { backend, version, device, skipped } = await loadBackend(options.backend ?? 'auto');
  const kernels = useKernels(options.kernels ?? kernelChoiceFromEnv());
  const emit = options.onEvent ?? (() => {});
  pack.forEach((_, trial) => emit({ type: 'start', trial, backend, kernels, tfjsVersion: version, device, skipped }));
  const onDevice = (options.random ?? (drawsOnDevice() ? 'device' : 'host')) === 'device'; // drawn by a kernel, not uploaded

  const first = pack[0]!;
  const tasks = pack.map(createTask); // the same shapes; the data may differ (labelTokens)
  const task = tasks[0]!;
  const spec = modelSpec(first, task.classes);
  const trials = pack.length;
  const kMax = Math.max(...pack.map((s) => s.k));
  const steps = first.steps;
  const state: TrialState[] = pack.map((settings) => ({
    settings,
    data: Rng.stream(settings.seed, 'data'),
    dropout: Rng.stream(settings.seed, 'dropout'),
    noise: Rng.stream(settings.seed, 'noise'),
    deviceDropout: new DeviceStream(settings.seed, STREAMS.dropout),
    deviceNoise: new DeviceStream(settings.seed, STREAMS.noise),
    failed: null,
  }));
  const reuseBuffers = tf.getBackend() === 'wasm'; // wasm copies uploads into its heap; cpu and tfjs-node keep the array
  const buffers = new Map<number, Float32Array>();
  const buffer = (n: number) => {
    if (!reuseBuffers) return new Float32Array(n);
    let b = buffers.get(n);
    if (!b) buffers.set(n, (b = new Float32Array(n)));
    return b;
  };

  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => (owned.push(t), t);
  let optimizer: AdamW | undefined;
  let lossSum: Tensor | undefined;
  let firstBad: Tensor | undefined;
  try {
    const n = paramCount(spec);
    const init = new Float32Array(trials * n);
    state.forEach((s, p) => init.set(initialParams(spec, Rng.stream(s.settings.seed, 'init')), p * n));
    const theta = own(tf.tidy(() => tf.variable(tf.tensor2d(init, [trials, n]), true, `theta_${Date.now()}_${Math.random()}`)));
    optimizer = new AdamW(theta, { lr: pack.map((s) => s.lr), weightDecay: pack.map((s) => s.weightDecay) });
    const kValues = own(tf.tensor1d(pack.map((s) => s.k)));
    const kMask = own(tf.tensor4d(pack.flatMap((s) => Array.from({ length: kMax }, (_, j) => (j < s.k ? 1 : 0))), [trials, 1, kMax, 1]));
    const auxWeight = own(tf.tensor1d(pack.map((s) => s.auxWeight)));
    const withAux = pack.some((s) => s.auxWeight > 0);
    lossSum = tf.zeros([trials]);
    firstBad = tf.fill([trials], -1);
    let sinceEval = 0;
    let trainMs = 0;
    const evalSets = tasks.map((t) => heldOut(t, first.evalSize));
    const finals: (Metrics | null)[] = pack.map(() => null);

    /** Dropout keep-masks, each trial's part from its own stream. */
    const keep = (shape: number[], scaled: boolean, draw?: boolean[]): Tensor => {
      const size = shape.reduce((a, b) => a * b, 1);
      const value = scaled ? 1 / (1 - first.dropout) : 1;
      if (onDevice) return deviceKeep(shape, size, value, draw);
      const values = buffer(trials * size);
      state.forEach((s, p) => {
        const part = values.subarray(p * size, (p + 1) * size);
        if (draw && !draw[p]) part.fill(value);
        else s.dropout.keepMask(part, first.dropout, value);
      });
      return tf.tensor(values, [trials, ...shape]);
    };
    /** The same on the device: a trial that does not draw advances no key, as it would alone. */
    const deviceKeep = (shape: number[], size: number, value: number, draw?: boolean[]): Tensor => {
      const keys = state.map((s, p) => (draw && !draw[p] ? 0 : s.deviceDropout.next()));
      let mask = tf.mul(tf.cast(tf.greaterEqual(uniformRows(keys, size), first.dropout), 'float32'), value); // [P, size]
      if (draw?.some((d) => !d)) mask = tf.where(tf.tensor2d(draw.map((d) => [d]), [trials, 1], 'bool'), mask, tf.fill([trials, size], value));
      return tf.reshape(mask, [trials, ...shape]);
    };
    const noiseFor = (source: NoiseSource, b: number): Tensor =>
      'host' in source
        ? gumbelNoise(spec.sampler, source.host, pack.map((s) => s.k), b, task.tokens)
        : deviceGumbelNoise(spec.sampler, source.device.map((d) => d.next()), pack.map((s) => s.k), b, task.tokens);

    const inputs = (batches: Batch[], noise: NoiseSource, taus: number[]): Inputs => {
      const b = batches[0]!.size;
      const ids = new Int32Array(trials * b * task.tokens);
      const labels = new Int32Array(trials * b);
      batches.forEach((batch, p) => (ids.set(batch.ids, p * batch.ids.length), labels.set(batch.labels, p * b)));
      return {
        ids: tf.tensor3d(ids, [trials, b, task.tokens], 'int32'),
        labels: oneHot(tf.tensor2d(labels, [trials, b], 'int32'), task.classes),
        noise: noiseFor(noise, b),
        tau: tf.tensor4d(taus, [trials, 1, 1, 1]),
        kMask,
        auxWeight,
        auxTrials: pack.map((s) => s.auxWeight > 0),
      };
    };

    /** Waits for the device to finish the steps queued so far (GPU backends run them asynchronously). */
    const settle = () => Promise.all([lossSum!.data(), firstBad!.data()]);
    const evaluate = async (step: number, taus: number[], [losses, bad]: Awaited<ReturnType<typeof settle>>): Promise<void> => {
      // The same noise at every evaluation: the streams start over each time.
      const noise: NoiseSource = onDevice
        ? { device: state.map((s) => new DeviceStream(s.settings.seed, STREAMS.evalNoise)) }
        : { host: state.map((s) => Rng.stream(s.settings.seed, 'evalNoise')) };
      const chunk = Math.max(16, Math.min(1024, Math.floor(2 ** 23 / (trials * task.tokens * Math.max(spec.ff, 4 * spec.dModel)))));
      let sums = tf.zeros([trials, EVAL_SUMS.length]);
      for (let start = 0; start < first.evalSize; start += chunk) {
        const parts = evalSets.map((set) => slice(set, start, Math.min(first.evalSize, start + chunk)));
        const size = parts[0]!.size;
        const next = tf.tidy(() => {
          const x = inputs(parts, noise, taus);
          const relevant = new Float32Array(trials * size * task.tokens);
          parts.forEach((part, p) => relevant.set(part.relevant, p * part.relevant.length));
          const ctx: Context = { spec, trials, batch: size, keep: null };
          return tf.add(sums, evaluationSums(unpackParams(spec, theta), x, tf.tensor3d(relevant, [trials, size, task.tokens]), kValues, ctx));
        });
        releaseHeld();
        sums.dispose();
        sums = next;
      }
      const values = await sums.data();
      sums.dispose();
      state.forEach((s, p) => {
        if (s.failed) return;
        if (bad[p]! >= 0 || !Number.isFinite(losses[p]!)) {
          s.failed = new NonFiniteLossError(bad[p]! >= 0 ? bad[p]! : step);
          return;
        }
        const at = (i: number) => values[p * EVAL_SUMS.length + i]!;
        const size = first.evalSize;
        const soft = at(1) / size;
        const hard = at(2) / size;
        const metrics: Metrics = {
          loss: losses[p]! / sinceEval,
          mean_acc: at(0) / size,
          soft_acc: soft,
          hard_acc: hard,
          gap: soft - hard,
          precision: at(4) > 0 ? at(3) / at(4) : 0,
          mask_sum: at(5) / size,
          mask_distinct: at(6) / size,
        };
        finals[p] = metrics;
        emit({ type: 'eval', trial: p, step, tau: taus[p]!, metrics });
      });
      lossSum!.dispose();
      lossSum = tf.zeros([trials]);
      sinceEval = 0;
    };

    for (let step = 1; step <= steps; step++) {
      if (options.signal?.aborted) throw new AbortError(step - 1, { cause: options.signal.reason });
      const started = performance.now();
      const taus = pack.map((s) => temperature(s, step - 1));
      const batches = state.map((s, p) => tasks[p]!.batch(s.data, first.batchSize));
      const [nextSum, nextBad] = tf.tidy(() => {
        const x = inputs(batches, onDevice ? { device: state.map((s) => s.deviceNoise) } : { host: state.map((s) => s.noise) }, taus);
        const ctx: Context = { spec, trials, batch: first.batchSize, keep: first.dropout > 0 ? keep : null };
        let losses: Tensor | undefined;
        const { grads } = tf.variableGrads(() => {
          losses = tf.keep(trainingLoss(unpackParams(spec, theta), x, ctx, withAux)); // [P]
          return tf.sum(losses) as Scalar;
        }, [theta]);
        optimizer!.applyGradients(grads[theta.name]!);
        const finite = tf.equal(tf.sub(losses!, losses!), 0); // false for NaN and ±Infinity
        const newlyBad = tf.logicalAnd(tf.less(firstBad!, 0), tf.logicalNot(finite));
        const result = [tf.add(lossSum!, losses!), tf.where(newlyBad, tf.fill([trials], step), firstBad!)];
        losses!.dispose();
        return result;
      });
      releaseHeld();
      lossSum.dispose();
      firstBad.dispose();
      lossSum = nextSum!;
      firstBad = nextBad!;
      sinceEval += 1;

      const evalDue = step % first.evalEvery === 0 || step === steps;
      const progressDue = step % PROGRESS_EVERY === 0 || step === steps;
      // Training time includes waiting for the device to finish the queued steps, before an evaluation starts.
      const settled = evalDue || (progressDue && options.syncProgress) ? await settle() : undefined;
      trainMs += performance.now() - started;

      if (progressDue) state.forEach((s, p) => !s.failed && emit({ type: 'progress', trial: p, step, steps }));
      if (evalDue) {
        await evaluate(step, pack.map((s) => temperature(s, step)), settled!);
        if (state.every((s) => s.failed)) break;
      } else if (step % PROGRESS_EVERY === 0) {
        await new Promise((resolve) => setImmediate(resolve)); // let the UI, signals and timers run
      }
    }
    return state.map((s, p): PackOutcome => {
      if (s.failed) return { ok: false, error: s.failed };
      return {
        ok: true,
        result: { backend, kernels, tfjsVersion: version, device, metrics: finals[p]!, steps, trainMs, msPerStep: trainMs / steps, packSize: trials },
      };
    });
  } finally {
    releaseHeld();
    optimizer?.dispose();
    tf.dispose([...owned, ...(lossSum ? [lossSum] : []), ...(firstBad ? [firstBad] : [])]);
  }
}

/** The held-out set: evalSize samples from EVAL_SEED. */
function heldOut(task: Task, size: number): Batch {
  return task.batch(Rng.stream(EVAL_SEED, 'evalData'), size);
}

function slice(batch: Batch, from: number, to: number): Batch {
  const t = batch.ids.length / batch.size;
  return {
    size: to - from,
    ids: batch.ids.subarray(from * t, to * t),
    labels: batch.labels.subarray(from, to),
    relevant: batch.relevant.subarray(from * t, to * t),
  };
}
