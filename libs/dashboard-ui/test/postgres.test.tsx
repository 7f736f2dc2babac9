/**
 * The dashboard on a PostgreSQL sweep worked by two machines: the host beside each running trial, and a change
 * another connection commits shows on the next poll (the server's WAL position moved).
 */
import { render } from 'ink-testing-library';
import { afterEach, expect, it } from 'vitest';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { leaseOf, writeFixtureSweep } from '@l2x/store/fixtures';
import { createTestDatabase } from '@l2x/store/testing';
import { Dashboard } from '../src/Dashboard.tsx';
import { tauInProgress } from './fixtures.ts';
import { resize, waitForFrame } from './ink.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it('shows a PostgreSQL sweep run on two hosts, with each running trial\'s host, and follows a trial finishing', async () => {
  const db = await createTestDatabase('l2x_dashboard');
  cleanups.push(() => db.drop());
  const store = await ResultsStore.open(db.url);
  cleanups.push(() => store.close());
  const sweepId = await writeFixtureSweep(store, tauInProgress()); // two trials running on host "fixture"
  const other = await store.startRun(sweepId, {
    host: 'gpu-node-2', pid: 4242, gitCommit: null, gitDirty: null, nodeVersion: process.version, tfjsVersion: null, backend: 'cpu', kernels: null, workers: 1, argv: [],
  });
  const [queued] = await store.trials(sweepId, ['queued']);
  await store.claimTrials([queued!.id], { runId: other, worker: 0, device: null });

  const reader = await ResultsReader.open(db.url);
  cleanups.push(() => reader.close());
  const app = render(<Dashboard reader={reader} colour={false} pollMs={100} />);
  cleanups.push(() => app.unmount());
  resize(app, 100, 30);
  const frame = await waitForFrame(app, (f) => f.includes('Running · 3 trials'));
  expect(frame).toMatch(/^gpu-node-2 w0 +tau=/m);
  expect(frame.match(/^fixture w[01] +tau=/gm)).toHaveLength(2);
  expect(frame).toMatch(/ 10\/15 done · 3 running · 1 queued · 1 failed/);

  await store.completeTrial(await leaseOf(store, queued!.id), { metrics: { soft_acc: 0.9, hard_acc: 0.85, gap: 0.05, precision: 0.7 }, backend: 'cpu', trainMs: 5 });
  const after = await waitForFrame(app, (f) => / 11\/15 done · 2 running/.test(f));
  expect(after).not.toMatch(/^gpu-node-2 w0/m);
  expect(after).toMatch(/^✓ tau=\S+ seed=\d  soft 0\.900 hard 0\.850/m);
});
