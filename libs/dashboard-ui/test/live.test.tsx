/**
 * The dashboard against a database that another process is writing: it must see the trials finish as they do,
 * without ever failing to read (WAL: the writer never blocks the reader).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { afterEach, expect, it } from 'vitest';
import { ResultsReader } from '@l2x/store';
import { Dashboard } from '../src/Dashboard.tsx';
import { resize, waitForFrame } from './ink.ts';

const script = fileURLToPath(new URL('./write-live-sweep.ts', import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

it('shows the counts rise while another process writes the sweep', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-live-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'results.db');
  // A batch of trials every 600 ms: a loaded machine still draws several frames in between.
  const child = spawn(process.execPath, ['--import', 'tsx', script, db, '12', '600', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.kill());
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`writer exited (${code}) before it was ready: ${errors}`)));
  });

  const reader = await ResultsReader.open(db);
  cleanups.push(() => reader.close());
  const app = render(<Dashboard reader={reader} colour={false} pollMs={50} />);
  cleanups.push(() => app.unmount());
  resize(app, 80, 24);
  await waitForFrame(app, (f) => / 11\/12 done · 0 running · 0 queued · 1 failed$/m.test(f), 20_000);
  expect(await exited).toBe(0);
  const final = await waitForFrame(app, (f) => f.includes(' · done · '));

  // Every count seen on the way, in order: rising, never back.
  const seen = app.frames.map((f) => Number(/ (\d+)\/12 (?:done|✓)/.exec(f)?.[1] ?? NaN)).filter(Number.isFinite);
  const distinct = [...new Set(seen)];
  expect(distinct.length).toBeGreaterThanOrEqual(4);
  expect(distinct).toEqual([...distinct].sort((a, b) => a - b));
  expect(distinct[0]).toBe(0);
  // Trials finishing while it watched were logged above the live view, the failure with its error.
  expect(final).toMatch(/^✓ tau=0\.05 seed=0  soft 0\.950 hard 0\.750 gap 0\.200/m);
  expect(final).toContain('✗ tau=0.2 seed=1  failed: loss became NaN at step 750');
  expect(final).toMatch(/^─ Failed · 1 trial/m);
  expect(app.frames.some((f) => /^─ Running · 2 trials/m.test(f))).toBe(true);
}, 30_000);
