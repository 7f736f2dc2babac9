/**
 * A sweeper stand-in for tests and demos: writes a tau sweep into a database trial by trial, from its own
 * process, through the real store writer.
 *
 *   node --import tsx test/write-live-sweep.ts DB [TRIALS=12] [INTERVAL_MS=120] [WORKERS=2]
 *
 * Prints `ready` once the sweep and its queued trials are committed, `done` at the end.
 */
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { TAUS, metricsFor } from './fixtures.ts';

const [path, trialsArg = '12', intervalArg = '120', workersArg = '2'] = process.argv.slice(2);
if (!path) throw new Error('usage: write-live-sweep.ts DB [TRIALS] [INTERVAL_MS] [WORKERS]');
const total = Number(trialsArg);
const interval = Number(intervalArg);
const workers = Number(workersArg);
const steps = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const store = await ResultsStore.open(path);
// The sweep with every trial queued, and a run (as the sweeper's) to claim them for.
const sweepId = await writeFixtureSweep(store, {
  name: 'live',
  swept: ['tau'],
  fixed: { steps },
  trials: Array.from({ length: total }, (_, i) => ({ params: { tau: TAUS[i % TAUS.length]! }, seed: Math.floor(i / TAUS.length), status: 'queued' as const })),
});
const runId = (await store.runs(sweepId))[0]!.id;
console.log('ready');

const pending = await store.pendingTrials(sweepId);
for (let i = 0; i < pending.length; i += workers) {
  const batch = pending.slice(i, i + workers);
  const leases = [];
  for (const [w, t] of batch.entries()) leases.push(...(await store.claimTrials([t.id], { runId, worker: w, device: null })));
  for (let step = 250; step <= steps; step += 250) {
    for (const lease of leases) await store.recordPoints(lease, step, { loss: 1.5 - step / 1000 + Math.random() * 0.1 });
    await sleep(interval / 4);
  }
  for (const [j, t] of batch.entries()) {
    const index = TAUS.indexOf(t.settings.tau);
    if (t.seed === 1 && index === 2) await store.failTrial(leases[j]!, 'loss became NaN at step 750', 'cpu');
    else await store.completeTrial(leases[j]!, { metrics: metricsFor(index, t.seed), backend: 'cpu', trainMs: interval });
  }
}
await store.finishRun(runId, 'completed');
await store.setSweepStatus(sweepId, 'completed');
await store.close();
console.log('done');
