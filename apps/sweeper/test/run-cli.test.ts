/**
 * `sweeper run` as users run it: a separate process, killed, restarted, read by another process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResultsReader } from '@l2x/store';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/sweeper/src/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweeper-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sweeper(args: string[]) {
  return spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT } });
}

function startSweeper(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, env: { ...process.env, INIT_CWD: ROOT } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

const until = (condition: () => boolean, timeoutMs: number) =>
  vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 50 });

function sweepFile(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nmethod: grid\n${body}`);
  return path;
}

const tiny = `trial: { ff: 32, steps: 40, evalEvery: 10, evalSize: 128, batchSize: 32 }\nresources: { backend: wasm, workers: 1, pack: off }\n`;

describe('sweeper run: bad input', () => {
  it('names the file, line and column, the key, the bad value and what is allowed; writes nothing', async () => {
    const file = sweepFile('typo', `seeds: 1\nparameters:\n  tua: { values: [0.1] }\n`);
    const db = join(dir, 'results.db');
    const result = sweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sweeper: .*typo\.yaml:5:3: .*tua.*did you mean "tau"/);
    expect(existsSync(db)).toBe(false);
  });

  it('says a sweep file is missing in one line', async () => {
    const result = sweeper(['run', '--config', join(dir, 'nope.yaml'), '--db', join(dir, 'r.db')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^sweeper: sweep file not found: .*nope\.yaml$/);
  });

  it('rejects a bad flag value naming the flag and what is allowed', async () => {
    const file = sweepFile('ok', `seeds: 1\n${tiny}`);
    const workers = sweeper(['run', '--config', file, '--workers', '0']);
    expect(workers.status).not.toBe(0);
    expect(workers.stderr).toMatch(/--workers.*got "0"; must be a whole number ≥ 1/);
    const backend = sweeper(['run', '--config', file, '--backend', 'gpu']);
    expect(backend.stderr).toMatch(/--backend.*gpu.*auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
  });

  it('refuses --fresh without confirmation when not at a terminal', async () => {
    const file = sweepFile('fresh', `seeds: 1\n${tiny}`);
    const db = join(dir, 'results.db');
    expect(sweeper(['run', '--config', file, '--db', db, '--no-dashboard']).status).toBe(0);
    const refused = sweeper(['run', '--config', file, '--db', db, '--fresh']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--fresh deletes sweep "fresh" and its 1 trials; add --yes/);
    const reader = await ResultsReader.open(db);
    expect((await reader.counts((await reader.sweep('fresh')).id)).completed).toBe(1);
    await reader.close();
  }, 60_000);
});

describe('sweeper run: output', () => {
  it("under backend auto, lists GPUs without Dawn's own lines reaching its output (they stay in the listing's child)", async () => {
    // On a machine with lavapipe (CI) Dawn writes four "Warning: maxDynamic…" lines to stderr when it lists adapters.
    const file = sweepFile('listed', `seeds: 1\nparameters: { tau: { values: [0.5] } }\n${tiny.replace('backend: wasm', 'backend: auto')}`);
    const result = sweeper(['run', '--config', file, '--db', join(dir, 'results.db'), '--no-dashboard']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^sweep listed: 1 trials.*backend auto/m);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/^Warning:/m);
    // …and the listing worked: where the webgpu tests must run (CI, lavapipe) the reason auto passed over webgpu names the adapter.
    expect(result.stdout).not.toMatch(/listing WebGPU adapters failed/);
    if (process.env.L2X_REQUIRE_WEBGPU === '1') expect(result.stdout).toMatch(/not loaded: webgpu: only a software WebGPU adapter \(llvmpipe/);
  }, 60_000);
});

describe('sweeper run: crashes and readers', () => {
  it('completes every trial exactly once after being killed with SIGKILL mid-sweep', async () => {
    // Trials long enough (~1-2 s each) that the kill lands mid-sweep, right after the first one is done.
    const file = sweepFile('killed', `seeds: 3\nparameters: { tau: { values: [0.1, 0.5] } }\n${tiny.replace('steps: 40', 'steps: 150')}`);
    const db = join(dir, 'results.db');
    const first = startSweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    await until(() => /\] done /.test(first.output()), 60_000);
    first.child.kill('SIGKILL');
    await first.exited;

    const reader = await ResultsReader.open(db);
    const sweepId = (await reader.sweep('killed')).id;
    const before = new Map((await reader.trials(sweepId, ['completed'])).map((t) => [t.key, t.finishedAt]));
    expect(before.size).toBeGreaterThanOrEqual(1);
    expect(before.size).toBeLessThan(6);

    const second = sweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    expect(second.status, second.stderr).toBe(0);
    const trials = await reader.trials(sweepId);
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((t) => t.key)).size).toBe(6);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);
    // Those finished before the kill were not run again.
    for (const [key, finishedAt] of before) expect(trials.find((t) => t.key === key)).toMatchObject({ attempts: 1, finishedAt });
    await reader.close();
  }, 120_000);

  it('stops on Ctrl-C: running trials become interrupted, exit 130, and the next run finishes them', async () => {
    // Trials long enough (a few seconds each) that the first still runs when Ctrl-C lands, even on a loaded machine.
    const file = sweepFile('ctrlc', `seeds: 2\nparameters: { tau: { values: [0.1, 0.5] } }\n${tiny.replace('steps: 40', 'steps: 400')}`);
    const db = join(dir, 'results.db');
    const first = startSweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    await until(() => /\] start /.test(first.output()), 60_000);
    first.child.kill('SIGINT');
    expect(await first.exited, first.output()).toBe(130);
    expect(first.output()).toMatch(/stopping: running trials will be marked interrupted/);

    const reader = await ResultsReader.open(db);
    const sweepId = (await reader.sweep('ctrlc')).id;
    // On failure, say where every trial ended and what the run printed (one CI run saw no trial interrupted).
    const states = JSON.stringify((await reader.trials(sweepId)).map((t) => [t.key, t.status, t.attempts, t.error]));
    expect(await reader.trials(sweepId, ['running']), states).toEqual([]);
    expect((await reader.trials(sweepId, ['interrupted'])).length, `${states}\n${first.output()}`).toBeGreaterThanOrEqual(1);
    expect((await reader.runs(sweepId))[0]).toMatchObject({ status: 'interrupted' });

    const second = sweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    expect(second.status, second.stderr).toBe(0);
    expect(await reader.counts(sweepId)).toMatchObject({ completed: 4, total: 4 });
    await reader.close();
  }, 120_000);

  it('lets another process poll the database through a whole run without an error', async () => {
    const file = sweepFile('polled', `seeds: 2\nparameters: { tau: { values: [0.1, 0.5] } }\n${tiny}`);
    const db = join(dir, 'results.db');
    const run = startSweeper(['run', '--config', file, '--db', db, '--no-dashboard']);
    let exitCode: number | null | undefined;
    void run.exited.then((code) => (exitCode = code));
    const errors: unknown[] = [];
    const completed: number[] = [];
    let reader: ResultsReader | undefined;
    const poll = async () => {
      try {
        reader ??= existsSync(db) ? await ResultsReader.open(db) : undefined;
        const sweep = await reader?.findSweep('polled');
        if (reader && sweep) {
          completed.push((await reader.counts(sweep.id)).completed);
          await reader.trialSummary('polled', ['key', 'status', 'hard_acc']);
          await reader.metricPoints(sweep.id, { names: ['loss'] });
        }
      } catch (error) {
        // The file may not be a results database until the sweeper's first migration commits.
        if (!/not a results database|schema version 0/.test(String(error))) errors.push(error);
      }
    };
    // Poll as a dashboard does (every 10 ms here) until the sweeper exits.
    await vi.waitFor(
      async () => {
        await poll();
        expect(exitCode).not.toBeUndefined();
      },
      { timeout: 110_000, interval: 10 },
    );
    expect(exitCode, run.output()).toBe(0);
    expect(errors).toEqual([]);
    expect(completed.at(-1) ?? 0).toBeGreaterThan(completed[0] ?? 0);
    await reader?.close();
  }, 120_000);
});
