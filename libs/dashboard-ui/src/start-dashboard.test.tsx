import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '@l2x/errors';
import { ResultsReader } from '@l2x/store';
import { finishedTau, fixtureDb } from '../test/fixtures.ts';
import { fakeTerminal } from '../test/streams.ts';
import { startDashboard } from './start-dashboard.tsx';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()!();
});

/** Waits for a condition; generous: CI runs two test projects at once on two cores, beside training workers. */
const until = (check: () => boolean, what: string) =>
  vi.waitFor(() => expect(check(), what).toBe(true), { timeout: 15_000, interval: 10 });

describe('startDashboard', () => {
  it('opens the database read-only, draws the sweep, and on q calls onQuit, exits and closes it', async () => {
    const db = await fixtureDb(finishedTau());
    cleanups.push(db.cleanup);
    const close = vi.spyOn(ResultsReader.prototype, 'close');
    const terminal = fakeTerminal(80, 24);
    const onQuit = vi.fn();
    const dashboard = await startDashboard({ dbPath: db.path, onQuit, ...terminal.streams });
    cleanups.push(() => dashboard.unmount());
    await until(() => terminal.stdout.text().includes('Leaderboard'), 'the first frame');
    expect(terminal.stdout.text()).toContain('sweep tau · elapsed');
    terminal.stdin.write('q');
    await dashboard.waitUntilExit();
    expect(onQuit).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('with exitOnQuit false and a reader of the caller, reports Ctrl-C and leaves the reader open', async () => {
    const db = await fixtureDb(finishedTau());
    const reader = await ResultsReader.open(db.path);
    cleanups.push(db.cleanup, () => reader.close());
    const close = vi.spyOn(reader, 'close');
    const terminal = fakeTerminal(60, 24);
    const onQuit = vi.fn();
    const dashboard = await startDashboard({ dbPath: db.path, reader, sweep: 'tau', exitOnQuit: false, onQuit, ...terminal.streams });
    await until(() => terminal.stdout.text().includes('Leaderboard'), 'the first frame');
    terminal.stdin.write('\u0003');
    await until(() => onQuit.mock.calls.length === 1, 'onQuit');
    dashboard.unmount();
    await dashboard.waitUntilExit();
    expect(close).not.toHaveBeenCalled();
  });

  it('throws the store one-line error for a missing database', async () => {
    await expect(startDashboard({ dbPath: '/nonexistent/results.db' })).rejects.toThrow(UserError);
    await expect(startDashboard({ dbPath: '/nonexistent/results.db' })).rejects.toThrow(/^no results database at \/nonexistent\/results\.db; run a sweep first/);
  });
});
