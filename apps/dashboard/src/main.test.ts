/**
 * The dashboard CLI on bad input: one line on stderr, a non-zero exit, the database byte for byte as it was.
 * Every case runs in-process through main(); one also runs the real entry point in a child process, as
 * `nx run dashboard:start` does, for the process's exit code.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResultsReader, ResultsStore } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { WORKSPACE_ROOT, resolveDbPath } from '@l2x/store';
import { main } from './cli.ts';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
let dir: string;

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    // As Nx runs it: from the workspace root, with INIT_CWD the folder the user typed the command in.
    const env = { ...process.env, INIT_CWD: dir, NO_COLOR: '1' };
    execFile(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: WORKSPACE_ROOT, env }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dashboard-cli-'));
  writeFileSync(join(dir, 'notes.txt'), 'not a database\n'.repeat(100));
  const empty = await ResultsStore.open(join(dir, 'empty.db'));
  await empty.close();
  const tau = await ResultsStore.open(join(dir, 'tau.db'));
  await writeFixtureSweep(tau, { name: 'tau', swept: ['tau'], trials: [{ params: { tau: 0.1 }, seed: 0, metrics: { hard_acc: 0.8 } }] });
  await tau.close();
  const newer = await ResultsStore.open(join(dir, 'newer.db'));
  await newer.close();
  const raw = new Database(join(dir, 'newer.db'));
  raw.pragma('user_version = 99');
  raw.close();
  const foreign = new Database(join(dir, 'foreign.db'));
  foreign.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)');
  foreign.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: [string, string[], string, RegExp][] = [
  ['a missing file', ['--db', 'missing.db'], 'missing.db', /^dashboard: no results database at .*missing\.db; run a sweep first/],
  ['a file that is not SQLite', ['--db', 'notes.txt'], 'notes.txt', /^dashboard: .*notes\.txt is not a SQLite results database .*give --db a results\.db/],
  ['a SQLite file that is not a results database', ['--db', 'foreign.db'], 'foreign.db', /^dashboard: .*foreign\.db is a SQLite database but not a results database/],
  ['a database with no sweeps', ['--db', 'empty.db'], 'empty.db', /^dashboard: .*empty\.db has no sweeps yet; start one with npx nx run sweeper:run/],
  ['a sweep that does not exist', ['--db', 'tau.db', '--sweep', 'tua'], 'tau.db', /^dashboard: no sweep named "tua" \(did you mean "tau"\?\); sweeps here: tau$/m],
  ['a newer schema', ['--db', 'newer.db'], 'newer.db', /^dashboard: .*newer\.db has schema version 99 but this build knows up to \d+; update this tool/],
];

async function inProcess(args: string[]) {
  let stderr = '';
  const code = await main(args, { stderr: { write: (text: string) => (stderr += text) }, cwd: dir });
  return { code, stderr, stdout: '' };
}

async function check(runner: typeof run, file: string, args: string[], message: RegExp) {
  const path = join(dir, file);
  const before = existsSync(path) ? readFileSync(path) : undefined;
  const { code, stderr, stdout } = await runner(args);
  expect(stderr.split('\n').filter(Boolean), stderr).toHaveLength(1);
  expect(stderr).toMatch(message);
  expect(stderr.endsWith('\n')).toBe(true);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  if (before === undefined) expect(existsSync(path)).toBe(false);
  else expect(readFileSync(path).equals(before)).toBe(true);
}

describe('dashboard CLI on bad input', () => {
  it.each(cases)('%s: one line, exit 2, file untouched', async (_name, args, file, message) => {
    await check(inProcess, file, args, message);
  });
});

describe('dashboard CLI', () => {
  it('resolves --db from where the user typed, the default from the workspace root', () => {
    expect(resolveDbPath('x.db', '/home/me/work')).toBe('/home/me/work/x.db');
    expect(resolveDbPath('/abs/x.db', '/home/me')).toBe('/abs/x.db');
    expect(resolveDbPath(undefined, '/home/me')).toBe(join(WORKSPACE_ROOT, 'results/results.db'));
  });

  it('prints an unexpected error (a bug) with its stack', async () => {
    const open = vi.spyOn(ResultsReader, 'open').mockImplementation(() => {
      throw new TypeError('boom');
    });
    let stderr = '';
    const code = await main(['--db', join(dir, 'tau.db')], { stderr: { write: (t: string) => (stderr += t) }, cwd: dir });
    open.mockRestore();
    expect(code).toBe(1);
    expect(stderr).toMatch(/^dashboard: unexpected error \(a bug; please report it with this output\):\nTypeError: boom\n\s+at /);
  });

  it('rejects unknown options with exit 2', async () => {
    let stderr = '';
    expect(await main(['--bd', 'x.db'], { stderr: { write: (t: string) => (stderr += t) }, cwd: dir })).toBe(2);
    expect(stderr).toContain("unknown option '--bd'");
  });
});

// Child processes take seconds each to start (tsx) on a busy machine: these two run side by side.
describe('the real entry point', () => {
  it.concurrent('exits with 2 on bad input', async () => {
    const [, args, file, message] = cases.find(([name]) => name === 'a newer schema')!;
    await check(run, file, args, message);
  }, 30_000);

  it.concurrent('draws the latest sweep of a database given relative to where the user typed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--db', 'tau.db'], {
      cwd: WORKSPACE_ROOT,
      // CI=false: Ink draws each frame as on a user's terminal (with CI set it would draw only the last, at exit).
      env: { ...process.env, INIT_CWD: dir, NO_COLOR: '1', CI: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await vi.waitFor(() => expect(stdout.includes('Leaderboard') || child.exitCode !== null, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(true), { timeout: 25_000, interval: 50 });
    child.kill('SIGTERM');
    await exited;
    expect(stderr).toBe('');
    expect(stdout).toContain('sweep tau · elapsed');
    expect(stdout).toMatch(/1\/1 done · 0 running · 0 queued · 0 failed/);
  }, 30_000);
});
