/**
 * Several sweepers on one sweep, as users run them across machines: `sweeper run` plans and works, `sweeper agent`s
 * join it, in separate processes, on PostgreSQL and on one SQLite file. One is killed mid-trial, one is frozen
 * until its lease expires and then wakes up (a zombie): every trial is still completed exactly once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResultsReader } from '@l2x/store';
import { createTestDatabase, startPrivateServer, type TestDatabase } from '@l2x/store/testing';

const ROOT = join(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/sweeper/src/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
const databases: TestDatabase[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweeper-agents-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const db of databases.splice(0)) await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const children: ChildProcess[] = [];

/**
 * Freezes an agent (SIGSTOP) between two of its writes. On a SQLite file one writer holds the whole file while its
 * transaction lasts: an agent frozen inside one would make every other writer wait for it, which is SQLite's nature
 * (machines share PostgreSQL, whose claims skip the rows another transaction holds). So on SQLite it is frozen again
 * until the file's write lock is free while it is stopped.
 */
async function freezeBetweenWrites(child: ChildProcess, location: string): Promise<void> {
  for (;;) {
    child.kill('SIGSTOP');
    if (location.startsWith('postgres://')) return;
    const db = new Database(location, { timeout: 0 });
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return;
    } catch {
      child.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      db.close();
    }
  }
}

function sweeper(args: string[]) {
  return spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: ROOT } });
}

