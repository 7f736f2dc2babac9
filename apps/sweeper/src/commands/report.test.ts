/**
 * `sweeper report`: the command in-process (fast), and once as users run it, through main.ts in its own process.
 * Every bad input is one line `report: …`, a non-zero exit, no output files, and a results.db left byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsStore } from '@l2x/store';
import { writeFixtureSweep } from '@l2x/store/fixtures';
import { registerReport } from './report.ts';

let dir: string;
let dbDir: string;
let db: string;
/** Every file of the database folder (results.db and any -wal/-shm) with its bytes. */
let before: Map<string, Buffer>;

const snapshot = (folder: string) => new Map(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name))]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sweeper-report-'));
  dbDir = join(dir, 'db');
  db = join(dbDir, 'results.db');
  const store = await ResultsStore.open(db);
  const done = (tau: number, seed: number, hard: number) => ({
    params: { tau },
    seed,
    metrics: { hard_acc: hard, soft_acc: hard + 0.1, gap: 0.1, precision: hard, loss: 1 - hard },
    curve: { 50: { hard_acc: hard - 0.2, precision: hard }, 100: { hard_acc: hard, precision: hard } },
  });
  await writeFixtureSweep(store, { name: 'tau', swept: ['tau'], trials: [done(0.1, 0, 0.6), done(0.1, 1, 0.8), done(0.5, 0, 0.5), done(0.5, 1, 0.7)] });
  await writeFixtureSweep(store, { name: 'tokens', swept: ['tau'], fixed: { attention: 'batch' }, trials: [done(0.1, 0, 0.9), done(0.1, 1, 0.7)] });
  await writeFixtureSweep(store, { name: 'queued', swept: ['tau'], trials: [{ params: { tau: 0.1 }, seed: 0, status: 'queued' }] });
  await store.setSweepStatus((await store.sweep('tau')).id, 'completed');
  await store.close();
  before = snapshot(dbDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command('sweeper').exitOverride();
  registerReport(program, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), exit: (c) => (code = c) });
  try {
    await program.parseAsync(['report', ...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { stdout, stderr, code };
}

describe('sweeper report', () => {
  it('prints the Markdown table and writes index.md with the plots, saying where', async () => {
    const out = join(dir, 'out-md');
    const { stdout, stderr, code } = await cli(['--sweep', 'tau', '--db', db, '--out', out]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('# Sweep `tau`');
    // tau 0.1: hard 0.6, 0.8 → 0.7 ± 12.706205 · 0.141421 / √2 = 1.271; tau 0.5: 0.5, 0.7 → 0.6.
    expect(stdout).toContain('**Best configuration: tau=0.1** — hard_acc 0.700 ± 1.271 (n = 2)');
    expect(stderr).toBe(`report: wrote index.md, index.html, accuracy.svg, accuracy.png, curves.svg, curves.png, summary.csv, summary.json to ${out}/\n`);
    expect(readFileSync(join(out, 'index.md'), 'utf8')).toContain('![Soft vs hard accuracy by tau');
    expect(readFileSync(join(out, 'index.md'), 'utf8')).toContain('Made with `npx nx run sweeper:report --sweep tau`.');
  });

  it('prints the page with --format html, the same page as index.html', async () => {
    const out = join(dir, 'out-html');
    const { stdout, code } = await cli(['--sweep', 'tau', '--db', db, '--out', out, '--format', 'html']);
    expect(code).toBe(0);
    expect(stdout.startsWith('<!doctype html>')).toBe(true);
    expect(stdout.match(/<tr class="configuration"/g)).toHaveLength(2);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe(stdout);
  });

  it('prints CSV and JSON that parse back; --by and --compare shape the table', async () => {
    const csv = await cli(['--sweep', 'tau', '--db', db, '--out', join(dir, 'out-csv'), '--format', 'csv', '--by', 'tau']);
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true, cast: true }) as Record<string, unknown>[];
    expect(rows.map((r) => [r.rank, r.tau, r.configs, r.n])).toEqual([
      [1, 0.1, 1, 2],
      [2, 0.5, 1, 2],
    ]);
    const json = await cli(['--sweep', 'tau', '--db', db, '--out', join(dir, 'out-json'), '--format', 'json', '--compare', 'tokens']);
    expect(json.code).toBe(0);
    const value = JSON.parse(json.stdout);
    expect(value.kind).toBe('comparison');
    expect(value.rows.map((r: { label: string }) => r.label)).toEqual(['tau=0.1', 'tau=0.5']);
    expect(value.rows[0].sweeps.tokens.metrics.hard_acc.mean).toBeCloseTo(0.8, 10);
  });

  it('resolves relative paths from where the user typed the command (INIT_CWD)', async () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = dir;
    try {
      const { code, stderr } = await cli(['--sweep', 'tau', '--db', 'db/results.db', '--out', 'relative/report']);
      expect(code).toBe(0);
      expect(stderr).toMatch(/to relative\/report\/\n$/);
      expect(existsSync(join(dir, 'relative', 'report', 'index.md'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });

  describe('bad input: one line, non-zero exit, nothing written', () => {
    const notSqlite = () => {
      const path = join(dir, 'notes.db');
      writeFileSync(path, 'not a database\n'.repeat(10));
      return path;
    };
    const cases: [string, () => string[], RegExp | string | (() => string)][] = [
      ['unknown sweep', () => ['--sweep', 'tua'], 'report: no sweep named "tua" (did you mean "tau"?); sweeps here: queued, tau, tokens'],
      ['no --sweep', () => [], () => `report: --sweep NAME is required; sweeps in ${db}: tau, tokens, queued`],
      ['unknown --by setting', () => ['--sweep', 'tau', '--by', 'tua'], /^report: unknown setting "tua" for --by \(did you mean "tau"\?\); swept in "tau": tau; any setting: task, .*, evalSize$/],
      ['--by seed', () => ['--sweep', 'tau', '--by', 'seed'], /^report: --by seed: the intervals are over seeds, so the report cannot group by it; swept in "tau": tau; any setting: /],
      ['bad --format', () => ['--sweep', 'tau', '--format', 'xml'], 'report: unknown --format "xml"; allowed: md, csv, json, html'],
      ['empty sweep', () => ['--sweep', 'queued'], 'report: sweep "queued" has no completed trials yet (1 queued); nothing to report until one completes'],
      ['unknown --compare', () => ['--sweep', 'tau', '--compare', 'tokns'], 'report: --compare: no sweep named "tokns" (did you mean "tokens"?); sweeps here: queued, tau, tokens'],
      ['--compare itself', () => ['--sweep', 'tau', '--compare', 'tau'], 'report: --compare "tau" is the sweep being reported; compare with another: tokens, queued'],
      ['missing database', () => ['--sweep', 'tau', '--db', join(dir, 'nope.db')], /^report: no results database at .*nope\.db; run a sweep first/],
      ['not a database', () => ['--sweep', 'tau', '--db', notSqlite()], /^report: .*notes\.db is not a SQLite results database/],
    ];
    it.each(cases)('%s', async (_name, args, expected) => {
      const out = join(dir, 'bad-out');
      const argv = args();
      const { stdout, stderr, code } = await cli([...(argv.includes('--db') ? [] : ['--db', db]), '--out', out, ...argv]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.endsWith('\n')).toBe(true);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      if (expected instanceof RegExp) expect(stderr.trimEnd()).toMatch(expected);
      else expect(stderr.trimEnd()).toBe(typeof expected === 'string' ? expected : expected());
      expect(existsSync(out)).toBe(false);
    });

    it('an unknown option is one line too (from commander)', async () => {
      const { stderr, code } = await cli(['--sweep', 'tau', '--db', db, '--bogus']);
      expect(code).toBe(1);
      expect(stderr).toBe("report: unknown option '--bogus'\n");
    });

    it('--out naming a file', async () => {
      mkdirSync(join(dir, 'files'), { recursive: true });
      writeFileSync(join(dir, 'files', 'taken'), 'x');
      const { stderr, code } = await cli(['--sweep', 'tau', '--db', db, '--out', join(dir, 'files', 'taken')]);
      expect(code).toBe(2);
      expect(stderr).toBe(`report: --out ${join(dir, 'files', 'taken')} is a file; give a folder for the report\n`);
    });
  });

  it('as users run it (main.ts in its own process): exit 2 and one line on stderr', () => {
    const root = join(import.meta.dirname, '../../../..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'apps/sweeper/src/main.ts'), 'report', '--sweep', 'tua', '--db', db], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, INIT_CWD: root },
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('report: no sweep named "tua" (did you mean "tau"?); sweeps here: queued, tau, tokens\n');
  }, 60_000);

  it('never changed the database: results.db is byte for byte what the fixture wrote, and its log holds nothing', () => {
    const after = snapshot(dbDir);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), name).toBe(true);
    // A read-only connection to a WAL database leaves SQLite's -shm (the readers' shared-memory index) and an
    // empty -wal behind: no page was written.
    expect([...after.keys()].filter((name) => !before.has(name)).sort()).toEqual(['results.db-shm', 'results.db-wal'].filter((n) => after.has(n)));
    expect(after.get('results.db-wal')?.length ?? 0).toBe(0);
  });
});
