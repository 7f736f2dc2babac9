/**
 * The live screen as a terminal shows it. The dashboard draws into a fake TTY of a given size while a tau sweep
 * goes through its life (start, progress, trials finishing, one failing, the end); everything Ink wrote is played
 * into a headless xterm of the same size. At every phase the terminal (screen and scrollback) must hold exactly
 * one frame — no line of an earlier frame left behind — every frame must fit the terminal, and after `finish()`
 * the last frame shows the sweep's end state.
 */
import { Terminal } from '@xterm/headless';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResultsStore, type Lease } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { startDashboard } from '../src/start-dashboard.tsx';
import { TAUS, fixtureDb, metricsFor } from './fixtures.ts';
import { fakeTerminal, type FakeStdout } from './streams.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const ESCAPES = /\u001B\[[0-9;?]*[A-Za-z]/g;

/**
 * What a relay that decodes each chunk of bytes on its own makes of the output, as nx run's pseudo-terminal
 * does: a character cut between two chunks becomes replacement characters (one per broken piece).
 */
function relayed(output: string, chunkBytes: number): string {
  const bytes = Buffer.from(output, 'utf8');
  let text = '';
  for (let i = 0; i < bytes.length; i += chunkBytes) text += new TextDecoder().decode(bytes.subarray(i, i + chunkBytes));
  return text;
}

/** Every line of a terminal after `output` was written to it: scrollback, then the screen, trailing blanks dropped. */
async function played(output: string, columns: number, rows: number): Promise<string[]> {
  const term = new Terminal({ cols: columns, rows, scrollback: 10_000, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(output.replace(/\n/g, '\r\n'), resolve));
  const buffer = term.buffer.active;
  const lines = Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)?.translateToString(true) ?? '');
  while (lines.length && lines.at(-1) === '') lines.pop();
  term.dispose();
  return lines;
}

/** The frames Ink wrote (each write that draws the live view), as text. */
function frames(stdout: FakeStdout): string[] {
  return stdout.writes.map((chunk) => chunk.replace(ESCAPES, '')).filter((text) => text.startsWith('sweep '));
}

describe.each([
  [80, 24],
  [110, 40],
])('the live screen at %i×%i', (columns, rows) => {
  it('holds one frame that fits, at every phase of a sweep, and ends on the sweep’s final state', async () => {
    const db = await fixtureDb();
    cleanups.push(db.cleanup);
    const store = await ResultsStore.open(db.path);
    cleanups.push(() => store.close());
    // A tau sweep of 5 values × 3 seeds, everything queued, a run started with 4 workers.
    const sweepId = await writeFixtureSweep(store, {
      name: 'tau',
      swept: ['tau'],
      fixed: { steps: 1000, evalEvery: 100 },
      trials: TAUS.flatMap((tau) => [0, 1, 2].map((seed) => ({ params: { tau }, seed, status: 'queued' as const }))),
    });
    const runId = (await store.runs(sweepId))[0]!.id;

    const terminal = fakeTerminal(columns, rows);
    const dashboard = await startDashboard({ dbPath: db.path, sweep: 'tau', pollMs: 20, ...terminal.streams });
    cleanups.push(() => dashboard.unmount());
    const shows = (pattern: RegExp) =>
      vi.waitFor(() => expect(frames(terminal.stdout).at(-1) ?? '').toMatch(pattern), { timeout: 15_000, interval: 10 });
    const check = async (phase: string) => {
      // Straight to the terminal, and through relays that cut the bytes into chunks of 1 KiB and of 4 KiB.
      for (const [how, output] of [
        ['direct', terminal.stdout.output],
        ['relayed in 1 KiB chunks', relayed(terminal.stdout.output, 1024)],
        ['relayed in 4 KiB chunks', relayed(terminal.stdout.output, 4096)],
      ] as const)
        await checkScreen(`${phase}, ${how}`, await played(output, columns, rows));
      for (const frame of frames(terminal.stdout)) expect(frame.replace(/\n$/, '').split('\n').length, phase).toBeLessThan(rows);
    };
    const checkScreen = async (phase: string, lines: string[]) => {
      const frameLines = lines.filter((line) => !/^[✓✗] tau=/.test(line)); // the log of finished trials stays above
      expect(frameLines.filter((line) => line.startsWith('sweep tau · ')), `${phase}: one header\n${lines.join('\n')}`).toHaveLength(1);
      expect(frameLines.filter((line) => line.startsWith('─ Leaderboard')), `${phase}: one leaderboard`).toHaveLength(1);
      expect(frameLines.filter((line) => line.startsWith('↑/↓ move')), `${phase}: one footer`).toHaveLength(1);
      expect(frameLines.length, `${phase}: the frame is shorter than the terminal\n${lines.join('\n')}`).toBeLessThan(rows);
    };

    // Start: every trial queued.
    await shows(/0\/15 done · 0 running · 15 queued/);
    await check('start');

    // Progress: eight trials running (more than an 80×24 screen has rows for them), loss curves coming in.
    const pending = await store.pendingTrials(sweepId);
    const running = pending.slice(0, 8);
    const leases = new Map<number, Lease>();
    for (const [i, t] of running.entries()) for (const lease of await store.claimTrials([t.id], { runId, worker: i % 4, device: null })) leases.set(t.id, lease);
    for (let step = 100; step <= 400; step += 100) for (const t of running) await store.recordPoints(leases.get(t.id)!, step, { loss: 2 - step / 500 });
    await store.recordProgress(running.map((t) => ({ ...leases.get(t.id)!, step: 450, backend: 'cpu' })));
    await shows(/0\/15 done · 8 running · 7 queued/);
    await check('progress');

    // Trials finishing, one failing.
    for (const t of running.slice(0, 5)) await store.completeTrial(leases.get(t.id)!, { metrics: metricsFor(TAUS.indexOf(t.settings.tau), t.seed), backend: 'cpu', trainMs: 1000 });
    await store.failTrial(leases.get(running[5]!.id)!, 'loss became NaN at step 450', 'cpu');
    await shows(/5\/15 done · 2 running · 7 queued · 1 failed/);
    await check('trials finishing');

    // The end: the rest run and complete in one go, the run finishes; the sweeper closes the screen at once.
    const rest = [...running.slice(6), ...pending.slice(8)];
    for (const [i, t] of rest.slice(2).entries()) for (const lease of await store.claimTrials([t.id], { runId, worker: i % 4, device: null })) leases.set(t.id, lease);
    for (const t of rest) await store.completeTrial(leases.get(t.id)!, { metrics: metricsFor(TAUS.indexOf(t.settings.tau), t.seed), backend: 'cpu', trainMs: 1000 });
    await store.finishRun(runId, 'completed');
    await store.setSweepStatus(sweepId, 'completed');
    await dashboard.finish();
    const last = frames(terminal.stdout).at(-1)!;
    expect(last).toMatch(/14\/15 done · 0 running · 0 queued · 1 failed/);
    expect(last).toMatch(/^sweep tau · elapsed .* · (?:done|stopped)/);
    await check('end');
  }, 60_000);
});
