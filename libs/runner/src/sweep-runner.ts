/**
 * Runs a sweep: plans its trials into the store, schedules them on worker processes, and writes what
 * the workers report. The parent is the only writer of results.db; workers only send messages.
 *
 * Optuna's rules hold: a completed trial never runs twice (claims are atomic, keys unique), a failed
 * trial is a row and never a crash of the sweep, and trials of a run that died are reclaimed by the
 * next run (dead process on this host, or a heartbeat older than `staleMs`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendName } from '@l2x/model/config';
import { kernelChoiceFromEnv, kernelsLabel, resolveKernels, unavailableReason, type KernelChoice } from '@l2x/native-kernels';
import type { ResultsStore, RunEnvironment, SweepRecord, TrialRecord } from '@l2x/store';
import { expandSweep, type LoadedSweep } from '@l2x/sweep';
import { planJobs, type Job } from './jobs.ts';
import { askNext, judge, sweepPruner } from './search.ts';
import type { ParentMessage, WorkerMessage } from './protocol.ts';
import { detectGpus, planResources, type GpuInventory, type ResourcePlan, type WorkerSlot } from './resources.ts';

export type RunnerEvent =
  | {
      type: 'planned';
      sweep: SweepRecord;
      runId: number;
      total: number;
      added: number;
      pending: number;
      reclaimed: number;
      configChanged: boolean;
      plan: ResourcePlan;
      /** The product kernels workers on the wasm backend use, and why not native when it is missing. */
      kernels: { label: string; note: string };
    }
  | { type: 'trial-started'; trial: TrialRecord; worker: number }
  /** A trial ended: completed, failed, or pruned (stopped early by early_terminate). */
  | { type: 'trial-finished'; trial: TrialRecord; metrics: Record<string, number | null> }
  | { type: 'worker-lost'; worker: number; reason: string }
  /** A worker's first job started: the backend and device it runs on, and why `auto` passed over the others. */
  | { type: 'worker-backend'; worker: number; backend: string; device: string; skipped: string[] }
  | { type: 'stopping' };

export interface RunOptions {
  store: ResultsStore;
  sweep: LoadedSweep;
  /** `--workers`, `--backend`: override the sweep file's resources. */
  workers?: number;
  backend?: BackendName;
  /** `--kernels`: product kernels under wasm (default: L2X_KERNELS, else auto). */
  kernels?: KernelChoice;
  retryFailed?: boolean;
  /** Recorded with the run (the command line). */
  argv?: string[];
  env: Omit<RunEnvironment, 'backend' | 'kernels' | 'workers' | 'argv' | 'host' | 'pid' | 'nodeVersion'> & Partial<RunEnvironment>;
  /** Aborting stops the sweep cleanly: running trials become interrupted and resume next time. */
  signal?: AbortSignal;
  onEvent?: (event: RunnerEvent) => void;
  heartbeatMs?: number;
  staleMs?: number;
  flushMs?: number;
  /** How long stopped workers get to exit before they are killed. */
  graceMs?: number;
  /** For tests: how GPUs are found (default: nvidia-smi and Dawn's adapters). */
  detectGpus?: () => GpuInventory | Promise<GpuInventory>;
}

export interface RunSummary {
  sweepId: number;
  runId: number;
  status: 'completed' | 'failed' | 'interrupted';
  completed: number;
  failed: number;
  interrupted: number;
  pruned: number;
  total: number;
}

/**
 * How a worker process starts. From the sources: worker.ts under tsx's loader (a file URL, whatever folder the
 * sweep was started from). From the bundle (`sweeper:bundle`), where this code sits in main.js: worker.js beside it.
 */
function workerCommand(): { script: string; execArgv: string[] } {
  const bundled = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(bundled)) return { script: bundled, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { script: fileURLToPath(new URL('./worker.ts', import.meta.url)), execArgv: ['--import', tsx] };
}