function startSweeper(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: ROOT, env: { ...process.env, INIT_CWD: ROOT } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

const until = (condition: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition') =>
  vi.waitFor(async () => expect(await condition(), what).toBe(true), { timeout: timeoutMs, interval: 100 });

/** Tiny trials (a second or two each on two vCPUs): 2 tau values × 4 seeds. */
function sweepFile(name: string, steps = 100): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}\nmethod: grid\nseeds: 4\nparameters: { tau: { values: [0.1, 0.5] } }\n` +
      `trial: { ff: 32, steps: ${steps}, evalEvery: 20, evalSize: 64, batchSize: 32 }\nresources: { backend: wasm, workers: 1, pack: off }\n`,
  );
  return path;
}

/** Every trial completed once, counted in trial_summary, each with one curve (one attempt's points). */
async function expectEachCompletedOnce(location: string, sweep: string, total: number): Promise<void> {
  const reader = await ResultsReader.open(location);
  try {
    const rows = await reader.trialSummary(sweep, ['key', 'status', 'attempts', 'hard_acc']);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.key)).size).toBe(total);
    expect(rows.filter((r) => r.status === 'completed')).toHaveLength(total);
    for (const row of rows) expect(row.hard_acc).toEqual(expect.any(Number));
    const { id } = await reader.sweep(sweep);
    // Each completed trial has exactly one evaluation per evalEvery steps: no points of an older attempt mixed in.
    const points = await reader.metricPoints(id, { names: ['loss'] });
    const perTrial = new Map<number, number[]>();
    for (const p of points) perTrial.set(p.trialId, [...(perTrial.get(p.trialId) ?? []), p.step]);
    for (const steps of perTrial.values()) expect(steps).toEqual([...new Set(steps)]);
    expect((await reader.sweep(sweep)).status).toBe('completed');
    expect((await reader.counts(id)).completed).toBe(total);
  } finally {
    await reader.close();
  }
}

/** Runs the scenario on `location`: `sweeper run` plus two agents; one agent killed mid-trial, one frozen past its lease. */
async function threeWorkTheSweep(location: string, name: string): Promise<void> {
  const file = sweepFile(name);
  const common = ['--db', location, '--stale-after', '3'];
  const planner = startSweeper(['run', '--config', file, '--no-dashboard', ...common]);
  await until(() => planner.output().includes(`sweep ${name}: 8 trials`), 60_000, `the planner plans: ${planner.output()}`);
  const killed = startSweeper(['agent', '--sweep', name, ...common]);
  const zombie = startSweeper(['agent', '--sweep', name, ...common]);

  // Kill one agent while it trains a trial (its worker goes with it: the IPC channel closes).
  await until(() => / start /.test(killed.output()), 60_000, `the agent to be killed starts a trial: ${killed.output()}`);
  killed.child.kill('SIGKILL');
  // Freeze another mid-trial until its lease has expired and the trial was taken back, then let it run on.
  await until(() => / start /.test(zombie.output()), 60_000, `the zombie starts a trial: ${zombie.output()}`);
  await freezeBetweenWrites(zombie.child, location);
  const watcher = await ResultsReader.open(location);
  try {
    const { id } = await watcher.sweep(name);
    await until(async () => (await watcher.trials(id)).some((t) => t.attempts >= 2), 60_000, 'a trial taken back and claimed again');
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // past the zombie's lease, whatever it held
  } finally {
    await watcher.close();
  }
  zombie.child.kill('SIGCONT');

  expect(await planner.exited, planner.output()).toBe(0);
  expect(await zombie.exited, zombie.output()).toBe(0);
  expect(await killed.exited).toBeNull(); // killed by the signal
  expect(zombie.output()).toMatch(/lease expired and another agent took it back/);
  await expectEachCompletedOnce(location, name, 8);
  const reader = await ResultsReader.open(location);
  try {
    const { id } = await reader.sweep(name);
    const trials = await reader.trials(id);
    expect(trials.filter((t) => t.attempts >= 2).length).toBeGreaterThanOrEqual(2); // the killed one's and the zombie's
    expect((await reader.runs(id)).length).toBe(3);
  } finally {
    await reader.close();
  }
}

describe('agents on one sweep', () => {
  it('PostgreSQL: sweeper run and two agents, one killed mid-trial and one frozen past its lease, complete every trial exactly once', async () => {
    const db = await createTestDatabase('l2x_agents');
    databases.push(db);
    await threeWorkTheSweep(db.url, 'shared');
    // The report reads the PostgreSQL sweep as it reads a SQLite file.
    const report = sweeper(['report', '--sweep', 'shared', '--db', db.url, '--format', 'csv', '--out', join(dir, 'report')]);
    expect(report.status, report.stderr).toBe(0);
    const rows = report.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^rank,tau,n,/);
    expect(rows.slice(1).map((row) => row.split(',').slice(1, 3))).toEqual(expect.arrayContaining([['0.1', '4'], ['0.5', '4']]));
  }, 240_000);

  it('SQLite: two agents beside sweeper run on one file, one killed and one frozen, complete every trial exactly once', async () => {
    await threeWorkTheSweep(join(dir, 'results.db'), 'local');
  }, 240_000);

  it('refuses --fresh while another agent holds trials, naming it, and deletes nothing', async () => {
    const db = await createTestDatabase('l2x_fresh');
    databases.push(db);
    const file = sweepFile('busy', 400);
    const run = startSweeper(['run', '--config', file, '--db', db.url, '--no-dashboard']);
    await until(() => / start /.test(run.output()), 60_000, `the run starts a trial: ${run.output()}`);
    const refused = sweeper(['run', '--config', file, '--db', db.url, '--fresh', '--yes', '--no-dashboard']);
    expect(refused.status).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sweeper: --fresh: sweep "busy" is being worked: run 1 on \S+ \(pid \d+\) holds 1 running trial since \S+; stop it first.*nothing was deleted$/);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const reader = await ResultsReader.open(db.url);
    expect((await reader.counts((await reader.sweep('busy')).id)).total).toBe(8);
    await reader.close();
  }, 120_000);

  it('an agent names an unknown sweep and a database it cannot reach in one line, and writes nothing', async () => {
    const db = await createTestDatabase('l2x_agent_bad');
    databases.push(db);
    sweeper(['run', '--config', sweepFile('known', 20), '--db', db.url, '--no-dashboard']);
    const unknown = sweeper(['agent', '--sweep', 'knwon', '--db', db.url]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe('sweeper: no sweep named "knwon" (did you mean "known"?); sweeps here: known');
    const refused = sweeper(['agent', '--sweep', 'known', '--db', 'postgres://postgres@127.0.0.1:1/nowhere']);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toBe('sweeper: cannot use PostgreSQL database postgres://postgres@127.0.0.1:1/nowhere: connection refused; is PostgreSQL running there?');
    const badUrl = sweeper(['agent', '--sweep', 'known', '--db', 'postgres://host:port/db']);
    expect(badUrl.stderr.trim()).toBe('sweeper: --db postgres://host:port/db is not a valid PostgreSQL URL; expected postgres://USER@HOST:PORT/DATABASE');
  }, 120_000);
});

describe('faults', () => {
  it('survives a PostgreSQL restart mid-sweep: reconnects, writes what finished meanwhile, completes every trial once', async () => {
    const server = await startPrivateServer();
    try {
      const run = startSweeper(['run', '--config', sweepFile('restart', 150), '--db', server.url, '--no-dashboard']);
      await until(() => /\] done /.test(run.output()), 90_000, `a first trial done: ${run.output()}`);
      await server.restart(3_000);
      expect(await run.exited, run.output()).toBe(0);
      expect(run.output()).toMatch(/lost the database postgres:\/\/postgres@127\.0\.0\.1:\d+\/results .*; reconnecting/);
      await expectEachCompletedOnce(server.url, 'restart', 8);
    } finally {
      await server.destroy();
    }
  }, 240_000);
});
