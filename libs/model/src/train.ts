/**
 * The trainer: trains one trial, or a pack of trials with the same shapes in one computation, and reports
 * through events. It knows nothing of where results are stored.
 *
 * A step makes no host↔device synchronisation: losses accumulate on the device and are read only when a
 * metric is due (every evalEvery steps and at the end).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { parseSettings, type BackendName, type Metrics, type ResolvedBackend, type Settings } from './config.ts';
import { loadBackend } from './backend.ts';
import { kernelChoiceFromEnv, type KernelChoice } from '@l2x/native-kernels';
import { useKernels } from './products.ts';
import { AbortError, NonFiniteLossError } from './errors.ts';
import { DeviceStream, drawsOnDevice, uniformRows } from './device-random.ts';
import { EVAL_SUMS, MLP, deviceGumbelNoise, evaluationChunk, gumbelNoise, initialParams, l2Coefficients, l2Penalty, modelSpec, paramCount, trainingLoss, unpackParams, type BatchNormState, type Context, type Inputs, type ModelSpec } from './model.ts';
import { explanationMetrics } from './explanation.ts';
import { AdamW } from './optimizer.ts';
import { releaseHeld } from './ops.ts';
import { packKey } from './pack.ts';
import { evaluationChunkSize } from './memory.ts';
import { Rng, STREAMS } from './random.ts';
import { temperature } from './schedule.ts';
import { createTask, sliceBatch, type Batch, type Task } from './task.ts';

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

/** A trial's end: its result, its divergence, or the step where it was stopped (PackOptions.afterEval: pruned). */
export type PackOutcome =
  | { ok: true; result: TrainResult }
  | { ok: false; error: NonFiniteLossError }
  | { ok: false; error: null; stoppedAt: number };

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
  /**
   * Called after each evaluation with the step and the pack indices of the trials still training; the trials it
   * returns stop there (early termination): the pack leaves them, so the steps after cost only the others.
   */
  afterEval?: (step: number, training: readonly number[]) => Promise<readonly number[]> | readonly number[];
}

/** A fresh name for the parameters' variable (tf.variableGrads finds gradients by name). */
const thetaName = () => `theta_${Date.now()}_${Math.random()}`;

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

/**
 * Trains trials with equal packKey together: weights and optimiser state stacked along a leading axis.
 * A packed trial gives the same metrics as the same trial trained alone. Outcomes are in pack order.
 *
 * Read top to bottom: check the pack, start the backend, set up the trials, then step, evaluate when due,
 * and hand back each trial's outcome.
 */
