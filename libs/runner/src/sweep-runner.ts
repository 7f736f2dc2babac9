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
import { hostname } from 'node:os';
import type { BackendName } from '@l2x/model/config';
import { kernelChoiceFromEnv, kernelsLabel, resolveKernels, unavailableReason, type KernelChoice } from '@l2x/native-kernels';
import { UserError } from '@l2x/errors';
import type { Lease, ResultsStore, RunEnvironment, SweepRecord, TrialRecord } from '@l2x/store';
import { expandSweep, parseSweep, type LoadedSweep, type SweepSpec } from '@l2x/sweep';
import { childScript } from './child-script.ts';
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
  // A grid or random sweep works the trials its file plans now; a bayes sweep plans none ahead, so every pending
  // trial of it (an interrupted or reclaimed one, asked before) is its own.
  const plannedKeys = new Set(planned.map((t) => t.key));
  const wanted = spec.method === 'bayes' ? () => true : (t: TrialRecord) => plannedKeys.has(t.key);
  return work(options, sweep, spec, { added, configChanged, wanted });
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

/** Plans where workers run and which kernels they use, records the run, then works the sweep to its end. */
async function work(
  options: WorkOptions,
  sweep: SweepRecord,
  spec: SweepSpec,
  plan0: { added: number; configChanged: boolean; wanted: (trial: TrialRecord) => boolean },
): Promise<RunSummary> {
  const host = hostname();
  const { plan, kernelChoice, kernels } = await planWorkers(options, spec);
  const runId = await recordRun(options, sweep, { host, plan, kernels });
  const sweepWork = new SweepWork({ options, sweep, spec, wanted: plan0.wanted, host, plan, kernelChoice, runId });
  return sweepWork.run({ added: plan0.added, configChanged: plan0.configChanged, kernels });
}

/** Where the workers run (GPUs looked for only when the backend may use one) and the product kernels they use. */
async function planWorkers(options: WorkOptions, spec: SweepSpec) {
  const backendAsked = options.backend ?? spec.resources.backend;
  // Only a backend that may use a GPU looks for one (listing WebGPU adapters loads Dawn).
  const inventory = backendAsked === 'auto' || backendAsked === 'webgpu' || backendAsked === 'tensorflow-gpu' ? await (options.detectGpus ?? detectGpus)() : undefined;
  const plan = planResources(spec.resources, { workers: options.workers, backend: options.backend }, inventory);
  // `native` that cannot load stops here, before anything runs; workers resolve the same choice themselves.
  const kernelChoice = options.kernels ?? kernelChoiceFromEnv();
  const native = resolveKernels(kernelChoice);
  const kernels = { label: kernelsLabel(native), note: native || kernelChoice === 'wasm' ? '' : unavailableReason() };
  return { plan, kernelChoice, kernels };
}

/** Records this parent's run of the sweep (its host, process, backend, kernels and devices); the sweep is running. */
async function recordRun(options: WorkOptions, sweep: SweepRecord, run: { host: string; plan: ResourcePlan; kernels: { label: string } }): Promise<number> {
  const { plan } = run;
  const runId = await options.store.startRun(sweep.id, {
    host: run.host,
    pid: process.pid,
    nodeVersion: process.version,
    backend: plan.backend,
    kernels: run.kernels.label,
    workers: plan.slots.length,
    argv: options.argv ?? [],
    devices: gpusOf(plan),
    ...options.env,
  });
  await options.store.setSweepStatus(sweep.id, 'running');
  return runId;
}

/** What the `planned` event says beside the work's own state: trials added by this run's plan, and the kernels. */
interface Announced {
  added: number;
  configChanged: boolean;
  kernels: { label: string; note: string };
}

