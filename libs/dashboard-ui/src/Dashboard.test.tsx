import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { leaseOf, writeFixtureSweep } from '@l2x/store/fixtures';
import { finishedTau, fixtureDb, samplers, tauInProgress, tauTrials } from '../test/fixtures.ts';
import { height, resize, waitForFrame, widest } from '../test/ink.ts';
import { Dashboard } from './Dashboard.tsx';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A database with these sweeps and a read-only reader on it, cleaned up after the test. */
async function open(...sweeps: Parameters<typeof fixtureDb>) {
  const db = await fixtureDb(...sweeps);
  const reader = await ResultsReader.open(db.path);
  cleanups.push(() => db.cleanup(), () => reader.close());
  return { db, reader };
}

/** Renders in a terminal of this size, once the dashboard has drawn at that width. */
async function show(element: React.ReactElement, columns = 80, rows = 24) {
  const app = render(element);
  cleanups.push(() => app.unmount());
  resize(app, columns, rows);
  await waitForFrame(app, (f) => widest(f) <= columns);
  return app;
}

const UP = '\u001B[A';
const DOWN = '\u001B[B';

describe('Dashboard', () => {
  it('waits for a sweep in an empty database', async () => {
    const { reader } = await open();
    const app = await show(<Dashboard reader={reader} colour={false} />);
    const frame = await waitForFrame(app, (f) => f.includes('No sweeps'));
    expect(frame).toContain('No sweeps in this database yet; waiting for one to start');
    expect(frame).toContain('q quit');
  });

  it('shows a sweep in progress: counts, running trials with their steps, the comparison so far, the failure', async () => {
    const { reader } = await open(tauInProgress());
    const app = await show(<Dashboard reader={reader} colour={false} />);
    const frame = await waitForFrame(app, (f) => f.includes('Running'));
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^sweep tau-live · elapsed \S+ · (ETA \S+|stopped \(trials left\)) · cpu × 2 workers · hard_acc ↑$/);
    expect(lines[1]).toMatch(/ 10\/15 done · 2 running · 2 queued · 1 failed$/);
    expect(frame).toMatch(/^0\.5 +0\/3 –/m);
    expect(frame).toMatch(/^1 +1\/3 0\.910 /m);
    expect(frame).toMatch(/^w[01] tau=0\.5 seed=1 .* 450\/1000 loss █▄▂▁ +0\.650$/m);
    expect(frame).toMatch(/^─ Failed · 1 trial/m);
    expect(frame).toContain('✗ tau=0.5 seed=0  loss became NaN at step 120');
    expect(frame).toMatch(/^› 1\. 1 +1 0\.870 /m);
    expect(widest(frame)).toBeLessThanOrEqual(80);
    expect(height(frame)).toBeLessThanOrEqual(23);
  });

  it('shows a finished sweep: done, every value with its interval, the leaderboard best first', async () => {
    const { reader } = await open(finishedTau());
    const app = await show(<Dashboard reader={reader} colour={false} />);
    const frame = await waitForFrame(app, (f) => f.includes('Leaderboard'));
    expect(frame).toMatch(/^sweep tau · elapsed \S+ · done · cpu × 2 workers · hard_acc ↑$/m);
    expect(frame).toMatch(/^█{33} 15\/15 done · 0 running · 0 queued · 0 failed$/m); // 78 columns: two spare
    expect(frame).toMatch(/^0\.05 3\/3 0\.954±0\.010 0\.756±0\.015 0\.198±0\.005 0\.600±0\.000 █+▀+ *$/m);
    expect(frame).not.toContain('Running');
    expect(frame).not.toContain('Failed');
    expect(frame).toMatch(/^ +# tau +n hard_acc /m);
    expect(frame).toMatch(/^› 1\. 0\.5 +3 0\.876±0\.015/m);
    expect(frame).toContain('↑/↓ move · tab group by · s sort · q quit');
  });

  it('lists failed trials with their error', async () => {
    const { reader } = await open({ name: 'broken', swept: ['tau'], trials: tauTrials(2, (i) => (i % 3 === 0 ? 'failed' : 'completed')) });
    const app = await show(<Dashboard reader={reader} colour={false} />);
    const frame = await waitForFrame(app, (f) => f.includes('Failed'));
    expect(frame).toMatch(/^─ Failed · 4 trials ─+ retry: --retry-failed ─$/m);
    expect(frame.match(/^✗ tau=\S+ seed=\d {2}loss became NaN at step 120$/gm)!.length).toBeGreaterThanOrEqual(3);
    expect(frame).not.toContain('trainer.ts:88');
  });

  it('fits a narrow terminal of 60 columns and a short one', async () => {
    const { reader } = await open(tauInProgress());
    const app = await show(<Dashboard reader={reader} colour={false} />, 60, 24);
    const frame = await waitForFrame(app, (f) => f.includes('Running') && widest(f) <= 60);
    expect(widest(frame)).toBeLessThanOrEqual(60);
    expect(height(frame)).toBeLessThanOrEqual(23);
    expect(frame).toMatch(/^█+▓▒+░+ 10\/15 done · 2 running · 2 queued · 1 failed$/m);
    expect(frame).toMatch(/^0\.05 3\/3 0\.95±0\.01 0\.76±0\.01 /m);
    resize(app, 60, 14);
    const short = await waitForFrame(app, (f) => height(f) <= 13);
    expect(short).toContain('Comparison by tau');
    expect(short).toContain('q quit');
  });

  it('shares 24 rows among many values, workers and failures, and survives 40 columns', async () => {
    const trials = Array.from({ length: 40 }, (_, i) => ({
      params: { tau: 0.05 * (1 + (i % 10)) },
      seed: Math.floor(i / 10),
      status: (i < 8 ? 'running' : i < 14 ? 'failed' : 'completed') as 'running' | 'failed' | 'completed',
      metrics: { soft_acc: 0.9, hard_acc: 0.8 + i / 1000, gap: 0.1, precision: 0.7 },
      step: i < 8 ? 100 * i : undefined,
    }));
    const { reader } = await open({ name: 'busy', swept: ['tau'], trials });
    const app = await show(<Dashboard reader={reader} colour={false} />, 80, 24);
    const frame = await waitForFrame(app, (f) => f.includes('Leaderboard'));
    expect(height(frame)).toBeLessThanOrEqual(23);
    expect(frame).toMatch(/^─ Running · 8 trials/m);
    expect(frame).toMatch(/^w0 tau=0\.05 seed=0 /m);
    expect(frame).toMatch(/^─ Failed · 6 trials/m);
    expect(frame).toMatch(/^0\.5 +\d\/4 /m); // all ten values of tau
    resize(app, 40, 24);
    const narrow = await waitForFrame(app, (f) => widest(f) <= 40);
    expect(height(narrow)).toBeLessThanOrEqual(23);
    expect(narrow).toContain('Comparison');
  });

  it('switches the grouping with tab, the sort with s, moves with ↑/↓ and quits with q', async () => {
    const { reader } = await open(samplers());
    const onQuit = vi.fn();
    const app = await show(<Dashboard reader={reader} colour={false} onQuit={onQuit} />, 100, 30);
    await waitForFrame(app, (f) => f.includes('Comparison by sampler'));
    app.stdin.write('\t');
    let frame = await waitForFrame(app, (f) => f.includes('Comparison by approximator'));
    expect(frame).toMatch(/^masked +6\/6 /m);
    app.stdin.write('s');
    frame = await waitForFrame(app, (f) => f.includes('by gap, lowest first'));
    expect(frame).toMatch(/^ +# sampler +approximator +n gap /m);
    expect(frame).toMatch(/^› 1\. relaxed-topk +masked +2 0\.049/m);
    app.stdin.write(DOWN);
    app.stdin.write(DOWN);
    frame = await waitForFrame(app, (f) => /^› 3\./m.test(f));
    app.stdin.write(UP);
    frame = await waitForFrame(app, (f) => /^› 2\./m.test(f));
    app.stdin.write('q');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1));
  });

  it('with exitOnQuit false, reports q and Ctrl-C and stays open', async () => {
    const { reader } = await open(finishedTau());
    const onQuit = vi.fn();
    const app = await show(<Dashboard reader={reader} colour={false} onQuit={onQuit} exitOnQuit={false} pollMs={20} />);
    await waitForFrame(app, (f) => f.includes('Leaderboard'));
    app.stdin.write('q');
    app.stdin.write('\u0003');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(2));
    expect(app.lastFrame()).toContain('Leaderboard');
  });

  it('follows new trials and logs those that finish while it watches, above the live view', async () => {
    const { db, reader } = await open(tauInProgress());
    const app = await show(<Dashboard reader={reader} colour={false} pollMs={20} />);
    await waitForFrame(app, (f) => f.includes('10/15 done'));
    const store = await ResultsStore.open(db.path);
    cleanups.push(() => store.close());
    const sweep = await store.sweep('tau-live');
    const [trial] = await store.trials(sweep.id, ['running']);
    await store.completeTrial(await leaseOf(store, trial!.id), { metrics: { soft_acc: 0.9, hard_acc: 0.88, gap: 0.02, precision: 0.75 }, backend: 'cpu', trainMs: 5 });
    const frame = await waitForFrame(app, (f) => f.includes('11/15 done'));
    expect(frame.split('\n')[0]).toMatch(/^✓ tau=0\.5 seed=\d  soft 0\.900 hard 0\.880 gap 0\.020/);
    expect(frame).toContain('Running · 1 trial ');
    // A new sweep in the same database does not take over the one shown.
    const looks = vi.spyOn(reader, 'dataVersion');
    await writeFixtureSweep(store, { name: 'other', swept: ['tau'], trials: tauTrials(1) });
    await vi.waitFor(() => expect(looks.mock.calls.length).toBeGreaterThan(3)); // it looked at the database since
    expect(app.lastFrame()).toContain('sweep tau-live');
  });
});
