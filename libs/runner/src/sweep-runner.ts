/**
 * Runs a sweep: `runSweep` plans its trials into the store and works them; `joinSweep` (an agent) works a sweep
 * that was planned before, from any machine that reaches the store. Working means: claiming jobs, running them on
 * worker processes and writing what the workers report. The parent is its machine's only writer; workers only
 * send messages. Several parents (agents) may work one sweep at once.
 *
 * Optuna's rules hold: a completed trial never runs twice (claims are one transaction, keys unique, every write
 * fenced by the claim's attempt), a failed trial is a row and never a crash of the sweep, and a trial whose
 * lease expired (no heartbeat for `staleSeconds` by the database's clock) or whose process is gone (same host)
 * is taken back by any agent and runs again as a new attempt. A parent waits while trials run elsewhere, ready
 * to take them over, and returns when every trial of the sweep is final.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BackendName } from '@l2x/model/config';
import { kernelChoiceFromEnv, kernelsLabel, resolveKernels, unavailableReason, type KernelChoice } from '@l2x/native-kernels';
import { UserError } from '@l2x/errors';
import type { Lease, ResultsStore, RunEnvironment, SweepRecord, TrialRecord } from '@l2x/store';
import { expandSweep, parseSweep, type LoadedSweep, type SweepSpec } from '@l2x/sweep';
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
  /** This parent's claim on a trial ended without it: its lease expired and another agent took it back. */
  | { type: 'lease-lost'; trialId: number; worker: number }
  /** Nothing to claim while trials run elsewhere: waiting to take over any whose lease expires. */
  | { type: 'waiting'; running: number }
  /** A write failed for good (the store unreachable past the retries): the trial's lease will expire and it runs again. */
  | { type: 'store-error'; message: string }
  | { type: 'stopping' };

interface WorkOptions {
  store: ResultsStore;
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
  /** A running trial whose lease is older than this (no heartbeat by the database's clock) is taken back. Default 60. */
  staleSeconds?: number;
  /** How often a parent with nothing to claim looks again while trials run elsewhere. */
  waitMs?: number;
  flushMs?: number;
  /** How long stopped workers get to exit before they are killed. */
  graceMs?: number;
  /** For tests: how GPUs are found (default: nvidia-smi and Dawn's adapters). */
  detectGpus?: () => GpuInventory | Promise<GpuInventory>;
}

export interface RunOptions extends WorkOptions {
  sweep: LoadedSweep;
}