/** What one parent's work on a sweep is given: fixed for the whole run. */
interface WorkContext {
  options: WorkOptions;
  sweep: SweepRecord;
  spec: SweepSpec;
  /** Which pending trials this parent works (runSweep: those its sweep file plans; an agent: all). */
  wanted: (trial: TrialRecord) => boolean;
  host: string;
  plan: ResourcePlan;
  kernelChoice: KernelChoice;
  runId: number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Lets a worker exit once it has nothing left to do (it exits when its channel closes). */
function release(worker: Worker): void {
  if (worker.child.connected) worker.child.disconnect();
}

/**
 * One parent's work on a sweep: claims jobs, hands them to worker processes, writes what the workers report, and
 * ends when every trial is final or the run is stopped. Its fields are the state its steps share.
 */
class SweepWork {
  private readonly options: WorkOptions;
  private readonly store: ResultsStore;
  private readonly sweep: SweepRecord;
  private readonly spec: SweepSpec;
  private readonly wanted: (trial: TrialRecord) => boolean;
  private readonly host: string;
  private readonly plan: ResourcePlan;
  private readonly kernelChoice: KernelChoice;
  private readonly runId: number;
  private readonly emit: (event: RunnerEvent) => void;
  private readonly staleSeconds: number;
  private readonly heartbeatMs: number;
  private readonly waitMs: number;
  private readonly bayes: boolean;
  private readonly pruner: ReturnType<typeof sweepPruner>;

  private readonly queue: Job[] = [];
  /** A bayes sweep has asked its last configuration (runCap reached or the space spent). */
  private askedAll: boolean;
  /** A bayes sweep's configurations still to ask (runCap less those in the store), each once per seed. */
  private toAsk = 0;
  private readonly lastEval = new Map<number, { step: number; metrics: Record<string, number> }>(); // trialId → its latest evaluation
  private readonly workers = new Map<number, Worker>();
  private readonly idle = new Set<Worker>();
  private readonly running = new Map<number, { worker: Worker; lease: Lease }>(); // trialId → its worker and lease
  private readonly progress = new Map<number, number>(); // trialId → latest step not yet written
  private stopping = false;
  /** Every trial of the sweep is final (or workers cannot start here): no more claims. */
  private exhausted = false;
  private jobIds = 0;
  /** Settles `done`: the run ends. */
  private finish!: () => void;
  private readonly done: Promise<void>;
  // Writes go one after another, in the order the workers' messages came: a trial's points before its result.
  private writes: Promise<unknown> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  /** Whether this parent has said it waits for trials running elsewhere (said again after it claims one). */
  private waiting = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(context: WorkContext) {
    const { options, spec } = context;
    this.options = options;
    this.store = options.store;
    this.sweep = context.sweep;
    this.spec = spec;
    this.wanted = context.wanted;
    this.host = context.host;
    this.plan = context.plan;
    this.kernelChoice = context.kernelChoice;
    this.runId = context.runId;
    this.emit = options.onEvent ?? (() => {});
    this.staleSeconds = options.staleSeconds ?? 60;
    // Several heartbeats per lease, so that one late heartbeat never loses it.
    this.heartbeatMs = options.heartbeatMs ?? Math.min(5_000, this.staleSeconds * 250);
    this.waitMs = options.waitMs ?? Math.min(5_000, Math.max(200, (this.staleSeconds * 1000) / 4));
    this.bayes = spec.method === 'bayes';
    this.pruner = sweepPruner(spec);
    this.askedAll = !this.bayes;
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
  }

  /** Says what is planned, starts the first workers, waits until the sweep is done (or stopped), and settles the run. */
  async run(announced: Announced): Promise<RunSummary> {
    await this.announce(announced);
    // Read once `planned` is said: a listener of it may have aborted already.
    this.stopping = this.options.signal?.aborted ?? false;
    this.startTimers();
    this.options.signal?.addEventListener('abort', this.stop, { once: true });
    if (this.stopping) this.finish();
    else this.spawnFirstWorkers();
    try {
      await this.done;
    } finally {
      await this.cleanUp();
    }
    return this.settle();
  }