export async function trainPack(input: Settings[], options: PackOptions = {}): Promise<PackOutcome[]> {
  if (input.length === 0) return [];
  const pack = checkPack(input);
  const { backend, version, device, skipped } = await loadBackend(options.backend ?? 'auto');
  const kernels = useKernels(options.kernels ?? kernelChoiceFromEnv());
  const emit = options.onEvent ?? (() => {});
  pack.forEach((_, trial) => emit({ type: 'start', trial, backend, kernels, tfjsVersion: version, device, skipped }));
  const onDevice = (options.random ?? (drawsOnDevice() ? 'device' : 'host')) === 'device'; // drawn by a kernel, not uploaded

  const { steps, evalEvery } = pack[0]!;
  let run: PackRun | undefined;
  try {
    run = new PackRun(pack, emit, onDevice);
    for (let step = 1; step <= steps; step++) {
      if (options.signal?.aborted) throw new AbortError(step - 1, { cause: options.signal.reason });
      run.trainStep(step);
      const evalDue = step % evalEvery === 0 || step === steps;
      const progressDue = step % PROGRESS_EVERY === 0 || step === steps;
      // Training time includes waiting for the device to finish the queued steps, before an evaluation starts.
      const settled = evalDue || (progressDue && options.syncProgress) ? await run.settle() : undefined;
      if (progressDue) run.reportProgress(step);
      if (evalDue) {
        await run.evaluate(step, settled!);
        if (options.afterEval && step < steps) run.stop(await options.afterEval(step, run.training()), step);
        if (run.allFailed()) break;
      }
      // Let the UI, signals, timers and the parent's messages (a stop) run: an evaluation awaits only promises on
      // wasm and cpu, which never reach the event loop.
      if (step % PROGRESS_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return run.outcomes({ backend, kernels, tfjsVersion: version, device }, pack.length);
  } finally {
    run?.dispose();
  }
}

/** Settings typed as such can still be wrong at run time (built by hand, read from JSON): a UserError before any work. */
function checkPack(input: Settings[]): Settings[] {
  const pack = input.map((s, i) => parseSettings(s, input.length > 1 ? `trial ${i}` : 'settings'));
  const key = packKey(pack[0]!);
  pack.forEach((s, i) => {
    if (packKey(s) !== key) throw new Error(`trainPack: trial ${i} differs from trial 0 in a setting that fixes shapes (${packKey(s)} vs ${key})`);
  });
  return pack;
}

/** Per-trial host state: its random streams (noise and dropout on the host, or their keys on the device), its last metrics, and whether it failed. */
interface TrialState {
  settings: Settings;
  data: Rng;
  dropout: Rng;
  noise: Rng;
  deviceDropout: DeviceStream;
  deviceNoise: DeviceStream;
  metrics: Metrics | null;
  failed: NonFiniteLossError | null;
  /** The trial's index in the pack as given (rows shift when a pack shrinks). */
  index: number;
}

/** Noise for one batch: from each trial's host stream, or drawn on the device from its device stream's next key. */
type NoiseSource = { host: Rng[] } | { device: DeviceStream[] };

/** The losses summed since the last evaluation and each trial's first non-finite step, read once the device has finished. */
type Settled = [losses: ArrayLike<number>, firstBad: ArrayLike<number>];

/** One pack in training: its tasks, parameters, optimiser, loss accumulators and held-out sets. */
class PackRun {
  private readonly first: Settings;
  private trials: number;
  private tasks: Task[];
  private readonly task: Task;
  private readonly spec: ModelSpec;
  private state: TrialState[];
  private evalSets: Batch[];
  /** Trials stopped early, by pack index as given: the step where each stopped. */
  private readonly stopped = new Map<number, number>();
  private readonly owned: Tensor[] = [];
  private readonly buffers = new Map<number, Float32Array>();
  private readonly reuseBuffers = tf.getBackend() === 'wasm'; // wasm copies uploads into its heap; cpu and tfjs-node keep the array
  private theta!: Variable;
  private optimizer?: AdamW;
  private kValues!: Tensor; // [P]
  private kMask!: Tensor; // [P, 1, K, 1]
  private auxWeight!: Tensor; // [P]
  private l2: Tensor | null = null; // [1, n]: each parameter entry's L2 coefficient (the MLPs)
  private moving: Variable | null = null; // [P, layers·2·W]: batch normalisation's moving mean and variance (the MLPs)
  private readonly withAux: boolean;
  private lossSum: Tensor; // [P], summed since the last evaluation
  private firstBad: Tensor; // [P], the first step with a non-finite loss, or −1
  private sinceEval = 0;
  private trainMs = 0;

  constructor(
    private pack: Settings[],
    private readonly emit: (event: PackEvent) => void,
    /** Gumbel noise and dropout masks drawn on the device (PackOptions.random) rather than uploaded from host streams. */
    private readonly onDevice: boolean,
  ) {
    this.first = pack[0]!;
    this.trials = pack.length;
    this.tasks = pack.map(createTask); // the same shapes; the data may differ (labelTokens)
    this.task = this.tasks[0]!;
    this.spec = modelSpec(this.first, this.task);
    this.state = pack.map((settings, index) => ({
      settings,
      data: Rng.stream(settings.seed, 'data'),
      dropout: Rng.stream(settings.seed, 'dropout'),
      noise: Rng.stream(settings.seed, 'noise'),
      deviceDropout: new DeviceStream(settings.seed, STREAMS.dropout),
      deviceNoise: new DeviceStream(settings.seed, STREAMS.noise),
      metrics: null,
      failed: null,
      index,
    }));
    this.evalSets = this.tasks.map((t) => heldOut(t, this.first.evalSize));
    this.withAux = pack.some((s) => s.auxWeight > 0);
    this.lossSum = tf.zeros([this.trials]);
    this.firstBad = tf.fill([this.trials], -1);
    this.initParameters();
  }

  /** Each trial's initial parameters from its own stream, stacked; the optimiser; per-trial k and aux weight. */
  private initParameters(): void {
    const { spec, trials, pack } = this;
    const own = <T extends Tensor>(t: T): T => (this.owned.push(t), t);
    const n = paramCount(spec);
    const init = new Float32Array(trials * n);
    this.state.forEach((s, p) => init.set(initialParams(spec, Rng.stream(s.settings.seed, 'init')), p * n));
    this.theta = tf.tidy(() => tf.variable(tf.tensor2d(init, [trials, n]), true, thetaName()));
    this.optimizer = new AdamW(this.theta, { lr: pack.map((s) => s.lr), weightDecay: pack.map((s) => s.weightDecay) });
    const kMax = Math.max(...pack.map((s) => s.k));
    this.kValues = tf.tensor1d(pack.map((s) => s.k));
    this.kMask = tf.tensor4d(pack.flatMap((s) => Array.from({ length: kMax }, (_, j) => (j < s.k ? 1 : 0))), [trials, 1, kMax, 1]);
    this.auxWeight = tf.tensor1d(pack.map((s) => s.auxWeight));
    const l2 = l2Coefficients(spec);
    if (l2) this.l2 = own(tf.tensor2d(l2, [1, n]));
    if (spec.input === 'features') {
      const w = MLP.approximator;
      const start = Array.from({ length: MLP.bnLayers }, () => [new Array<number>(w).fill(0), new Array<number>(w).fill(1)]).flat(2); // mean 0, variance 1
      this.moving = tf.tidy(() => tf.variable(tf.tensor2d(new Array(trials).fill(start).flat(), [trials, start.length]), false)); // the tidy frees the initial value
    }
  }

  /** Batch normalisation's moving averages ← momentum · old + (1 − momentum) · this step's batch statistics. */
  private updateMoving(norm: BatchNormState | null): void {
    if (!this.moving || !norm) return;
    const m = MLP.bnMomentum;
    tf.tidy(() => {
      const batchStats = tf.concat(norm.collected.map((t) => tf.reshape(t, [this.trials, -1])), 1); // [P, layers·2·W]
      this.moving!.assign(tf.add(tf.mul(this.moving!, m), tf.mul(batchStats, 1 - m)));
    });
    tf.dispose(norm.collected);
  }

  /** A reusable host buffer on wasm (uploads are copied), a fresh one elsewhere. */
  private buffer(n: number): Float32Array {
    if (!this.reuseBuffers) return new Float32Array(n);
    let b = this.buffers.get(n);
    if (!b) this.buffers.set(n, (b = new Float32Array(n)));
    return b;
  }

  /** Dropout keep-masks, each trial's part from its own stream. */
  private readonly keep = (shape: number[], scaled: boolean, draw?: boolean[]): Tensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    const value = scaled ? 1 / (1 - this.first.dropout) : 1;
    if (this.onDevice) return this.deviceKeep(shape, size, value, draw);
    const values = this.buffer(this.trials * size);
    this.state.forEach((s, p) => {
      const part = values.subarray(p * size, (p + 1) * size);
      if (draw && !draw[p]) part.fill(value);
      else s.dropout.keepMask(part, this.first.dropout, value);
    });
    return tf.tensor(values, [this.trials, ...shape]);
  };

  /** The same on the device: a trial that does not draw advances no key, as it would alone. */
  private deviceKeep(shape: number[], size: number, value: number, draw?: boolean[]): Tensor {
    const { trials, first } = this;
    const keys = this.state.map((s, p) => (draw && !draw[p] ? 0 : s.deviceDropout.next()));
    let mask = tf.mul(tf.cast(tf.greaterEqual(uniformRows(keys, size), first.dropout), 'float32'), value); // [P, size]
    if (draw?.some((d) => !d)) mask = tf.where(tf.tensor2d(draw.map((d) => [d]), [trials, 1], 'bool'), mask, tf.fill([trials, size], value));
    return tf.reshape(mask, [trials, ...shape]);
  }

  /** Gumbel noise for a batch of b rows, [K, P, B, T] or [P, B, T] (relaxed-topk), from host streams or device keys. */
  private noise(source: NoiseSource, b: number): Tensor {
    const { spec, pack, task } = this;
    const ks = pack.map((s) => s.k);
    return 'host' in source
      ? gumbelNoise(spec.sampler, source.host, ks, b, task.tokens)
      : deviceGumbelNoise(spec.sampler, source.device.map((d) => d.next()), ks, b, task.tokens);
  }

  /** One batch per trial, stacked, with each trial's Gumbel noise and temperature. */
  private inputs(batches: Batch[], noise: NoiseSource, taus: number[]): Inputs {
    const { trials, task, pack } = this;
    const b = batches[0]!.size;
    const stack = <T extends Int32Array | Float32Array>(out: T, part: (batch: Batch) => T): T => {
      batches.forEach((batch, p) => out.set(part(batch), p * (out.length / trials)));
      return out;
    };
    const shape: [number, number, number] = [trials, b, task.tokens];
    return {
      ids: task.input === 'tokens' ? tf.tensor3d(stack(new Int32Array(trials * b * task.tokens), (x) => x.ids), shape, 'int32') : null,
      features: task.input === 'features' ? tf.tensor3d(stack(new Float32Array(trials * b * task.tokens), (x) => x.features), shape) : null,
      labels: tf.tensor3d(stack(new Float32Array(trials * b * task.classes), (x) => x.targets), [trials, b, task.classes]),
      noise: this.noise(noise, b),
      tau: tf.tensor4d(taus, [trials, 1, 1, 1]),
      kMask: this.kMask,
      auxWeight: this.auxWeight,
      auxTrials: pack.map((s) => s.auxWeight > 0),
    };
  }

  /** One optimiser step on a fresh batch per trial; losses and the first non-finite step stay on the device. */
  trainStep(step: number): void {
    const { trials, first, spec, theta } = this;
    const started = performance.now();
    const taus = this.pack.map((s) => temperature(s, step - 1));
    const batches = this.state.map((s, p) => this.tasks[p]!.batch(s.data, first.batchSize));
    const [nextSum, nextBad] = tf.tidy(() => {
      const noise: NoiseSource = this.onDevice ? { device: this.state.map((s) => s.deviceNoise) } : { host: this.state.map((s) => s.noise) };
      const x = this.inputs(batches, noise, taus);
      const norm: BatchNormState | null = this.moving ? { moving: null, collected: [] } : null;
      const ctx: Context = { spec, trials, batch: first.batchSize, keep: spec.dropout > 0 ? this.keep : null, norm };
      let losses: Tensor | undefined;
      const { grads } = tf.variableGrads(() => {
        const loss = trainingLoss(unpackParams(spec, theta), x, ctx, this.withAux); // [P]
        losses = tf.keep(this.l2 ? tf.add(loss, l2Penalty(theta, this.l2)) : loss);
        return tf.sum(losses) as Scalar;
      }, [theta]);
      this.optimizer!.applyGradients(grads[theta.name]!);
      this.updateMoving(norm);
      const finite = tf.equal(tf.sub(losses!, losses!), 0); // false for NaN and ±Infinity
      const newlyBad = tf.logicalAnd(tf.less(this.firstBad, 0), tf.logicalNot(finite));
      const result = [tf.add(this.lossSum, losses!), tf.where(newlyBad, tf.fill([trials], step), this.firstBad)];
      losses!.dispose();
      return result;
    });
    releaseHeld();
    this.lossSum.dispose();
    this.firstBad.dispose();
    this.lossSum = nextSum!;
    this.firstBad = nextBad!;
    this.sinceEval += 1;
    this.trainMs += performance.now() - started;
  }

  /** Waits for the device to finish the steps queued so far (GPU backends run them asynchronously); counted as training time. */
  async settle(): Promise<Settled> {
    const started = performance.now();
    const settled = await Promise.all([this.lossSum.data(), this.firstBad.data()]);
    this.trainMs += performance.now() - started;
    return settled;
  }

  reportProgress(step: number): void {
    const steps = this.first.steps;
    this.state.forEach((s) => !s.failed && this.emit({ type: 'progress', trial: s.index, step, steps }));
  }

  /** Whether no trial is left training (every one failed or was stopped). */
  allFailed(): boolean {
    return this.state.every((s) => s.failed);
  }

  /** Pack indices (as given) of the trials still training. */
  training(): number[] {
    return this.state.filter((s) => !s.failed).map((s) => s.index);
  }

  /**
   * Stops these trials (pack indices as given) at `step`: the pack shrinks to the others (their rows of the
   * parameters, optimiser state, moving averages and per-trial tensors), so later steps cost only them.
   */
  stop(indices: readonly number[], step: number): void {
    const leaving = new Set(indices.filter((i) => this.state.some((s) => s.index === i && !s.failed)));
    if (leaving.size === 0) return;
    for (const i of leaving) this.stopped.set(i, step);
    const rows = this.state.flatMap((s, p) => (leaving.has(s.index) ? [] : [p]));
    const pick = <T>(items: T[]) => rows.map((p) => items[p]!);
    [this.pack, this.tasks, this.state, this.evalSets] = [pick(this.pack), pick(this.tasks), pick(this.state), pick(this.evalSets)];
    this.trials = rows.length;
    if (rows.length === 0) return; // nothing left: trainPack stops (allFailed)
    const gather = (t: Tensor) => tf.tidy(() => tf.gather(t, rows, 0));
    const theta = tf.tidy(() => tf.variable(tf.gather(this.theta, rows, 0), true, thetaName()));
    this.optimizer!.keepRows(rows, theta);
    this.theta.dispose();
    this.theta = theta;
    if (this.moving) {
      const moving = tf.tidy(() => tf.variable(tf.gather(this.moving!, rows, 0), false));
      this.moving.dispose();
      this.moving = moving;
    }
    const [kValues, kMask, auxWeight, lossSum, firstBad] = [this.kValues, this.kMask, this.auxWeight, this.lossSum, this.firstBad].map(gather);
    tf.dispose([this.kValues, this.kMask, this.auxWeight, this.lossSum, this.firstBad]);
    Object.assign(this, { kValues: kValues!, kMask: kMask!, auxWeight: auxWeight!, lossSum: lossSum!, firstBad: firstBad! });
  }

  /** The metrics on the held-out set (in chunks), reported per trial; a trial whose loss went non-finite fails. */
  async evaluate(step: number, [losses, bad]: Settled): Promise<void> {
    const taus = this.pack.map((s) => temperature(s, step));
    const { sums, scores, hard } = await this.evaluationPasses(taus);
    const { evalSize: size } = this.first;
    const perTrial = size * this.task.tokens;
    this.state.forEach((s, p) => {
      if (s.failed) return;
      if (bad[p]! >= 0 || !Number.isFinite(losses[p]!)) {
        s.failed = new NonFiniteLossError(bad[p]! >= 0 ? bad[p]! : step);
        return;
      }
      const at = (name: (typeof EVAL_SUMS)[number]) => sums[p * EVAL_SUMS.length + EVAL_SUMS.indexOf(name)]! / size;
      const part = (a: Float32Array) => a.subarray(p * perTrial, (p + 1) * perTrial);
      const explanation = explanationMetrics(part(scores), part(hard), this.evalSets[p]!.relevant, size, Rng.stream(EVAL_SEED, 'evalTies'));
      s.metrics = {
        loss: losses[p]! / this.sinceEval,
        mean_acc: at('mean_correct'),
        soft_acc: at('soft_correct'),
        hard_acc: at('hard_correct'),
        gap: at('soft_correct') - at('hard_correct'),
        mask_sum: at('mask_sum'),
        mask_distinct: at('mask_distinct'),
        ...explanation,
      };
      this.emit({ type: 'eval', trial: s.index, step, tau: taus[p]!, metrics: s.metrics });
    });
    this.lossSum.dispose();
    this.lossSum = tf.zeros([this.trials]);
    this.sinceEval = 0;
  }

  /**
   * The held-out set through the model in chunks: EVAL_SUMS summed [P × EVAL_SUMS], and E's scores and the hard
   * mask [P, evalSize, T], chunk by chunk (evaluationChunkSize).
   */
  private async evaluationPasses(taus: number[]): Promise<{ sums: Float32Array; scores: Float32Array; hard: Float32Array }> {
    const { trials, task, spec, first } = this;
    // The same noise at every evaluation: the streams start over each time.
    const noise: NoiseSource = this.onDevice
      ? { device: this.state.map((s) => new DeviceStream(s.settings.seed, STREAMS.evalNoise)) }
      : { host: this.state.map((s) => Rng.stream(s.settings.seed, 'evalNoise')) };
    const chunk = evaluationChunkSize(spec, trials);
    const perTrial = first.evalSize * task.tokens;
    const scores = new Float32Array(trials * perTrial);
    const hard = new Float32Array(trials * perTrial);
    let sums = tf.zeros([trials, EVAL_SUMS.length]);
    for (let start = 0; start < first.evalSize; start += chunk) {
      const parts = this.evalSets.map((set) => sliceBatch(set, start, Math.min(first.evalSize, start + chunk)));
      const size = parts[0]!.size;
      const out = tf.tidy(() => {
        const x = this.inputs(parts, noise, taus);
        const norm: BatchNormState | null = this.moving ? { moving: this.moving, collected: [] } : null;
        const ctx: Context = { spec, trials, batch: size, keep: null, norm };
        const { sums: chunkSums, scores, hard } = evaluationChunk(unpackParams(spec, this.theta), x, this.kValues, ctx);
        return { sums: tf.add(sums, chunkSums), scores, hard };
      });
      releaseHeld();
      sums.dispose();
      sums = out.sums;
      const [s, h] = (await Promise.all([out.scores.data(), out.hard.data()])) as [Float32Array, Float32Array];
      tf.dispose([out.scores, out.hard]);
      const width = size * task.tokens;
      for (let p = 0; p < trials; p++) {
        scores.set(s.subarray(p * width, (p + 1) * width), p * perTrial + start * task.tokens);
        hard.set(h.subarray(p * width, (p + 1) * width), p * perTrial + start * task.tokens);
      }
    }
    const values = (await sums.data()) as Float32Array;
    sums.dispose();
    return { sums: values, scores, hard };
  }

  /** Each trial's result (what ran it, from trainPack, and its last metrics), or its failure. */
  outcomes(ran: Pick<TrainResult, 'backend' | 'kernels' | 'tfjsVersion' | 'device'>, size: number): PackOutcome[] {
    const { steps } = this.first;
    const { trainMs } = this;
    return Array.from({ length: size }, (_, index): PackOutcome => {
      const stoppedAt = this.stopped.get(index);
      if (stoppedAt !== undefined) return { ok: false, error: null, stoppedAt };
      const s = this.state.find((t) => t.index === index)!;
      if (s.failed) return { ok: false, error: s.failed };
      return { ok: true, result: { ...ran, metrics: s.metrics!, steps, trainMs, msPerStep: trainMs / steps, packSize: size } };
    });
  }

  dispose(): void {
    releaseHeld();
    this.optimizer?.dispose();
    tf.dispose([...this.owned, this.theta, this.kValues, this.kMask, this.auxWeight, this.lossSum, this.firstBad]);
    if (this.moving) this.moving.dispose();
  }
}

/** The held-out set: evalSize samples from EVAL_SEED. */
function heldOut(task: Task, size: number): Batch {
  return task.batch(Rng.stream(EVAL_SEED, 'evalData'), size);
}
