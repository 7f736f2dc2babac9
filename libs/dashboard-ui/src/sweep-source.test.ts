import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { leaseOf, writeFixtureSweep } from '@l2x/store/fixtures';
import { fixtureDb, tauInProgress, tauTrials } from '../test/fixtures.ts';
import { SweepSource, readConfigs, readSnapshot, statsColumns } from './sweep-source.ts';

let db: Awaited<ReturnType<typeof fixtureDb>>;
let reader: ResultsReader;
let store: ResultsStore;
beforeEach(async () => {
  db = await fixtureDb(tauInProgress());
  reader = await ResultsReader.open(db.path);
  store = await ResultsStore.open(db.path); // a second connection, as the sweeper's
});
afterEach(async () => {
  await reader.close();
  await store.close();
  db.cleanup();
});

describe('SweepSource', () => {
  it('reads only when another connection committed', async () => {
    const source = new SweepSource(reader, { recheckMs: Infinity });
    const counts = vi.spyOn(reader, 'counts');
    const first = (await source.poll());
    expect(first.changed).toBe(true);
    expect(first.state.kind).toBe('ok');
    expect(source.sweepName).toBe('tau-live');
    expect((await source.poll()).changed).toBe(false);
    expect((await source.poll()).changed).toBe(false);
    expect(counts).toHaveBeenCalledTimes(1);
    const sweep = (await store.sweep('tau-live'));
    const [running] = (await store.trials(sweep.id, ['running']));
    await store.recordProgress([{ ...(await leaseOf(store, running!.id)), step: 600 }]);
    const next = (await source.poll());
    expect(next.changed).toBe(true);
    expect(counts).toHaveBeenCalledTimes(2);
    if (next.state.kind !== 'ok') throw new Error('expected a snapshot');
    expect(next.state.snapshot.running.find((t) => t.id === running!.id)?.step).toBe(600);
  });

  it('reads the configurations again only when a trial finished, and reports those that finished since the first look', async () => {
    const source = new SweepSource(reader, { recheckMs: Infinity });
    const configStats = vi.spyOn(reader, 'configStats');
    expect((await source.poll()).finished).toEqual([]); // already finished at the first look: not news
    expect(configStats).toHaveBeenCalledTimes(1);
    const sweep = (await store.sweep('tau-live'));
    const [a, b] = (await store.trials(sweep.id, ['running']));
    await store.recordProgress([{ ...(await leaseOf(store, a!.id)), step: 700 }]);
    expect((await source.poll()).finished).toEqual([]);
    expect(configStats).toHaveBeenCalledTimes(1); // progress only
    await store.completeTrial(await leaseOf(store, a!.id), { metrics: { soft_acc: 0.9, hard_acc: 0.8, gap: 0.1, precision: 0.7 }, backend: 'cpu', trainMs: 5 });
    await store.failTrial(await leaseOf(store, b!.id), 'out of memory', 'cpu');
    const next = (await source.poll());
    expect(configStats).toHaveBeenCalledTimes(2);
    expect(next.finished.map((e) => [e.status, e.label, e.seed, e.hard, e.error])).toEqual(
      expect.arrayContaining([
        ['completed', 'tau=0.5', a!.seed, 0.8, null],
        ['failed', 'tau=0.5', b!.seed, null, 'out of memory'],
      ]),
    );
    expect(next.finished).toHaveLength(2);
    expect((await source.poll(true)).finished).toEqual([]); // reported once
    if (next.state.kind !== 'ok') throw new Error('expected a snapshot');
    expect(next.state.snapshot.configs).toEqual(await readConfigs(reader, await store.sweep('tau-live')));
    expect(next.state.snapshot.failed.map((t) => t.id)).toContain(b!.id);
  });

  it('rereads every few seconds while the sweep runs even when data_version stands still', async () => {
    let now = 0;
    const source = new SweepSource(reader, { clock: () => now, recheckMs: 5000 });
    (await source.poll());
    now = 1000;
    expect((await source.poll()).changed).toBe(false);
    now = 5000;
    expect((await source.poll()).changed).toBe(true);
  });

  it('waits for a sweep that is not there yet, then follows it', async () => {
    const source = new SweepSource(reader, { sweep: 'later' });
    expect((await source.poll()).state).toEqual({ kind: 'missing', name: 'later' });
    await writeFixtureSweep(store, { name: 'later', swept: ['tau'], trials: tauTrials(1) });
    const next = (await source.poll());
    expect(next.state.kind).toBe('ok');
  });

  it('says when the database has no sweeps, and keeps the last snapshot when a read fails', async () => {
    const empty = await fixtureDb();
    const emptyReader = await ResultsReader.open(empty.path);
    try {
      expect((await new SweepSource(emptyReader).poll()).state).toEqual({ kind: 'no-sweeps' });
    } finally {
      await emptyReader.close();
      empty.cleanup();
    }
    const source = new SweepSource(reader);
    (await source.poll());
    vi.spyOn(reader, 'counts').mockRejectedValue(new Error('disk I/O error'));
    const failed = (await source.poll(true));
    expect(failed.state.kind).toBe('error');
    expect(failed.state).toMatchObject({ message: 'disk I/O error', snapshot: expect.objectContaining({ sweep: expect.anything() }) });
  });
});