  /** Takes back what dead runs hold, queues the pending trials and says what is planned (the `planned` event). */
  private async announce(announced: Announced): Promise<void> {
    const { store, sweep, spec } = this;
    this.toAsk = this.bayes ? Math.max(0, (spec.runCap ?? 0) - new Set((await store.trialOutcomes(sweep.id, spec.metric.name)).map((t) => t.configKey)).size) : 0;
    const reclaimed = await this.refill();
    const pendingCount = this.queue.reduce((n, job) => n + job.trials.length, 0);
    this.emit({
      type: 'planned', sweep, runId: this.runId, total: (await store.counts(sweep.id)).total + this.toAsk * spec.seeds.length, added: announced.added,
      pending: pendingCount + this.toAsk * spec.seeds.length, reclaimed, configChanged: announced.configChanged, plan: this.plan, kernels: announced.kernels,
    });
  }

  private startTimers(): void {
    this.flushTimer = setInterval(() => this.flush(), this.options.flushMs ?? 500);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
  }

  private spawnFirstWorkers(): void {
    // A bayes sweep may use every slot until runCap: each free worker asks for its own configuration.
    const first = Math.max(1, Math.min(this.plan.slots.length, this.queue.length + this.toAsk));
    for (const slot of this.plan.slots.slice(0, first)) this.spawnWorker(slot);
  }

  /** Stops the timers, writes what is left, and interrupts the trials this parent still holds. */
  private async cleanUp(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.stop);
    clearInterval(this.flushTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.waitTimer);
    this.flush();
    await this.writes;
    // Ctrl-C in one agent touches only its own trials.
    if (this.running.size > 0) await this.store.interruptTrials([...this.running.values()].map((r) => r.lease));
  }

  /** Ends the run with its status and settles the sweep's. */
  private async settle(): Promise<RunSummary> {
    const { store, sweep, runId } = this;
    const counts = await store.counts(sweep.id);
    const status = this.stopping ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed';
    await store.finishRun(runId, status);
    await store.settleSweep(sweep.id);
    return {
      sweepId: sweep.id, runId, status, completed: counts.completed, failed: counts.failed, interrupted: counts.interrupted, pruned: counts.pruned,
      total: counts.total,
    };
  }

  /** Takes back what dead or silent runs hold, then plans jobs from the pending trials; how many it took back. */
  private async refill(): Promise<number> {
    const { store, sweep, spec, plan } = this;
    const reclaimed = (await store.requeueDead(sweep.id, this.host, isAlive)) + (await store.requeueExpired(sweep.id, this.staleSeconds));
    const pending = (await store.pendingTrials(sweep.id)).filter(this.wanted);
    this.queue.splice(0, this.queue.length, ...planJobs(pending, spec.resources.pack, plan.slots.length, plan.packBudget));
    return reclaimed;
  }

  /**
   * A bayes sweep's next configuration, queued as a job of its seeds; false when runCap is reached or the space is
   * spent. Another agent asking at the same moment may have added the same configuration: its pending trials are
   * queued all the same.
   */
  private async askMore(): Promise<boolean> {
    if (this.askedAll) return false;
    const { store, sweep, spec } = this;
    const next = await askNext(store, sweep.id, spec);
    if (next.length > 0) await store.addTrials(sweep.id, next);
    const keys = new Set(next.map((t) => t.key));
    const pending = (await store.pendingTrials(sweep.id)).filter((t) => keys.has(t.key));
    if (pending.length === 0) {
      this.askedAll = true;
      return false;
    }
    this.queue.push(...planJobs(pending, spec.resources.pack, 1, this.plan.packBudget));
    return true;
  }

  private write(task: () => Promise<unknown>): Promise<unknown> {
    this.writes = this.writes.then(task).catch((error: unknown) => this.emit({ type: 'store-error', message: errorText(error) }));
    return this.writes;
  }

  private leaseOf(trialId: number): Lease | undefined {
    return this.running.get(trialId)?.lease;
  }

