/**
 * A worker process: waits for jobs from the sweeper, trains them, reports every event back over IPC.
 * It never touches the database. It ignores SIGINT (Ctrl-C reaches the whole process group: the parent
 * decides) and exits when the parent goes away.
 */
import { train, type TrainEvent } from '@l2x/model';
import type { JobTrial, ParentMessage, WorkerMessage } from './protocol.ts';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

let abort = new AbortController();

async function runTrial(jobId: number, backend: ParentMessage & { type: 'run' }, trial: JobTrial): Promise<void> {
  let resolved: string | undefined;
  const onEvent = (event: TrainEvent) => {
    if (event.type === 'start') {
      resolved = event.backend;
      send({ type: 'started', jobId, backend: event.backend, tfjsVersion: event.tfjsVersion });
    } else if (event.type === 'progress') send({ type: 'progress', jobId, trialId: trial.trialId, step: event.step });
    else if (event.type === 'eval') send({ type: 'eval', jobId, trialId: trial.trialId, step: event.step, tau: event.tau, metrics: event.metrics });
  };
  try {
    const result = await train(trial.settings, { backend: backend.backend, signal: abort.signal, onEvent });
    send({ type: 'completed', jobId, trialId: trial.trialId, backend: result.backend, metrics: result.metrics, trainMs: result.trainMs });
  } catch (error) {
    if (abort.signal.aborted) return; // the parent marks it interrupted
    send({ type: 'failed', jobId, trialId: trial.trialId, error: describe(error), ...(resolved ? { backend: resolved } : {}) });
  }
}

async function runJob(message: ParentMessage & { type: 'run' }): Promise<void> {
  abort = new AbortController();
  for (const trial of message.trials) {
    if (abort.signal.aborted) break;
    await runTrial(message.jobId, message, trial);
  }
  send({ type: 'idle', jobId: message.jobId });
}

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ParentMessage) => {
  if (message.type === 'run') void runJob(message);
  else if (message.type === 'stop') abort.abort();
});
send({ type: 'ready', pid: process.pid });