describe('readSnapshot', () => {
  it('reads counts, runs, running trials with their loss curves, the configurations and the failed trials', async () => {
    const sweep = (await reader.sweep('tau-live'));
    const { snapshot, read } = await readSnapshot(reader, sweep);
    expect(read).toBe('read');
    expect(snapshot.counts).toMatchObject({ completed: 10, running: 2, failed: 1, queued: 2, total: 15 });
    expect(snapshot.running).toHaveLength(2);
    expect(Object.values(snapshot.losses)).toEqual([[1.2, 0.9, 0.7, 0.65], [1.2, 0.9, 0.7, 0.65]]);
    expect(snapshot.configs).toHaveLength(5);
    const first = snapshot.configs.find((c) => c.settings.tau === 0.05)!;
    expect(first).toMatchObject({ trials: 3, completed: 3 });
    // metricsFor(0, seed): hard = 0.75 + 0.006 · seed for seeds 0, 1, 2
    expect(first.metrics.hard_acc!.sum / first.metrics.hard_acc!.n).toBeCloseTo(0.756, 12);
    expect(snapshot.failed.map((t) => t.error)).toEqual([expect.stringMatching(/^loss became NaN/)]);
    expect(snapshot.lastFinishedAt).not.toBeNull();
    expect(snapshot.lastBackend).toBe('cpu');
    expect((await readSnapshot(reader, sweep, snapshot)).read).toBe('kept');
  });

  it('reads the configurations again after trials finish, and gets what a first read gets', async () => {
    const sweep = (await reader.sweep('tau-live'));
    const before = (await readSnapshot(reader, sweep)).snapshot;
    const [a, b] = (await store.trials(sweep.id, ['running']));
    await store.completeTrial(await leaseOf(store, a!.id), { metrics: { soft_acc: 0.91, hard_acc: 0.82, gap: 0.09, precision: 0.7 }, backend: 'wasm', trainMs: 5 });
    await store.failTrial(await leaseOf(store, b!.id), 'boom', 'cpu');
    const after = await readSnapshot(reader, (await reader.sweep('tau-live')), before);
    expect(after.read).toBe('read');
    const fresh = (await readSnapshot(reader, await reader.sweep('tau-live'))).snapshot;
    expect(after.snapshot.configs).toEqual(fresh.configs);
    expect(after.snapshot.failed).toEqual(fresh.failed);
    expect(after.snapshot.configs.find((c) => c.settings.tau === 0.5)).toMatchObject({ trials: 3, completed: 1 }); // one failed before, one now, one completed
  });

  it('asks for known settings and the shown metrics only', async () => {
    expect(statsColumns({ swept: ['tau', 'nonsense', 'seed'], metric: { name: 'loss', goal: 'minimize' } })).toEqual({
      settings: ['tau'],
      metrics: ['soft_acc', 'hard_acc', 'gap', 'precision', 'loss'],
    });
  });
});