  private flush(): void {
    if (this.progress.size === 0) return;
    const updates = [...this.progress].flatMap(([trialId, step]) => {
      const lease = this.leaseOf(trialId);
      return lease ? [{ ...lease, step }] : [];
    });
    this.progress.clear();
    void this.write(() => this.store.recordProgress(updates));
  }

  private heartbeat(): Promise<unknown> {
    return this.write(async () => {
      const lost = await this.store.heartbeat([...this.running.values()].map((r) => r.lease));
      for (const lease of lost) {
        const holder = this.running.get(lease.trialId);
        if (holder) await this.lostLease(lease, holder.worker);
      }
    });
  }

  private checkDone(): void {
    if (this.workers.size === 0 && (this.stopping || this.exhausted)) this.finish();
  }

  /** Hands jobs to idle workers, claiming each job's trials first; when none are left, waits or lets the workers go. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.dispatchAll();
      } while (this.pumpAgain);
    } catch (error) {
      this.emit({ type: 'store-error', message: errorText(error) });
      if (!this.stopping) this.waitTimer = setTimeout(() => void this.pump(), this.waitMs);
    } finally {
      this.pumping = false;
    }
  }

  private async dispatchAll(): Promise<void> {
    const { queue, idle, workers, plan } = this;
    while (!this.stopping && !this.exhausted) {
      if (queue.length > 0 && idle.size === 0) {
        if (workers.size < plan.slots.length) this.spawnWorker(plan.slots.find((slot) => !workers.has(slot.index))!);
        return; // a worker that becomes ready pumps again
      }
      if (idle.size === 0) return;
      if (queue.length === 0) await this.refill();
      if (queue.length === 0 && (await this.askMore())) continue;
      if (queue.length === 0) {
        await this.waitOrRelease();
        return;
      }
      const job = queue.shift()!;
      const worker = idle.values().next().value!;
      const leases = await this.store.claimTrials(job.trials.map((t) => t.id), { runId: this.runId, worker: worker.slot.index, device: worker.slot.device });
      if (leases.length === 0 || this.stopping || !idle.has(worker)) {
        if (leases.length > 0) await this.store.interruptTrials(leases);
        continue; // another agent took them (or this one is stopping)
      }
      await this.dispatch(job, worker, leases);
    }
  }

  /** Sends a job's claimed trials to an idle worker, then says they started. */
  private async dispatch(job: Job, worker: Worker, leases: Lease[]): Promise<void> {
    const claimed = job.trials.filter((t) => leases.some((l) => l.trialId === t.id));
    this.waiting = false;
    this.idle.delete(worker);
    worker.job = { ...job, trials: claimed };
    for (const lease of leases) this.running.set(lease.trialId, { worker, lease });
    const message: ParentMessage = {
      type: 'run', jobId: ++this.jobIds, backend: this.plan.backend, kernels: this.kernelChoice, judged: this.pruner !== null,
      trials: claimed.map((t) => ({ trialId: t.id, settings: t.settings })),
    };
    worker.child.send(message);
    // Sent before telling anyone: a listener that stops the sweep now reaches a worker that has the job.
    for (const trial of await this.store.trialsById(claimed.map((t) => t.id))) this.emit({ type: 'trial-started', trial, worker: worker.slot.index });
  }

  /** Nothing to claim: wait while trials of the sweep run (here or elsewhere), or let idle workers go when all are final. */
  private async waitOrRelease(): Promise<void> {
    const { store, sweep } = this;
    const counts = await store.counts(sweep.id);
    const open = (await store.pendingTrials(sweep.id)).filter(this.wanted).length + counts.running;
    if (open > 0) {
      if (this.running.size === 0 && !this.waiting) this.emit({ type: 'waiting', running: counts.running });
      this.waiting = this.running.size === 0; // said once per wait
      clearTimeout(this.waitTimer);
      this.waitTimer = setTimeout(() => void this.pump(), this.waitMs);
      return;
    }
    this.exhausted = true;
    for (const worker of this.idle) release(worker); // nothing left: let it exit
    this.idle.clear();
    this.checkDone();
  }