export interface JoinOptions extends WorkOptions {
  /** The name of a sweep planned in the store before (by `sweeper:run`). */
  sweepName: string;
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

/** Whether a process on this host still exists (the fast path of taking back a dead run's trials). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Plans the sweep file's trials into the store (adding what is missing), then works the sweep. */
export async function runSweep(options: RunOptions): Promise<RunSummary> {
  const { store, sweep: loaded } = options;
  const spec = loaded.spec;
  // A bayes sweep plans nothing ahead: each configuration is asked of its sampler when a worker is free (askMore).
  const planned = spec.method === 'bayes' ? [] : expandSweep(spec);
  const { sweep, configChanged } = await store.ensureSweep({
    name: spec.name,
    configText: loaded.text,
    configHash: loaded.hash,
    configPath: loaded.path,
    metric: spec.metric,
    swept: spec.parameters.map((p) => p.name),
  });
  const added = await store.addTrials(sweep.id, planned);
  if (options.retryFailed) await store.requeueFailed(sweep.id);
  const plannedKeys = new Set(planned.map((t) => t.key));
  return work(options, sweep, spec, { added, configChanged, wanted: (t) => plannedKeys.has(t.key) });
}

/** An agent: works a sweep planned before (its sweep file is read from the store), from any machine. */
export async function joinSweep(options: JoinOptions): Promise<RunSummary> {
  const sweep = await options.store.sweep(options.sweepName);
  let spec: SweepSpec;
  try {
    spec = parseSweep(sweep.configText, sweep.configPath ?? `${sweep.name}.yaml`);
  } catch (error) {
    throw new UserError(`sweep ${JSON.stringify(sweep.name)}: its stored sweep file no longer parses with this build (${(error as Error).message}); update this tool`, { cause: error });
  }
  if (options.retryFailed) await options.store.requeueFailed(sweep.id);
  return work(options, sweep, spec, { added: 0, configChanged: false, wanted: () => true });
}

async function work(
  options: WorkOptions,
  sweep: SweepRecord,
  spec: SweepSpec,
  plan0: { added: number; configChanged: boolean; wanted: (trial: TrialRecord) => boolean },
): Promise<RunSummary> {
  const { store } = options;
  const staleSeconds = options.staleSeconds ?? 60;
  // Several heartbeats per lease, so that one late heartbeat never loses it.
  const heartbeatMs = options.heartbeatMs ?? Math.min(5_000, staleSeconds * 250);
  const waitMs = options.waitMs ?? Math.min(5_000, Math.max(200, (staleSeconds * 1000) / 4));
  const emit = options.onEvent ?? (() => {});
  const host = hostname();

  const backendAsked = options.backend ?? spec.resources.backend;
  // Only a backend that may use a GPU looks for one (listing WebGPU adapters loads Dawn).
  const inventory = backendAsked === 'auto' || backendAsked === 'webgpu' || backendAsked === 'tensorflow-gpu' ? await (options.detectGpus ?? detectGpus)() : undefined;
  const plan = planResources(spec.resources, { workers: options.workers, backend: options.backend }, inventory);
  // `native` that cannot load stops here, before anything runs; workers resolve the same choice themselves.
  const kernelChoice = options.kernels ?? kernelChoiceFromEnv();
  const native = resolveKernels(kernelChoice);
  const kernels = { label: kernelsLabel(native), note: native || kernelChoice === 'wasm' ? '' : unavailableReason() };
  const runId = await store.startRun(sweep.id, {
    host,
    pid: process.pid,
    nodeVersion: process.version,
    backend: plan.backend,
    kernels: kernels.label,
    workers: plan.slots.length,
    argv: options.argv ?? [],
    devices: gpusOf(plan),
    ...options.env,
  });
  await store.setSweepStatus(sweep.id, 'running');

  const bayes = spec.method === 'bayes';
  const pruner = sweepPruner(spec);
  const queue: Job[] = [];
  /** Takes back what dead or silent runs hold, then plans jobs from the pending trials; how many it took back. */
  const refill = async (): Promise<number> => {
    const reclaimed = (await store.requeueDead(sweep.id, host, isAlive)) + (await store.requeueExpired(sweep.id, staleSeconds));
    const pending = (await store.pendingTrials(sweep.id)).filter(plan0.wanted);
    queue.splice(0, queue.length, ...planJobs(pending, spec.resources.pack, plan.slots.length, plan.packBudget));
    return reclaimed;
  };
  /** A bayes sweep has asked its last configuration (runCap reached or the space spent). */
  let askedAll = !bayes;
  /**
   * A bayes sweep's next configuration, queued as a job of its seeds; false when runCap is reached or the space is
   * spent. Another agent asking at the same moment may have added the same configuration: its pending trials are
   * queued all the same.
   */
  const askMore = async (): Promise<boolean> => {
    if (askedAll) return false;
    const next = await askNext(store, sweep.id, spec);
    if (next.length > 0) await store.addTrials(sweep.id, next);
    const keys = new Set(next.map((t) => t.key));
    const pending = (await store.pendingTrials(sweep.id)).filter((t) => keys.has(t.key));
    if (pending.length === 0) {
      askedAll = true;
      return false;
    }
    queue.push(...planJobs(pending, spec.resources.pack, 1, plan.packBudget));
    return true;
  };
  // A bayes sweep's configurations still to ask (runCap less those in the store), each once per seed.
  const toAsk = bayes ? Math.max(0, (spec.runCap ?? 0) - new Set((await store.trialOutcomes(sweep.id, spec.metric.name)).map((t) => t.configKey)).size) : 0;
  const lastEval = new Map<number, { step: number; metrics: Record<string, number> }>(); // trialId → its latest evaluation
  const reclaimed = await refill();
  const pendingCount = queue.reduce((n, job) => n + job.trials.length, 0);
  emit({
    type: 'planned', sweep, runId, total: (await store.counts(sweep.id)).total + toAsk * spec.seeds.length, added: plan0.added,
    pending: pendingCount + toAsk * spec.seeds.length, reclaimed, configChanged: plan0.configChanged, plan, kernels,
  });

  const workers = new Map<number, Worker>();
  const idle = new Set<Worker>();
  const running = new Map<number, { worker: Worker; lease: Lease }>(); // trialId → its worker and lease
  const progress = new Map<number, number>(); // trialId → latest step not yet written
  let stopping = options.signal?.aborted ?? false;
  /** Every trial of the sweep is final (or workers cannot start here): no more claims. */
  let exhausted = false;
  let jobIds = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  // Writes go one after another, in the order the workers' messages came: a trial's points before its result.
  let writes: Promise<unknown> = Promise.resolve();
  const write = (task: () => Promise<unknown>) => {
    writes = writes.then(task).catch((error: unknown) => emit({ type: 'store-error', message: error instanceof Error ? error.message : String(error) }));
    return writes;
  };
  const leaseOf = (trialId: number) => running.get(trialId)?.lease;

  const flush = () => {
    if (progress.size === 0) return;
    const updates = [...progress].flatMap(([trialId, step]) => {
      const lease = leaseOf(trialId);
      return lease ? [{ ...lease, step }] : [];
    });
    progress.clear();
    void write(() => store.recordProgress(updates));
  };
  const flushTimer = setInterval(flush, options.flushMs ?? 500);
  const heartbeat = () =>
    write(async () => {
      const lost = await store.heartbeat([...running.values()].map((r) => r.lease));
      for (const lease of lost) {
        const holder = running.get(lease.trialId);
        if (holder) await lostLease(lease, holder.worker);
      }
    });
  const heartbeatTimer = setInterval(() => void heartbeat(), heartbeatMs);

  const checkDone = () => {
    if (workers.size === 0 && (stopping || exhausted)) finish();
  };

  let waitTimer: NodeJS.Timeout | undefined;
  /** Whether this parent has said it waits for trials running elsewhere (said again after it claims one). */
  let waiting = false;
  let pumping = false;
  let pumpAgain = false;
  /** Hands jobs to idle workers, claiming each job's trials first; when none are left, waits or lets the workers go. */
  const pump = async (): Promise<void> => {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        await dispatchAll();
      } while (pumpAgain);
    } catch (error) {
      emit({ type: 'store-error', message: error instanceof Error ? error.message : String(error) });
      if (!stopping) waitTimer = setTimeout(() => void pump(), waitMs);
    } finally {
      pumping = false;
    }
  };

  const dispatchAll = async () => {
    while (!stopping && !exhausted) {
      if (queue.length > 0 && idle.size === 0) {
        if (workers.size < plan.slots.length) spawnWorker(plan.slots.find((slot) => !workers.has(slot.index))!);
        return; // a worker that becomes ready pumps again
      }
      if (idle.size === 0) return;
      if (queue.length === 0) await refill();
      if (queue.length === 0 && (await askMore())) continue;
      if (queue.length === 0) {
        await waitOrRelease();
        return;
      }
      const job = queue.shift()!;
      const worker = idle.values().next().value!;
      const leases = await store.claimTrials(job.trials.map((t) => t.id), { runId, worker: worker.slot.index, device: worker.slot.device });
      if (leases.length === 0 || stopping || !idle.has(worker)) {
        if (leases.length > 0) await store.interruptTrials(leases);
        continue; // another agent took them (or this one is stopping)
      }
      const claimed = job.trials.filter((t) => leases.some((l) => l.trialId === t.id));
      waiting = false;
      idle.delete(worker);
      worker.job = { ...job, trials: claimed };
      for (const lease of leases) running.set(lease.trialId, { worker, lease });
      const message: ParentMessage = {
        type: 'run', jobId: ++jobIds, backend: plan.backend, kernels: kernelChoice, judged: pruner !== null,
        trials: claimed.map((t) => ({ trialId: t.id, settings: t.settings })),
      };
      worker.child.send(message);
      // Sent before telling anyone: a listener that stops the sweep now reaches a worker that has the job.
      for (const t of claimed) emit({ type: 'trial-started', trial: await store.trial(t.id), worker: worker.slot.index });
    }
  };

  /** Nothing to claim: wait while trials of the sweep run (here or elsewhere), or let idle workers go when all are final. */
  const waitOrRelease = async () => {
    const counts = await store.counts(sweep.id);
    const open = (await store.pendingTrials(sweep.id)).filter(plan0.wanted).length + counts.running;
    if (open > 0) {
      if (running.size === 0 && !waiting) emit({ type: 'waiting', running: counts.running });
      waiting = running.size === 0; // said once per wait
      clearTimeout(waitTimer);
      waitTimer = setTimeout(() => void pump(), waitMs);
      return;
    }
    exhausted = true;
    for (const worker of idle) if (worker.child.connected) worker.child.disconnect(); // nothing left: let it exit
    idle.clear();
    checkDone();
  };

  /** A write was refused: another attempt holds the trial now (this one's lease expired while it was away). */
  const lostLease = async (lease: Lease, worker: Worker) => {
    if (running.get(lease.trialId)?.lease.attempt !== lease.attempt) return; // said already
    running.delete(lease.trialId);
    progress.delete(lease.trialId);
    emit({ type: 'lease-lost', trialId: lease.trialId, worker: worker.slot.index });
  };

  const finished = async (trialId: number) => {
    running.delete(trialId);
    progress.delete(trialId);
    lastEval.delete(trialId);
    emit({ type: 'trial-finished', trial: await store.trial(trialId), metrics: await store.finalMetrics(trialId) });
  };

  /**
   * A judged job evaluated (its points are written: this runs in the write queue): the pruner decides against every
   * curve of the sweep in the store; the stopped trials are stored pruned, fenced by their leases. The worker waits
   * for the verdict, so it is always sent.
   */
  const evaluated = async (worker: Worker, jobId: number, step: number, trialIds: readonly number[]) => {
    let stop: number[] = [];
    try {
      const live = trialIds.filter((id) => running.get(id)?.worker === worker);
      stop = pruner && !stopping ? await judge(store, sweep.id, spec, pruner, live, step) : [];
      for (const id of stop) {
        const lease = leaseOf(id);
        if (!lease) continue;
        const held = await store.pruneTrial(lease, { step, metrics: lastEval.get(id)?.metrics ?? {} });
        await (held ? finished(id) : lostLease(lease, worker));
      }
    } finally {
      if (worker.child.connected) worker.child.send({ type: 'verdict', jobId, step, stop } satisfies ParentMessage);
    }
  };

  const onMessage = (worker: Worker, message: WorkerMessage) => {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        if (stopping || exhausted) {
          if (worker.child.connected) worker.child.disconnect();
          break;
        }
        idle.add(worker);
        void pump();
        break;
      case 'started': {
        if (!worker.announced) {
          worker.announced = true;
          emit({ type: 'worker-backend', worker: worker.slot.index, backend: message.backend, device: message.device, skipped: message.skipped });
        }
        const updates = (worker.job?.trials ?? []).flatMap((t) => {
          const lease = leaseOf(t.id);
          return lease ? [{ ...lease, step: 0, backend: message.backend, kernels: message.kernels, device: message.device }] : [];
        });
        void write(() => store.recordProgress(updates));
        break;
      }
      case 'progress':
        if (leaseOf(message.trialId)) progress.set(message.trialId, message.step);
        break;
      case 'eval': {
        const lease = leaseOf(message.trialId);
        if (!lease || running.get(message.trialId)?.worker !== worker) break; // pruned already: its curve ends where it stopped
        void write(() => store.recordPoints(lease, message.step, { ...message.metrics, tau: message.tau }));
        lastEval.set(message.trialId, { step: message.step, metrics: message.metrics });
        break;
      }
      case 'evaluated': {
        const { jobId, step, trialIds } = message;
        void write(() => evaluated(worker, jobId, step, trialIds));
        break;
      }
      case 'completed': {
        const lease = leaseOf(message.trialId);
        progress.delete(message.trialId);
        if (!lease) break; // its lease was lost: the attempt that holds it now writes the result
        void write(async () => {
          const held = await store.completeTrial(lease, { metrics: message.metrics, backend: message.backend, kernels: message.kernels, trainMs: message.trainMs });
          await (held ? finished(message.trialId) : lostLease(lease, worker));
        });
        break;
      }
      case 'failed': {
        const lease = leaseOf(message.trialId);
        progress.delete(message.trialId);
        if (!lease) break;
        void write(async () => {
          const held = await store.failTrial(lease, message.error, message.backend);
          await (held ? finished(message.trialId) : lostLease(lease, worker));
        });
        break;
      }
      case 'idle':
        worker.job = null;
        if (stopping) {
          if (worker.child.connected) worker.child.disconnect();
        } else {
          idle.add(worker);
          void pump();
        }
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
      idle.delete(worker);
      const lost = [...running].filter(([, r]) => r.worker === worker).map(([, r]) => r.lease);
      for (const lease of lost) running.delete(lease.trialId);
      const last = worker.stderr.trim().split('\n').filter(Boolean).pop();
      if (lost.length > 0) {
        if (stopping) void write(() => store.interruptTrials(lost));
        else {
          const reason = `worker exited (${signal ?? `code ${code}`}) during the trial${last ? `: ${last}` : ''}`;
          emit({ type: 'worker-lost', worker: slot.index, reason });
          for (const lease of lost)
            void write(async () => {
              await store.failTrial(lease, reason);
              await finished(lease.trialId);
            });
        }
      }
      // A worker that died before taking any job would die again: do not respawn it forever.
      if (!worker.ready && !stopping && workers.size === 0) void write(() => failQueue(`worker could not start: ${last ?? `exit ${signal ?? code}`}`, slot));
      else if (!stopping && !exhausted) void pump();
      void writes.then(checkDone);
    });
  };

  /** No worker can start here: the trials planned for this parent fail with the reason (each a row), and it stops claiming. */
  const failQueue = async (reason: string, slot: WorkerSlot) => {
    exhausted = true;
    for (const job of queue.splice(0)) {
      const leases = await store.claimTrials(job.trials.map((t) => t.id), { runId, worker: slot.index, device: slot.device });
      for (const lease of leases) {
        await store.failTrial(lease, reason);
        await finished(lease.trialId);
      }
    }
    checkDone();
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(waitTimer);
    emit({ type: 'stopping' });
    queue.length = 0;
    for (const worker of idle) if (worker.child.connected) worker.child.disconnect();
    idle.clear();
    for (const worker of workers.values()) {
      if (worker.child.connected && worker.job) worker.child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), options.graceMs ?? 3_000);
      timer.unref();
      worker.child.once('exit', () => clearTimeout(timer));
      // A stopped worker answers `idle`; then it has nothing to do and is disconnected.
    }
    checkDone();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  if (stopping) finish();
  else {
    // A bayes sweep may use every slot until runCap: each free worker asks for its own configuration.
    const first = Math.max(1, Math.min(plan.slots.length, queue.length + toAsk));
    for (const slot of plan.slots.slice(0, first)) spawnWorker(slot);
  }

  try {
    await done;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    clearTimeout(waitTimer);
    flush();
    await writes;
    // Ctrl-C in one agent touches only its own trials.
    if (running.size > 0) await store.interruptTrials([...running.values()].map((r) => r.lease));
  }

  const counts = await store.counts(sweep.id);
  const status = stopping ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed';
  await store.finishRun(runId, status);
  await store.settleSweep(sweep.id);
  return {
    sweepId: sweep.id, runId, status, completed: counts.completed, failed: counts.failed, interrupted: counts.interrupted, pruned: counts.pruned,
    total: counts.total,
  };
}
