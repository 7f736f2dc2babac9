/**
 * A worker process: waits for jobs from the sweeper, trains them, reports every event back over IPC.
 * It never touches the database. It ignores SIGINT (Ctrl-C reaches the whole process group: the parent
 * decides) and exits when the parent goes away.
 */
import { trainPack, type PackEvent, type TrainEvent } from '@l2x/model';
import type { ParentMessage, WorkerMessage } from './protocol.ts';

type RunMessage = Extract<ParentMessage, { type: 'run' }>;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

let abort = new AbortController();
/** The parent's answer to the `evaluated` message of the running job, when it comes. */
let verdict: ((stop: number[]) => void) | null = null;

/** After an evaluation of a judged job: tell the parent which trials reported, and wait for the ones that stop. */
function askVerdict(message: RunMessage, step: number, training: readonly number[]): Promise<number[]> {
  const trialIds = training.map((i) => message.trials[i]!.trialId);
  const { signal } = abort;
  return new Promise<number[]>((resolve) => {
    // Aborted while waiting: no trial stops here (the job ends as a whole). One listener per wait, removed after it.
    const onAbort = () => verdict?.([]);
    verdict = (stop) => {
      verdict = null;
      signal.removeEventListener('abort', onAbort);
      resolve(training.filter((i) => stop.includes(message.trials[i]!.trialId)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    send({ type: 'evaluated', jobId: message.jobId, step, trialIds });
  });
}

/**
 * A job's trials, trained together by `trainPack` (one trial is a pack of one). A diverging trial fails alone;
 * any other error fails the whole job.
 */
async function runPack(message: RunMessage): Promise<void> {
  const { jobId, trials } = message;
  let resolved: string | undefined;
  const onEvent = (event: PackEvent) => {
    if (event.type === 'start') resolved = event.backend;
    forward(jobId, trials[event.trial]!.trialId, event);
  };
  try {
    const outcomes = await trainPack(
      trials.map((t) => t.settings),
      {
        backend: message.backend,
        kernels: message.kernels,
        signal: abort.signal,
        onEvent,
        ...(message.judged && { afterEval: (step: number, training: readonly number[]) => askVerdict(message, step, training) }),
      },
    );
    outcomes.forEach((outcome, i) => {
      const trialId = trials[i]!.trialId;
      if (!outcome.ok && outcome.error === null) return; // pruned: the parent stored it when it said so
      if (outcome.ok)
        send({ type: 'completed', jobId, trialId, backend: outcome.result.backend, kernels: outcome.result.kernels, metrics: outcome.result.metrics, trainMs: outcome.result.trainMs });
      else send({ type: 'failed', jobId, trialId, error: describe(outcome.error), ...(resolved ? { backend: resolved } : {}) });
    });
  } catch (error) {
    if (abort.signal.aborted) return;
    for (const { trialId } of trials) send({ type: 'failed', jobId, trialId, error: describe(error), ...(resolved ? { backend: resolved } : {}) });
  }
}

function forward(jobId: number, trialId: number, event: TrainEvent): void {
  if (event.type === 'start')
    send({ type: 'started', jobId, backend: event.backend, kernels: event.kernels, tfjsVersion: event.tfjsVersion, device: event.device, skipped: event.skipped });
  else if (event.type === 'progress') send({ type: 'progress', jobId, trialId, step: event.step });
  else send({ type: 'eval', jobId, trialId, step: event.step, tau: event.tau, metrics: event.metrics });
}

async function runJob(message: RunMessage): Promise<void> {
  abort = new AbortController();
  await runPack(message);
  send({ type: 'idle', jobId: message.jobId });
}

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ParentMessage) => {
  if (message.type === 'run') void runJob(message);
  else if (message.type === 'verdict') verdict?.(message.stop);
  else if (message.type === 'stop') abort.abort();
});
send({ type: 'ready', pid: process.pid });
