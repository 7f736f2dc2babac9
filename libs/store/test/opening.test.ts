import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '@l2x/model/config';
import { UserError } from '@l2x/errors';
import { ResultsReader, ResultsStore, SCHEMA_VERSION } from '../src/index.ts';
import { MIGRATIONS, viewStatements } from '../src/schema.ts';
import { env, sweepInput, trial } from './inputs.ts';
import { createTestDatabase, startPrivateServer } from '../src/testing.ts';


let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the store at `location` in `n` processes started together; each prints the schema version it saw. */
function openInProcesses(location: string, n: number): Promise<string[]> {
  const script = `
    import { ResultsStore } from '${new URL('../src/index.ts', import.meta.url).pathname}';
    const store = await ResultsStore.open(process.argv[1]);
    const { sweep } = await store.ensureSweep(${JSON.stringify(sweepInput)});
    process.stdout.write(String(sweep.id));
    await store.close();`;
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, location], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (err += chunk));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
      }),
    ),
  );
}

describe('opening SQLite results databases', () => {
  it('migrates a new file once when two first runs start at once', async () => {
    const path = join(dir, 'new.db');
    const ids = await openInProcesses(path, 2);
    expect(ids).toEqual(['1', '1']);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM sweeps').get()).toEqual({ n: 1 });
    db.close();
  }, 60_000);

  it('refuses writes through a reader', async () => {
    const path = join(dir, 'results.db');
    const store = await ResultsStore.open(path);
    await store.ensureSweep(sweepInput);
    const reader = await ResultsReader.open(path);
    const sql = (reader as unknown as { db: { run(sql: string): Promise<number> } }).db;
    await expect(sql.run('DELETE FROM trials')).rejects.toThrow(/readonly/);
    await reader.close();
    await store.close();
  });

  it('is idempotent: opening migrates once and keeps the data', async () => {
    const path = join(dir, 'results.db');
    await (await ResultsStore.open(path)).close();
    const store = await ResultsStore.open(path);
    await store.ensureSweep(sweepInput);
    await store.close();
    const again = await ResultsStore.open(path);
    expect(await again.listSweeps()).toHaveLength(1);
    await again.close();
  });

  it('migrates a version-1 database: its trials keep their metrics and gain median_rank, tpr and fdr columns in both views', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO sweeps (name, config_text, config_hash, metric_name, metric_goal) VALUES ('tau', 'name: tau', 'h', 'hard_acc', 'maximize')").run();
    old.prepare("INSERT INTO trials (sweep_id, key, config_key, seed, settings, status, hard_acc) VALUES (1, 'a', 'c', 0, ?, 'completed', 0.75)").run(JSON.stringify(DEFAULT_SETTINGS));
    expect(old.prepare('SELECT name FROM pragma_table_info(?)').all('trials').map((c) => (c as { name: string }).name)).not.toContain('median_rank');
    old.close();

    const store = await ResultsStore.open(path);
    const sweep = (await store.listSweeps())[0]!;
    const [row] = await store.trialSummary(sweep.name, ['hard_acc', 'median_rank', 'tpr', 'fdr']);
    expect(row).toEqual({ hard_acc: 0.75, median_rank: null, tpr: null, fdr: null });
    await store.addTrials(sweep.id, [trial(0.2, 1)]);
    const added = (await store.pendingTrials(sweep.id))[0]!;
    const [lease] = await store.claimTrials([added.id], { runId: await store.startRun(sweep.id, env), worker: 0, device: null });
    expect(lease).toBeDefined();
    await store.completeTrial(lease!, { metrics: { hard_acc: 0.9, median_rank: 1.5, tpr: 1, fdr: 0 }, backend: 'cpu', trainMs: 1 });
    expect(await store.trialSummary(sweep.name, ['median_rank', 'tpr', 'fdr'])).toContainEqual({ median_rank: 1.5, tpr: 1, fdr: 0 });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all('config_summary').map((c) => (c as { name: string }).name);
    expect(columns).toEqual(expect.arrayContaining(['median_rank_mean', 'median_rank_std', 'tpr_mean', 'fdr_std']));
    db.close();
    const again = await ResultsStore.open(path);
    const [config] = (await again.configStats(sweep.id, ['tau'], ['median_rank', 'hard_acc'])).filter((c) => c.settings.tau === 0.2);
    expect(config!.metrics.median_rank!.sum).toBeCloseTo(1.5, 12); // the triggers keep the new metrics too
    await again.close();
  });

  it('migrates a version-5 database to pruned (a rebuilt trials table): rows, ids, points, indexes, views and triggers kept', async () => {
    const path = join(dir, 'v5.db');
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    for (const migration of MIGRATIONS.slice(0, 5)) old.exec(migration);
    for (const statement of viewStatements()) old.exec(statement); // the views read the same columns at 5
    old.pragma('user_version = 5');
    // Rows as schema 5 held them: a sweep, a run, completed, failed and queued trials, curve points.
    old.prepare(`INSERT INTO sweeps (id, name, config_text, config_hash, metric_name, metric_goal) VALUES (1, 'tau', '', '', 'hard_acc', 'maximize')`).run();
    old.prepare(`INSERT INTO runs (id, sweep_id, host, pid, node_version, backend, workers) VALUES (1, 1, 'h', 1, 'v20', 'cpu', 1)`).run();
    const insert = old.prepare(
      `INSERT INTO trials (id, sweep_id, key, config_key, seed, settings, status, run_id, attempts, hard_acc, median_rank, kernels, started_at, finished_at)
       VALUES (?, 1, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z', ?)`,
    );
    const settings = (tau: number, seed: number) => JSON.stringify({ ...DEFAULT_SETTINGS, tau, seed, steps: 50 });
    insert.run(3, 'a', 't0.1', 0, settings(0.1, 0), 'completed', 1, 0.6, 1.5, 'wasm', '2026-01-01T00:00:02.000Z');
    insert.run(5, 'b', 't0.1', 1, settings(0.1, 1), 'completed', 1, 0.8, 2.5, null, '2026-01-01T00:00:03.000Z');
    insert.run(7, 'c', 't0.5', 0, settings(0.5, 0), 'failed', 1, null, null, null, '2026-01-01T00:00:01.000Z');
    insert.run(9, 'd', 't0.5', 1, settings(0.5, 1), 'queued', 0, null, null, null, null);
    old.prepare(`INSERT INTO metric_points (trial_id, name, step, value) VALUES (3, 'hard_acc', 10, 0.5), (3, 'median_rank', 10, 2)`).run();
    const before = {
      rows: old.prepare('SELECT key, status, hard_acc, median_rank, kernels, tau FROM trial_summary ORDER BY key').all(),
      stats: old.prepare('SELECT * FROM config_stats ORDER BY config_key').all(),
      points: old.prepare('SELECT * FROM metric_points ORDER BY trial_id, name, step').all(),
    };
    old.close();

    const store = await ResultsStore.open(path);
    expect(await store.trialSummary('tau', ['key', 'status', 'hard_acc', 'median_rank', 'kernels', 'tau'])).toEqual(before.rows);
    expect((await store.trials(1)).map((t) => t.id)).toEqual([3, 5, 7, 9]);
    expect((await store.configStats(1, ['tau'], ['hard_acc'])).find((x) => x.settings.tau === 0.1)).toMatchObject({ trials: 2, completed: 2, pruned: 0 });
    // The new status works, the triggers count it, and deleting the sweep still cascades to the curves.
    const [lease] = await store.claimTrials([9], { runId: 1, worker: 0, device: null });
    await store.recordPoints(lease!, 10, { hard_acc: 0.1 });
    expect(await store.pruneTrial(lease!, { step: 10, metrics: { hard_acc: 0.1 } })).toBe(true);
    expect((await store.configStats(1, ['tau'], ['hard_acc'])).find((x) => x.settings.tau === 0.5)).toMatchObject({ trials: 2, completed: 0, pruned: 1 });
    await store.close();

    const db = new Database(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const stats = db.prepare('SELECT * FROM config_stats ORDER BY config_key').all() as Record<string, unknown>[];
    expect(stats[0]).toEqual({ ...(before.stats[0] as object), pruned: 0 });
    expect(db.prepare(`SELECT * FROM metric_points WHERE trial_id = 3 ORDER BY trial_id, name, step`).all()).toEqual(before.points);
    const names = (type: string) => (db.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').pluck().all(type) as string[]);
    expect(names('index')).toEqual(expect.arrayContaining(['trials_sweep_status', 'trials_sweep_key_status', 'trials_sweep_config', 'trials_sweep_finished']));
    expect(names('trigger')).toEqual(['config_stats_delete', 'config_stats_insert', 'config_stats_update']);
    expect(names('view')).toEqual(['config_summary', 'trial_summary']);
    db.pragma('foreign_keys = ON');
    db.prepare(`DELETE FROM sweeps WHERE name = 'tau'`).run();
    expect(db.prepare('SELECT count(*) FROM metric_points').pluck().get()).toBe(0);
    db.close();
  });

  it('fills the per-configuration moments of a database written before they were kept (migration 2)', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    const settings = JSON.stringify({ ...DEFAULT_SETTINGS, tau: 0.1 });
    const insert = old.prepare(
      `INSERT INTO trials (sweep_id, key, config_key, seed, settings, status, hard_acc, started_at, finished_at) VALUES (1, ?, 'c', ?, ?, ?, ?, ?, ?)`,
    );
    old.prepare(`INSERT INTO sweeps (id, name, config_text, config_hash, metric_name, metric_goal) VALUES (1, 'tau', '', '', 'hard_acc', 'maximize')`).run();
    insert.run('a', 0, settings, 'completed', 0.6, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z');
    insert.run('b', 1, settings, 'completed', 0.8, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:04.000Z');
    insert.run('c', 2, settings, 'failed', null, null, null);
    old.close();
    const store = await ResultsStore.open(path);
    const [config] = await store.configStats(1, ['tau'], ['hard_acc']);
    expect(config).toMatchObject({ configKey: 'c', settings: { tau: 0.1 }, trials: 3, completed: 2, wallMs: { n: 2 } });
    expect(config!.wallMs.sum).toBeCloseTo(6000, 6);
    expect(config!.metrics.hard_acc!.sum).toBeCloseTo(1.4, 12);
    await store.close();
  });

  it('rejects a missing file, a folder, a file that is not SQLite, a foreign SQLite file and a newer schema', async () => {
    const missing = join(dir, 'nope.db');
    await expect(ResultsReader.open(missing)).rejects.toThrow(UserError);
    await expect(ResultsReader.open(missing)).rejects.toThrow(/no results database at .*nope\.db/);
    await expect(ResultsReader.open(dir)).rejects.toThrow(/is a folder/);

    const text = join(dir, 'notes.db');
    writeFileSync(text, 'this is not a database, just some text long enough to have a header '.repeat(20));
    const bytes = readFileSync(text);
    await expect(ResultsReader.open(text)).rejects.toThrow(/is not a SQLite results database/);
    await expect(ResultsStore.open(text)).rejects.toThrow(/is not a SQLite results database/);
    expect(readFileSync(text).equals(bytes)).toBe(true); // loses nothing

    const foreign = join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE t (x)');
    other.close();
    await expect(ResultsReader.open(foreign)).rejects.toThrow(/not a results database/);

    const newer = join(dir, 'newer.db');
    await (await ResultsStore.open(newer)).close();
    const bump = new Database(newer);
    bump.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    bump.close();
    const size = statSync(newer).size;
    await expect(ResultsReader.open(newer)).rejects.toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
    await expect(ResultsStore.open(newer)).rejects.toThrow(/update this tool/);
    expect(statSync(newer).size).toBe(size);
  });
});

describe('opening PostgreSQL results databases', () => {
  it('migrates a new database once when two first runs start at once, and again opens it as it is', async () => {
    const db = await createTestDatabase('l2x_open');
    try {
      expect(await openInProcesses(db.url, 2)).toEqual(['1', '1']);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      expect((await client.query('SELECT version FROM l2x_schema')).rows).toEqual([{ version: SCHEMA_VERSION }]);
      await client.end();
      const store = await ResultsStore.open(db.url);
      expect((await store.listSweeps()).map((s) => s.name)).toEqual(['tau']);
      await store.close();
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('says in one line what is wrong with a bad URL, a refused connection, an unknown user or database, and writes nothing', async () => {
    const db = await createTestDatabase('l2x_open');
    const url = new URL(db.url);
    const at = (change: (u: URL) => void) => {
      const copy = new URL(url);
      change(copy);
      return copy.toString();
    };
    try {
      await expect(ResultsStore.open('postgres://')).rejects.toThrow(/is not a valid PostgreSQL URL|names no database/);
      await expect(ResultsStore.open(at((u) => (u.pathname = '/')))).rejects.toThrow(/names no database/);
      await expect(ResultsStore.open(at((u) => (u.port = '1')))).rejects.toThrow(/connection refused; is PostgreSQL running there\?/);
      await expect(ResultsStore.open(at((u) => (u.username = 'nobody_here')))).rejects.toThrow(/authentication refused .*nobody_here/);
      await expect(ResultsStore.open(at((u) => (u.pathname = '/no_such_db_l2x')))).rejects.toThrow(/does not exist; create it first/);
      // A reader of a database no sweep wrote: one line, and still nothing there.
      await expect(ResultsReader.open(db.url)).rejects.toThrow(/holds no results yet/);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      expect((await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows).toEqual([{ n: 0 }]);
      await client.end();
    } finally {
      await db.drop();
    }
  });

  it('says "wrong password" in one line, with the password hidden', async () => {
    const server = await startPrivateServer({ password: 's3cret' });
    try {
      const wrong = server.url.replace('postgres:s3cret@', 'postgres:guess@');
      await expect(ResultsStore.open(wrong)).rejects.toThrow(
        /^cannot use PostgreSQL database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/results: wrong password$/,
      );
      await expect(ResultsReader.open(wrong)).rejects.toThrow(UserError);
      await (await ResultsStore.open(server.url)).close(); // the right one opens it
    } finally {
      await server.destroy();
    }
  }, 60_000);

  it('refuses a database whose schema is newer than this build, without writing', async () => {
    const db = await createTestDatabase('l2x_open');
    try {
      await (await ResultsStore.open(db.url)).close();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query('UPDATE l2x_schema SET version = $1', [SCHEMA_VERSION + 1]);
      await expect(ResultsStore.open(db.url)).rejects.toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 1} but this build knows up to ${SCHEMA_VERSION}`));
      await expect(ResultsReader.open(db.url)).rejects.toThrow(/update this tool/);
      expect((await client.query('SELECT version FROM l2x_schema')).rows).toEqual([{ version: SCHEMA_VERSION + 1 }]);
      await client.end();
    } finally {
      await db.drop();
    }
  });
});
