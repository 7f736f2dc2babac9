/**
 * The sweep's output when stdout is not a terminal (CI, pipes, `--no-dashboard`): one line per trial
 * start and finish, with its swept settings and soft/hard accuracy.
 */
import type { RunnerEvent } from '@l2x/runner';
import type { TrialRecord } from '@l2x/store';

export function trialLabel(trial: Pick<TrialRecord, 'params' | 'seed'>): string {
  const params = Object.entries(trial.params).map(([name, value]) => `${name}=${String(value)}`);
  return [...params, `seed=${trial.seed}`].join(' ');
}

function fixed(value: number | null | undefined, digits = 3): string {
  return typeof value === 'number' ? value.toFixed(digits) : '  –  ';
}

function seconds(trial: TrialRecord): string {
  if (!trial.startedAt || !trial.finishedAt) return '';
  return `${((Date.parse(trial.finishedAt) - Date.parse(trial.startedAt)) / 1000).toFixed(1)}s`;
}

/** Returns a handler for runner events that writes lines to `write`. */
export function plainOutput(write: (line: string) => void): (event: RunnerEvent) => void {
  let pending = 0;
  let metric = '';
  let finished = 0;
  let started = 0;
  const said = new Set<string>(); // backends passed over, said once for all workers
  const width = () => String(pending).length;
  const counter = (n: number) => `[${String(n).padStart(width())}/${pending}]`;
  return (event) => {
    switch (event.type) {
      case 'planned': {
        pending = event.pending;
        metric = event.sweep.metric.name;
        const done = event.total - event.pending;
        const workers = event.plan.slots.length;
        const gpus = [...new Set(event.plan.slots.map((s) => s.device).filter(Boolean))];
        const budget = event.plan.packBudget ? `; packs up to ${(event.plan.packBudget.bytes / 2 ** 30).toFixed(1)} GiB each` : '';
        const where = gpus.length > 0 ? `GPU worker${workers === 1 ? '' : 's'} (${gpus.join(', ')}${budget})` : `CPU worker${workers === 1 ? '' : 's'}`;
        const onWasm = event.plan.backend === 'wasm' || event.plan.backend === 'auto'; // the native kernel plugs into wasm
        write(
          `sweep ${event.sweep.name}: ${event.total} trials, ${event.pending} to run (${event.added} new, ${done} done or failed before` +
            `${event.reclaimed ? `, ${event.reclaimed} reclaimed from a lost run` : ''}) on ${workers} ${where}, backend ${event.plan.backend}` +
            `${onWasm ? `, kernels ${event.kernels.label}` : ''}`,
        );
        if (onWasm && event.kernels.note) write(`note: products run on TensorFlow.js's wasm kernels: ${event.kernels.note}`);
        for (const note of event.plan.notes) write(`note: ${note}`);
        if (event.configChanged) write(`note: ${event.sweep.configPath ?? 'the sweep file'} changed since the sweep's last run; trials already done are kept`);
        break;
      }
      case 'trial-started':
        started++;
        write(`${counter(started)} start  ${trialLabel(event.trial)}  (worker ${event.worker})`);
        break;
      case 'trial-finished': {
        finished++;
        const t = event.trial;
        const m = event.metrics;
        if (t.status === 'completed') {
          const gap = typeof m.gap === 'number' ? `${m.gap >= 0 ? '+' : ''}${m.gap.toFixed(3)}` : '–';
          write(
            `${counter(finished)} done   ${trialLabel(t)}  soft ${fixed(m.soft_acc)}  hard ${fixed(m.hard_acc)}  gap ${gap}  precision ${fixed(m.precision)}  ${t.backend ?? ''} ${seconds(t)}`,
          );
        } else if (t.status === 'pruned') {
          write(`${counter(finished)} pruned ${trialLabel(t)}  at step ${t.step}  ${metric} ${fixed(event.metrics[metric])}`);
        } else write(`${counter(finished)} FAILED ${trialLabel(t)}  ${t.error ?? ''}`);
        break;
      }
      case 'worker-backend':
        // Once per worker: what `auto` passed over and why, then what runs the trials.
        for (const reason of event.skipped.filter((r) => !said.has(r))) {
          said.add(reason);
          write(`not loaded: ${reason}`);
        }
        write(`worker ${event.worker}: backend ${event.backend} on ${event.device}`);
        break;
      case 'worker-lost':
        write(`worker ${event.worker} lost: ${event.reason}`);
        break;
      case 'lease-lost':
        write(`trial ${event.trialId}: its lease expired and another agent took it back; worker ${event.worker}'s result will not be written`);
        break;
      case 'waiting':
        write(`waiting: nothing to claim while ${event.running} trial${event.running === 1 ? '' : 's'} run elsewhere; ready to take over any whose lease expires`);
        break;
      case 'store-error':
        write(`database: ${event.message} (the trial's lease will expire and it runs again)`);
        break;
      case 'stopping':
        write('stopping: running trials will be marked interrupted and resume next time (Ctrl-C again to quit at once)');
        break;
    }
  };
}