  /** A write was refused: another attempt holds the trial now (this one's lease expired while it was away). */
  private async lostLease(lease: Lease, worker: Worker): Promise<void> {
    if (this.running.get(lease.trialId)?.lease.attempt !== lease.attempt) return; // said already
    this.running.delete(lease.trialId);
    this.progress.delete(lease.trialId);
    this.emit({ type: 'lease-lost', trialId: lease.trialId, worker: worker.slot.index });
  }

  private async finished(trialId: number): Promise<void> {
    this.running.delete(trialId);
    this.progress.delete(trialId);
    this.lastEval.delete(trialId);
    this.emit({ type: 'trial-finished', trial: await this.store.trial(trialId), metrics: await this.store.finalMetrics(trialId) });
  }

  /** A fenced write of a trial's end was made: it finished if the lease still held, else the lease was lost. */
  private async ended(held: boolean, lease: Lease, worker: Worker): Promise<void> {
    await (held ? this.finished(lease.trialId) : this.lostLease(lease, worker));
  }

  /**
   * A judged job evaluated (its points are written: this runs in the write queue): the pruner decides against every
   * curve of the sweep in the store; the stopped trials are stored pruned, fenced by their leases. The worker waits
   * for the verdict, so it is always sent.
   */
  private async evaluated(worker: Worker, jobId: number, step: number, trialIds: readonly number[]): Promise<void> {
    let stop: number[] = [];
    try {
      const live = trialIds.filter((id) => this.running.get(id)?.worker === worker);
      stop = this.pruner && !this.stopping ? await judge(this.store, this.sweep.id, this.spec, this.pruner, live, step) : [];
      for (const id of stop) {
        const lease = this.leaseOf(id);
        if (!lease) continue;
        const held = await this.store.pruneTrial(lease, { step, metrics: this.lastEval.get(id)?.metrics ?? {} });
        await this.ended(held, lease, worker);
      }
    } finally {
      if (worker.child.connected) worker.child.send({ type: 'verdict', jobId, step, stop } satisfies ParentMessage);
    }
  }