interface Worker {
  slot: WorkerSlot;
  child: ChildProcess;
  job: Job | null;
  ready: boolean;
  stderr: string;
  /** Whether its backend and device were reported (once per worker). */
  announced: boolean;
}

/** The GPUs the plan's workers are bound to, with their drivers, as the run records them (JSON); null for CPU. */
function gpusOf(plan: ResourcePlan): string | null {
  const gpus = new Map(plan.slots.filter((s) => s.device !== null).map((s) => [`${s.device}|${s.driver}`, { device: s.device, driver: s.driver }]));
  return gpus.size > 0 ? JSON.stringify([...gpus.values()]) : null;
}

/** Whether a process of a run recorded on this host still exists. Other hosts: assume alive (heartbeats decide). */
function isAlive(host: string, pid: number): boolean {
  if (host !== hostname()) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function runSweep(options: RunOptions): Promise<RunSummary> {
  const { store, sweep: loaded } = options;
  const spec = loaded.spec;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleMs = options.staleMs ?? 6 * heartbeatMs;
  const emit = options.onEvent ?? (() => {});

  // Plan: the sweep row, its trials, what earlier runs left behind. All before any worker starts. A bayes sweep
  // plans nothing ahead: each configuration is asked of its sampler when a worker is free (askMore).
  const bayes = spec.method === 'bayes';
  const planned = bayes ? [] : expandSweep(spec);
  const pruner = sweepPruner(spec);
  const { sweep, configChanged } = store.ensureSweep({
    name: spec.name,
    configText: loaded.text,
    configHash: loaded.hash,
    configPath: loaded.path,
    metric: spec.metric,
    swept: spec.parameters.map((p) => p.name),
  });
  const added = store.addTrials(sweep.id, planned);
  const reclaimed = store.reclaimOrphans(sweep.id, { staleMs, isAlive });
  if (options.retryFailed) store.requeueFailed(sweep.id);
  const backendAsked = options.backend ?? spec.resources.backend;
  // Only a backend that may use a GPU looks for one (listing WebGPU adapters loads Dawn).
  const inventory = backendAsked === 'auto' || backendAsked === 'webgpu' || backendAsked === 'tensorflow-gpu' ? await (options.detectGpus ?? detectGpus)() : undefined;
  const plan = planResources(spec.resources, { workers: options.workers, backend: options.backend }, inventory);
  // `native` that cannot load stops here, before anything runs; workers resolve the same choice themselves.
  const kernelChoice = options.kernels ?? kernelChoiceFromEnv();
  const native = resolveKernels(kernelChoice);
  const kernels = { label: kernelsLabel(native), note: native || kernelChoice === 'wasm' ? '' : unavailableReason() };
  const runId = store.startRun(sweep.id, {
    host: hostname(),
    pid: process.pid,
    nodeVersion: process.version,
    backend: plan.backend,
    kernels: kernels.label,
    workers: plan.slots.length,
    argv: options.argv ?? [],
    devices: gpusOf(plan),
    ...options.env,
  });
  const plannedKeys = new Set(planned.map((t) => t.key));
  const pending = store.pendingTrials(sweep.id).filter((t) => bayes || plannedKeys.has(t.key));
  const queue: Job[] = planJobs(pending, spec.resources.pack, plan.slots.length, plan.packBudget);
  let exhausted = !bayes;
  /** A bayes sweep's next configuration, queued as a job of its seeds; false when runCap is reached or the space is spent. */
  const askMore = (): boolean => {
    if (exhausted) return false;
    const next = askNext(store, sweep.id, spec);
    if (next.length === 0 || store.addTrials(sweep.id, next) === 0) {
      exhausted = true;
      return false;
    }
    const keys = new Set(next.map((t) => t.key));
    queue.push(...planJobs(store.pendingTrials(sweep.id).filter((t) => keys.has(t.key)), spec.resources.pack, 1, plan.packBudget));
    return true;
  };
  const hasWork = () => queue.length > 0 || !exhausted;
  // A bayes sweep's configurations still to ask (runCap less those in the store), each once per seed.
  const toAsk = bayes ? Math.max(0, (spec.runCap ?? 0) - new Set(store.trialOutcomes(sweep.id, spec.metric.name).map((t) => t.configKey)).size) : 0;
  const lastEval = new Map<number, { step: number; metrics: Record<string, number> }>(); // trialId → its latest evaluation
  const toRun = pending.length + toAsk * spec.seeds.length;
  emit({ type: 'planned', sweep, runId, total: store.counts(sweep.id).total + toAsk * spec.seeds.length, added, pending: toRun, reclaimed, configChanged, plan, kernels });

  const workers = new Map<number, Worker>();
  const running = new Map<number, Worker>(); // trialId → worker
  const progress = new Map<number, number>(); // trialId → latest step not yet written
  let stopping = options.signal?.aborted ?? false;
  let jobIds = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const flush = () => {
    if (progress.size === 0) return;
    store.recordProgress([...progress].map(([trialId, step]) => ({ trialId, step })));
    progress.clear();
  };
  const flushTimer = setInterval(flush, options.flushMs ?? 500);
  const heartbeatTimer = setInterval(() => store.heartbeat([...running.keys()]), heartbeatMs);

  const checkDone = () => {
    if (workers.size === 0 && (stopping || !hasWork())) finish();
  };

  const dispatch = (worker: Worker) => {
    while (!stopping && (queue.length > 0 || askMore())) {
      const job = queue.shift()!;
      const claimed = job.trials.filter((t) => store.claimTrial(t.id, { runId, worker: worker.slot.index, device: worker.slot.device }));
      if (claimed.length === 0) continue; // another sweeper took them
      worker.job = { ...job, trials: claimed };
      for (const t of claimed) running.set(t.id, worker);
      const message: ParentMessage = {
        type: 'run', jobId: ++jobIds, backend: plan.backend, kernels: kernelChoice, judged: pruner !== null,
        trials: claimed.map((t) => ({ trialId: t.id, settings: t.settings })),
      };
      worker.child.send(message);
      // Sent before telling anyone: a listener that stops the sweep now reaches a worker that has the job.
      for (const t of claimed) emit({ type: 'trial-started', trial: store.trial(t.id), worker: worker.slot.index });
      return;
    }
    worker.job = null;
    worker.child.disconnect(); // nothing left: let it exit
  };

  const finished = (trialId: number) => {
    running.delete(trialId);
    progress.delete(trialId);
    lastEval.delete(trialId);
    emit({ type: 'trial-finished', trial: store.trial(trialId), metrics: store.finalMetrics(trialId) });
  };

  /** A judged job evaluated: the pruner decides against every curve in the store; the stopped trials are stored pruned. */
  const evaluated = (worker: Worker, jobId: number, step: number, trialIds: readonly number[]) => {
    const live = trialIds.filter((id) => running.get(id) === worker);
    const stop = pruner && !stopping ? judge(store, sweep.id, spec, pruner, live, step) : [];
    for (const id of stop) {
      store.pruneTrial(id, { step, metrics: lastEval.get(id)?.metrics ?? {} });
      finished(id);
    }
    if (worker.child.connected) worker.child.send({ type: 'verdict', jobId, step, stop } satisfies ParentMessage);
  };

  const onMessage = (worker: Worker, message: WorkerMessage) => {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        dispatch(worker);
        break;
      case 'started':
        if (!worker.announced) {
          worker.announced = true;
          emit({ type: 'worker-backend', worker: worker.slot.index, backend: message.backend, device: message.device, skipped: message.skipped });
        }
        if (worker.job)
          store.recordProgress(
            worker.job.trials.map((t) => ({ trialId: t.id, step: 0, backend: message.backend, kernels: message.kernels, device: message.device })),
          );
        break;
      case 'progress':
        progress.set(message.trialId, message.step);
        break;
      case 'eval':
        if (running.get(message.trialId) !== worker) break; // pruned already: its curve ends where it stopped
        store.recordPoints(message.trialId, message.step, { ...message.metrics, tau: message.tau });
        lastEval.set(message.trialId, { step: message.step, metrics: message.metrics });
        break;
      case 'evaluated':
        evaluated(worker, message.jobId, message.step, message.trialIds);
        break;
      case 'completed':
        progress.delete(message.trialId);
        store.completeTrial(message.trialId, { metrics: message.metrics, backend: message.backend, kernels: message.kernels, trainMs: message.trainMs });
        finished(message.trialId);
        break;
      case 'failed':
        progress.delete(message.trialId);
        store.failTrial(message.trialId, message.error, message.backend);
        finished(message.trialId);
        break;
      case 'idle':
        worker.job = null;
        dispatch(worker);
        break;
    }
  };

  const spawnWorker = (slot: WorkerSlot) => {
    const { script, execArgv } = workerCommand();
    const child = fork(script, [], {
      execArgv,
      env: { ...process.env, ...slot.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const worker: Worker = { slot, child, job: null, ready: false, stderr: '', announced: false };
    workers.set(slot.index, worker);
    child.stderr?.on('data', (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (message: WorkerMessage) => onMessage(worker, message));
    child.on('exit', (code, signal) => {
      workers.delete(slot.index);
      const lost = [...running].filter(([, w]) => w === worker).map(([id]) => id);
      if (lost.length > 0) {
        if (stopping) store.interruptTrials(lost);
        else {
          const last = worker.stderr.trim().split('\n').filter(Boolean).pop();
          const reason = `worker exited (${signal ?? `code ${code}`}) during the trial${last ? `: ${last}` : ''}`;
          emit({ type: 'worker-lost', worker: slot.index, reason });
          for (const id of lost) {
            store.failTrial(id, reason);
            finished(id);
          }
        }
        for (const id of lost) running.delete(id);
      }
      // A worker that died before taking any job would die again: do not respawn it forever.
      if (!stopping && hasWork() && worker.ready) spawnWorker(slot);
      else if (!stopping && queue.length > 0 && workers.size === 0) {
        const last = worker.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${signal ?? code}`;
        for (const job of queue.splice(0))
          for (const t of job.trials) {
            if (store.claimTrial(t.id, { runId, worker: slot.index, device: slot.device })) {
              store.failTrial(t.id, `worker could not start: ${last}`);
              finished(t.id);
            }
          }
      }
      checkDone();
    });
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    emit({ type: 'stopping' });
    queue.length = 0;
    for (const worker of workers.values()) {
      if (worker.child.connected) worker.child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), options.graceMs ?? 3_000);
      timer.unref();
      worker.child.once('exit', () => clearTimeout(timer));
      // A stopped worker answers `idle`; then it has nothing to do and is disconnected.
    }
    checkDone();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  // A bayes sweep may use every slot until runCap: each free worker asks for its own configuration.
  const startable = queue.length + toAsk;
  if (stopping || startable === 0) finish();
  else for (const slot of plan.slots.slice(0, Math.max(1, Math.min(plan.slots.length, startable)))) spawnWorker(slot);

  try {
    await done;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    flush();
    if (running.size > 0) store.interruptTrials([...running.keys()]);
  }

  const counts = store.counts(sweep.id);
  const status = stopping ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed';
  store.finishRun(runId, status);
  store.setSweepStatus(sweep.id, counts.queued + counts.interrupted + counts.running > 0 && status !== 'failed' ? 'interrupted' : status);
  return {
    sweepId: sweep.id, runId, status, completed: counts.completed, failed: counts.failed, interrupted: counts.interrupted, pruned: counts.pruned,
    total: counts.total,
  };
}