  private onMessage(worker: Worker, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        return this.onReady(worker);
      case 'started':
        return this.onStarted(worker, message);
      case 'progress':
        if (this.leaseOf(message.trialId)) this.progress.set(message.trialId, message.step);
        return;
      case 'eval':
        return this.onEval(worker, message);
      case 'evaluated': {
        const { jobId, step, trialIds } = message;
        void this.write(() => this.evaluated(worker, jobId, step, trialIds));
        return;
      }
      case 'completed':
        return this.onResult(worker, message.trialId, (lease) =>
          this.store.completeTrial(lease, { metrics: message.metrics, backend: message.backend, kernels: message.kernels, trainMs: message.trainMs }),
        );
      case 'failed':
        return this.onResult(worker, message.trialId, (lease) => this.store.failTrial(lease, message.error, message.backend));
      case 'idle':
        return this.onIdle(worker);
    }
  }

  private onReady(worker: Worker): void {
    worker.ready = true;
    if (this.stopping || this.exhausted) {
      release(worker);
      return;
    }
    this.idle.add(worker);
    void this.pump();
  }

  /** A job started: the worker's backend is said once, and each trial's backend, kernels and device are recorded. */
  private onStarted(worker: Worker, message: Extract<WorkerMessage, { type: 'started' }>): void {
    if (!worker.announced) {
      worker.announced = true;
      this.emit({ type: 'worker-backend', worker: worker.slot.index, backend: message.backend, device: message.device, skipped: message.skipped });
    }
    const updates = (worker.job?.trials ?? []).flatMap((t) => {
      const lease = this.leaseOf(t.id);
      return lease ? [{ ...lease, step: 0, backend: message.backend, kernels: message.kernels, device: message.device }] : [];
    });
    void this.write(() => this.store.recordProgress(updates));
  }

  private onEval(worker: Worker, message: Extract<WorkerMessage, { type: 'eval' }>): void {
    const lease = this.leaseOf(message.trialId);
    if (!lease || this.running.get(message.trialId)?.worker !== worker) return; // pruned already: its curve ends where it stopped
    void this.write(() => this.store.recordPoints(lease, message.step, { ...message.metrics, tau: message.tau }));
    this.lastEval.set(message.trialId, { step: message.step, metrics: message.metrics });
  }

  /** A trial completed or failed: its result is written, fenced by its lease. */
  private onResult(worker: Worker, trialId: number, save: (lease: Lease) => Promise<boolean>): void {
    const lease = this.leaseOf(trialId);
    this.progress.delete(trialId);
    if (!lease) return; // its lease was lost: the attempt that holds it now writes the result
    void this.write(async () => this.ended(await save(lease), lease, worker));
  }

  private onIdle(worker: Worker): void {
    worker.job = null;
    if (this.stopping) release(worker);
    else {
      this.idle.add(worker);
      void this.pump();
    }
  }

  private spawnWorker(slot: WorkerSlot): void {
    const { script, execArgv } = childScript('worker');
    const child = fork(script, [], {
      execArgv,
      env: { ...process.env, ...slot.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const worker: Worker = { slot, child, job: null, ready: false, stderr: '', announced: false };
    this.workers.set(slot.index, worker);
    child.stderr?.on('data', (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString()).slice(-4000);
    });
    child.on('message', (message: WorkerMessage) => this.onMessage(worker, message));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
  }

  /** A worker exited: the trials it held fail (or are interrupted when stopping), and the work goes on. */
  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const { slot } = worker;
    this.workers.delete(slot.index);
    this.idle.delete(worker);
    const lost = [...this.running].filter(([, r]) => r.worker === worker).map(([, r]) => r.lease);
    for (const lease of lost) this.running.delete(lease.trialId);
    const last = worker.stderr.trim().split('\n').filter(Boolean).pop();
    if (lost.length > 0) {
      if (this.stopping) void this.write(() => this.store.interruptTrials(lost));
      else {
        const reason = `worker exited (${signal ?? `code ${code}`}) during the trial${last ? `: ${last}` : ''}`;
        this.emit({ type: 'worker-lost', worker: slot.index, reason });
        for (const lease of lost)
          void this.write(async () => {
            await this.store.failTrial(lease, reason);
            await this.finished(lease.trialId);
          });
      }
    }
    // A worker that died before taking any job would die again: do not respawn it forever.
    if (!worker.ready && !this.stopping && this.workers.size === 0) void this.write(() => this.failQueue(`worker could not start: ${last ?? `exit ${signal ?? code}`}`, slot));
    else if (!this.stopping && !this.exhausted) void this.pump();
    void this.writes.then(() => this.checkDone());
  }

  /** No worker can start here: the trials planned for this parent fail with the reason (each a row), and it stops claiming. */
  private async failQueue(reason: string, slot: WorkerSlot): Promise<void> {
    this.exhausted = true;
    for (const job of this.queue.splice(0)) {
      const leases = await this.store.claimTrials(job.trials.map((t) => t.id), { runId: this.runId, worker: slot.index, device: slot.device });
      for (const lease of leases) {
        await this.store.failTrial(lease, reason);
        await this.finished(lease.trialId);
      }
    }
    this.checkDone();
  }

  /** Stops the sweep cleanly (the abort signal's listener, hence an arrow: the same function is removed later). */
  private readonly stop = (): void => {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.waitTimer);
    this.emit({ type: 'stopping' });
    this.queue.length = 0;
    for (const worker of this.idle) release(worker);
    this.idle.clear();
    for (const worker of this.workers.values()) {
      if (worker.child.connected && worker.job) worker.child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), this.options.graceMs ?? 3_000);
      timer.unref();
      worker.child.once('exit', () => clearTimeout(timer));
      // A stopped worker answers `idle`; then it has nothing to do and is disconnected.
    }
    this.checkDone();
  };
}
